"""Tiny components that exercise the zoo core in its tests (not a method)."""

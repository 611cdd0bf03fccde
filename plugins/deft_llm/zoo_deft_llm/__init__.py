"""DEFT-LLM: disentangled expert feature tuning for micro-expression recognition, and Uni-MER."""

__version__ = "0.1.0"

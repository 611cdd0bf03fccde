"""Uni-MER: the motion-driven instruction data builder (flow × AU dual constraint)."""

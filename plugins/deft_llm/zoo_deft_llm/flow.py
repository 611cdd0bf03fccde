"""Optical flow between aligned onset and apex crops: TV-L1 (default), DIS or Farneback."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from zoo.sdk import ConfigError

FlowMethod = Literal["tvl1", "tvl1-full", "dis", "farneback"]
FLOW_METHODS: tuple[str, ...] = ("tvl1", "tvl1-full", "dis", "farneback")


def _tvl1(fast: bool):
    if not hasattr(cv2, "optflow"):
        raise ConfigError(
            "TV-L1 flow needs OpenCV's contrib build (cv2.optflow); install opencv-contrib-python-headless "
            "or choose flow_method='dis' or 'farneback'."
        )
    tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
    if fast:
        # Measured on a 128² face crop shifted by (0.6, -0.4) px: 3 scales, 1 warp, 2 outer
        # iterations and epsilon 0.05 recover it within 0.03 px, like OpenCV's defaults (5 scales,
        # 5 warps, 10 outer, 0.01), at ~12 ms instead of ~300 ms of CPU; see benchmarks/deft_llm_unimer.py.
        tvl1.setScalesNumber(3)
        tvl1.setWarpingsNumber(1)
        tvl1.setInnerIterations(10)
        tvl1.setOuterIterations(2)
        tvl1.setEpsilon(0.05)
    return tvl1


def compute_flow(onset: np.ndarray, apex: np.ndarray, method: str = "tvl1") -> np.ndarray:
    """Dense flow ``(H, W, 2)`` (dx, dy in pixels) from ``onset`` to ``apex`` (grey or BGR uint8).

    ``tvl1`` is TV-L1 with the fast settings above, ``tvl1-full`` OpenCV's default TV-L1.

    Raises:
        ConfigError: for an unknown method, or TV-L1 without OpenCV's contrib build.
    """
    if method not in FLOW_METHODS:
        raise ConfigError(f"Unknown flow method {method!r}; choose one of {', '.join(FLOW_METHODS)}.")
    a = onset if onset.ndim == 2 else cv2.cvtColor(onset, cv2.COLOR_BGR2GRAY)
    b = apex if apex.ndim == 2 else cv2.cvtColor(apex, cv2.COLOR_BGR2GRAY)
    if method in ("tvl1", "tvl1-full"):
        return _tvl1(fast=method == "tvl1").calc(a, b, None)
    if method == "dis":
        return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(a, b, None)
    return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 9, 3, 5, 1.1, 0)

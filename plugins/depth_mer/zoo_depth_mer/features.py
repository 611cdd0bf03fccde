"""An onset/apex depth pair → the fixed-size 6-D motion point set the networks read.

Steps: optional smoothing of valid depth → back-project both frames (face box, zero depth dropped)
→ optional cleaning → rigid ICP onset→apex; its inverse brings the apex into the onset frame so
that the features stay in the onset's coordinates → farthest-point sampling of the onset cloud to
``num_points`` → each sampled point's apex partner (nearest neighbour, or the same pixel) →
features ``[onset xyz, Δxyz]`` normalised with the onset cloud's centre and scale (Δ additionally
multiplied by ``motion_gain``). Every step is deterministic (ICP's subsets are seeded, FPS starts
at index 0), so the same pair always gives the same points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from pydantic import Field

import zoo
from zoo.sdk import InputError
from zoo_depth_mer.align import apply_transform, icp_onset_to_apex, nearest_correspondence, same_pixel_correspondence
from zoo_depth_mer.depth import Cloud, clean_cloud, depth_to_cloud, smooth_depth
from zoo_point_ops.ops import farthest_point_sample


class PipelineConfig(zoo.ComponentConfig):
    """How a depth pair becomes points (every choice the paper leaves open; see docs/methods/depth-mer.md)."""

    num_points: int = Field(2048, ge=1, description="points per sample, by farthest-point sampling")
    align: bool = Field(True, description="rigid ICP onset→apex before correspondence ('no alignment' = False)")
    correspondence: Literal["nearest", "same-pixel"] = "nearest"
    face_box: list[int] | None = Field(None, description="x0, y0, x1, y1 in pixels; None: whole frame")
    intrinsics: list[float] | None = Field(None, description="fx, fy, cx, cy; None: pixel grid")
    depth_unit_mm: float = Field(1.0, gt=0, description="millimetres per raw depth unit")
    clean_sigma: float | None = Field(3.0, gt=0, description="keep z within mean ± sigma·std; None: off")
    depth_window_mm: float | None = Field(None, gt=0, description="keep z within this of the median; None: off")
    smooth_px: float | None = Field(1.5, gt=0, description="Gaussian smoothing of valid depth (sigma, px); None: off")
    icp_max_distance: float = Field(10.0, gt=0, description="ICP correspondence distance (cloud units)")
    icp_subsample: int = Field(8192, ge=16, description="points per cloud given to ICP (a seeded random subset)")
    motion_gain: float = Field(100.0, gt=0, description="factor on the normalised Δxyz channels")


def frame_cloud(depth: np.ndarray, cfg: PipelineConfig, box: list[int] | None = None) -> Cloud:
    """Back-project and clean one frame with the pipeline's settings.

    Raises:
        InputError: if no valid depth remains.
    """
    if cfg.smooth_px is not None:
        depth = smooth_depth(depth, cfg.smooth_px)
    cloud = depth_to_cloud(depth, box if box is not None else cfg.face_box, cfg.intrinsics, cfg.depth_unit_mm)
    if cfg.clean_sigma is not None or cfg.depth_window_mm is not None:
        cloud = clean_cloud(cloud, cfg.clean_sigma, cfg.depth_window_mm)
    return cloud


def _icp_subset(points: np.ndarray, limit: int, seed: int) -> np.ndarray:
    if len(points) <= limit:
        return points
    return points[np.random.default_rng(seed).choice(len(points), limit, replace=False)]


@dataclass(frozen=True)
class MotionPoints:
    """One pair's network input and what a picture needs.

    Attributes:
        features: ``[num_points, 6]`` float32: normalised onset xyz, then Δxyz × ``motion_gain``.
        onset_xyz: the sampled onset points in cloud units (``[num_points, 3]``; x, y in pixels on
            the pixel grid, z in mm).
        motion: each sampled point's apex − onset displacement in cloud units (``[num_points, 3]``).
    """

    features: np.ndarray
    onset_xyz: np.ndarray
    motion: np.ndarray


def pair_to_motion(onset_depth: np.ndarray, apex_depth: np.ndarray, cfg: PipelineConfig,
                   box: list[int] | None = None) -> MotionPoints:
    """The motion points of one onset/apex pair (see the module docstring for the steps).

    Args:
        onset_depth, apex_depth: raw ``[H, W]`` depth maps of the same size.
        cfg: pipeline settings.
        box: a per-sample face box (overrides ``cfg.face_box``).

    Raises:
        InputError: if the frames differ in size, a frame has no valid depth in the box, the
            frames share no pixel (same-pixel correspondence) or the result is not finite.
    """
    if onset_depth.shape != apex_depth.shape:
        raise InputError(f"The onset and apex depth frames differ in size: {onset_depth.shape} vs {apex_depth.shape}.")
    onset, apex = frame_cloud(onset_depth, cfg, box), frame_cloud(apex_depth, cfg, box)
    if len(onset) < 3 or len(apex) < 3:
        raise InputError(f"The face box holds too few valid depth pixels ({len(onset)} onset, {len(apex)} apex; need 3).")
    apex_points = apex.points
    if cfg.align:
        transform = icp_onset_to_apex(_icp_subset(onset.points, cfg.icp_subsample, 0),
                                      _icp_subset(apex.points, cfg.icp_subsample, 1), cfg.icp_max_distance)
        apex_points = apply_transform(apex_points, np.linalg.inv(transform))  # apex into the onset frame
    if cfg.correspondence == "same-pixel":
        keep, partners = same_pixel_correspondence(onset, Cloud(apex_points, apex.pixels))
        onset_points = onset.points[keep]
    else:
        onset_points, partners = onset.points, None
    sampled = farthest_point_sample(torch.from_numpy(onset_points)[None], cfg.num_points)[0].numpy()
    onset_xyz = onset_points[sampled]
    apex_xyz = partners[sampled] if partners is not None else nearest_correspondence(onset_xyz, apex_points)
    motion = apex_xyz - onset_xyz
    features = normalise(onset_points, onset_xyz, motion, cfg.motion_gain)
    if not np.isfinite(features).all():
        raise InputError("The motion points are not finite (a degenerate depth pair or a diverged alignment).")
    return MotionPoints(features, onset_xyz, motion)


def pair_to_points(onset_depth: np.ndarray, apex_depth: np.ndarray, cfg: PipelineConfig,
                   box: list[int] | None = None) -> np.ndarray:
    """The ``[num_points, 6]`` float32 features of one onset/apex pair (:func:`pair_to_motion`).

    Raises:
        InputError: as :func:`pair_to_motion`.
    """
    return pair_to_motion(onset_depth, apex_depth, cfg, box).features


def normalise(onset_points: np.ndarray, xyz: np.ndarray, delta: np.ndarray, motion_gain: float) -> np.ndarray:
    """Centre on the onset cloud's mean, divide by its largest radius; Δ gets the same scale × gain.

    Raises:
        InputError: if the onset cloud is a single point (no scale).
    """
    centre = onset_points.mean(axis=0)
    scale = float(np.linalg.norm(onset_points - centre, axis=1).max())
    if scale <= 0:
        raise InputError("The onset cloud has no extent (all points coincide); cannot normalise it.")
    features = np.concatenate([(xyz - centre) / scale, delta / scale * motion_gain], axis=1)
    return features.astype(np.float32)

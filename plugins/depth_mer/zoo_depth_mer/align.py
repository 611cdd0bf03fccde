"""Onset/apex alignment: rigid ICP (open3d) to remove head motion, then per-point correspondence."""

from __future__ import annotations

import numpy as np

from zoo.sdk import InputError
from zoo_depth_mer.depth import Cloud


def icp_onset_to_apex(onset: np.ndarray, apex: np.ndarray, max_distance: float, iterations: int = 50) -> np.ndarray:
    """The rigid transform ``T`` (4x4) that maps the onset cloud onto the apex cloud (point-to-point ICP).

    Args:
        onset, apex: ``[M, 3]`` and ``[K, 3]`` points.
        max_distance: the largest correspondence distance ICP considers (cloud units).
        iterations: ICP iterations.

    Raises:
        InputError: if a cloud has fewer than 3 points.
    """
    import open3d as o3d

    if len(onset) < 3 or len(apex) < 3:
        raise InputError("ICP needs at least 3 points in each of the onset and apex clouds.")
    source, target = o3d.geometry.PointCloud(), o3d.geometry.PointCloud()
    source.points = o3d.utility.Vector3dVector(np.ascontiguousarray(onset, dtype=np.float64))
    target.points = o3d.utility.Vector3dVector(np.ascontiguousarray(apex, dtype=np.float64))
    result = o3d.pipelines.registration.registration_icp(
        source, target, max_distance, np.eye(4),
        o3d.pipelines.registration.TransformationEstimationPointToPoint(),
        o3d.pipelines.registration.ICPConvergenceCriteria(max_iteration=iterations),
    )
    return np.asarray(result.transformation, dtype=np.float64)


def apply_transform(points: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """``points [M, 3]`` → ``R p + t``."""
    return points @ transform[:3, :3].T + transform[:3, 3]


def nearest_correspondence(onset: np.ndarray, apex: np.ndarray) -> np.ndarray:
    """For each onset point, the nearest apex point (``[M, 3]``, same order as ``onset``)."""
    from scipy.spatial import cKDTree

    _, idx = cKDTree(apex).query(onset, k=1)
    return apex[idx]


def same_pixel_correspondence(onset: Cloud, apex: Cloud) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of points seen at the same image pixel in both frames.

    Returns:
        ``(keep, apex_points)``: a boolean mask over the onset cloud and the matching apex points.

    Raises:
        InputError: if no pixel is valid in both frames.
    """
    width = int(max(onset.pixels[:, 0].max(), apex.pixels[:, 0].max())) + 1
    onset_key = onset.pixels[:, 1].astype(np.int64) * width + onset.pixels[:, 0]
    apex_key = apex.pixels[:, 1].astype(np.int64) * width + apex.pixels[:, 0]
    order = np.argsort(apex_key)
    pos = np.searchsorted(apex_key[order], onset_key)
    pos = np.clip(pos, 0, len(order) - 1)
    keep = apex_key[order][pos] == onset_key
    if not keep.any():
        raise InputError("The onset and apex frames share no valid pixel; use alignment='icp-nn'.")
    return keep, apex.points[order[pos[keep]]]

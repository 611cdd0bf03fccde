"""Training augmentation of motion point sets: rotation about the camera axis, per-axis scale, shift.

The usual PointNet++ training augmentations, applied to a whole batch ``[B, N, 6]`` with one
random transform per sample: with few subjects the networks otherwise learn face shapes instead
of motion. Δxyz is rotated and scaled with the coordinates (not shifted), so the motion stays the
motion of the transformed face.

``dataset/casme3-depth`` declares the settings (its ``augment`` field) and passes them in every
batch; ``model/depth-mer`` applies them in ``training_step`` only. That is where "training only"
can be guaranteed: under leave-one-subject-out the engine trains and tests on subsets of the
*same* dataset object, so the dataset cannot know whether an item is drawn for training or for
evaluation, but the model's training step is never used to evaluate or to predict.
"""

from __future__ import annotations

import math

import torch
from pydantic import Field, model_validator

import zoo


class AugmentConfig(zoo.ComponentConfig):
    """Random transform per training sample (``enabled = false``: none)."""

    enabled: bool = Field(True, description="augment training batches (never evaluation or prediction)")
    rotation_deg: float = Field(10.0, ge=0, le=180, description="uniform rotation about the camera (z) axis, ± degrees")
    scale: tuple[float, float] = Field((0.9, 1.1), description="uniform per-axis scale range")
    shift: float = Field(0.05, ge=0, description="uniform shift of xyz, ± (normalised cloud units)")

    @model_validator(mode="after")
    def _ordered_scale(self) -> "AugmentConfig":
        low, high = self.scale
        if not 0 < low <= high:
            raise ValueError(f"scale must be (low, high) with 0 < low <= high, got {self.scale}")
        return self


def augment_points(points: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator | None = None) -> torch.Tensor:
    """A randomly transformed copy of ``points [B, N, C]`` (xyz, Δxyz, then any extra channels).

    Draws from torch's global generator unless ``generator`` is given, so a seeded run (the
    engine seeds it) augments identically every time.

    Raises:
        ValueError: if ``points`` has fewer than 6 channels.
    """
    if points.dim() != 3 or points.shape[-1] < 6:
        raise ValueError(f"augment_points expects [B, N, >=6] points (xyz, Δxyz), got {tuple(points.shape)}")
    if not cfg.enabled:
        return points
    batch = points.shape[0]
    options = {"generator": generator, "dtype": points.dtype, "device": points.device}
    angle = (torch.rand(batch, **options) * 2 - 1) * math.radians(cfg.rotation_deg)
    cos, sin = torch.cos(angle), torch.sin(angle)
    zero, one = torch.zeros_like(angle), torch.ones_like(angle)
    rotation = torch.stack([torch.stack([cos, -sin, zero], -1), torch.stack([sin, cos, zero], -1),
                            torch.stack([zero, zero, one], -1)], -2)  # [B, 3, 3]
    low, high = cfg.scale
    scale = low + (high - low) * torch.rand(batch, 1, 3, **options)
    transform = rotation * scale  # scales the columns: R · diag(s)
    shift = (torch.rand(batch, 1, 3, **options) * 2 - 1) * cfg.shift
    xyz = points[..., :3] @ transform.transpose(1, 2) + shift
    delta = points[..., 3:6] @ transform.transpose(1, 2)
    return torch.cat([xyz, delta, points[..., 6:]], dim=-1)

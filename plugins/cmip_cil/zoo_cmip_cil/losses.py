"""NT-Xent (normalised temperature-scaled cross-entropy) and point-cloud augmentations."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def nt_xent(a: torch.Tensor, b: torch.Tensor, temperature: float = 0.02) -> torch.Tensor:
    """SimCLR's NT-Xent between paired embeddings ``a[i] ↔ b[i]`` (``[B, D]`` each).

    Each of the 2B embeddings has its pair as the positive and the other 2B-2 as negatives;
    the loss is the mean over all 2B anchors.

    Raises:
        ValueError: if the shapes differ or B < 2.
    """
    if a.shape != b.shape or a.shape[0] < 2:
        raise ValueError(f"nt_xent needs two [B, D] batches with B >= 2, got {tuple(a.shape)} and {tuple(b.shape)}.")
    n = a.shape[0]
    z = F.normalize(torch.cat([a, b]), dim=-1)
    logits = z @ z.t() / temperature
    logits.fill_diagonal_(float("-inf"))  # an embedding is not its own negative
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(a.device)
    return F.cross_entropy(logits, targets)


def augment_points(points: torch.Tensor, generator: torch.Generator | None = None, up_axis: int = 2) -> torch.Tensor:
    """The spec's pre-training augmentations on ``[B, N, 3]`` clouds, drawn per cloud.

    Scale U(0.5, 2); rotation about the up axis; translation U(-0.2, 0.2); jitter N(0, 0.01)
    clipped at 0.05; random point dropout (up to 87.5 % of the points replaced by the first point,
    as PointNet++'s ``random_point_dropout`` does, which keeps N fixed).
    """
    b, n, _ = points.shape
    dev, kw = points.device, {"generator": generator}
    scale = torch.empty(b, 1, 1).uniform_(0.5, 2.0, **kw)
    angle = torch.rand(b, **kw) * 2 * math.pi
    cos, sin = angle.cos(), angle.sin()
    axes = [i for i in range(3) if i != up_axis]
    rotation = torch.zeros(b, 3, 3)
    rotation[:, up_axis, up_axis] = 1.0
    rotation[:, axes[0], axes[0]], rotation[:, axes[0], axes[1]] = cos, -sin
    rotation[:, axes[1], axes[0]], rotation[:, axes[1], axes[1]] = sin, cos
    shift = torch.empty(b, 1, 3).uniform_(-0.2, 0.2, **kw)
    jitter = (torch.randn(b, n, 3, **kw) * 0.01).clamp(-0.05, 0.05)
    out = (points.cpu() @ rotation.transpose(1, 2)) * scale + shift + jitter
    dropped = torch.rand(b, n, **kw) < torch.rand(b, 1, **kw) * 0.875
    out = torch.where(dropped.unsqueeze(-1), out[:, :1].expand_as(out), out)
    return out.to(dev)

"""Training augmentations: the spec's point-cloud augmentations and the release's image jitter and flip.

Both draw from torch's global generator (or the one passed in), which the engine seeds, so a
seeded run augments identically every time.
"""

from __future__ import annotations

import math

import torch
from pydantic import Field

import zoo

#: The spec's fixed augmentation constants (the release's PointcloudScale/Jitter/RandomInputDropout).
SCALE_RANGE = (0.5, 2.0)
JITTER_STD, JITTER_CLIP = 0.01, 0.05
MAX_DROPOUT = 0.875
#: The release's ``transforms.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4)``.
COLOUR_JITTER = 0.4


class PointAugment(zoo.ComponentConfig):
    """The translation of the point augmentation (the one place ours and the release differ)."""

    translate: float = Field(0.2, ge=0, description="shift drawn from U(-t, t) per axis")
    translate_relative: bool = Field(
        False, description="multiply the shift by the cloud's bounding-box extent per axis (release)"
    )


def augment_points(
    points: torch.Tensor, config: PointAugment | None = None, up_axis: int = 1,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The spec's pre-training augmentations on ``[B, N, 3]`` clouds, drawn per cloud.

    Rotation about the up axis; scale U(0.5, 2); translation U(±t) (times the bounding-box extent
    with ``translate_relative``, as the release's ``PointcloudTranslate`` does); jitter
    N(0, 0.01) clipped at 0.05; random point dropout (up to 87.5 % of the points replaced by the
    first point, as PointNet++'s ``random_point_dropout`` does, which keeps N fixed).
    """
    config = config or PointAugment()
    b, n, _ = points.shape
    dev, kw = points.device, {"generator": generator}
    angle = torch.rand(b, **kw) * 2 * math.pi
    cos, sin = angle.cos(), angle.sin()
    axes = [i for i in range(3) if i != up_axis]
    rotation = torch.zeros(b, 3, 3)
    rotation[:, up_axis, up_axis] = 1.0
    rotation[:, axes[0], axes[0]], rotation[:, axes[0], axes[1]] = cos, -sin
    rotation[:, axes[1], axes[0]], rotation[:, axes[1], axes[1]] = sin, cos
    scale = torch.empty(b, 1, 1).uniform_(*SCALE_RANGE, **kw)
    out = (points.cpu() @ rotation.transpose(1, 2)) * scale
    shift = torch.empty(b, 1, 3).uniform_(-config.translate, config.translate, **kw)
    if config.translate_relative:
        shift = shift * (out.amax(1, keepdim=True) - out.amin(1, keepdim=True))
    jitter = (torch.randn(b, n, 3, **kw) * JITTER_STD).clamp(-JITTER_CLIP, JITTER_CLIP)
    out = out + shift + jitter
    dropped = torch.rand(b, n, **kw) < torch.rand(b, 1, **kw) * MAX_DROPOUT
    out = torch.where(dropped.unsqueeze(-1), out[:, :1].expand_as(out), out)
    return out.to(dev)


def augment_views(views: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """The release's view augmentation on uint8 renders ``[B, V, H, W, 3]``, drawn per view.

    Brightness, contrast and saturation factors from U(0.6, 1.4) (torchvision's ``ColorJitter``
    with 0.4 each, applied here in that fixed order rather than a random one), then a horizontal
    flip with probability 0.5. Returns uint8 renders of the same shape.
    """
    kw = {"generator": generator}
    x = views.float() / 255.0
    shape = (*views.shape[:2], 1, 1, 1)

    def factor() -> torch.Tensor:
        return torch.empty(shape).uniform_(1 - COLOUR_JITTER, 1 + COLOUR_JITTER, **kw).to(views.device)

    def grey(image: torch.Tensor) -> torch.Tensor:  # ITU-R 601-2 luma, as torchvision's rgb_to_grayscale
        return (image * torch.tensor([0.299, 0.587, 0.114], device=image.device)).sum(-1, keepdim=True)

    x = (x * factor()).clamp(0, 1)
    mean = grey(x).mean(dim=(2, 3, 4), keepdim=True)
    x = (mean + factor() * (x - mean)).clamp(0, 1)
    x = (grey(x) + factor() * (x - grey(x))).clamp(0, 1)
    flip = (torch.rand(shape, **kw) < 0.5).to(views.device)
    x = torch.where(flip, x.flip(3), x)
    return (x * 255.0 + 0.5).to(torch.uint8)

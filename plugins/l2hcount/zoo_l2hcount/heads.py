"""Heads: the U-shaped density decoder (strides 16 → 8 → 4) and HFEM, the head-feature enhancement."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import zoo


def conv_bn_relu(in_ch: int, out_ch: int, kernel: int = 3) -> nn.Sequential:
    """A ``kernel×kernel`` convolution, batch norm and ReLU (same spatial size)."""
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


def upsample_to(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Bilinear upsampling of ``x`` to the spatial size of ``ref``."""
    return F.interpolate(x, size=ref.shape[-2:], mode="bilinear", align_corners=False)


class DensityDecoder(zoo.Head):
    """U-shaped fusion of the stride 16, 8 and 4 features (as MPCount) plus the density output.

    The decoder is used in two halves so that the memory can sit between them:
    :meth:`fuse_coarse` gives the stride-8 map (``dim`` channels, where the memory reads),
    :meth:`fuse_fine` brings it to stride 4 (``fine_dim`` channels), and :meth:`density` maps
    stride-4 features to a non-negative density.
    """

    class Config(zoo.ComponentConfig):
        in_channels: list[int] = Field([256, 512, 512], description="encoder widths at strides 4, 8, 16")
        dim: int = Field(256, ge=1, description="width at strides 16 and 8 (= memory dim)")
        fine_dim: int = Field(128, ge=1, description="width at stride 4")

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        c4, c8, c16 = self.config.in_channels
        dim, fine = self.config.dim, self.config.fine_dim
        self.lateral16 = conv_bn_relu(c16, dim, 1)
        self.lateral8 = conv_bn_relu(c8, dim, 1)
        self.lateral4 = conv_bn_relu(c4, fine, 1)
        self.smooth16 = conv_bn_relu(dim, dim)
        self.smooth8 = conv_bn_relu(dim, dim)
        self.reduce8 = conv_bn_relu(dim, fine, 1)
        self.smooth4 = conv_bn_relu(fine, fine)
        self.output = nn.Sequential(conv_bn_relu(fine, fine // 2 or 1), nn.Conv2d(fine // 2 or 1, 1, 1), nn.ReLU())

    def fuse_coarse(self, feats: list[torch.Tensor]) -> torch.Tensor:
        """Stride-8 map from the stride 8 and 16 features."""
        _, f8, f16 = feats
        p16 = self.smooth16(self.lateral16(f16))
        return self.smooth8(self.lateral8(f8) + upsample_to(p16, f8))

    def fuse_fine(self, coarse: torch.Tensor, feats: list[torch.Tensor]) -> torch.Tensor:
        """Stride-4 map from the (memory-refined) stride-8 map and the stride-4 features."""
        f4 = feats[0]
        return self.smooth4(self.lateral4(f4) + upsample_to(self.reduce8(coarse), f4))

    def density(self, fine: torch.Tensor) -> torch.Tensor:
        """Non-negative density ``[B, 1, H/4, W/4]`` (scaled by the model's ``density_scale``)."""
        return self.output(fine)

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        """Density from encoder features, without memory or enhancement."""
        return self.density(self.fuse_fine(self.fuse_coarse(feats), feats))

    def example_inputs(self) -> tuple[list[torch.Tensor]]:
        c4, c8, c16 = self.config.in_channels
        return ([torch.randn(1, c4, 16, 16), torch.randn(1, c8, 8, 8), torch.randn(1, c16, 4, 4)],)


class HeadFeatureEnhancement(zoo.Head):
    """HFEM: a head-aware spatial gate on the stride-4 decoder features.

    A small branch predicts head-mask logits ``m`` (trained with BCE against a mask derived from
    the ground-truth density); the features are re-weighted by ``1 + σ(m)``, so that head regions
    are amplified while the background keeps its features (a multiplicative ``σ(m)`` alone could
    erase them early in training). Active at inference too.
    """

    class Config(zoo.ComponentConfig):
        channels: int = Field(128, ge=1, description="feature width (imposed by the model)")
        hidden: int = Field(64, ge=1)

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        ch, hidden = self.config.channels, self.config.hidden
        self.mask_branch = nn.Sequential(
            conv_bn_relu(ch, hidden),
            nn.Conv2d(hidden, hidden, 3, padding=2, dilation=2),  # wider context: a head's extent
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, 1, 1),
        )

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(enhanced features, head-mask logits [B, 1, H, W])``."""
        mask_logits = self.mask_branch(features)
        return features * (1 + torch.sigmoid(mask_logits)), mask_logits

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(1, self.config.channels, 8, 8),)

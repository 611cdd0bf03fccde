"""PointNet++ encoders (Qi et al., NeurIPS 2017): single-scale (SSG) and multi-scale (MSG) grouping.

Layer settings are those of the PointNet++ classification networks (and of the widely used
pure-PyTorch implementation). Input ``[B, N, in_channels]``: xyz first, then extra per-point
channels (Depth-MER: the 3 motion channels), which the first set abstraction groups alongside
the relative coordinates. Output: the global feature ``[B, out_channels]`` of the last,
group-all set abstraction. FPS always starts at index 0 so that a forward pass is deterministic
(the reference draws a random start).
"""

from __future__ import annotations

import torch
from pydantic import Field, model_validator
from torch import nn

import zoo
from zoo.sdk import InputError
from zoo_point_ops.ops import ball_query, farthest_point_sample, gather_points, group


def _conv_stack(in_channels: int, widths: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for width in widths:
        layers += [nn.Conv2d(in_channels, width, 1), nn.BatchNorm2d(width), nn.ReLU()]
        in_channels = width
    return nn.Sequential(*layers)


class SetAbstraction(nn.Module):
    """Sample centres by FPS, group balls at one or more radii, shared MLP, max over each ball.

    ``npoint=None`` groups all points around the origin (the last layer of the classifier).
    """

    def __init__(self, npoint: int | None, radii: list[float], nsamples: list[int], in_channels: int,
                 mlps: list[list[int]]) -> None:
        super().__init__()
        self.npoint, self.radii, self.nsamples = npoint, radii, nsamples
        self.branches = nn.ModuleList(_conv_stack(in_channels + 3, widths) for widths in mlps)
        self.out_channels = sum(widths[-1] for widths in mlps)

    def forward(self, xyz: torch.Tensor, features: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """``xyz [B, N, 3]``, ``features [B, N, C] | None`` → ``(centres [B, S, 3], [B, S, D])``."""
        if self.npoint is None:
            centres = xyz.new_zeros(xyz.shape[0], 1, 3)
            grouped = xyz.unsqueeze(1) if features is None else torch.cat([xyz, features], -1).unsqueeze(1)
            return centres, self.branches[0](grouped.permute(0, 3, 2, 1)).amax(dim=2).transpose(1, 2)
        with torch.no_grad():
            centre_idx = farthest_point_sample(xyz.detach(), self.npoint, start=0)
        centres = gather_points(xyz, centre_idx)
        pooled = []
        for radius, nsample, branch in zip(self.radii, self.nsamples, self.branches):
            with torch.no_grad():
                idx = ball_query(radius, nsample, xyz.detach(), centres.detach())
            grouped = group(xyz, centres, idx, features)  # [B, S, K, 3 + C]
            pooled.append(branch(grouped.permute(0, 3, 2, 1)).amax(dim=2))  # [B, D, S]
        return centres, torch.cat(pooled, dim=1).transpose(1, 2)


class PointNet2Config(zoo.ComponentConfig):
    """Two set abstractions with ``len(radii[i])`` scales each, then a group-all layer."""

    in_channels: int = Field(3, ge=3, description="xyz + extra per-point channels")
    npoints: list[int] = Field(default_factory=lambda: [512, 128])
    radii: list[list[float]] = Field(default_factory=lambda: [[0.2], [0.4]])
    nsamples: list[list[int]] = Field(default_factory=lambda: [[32], [64]])
    mlps: list[list[list[int]]] = Field(default_factory=lambda: [[[64, 64, 128]], [[128, 128, 256]]])
    global_mlp: list[int] = Field(default_factory=lambda: [256, 512, 1024])

    @model_validator(mode="after")
    def _same_lengths(self) -> "PointNet2Config":
        levels = len(self.npoints)
        if not (len(self.radii) == len(self.nsamples) == len(self.mlps) == levels):
            raise ValueError("npoints, radii, nsamples and mlps need one entry per set abstraction")
        for i in range(levels):
            if not (len(self.radii[i]) == len(self.nsamples[i]) == len(self.mlps[i]) >= 1):
                raise ValueError(f"level {i}: radii, nsamples and mlps need one entry per scale")
        return self


class PointNet2Encoder(zoo.Encoder):
    """PointNet++ encoder; the defaults are the SSG classifier's."""

    Config = PointNet2Config

    def __init__(self, config: PointNet2Config | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        layers, channels = [], cfg.in_channels - 3
        for npoint, radii, nsamples, mlps in zip(cfg.npoints, cfg.radii, cfg.nsamples, cfg.mlps):
            layers.append(SetAbstraction(npoint, radii, nsamples, channels, mlps))
            channels = layers[-1].out_channels
        layers.append(SetAbstraction(None, [], [], channels, [cfg.global_mlp]))
        self.levels = nn.ModuleList(layers)
        self.out_channels = layers[-1].out_channels

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """``points [B, N, in_channels]`` → ``[B, out_channels]``.

        Raises:
            InputError: if the channel count differs from the config.
        """
        if points.dim() != 3 or points.shape[-1] != self.config.in_channels:
            raise InputError(f"PointNet++ expects [B, N, {self.config.in_channels}] points, got {tuple(points.shape)}.")
        xyz = points[..., :3].contiguous()
        features = points[..., 3:] if points.shape[-1] > 3 else None
        for level in self.levels:
            xyz, features = level(xyz, features)
        return features.squeeze(1)

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.rand(2, 256, self.config.in_channels) * 2 - 1,)


class PointNet2MSGConfig(PointNet2Config):
    """The MSG classifier's settings."""

    radii: list[list[float]] = Field(default_factory=lambda: [[0.1, 0.2, 0.4], [0.2, 0.4, 0.8]])
    nsamples: list[list[int]] = Field(default_factory=lambda: [[16, 32, 128], [32, 64, 128]])
    mlps: list[list[list[int]]] = Field(default_factory=lambda: [
        [[32, 32, 64], [64, 64, 128], [64, 96, 128]],
        [[64, 64, 128], [128, 128, 256], [128, 128, 256]],
    ])


class PointNet2MSGEncoder(PointNet2Encoder):
    """PointNet++ with multi-scale grouping (3 radii per level)."""

    Config = PointNet2MSGConfig

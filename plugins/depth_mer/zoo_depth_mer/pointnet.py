"""PointNet point encoder (Qi et al., CVPR 2017), the simplest of the compared networks.

Input ``[B, N, in_channels]`` (xyz first); an optional T-Net aligns the xyz channels; a shared
MLP (1x1 convolutions) and max pooling give the global feature ``[B, mlp_channels[-1]]``.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import nn

import zoo
from zoo.sdk import ConfigError, InputError


def shared_mlp(in_channels: int, widths: list[int]) -> nn.Sequential:
    """1x1 Conv1d + BatchNorm + ReLU layers over ``[B, C, N]``."""
    layers: list[nn.Module] = []
    for width in widths:
        layers += [nn.Conv1d(in_channels, width, 1), nn.BatchNorm1d(width), nn.ReLU()]
        in_channels = width
    return nn.Sequential(*layers)


class TNet(nn.Module):
    """Predicts a ``k x k`` transform (initialised at the identity) from the points."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k
        self.features = shared_mlp(k, [64, 128, 1024])
        self.regress = nn.Sequential(nn.Linear(1024, 512), nn.BatchNorm1d(512), nn.ReLU(),
                                     nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, k * k))
        nn.init.zeros_(self.regress[-1].weight)
        nn.init.zeros_(self.regress[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x [B, k, N]`` → ``[B, k, k]``."""
        delta = self.regress(self.features(x).amax(dim=-1)).view(-1, self.k, self.k)
        return delta + torch.eye(self.k, dtype=x.dtype, device=x.device)


class PointNetEncoder(zoo.Encoder):
    """Shared MLP + max pooling, with an optional input transform on xyz."""

    class Config(zoo.ComponentConfig):
        in_channels: int = Field(3, ge=3, description="xyz + extra per-point channels")
        mlp_channels: list[int] = Field(default_factory=lambda: [64, 64, 64, 128, 1024])
        input_transform: bool = True

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        if not cfg.mlp_channels:
            raise ConfigError("PointNet needs at least one layer: mlp_channels must not be empty.")
        self.transform = TNet(3) if cfg.input_transform else None
        self.mlp = shared_mlp(cfg.in_channels, cfg.mlp_channels)
        self.out_channels = cfg.mlp_channels[-1]

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """``points [B, N, in_channels]`` → ``[B, out_channels]``.

        Raises:
            InputError: if the channel count differs from the config.
        """
        if points.dim() != 3 or points.shape[-1] != self.config.in_channels:
            raise InputError(f"PointNet expects [B, N, {self.config.in_channels}] points, got {tuple(points.shape)}.")
        x = points.transpose(1, 2)  # [B, C, N]
        if self.transform is not None:
            rotation = self.transform(x[:, :3])
            x = torch.cat([torch.bmm(rotation.transpose(1, 2), x[:, :3]), x[:, 3:]], dim=1)
        return self.mlp(x).amax(dim=-1)

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(2, 64, self.config.in_channels),)

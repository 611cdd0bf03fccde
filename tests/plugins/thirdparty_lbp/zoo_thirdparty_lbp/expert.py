"""An LBP-TOP-flavoured expert: signs of neighbour differences, soft-binned, projected to tokens."""

from __future__ import annotations

import torch
from torch import nn

import zoo


class LbpTopConfig(zoo.ComponentConfig):
    in_features: int = 8
    dim: int = 16
    tokens: int = 2
    sharpness: float = 10.0


class LbpTopExpert(zoo.Expert):
    """Soft sign of differences between neighbouring features, then a linear map to tokens."""

    Config = LbpTopConfig

    def __init__(self, config: LbpTopConfig | None = None) -> None:
        super().__init__(config)
        self.proj = nn.Linear(self.config.in_features, self.config.dim * self.config.tokens)
        self.tokens, self.out_dim = self.config.tokens, self.config.dim  # the zoo.Expert contract

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        codes = torch.sigmoid(self.config.sharpness * (torch.roll(x, 1, dims=-1) - x))
        return self.proj(codes).view(x.shape[0], self.config.tokens, self.config.dim)

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(2, self.config.in_features),)

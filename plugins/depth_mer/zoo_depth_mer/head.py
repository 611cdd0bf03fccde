"""The motion classification head: the PointNet++ classifier's FC 512 → 256 → classes."""

from __future__ import annotations

import torch
from pydantic import Field
from torch import nn

import zoo
from zoo.sdk import InputError


class MotionClassifier(zoo.Head):
    """Global point feature → class logits (Linear + BatchNorm + ReLU + Dropout per hidden layer)."""

    class Config(zoo.ComponentConfig):
        in_channels: int = Field(1024, ge=1)
        num_classes: int = Field(3, ge=2)
        hidden: list[int] = Field(default_factory=lambda: [512, 256])
        dropout: float = Field(0.4, ge=0.0, lt=1.0)

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        layers: list[nn.Module] = []
        width = cfg.in_channels
        for hidden in cfg.hidden:
            layers += [nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(cfg.dropout)]
            width = hidden
        layers.append(nn.Linear(width, cfg.num_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        """``[B, in_channels]`` → logits ``[B, num_classes]``.

        Raises:
            InputError: if the feature width differs from the config.
        """
        if feature.dim() != 2 or feature.shape[1] != self.config.in_channels:
            raise InputError(f"The head expects [B, {self.config.in_channels}] features, got {tuple(feature.shape)}.")
        if self.training and feature.shape[0] == 1:
            # BatchNorm cannot normalise a batch of one (a last, short batch of an epoch): that
            # one step uses the running statistics instead of failing.
            norms = [m for m in self.layers if isinstance(m, nn.BatchNorm1d)]
            for norm in norms:
                norm.eval()
            try:
                return self.layers(feature)
            finally:
                for norm in norms:
                    norm.train()
        return self.layers(feature)

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(2, self.config.in_channels),)

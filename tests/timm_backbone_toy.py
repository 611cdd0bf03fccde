"""A model whose config asks for a pretrained timm backbone (tests of ``zoo.load`` offline)."""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field

import zoo


class TimmToyConfig(zoo.ComponentConfig):
    pretrained: bool = Field(True, description="ImageNet weights through the Hub")
    weights: str = Field("timm/test_resnet.r160_in1k", description="Hub repository of the weights")
    revision: str = Field("main", description="its revision")
    classes: int = Field(3, ge=2)


class TimmToy(zoo.Model):
    """timm's test ResNet with a 3-way head."""

    Config = TimmToyConfig
    metric: ClassVar[str] = "classification"
    task: ClassVar[str] = "image-classification"

    def __init__(self, config: TimmToyConfig | None = None) -> None:
        from zoo.sdk import PretrainedWeights, create_timm_model

        super().__init__(config)
        cfg = self.config
        weights = PretrainedWeights(cfg.weights, cfg.revision) if cfg.pretrained else None
        self.backbone = create_timm_model("test_resnet", pretrained=weights, num_classes=cfg.classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)


def register() -> None:
    """Register ``model/timm-toy`` in the current host."""
    from zoo.plugins import get_host
    from zoo.registry import RegistryEntry

    get_host().registry.add(RegistryEntry("model/timm-toy", "timm_backbone_toy:TimmToy", distribution="core-tests"))

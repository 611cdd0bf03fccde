"""A toy expert with a ``pretrained`` field (a stand-in for a timm backbone) and a runner that words
its own ``measured_on``, for the recipe, card and explain tests."""

from __future__ import annotations

import torch
from torch import nn

import zoo


class BackboneExpertConfig(zoo.ComponentConfig):
    in_features: int = 8
    dim: int = 16
    tokens: int = 2
    pretrained: bool = True


class BackboneExpert(zoo.Expert):
    """``pretrained=True`` starts from fixed weights (what a Hub download would give), else random."""

    Config = BackboneExpertConfig

    def __init__(self, config: BackboneExpertConfig | None = None) -> None:
        super().__init__(config)
        self.proj = nn.Linear(self.config.in_features, self.config.dim * self.config.tokens)
        if self.config.pretrained:
            generator = torch.Generator().manual_seed(1234)
            with torch.no_grad():
                self.proj.weight.copy_(0.1 * torch.randn(self.proj.weight.shape, generator=generator))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).view(x.shape[0], self.config.tokens, self.config.dim)

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(2, self.config.in_features),)


def worded_runner(recipe, resume: bool):
    """A plugin-style runner: the holdout run, with its own words for the evaluation data."""
    from zoo.sdk import run_holdout

    trainer, summary = run_holdout(recipe, resume)
    summary["measured_on"] = "the toy test blobs"
    return trainer, summary


def register() -> None:
    from zoo.plugins import get_host
    from zoo.registry import RegistryEntry

    registry = get_host().registry
    registry.add(RegistryEntry("expert/test-backbone", "recipe_toys:BackboneExpert", distribution="recipe-tests"))

"""A two-expert fusion model small enough for unit tests of the registry, loading and publishing."""

from __future__ import annotations

import torch
from torch import nn

import zoo
from zoo.sdk import OptionalPart, Part, build_part


class MeanExpertConfig(zoo.ComponentConfig):
    in_features: int = 8
    dim: int = 16
    tokens: int = 2


class MeanExpert(zoo.Expert):
    """Projects ``[B, in_features]`` to ``tokens`` tokens of width ``dim``."""

    Config = MeanExpertConfig

    def __init__(self, config: MeanExpertConfig | None = None) -> None:
        super().__init__(config)
        self.proj = nn.Linear(self.config.in_features, self.config.dim * self.config.tokens)
        self.tokens, self.out_dim = self.config.tokens, self.config.dim  # the zoo.Expert contract

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).view(x.shape[0], self.config.tokens, self.config.dim)

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(2, self.config.in_features),)


class LinearHeadConfig(zoo.ComponentConfig):
    in_features: int = 16
    classes: int = 3


class LinearHead(zoo.Head):
    Config = LinearHeadConfig

    def __init__(self, config: LinearHeadConfig | None = None) -> None:
        super().__init__(config)
        self.fc = nn.Linear(self.config.in_features, self.config.classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(2, self.config.in_features),)


class ToyFusionConfig(zoo.ComponentConfig):
    experts: dict[str, OptionalPart] = {"a": "expert/toy-mean", "b": "expert/toy-mean"}
    head: Part = "head/toy-linear"
    in_features: int = 8
    dim: int = 16
    classes: int = 3
    scale: float = 1.0  # the processor's setting (stored in config.json like any field)


class ToyFusion(zoo.Model):
    """Mean of every active expert's tokens → linear head."""

    Config = ToyFusionConfig
    metric = "classification"
    task = "toy-classification"

    def __init__(self, config: ToyFusionConfig | None = None) -> None:
        super().__init__(config)
        c = self.config
        self.experts = nn.ModuleDict(
            {k: build_part(v, in_features=c.in_features, dim=c.dim) for k, v in c.experts.items() if v is not None}
        )
        self.head = build_part(c.head, in_features=c.dim, classes=c.classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.experts:
            return self.head(torch.zeros(x.shape[0], self.config.dim))
        tokens = torch.cat([e(x) for e in self.experts.values()], dim=1)
        return self.head(tokens.mean(dim=1))

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(2, self.config.in_features),)

    def training_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"ce": nn.functional.cross_entropy(self(batch["x"]), batch["y"])}

    def evaluation_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"pred": self(batch["x"]).argmax(-1), "target": batch["y"]}

    def processor(self):
        from zoo_toy_models.predict import ToyProcessor

        return ToyProcessor(self.config.in_features, self.config.scale)

    def predict_step(self, batch: torch.Tensor) -> list[dict]:
        from zoo_toy_models.predict import outputs_of

        return outputs_of(self(batch.mean(dim=1)))

    def render(self, item, outputs, out_dir, stem):
        from zoo_toy_models.predict import draw_bars

        return draw_bars(outputs, out_dir, stem)

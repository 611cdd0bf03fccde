"""The small model and synthetic data the engine benchmarks train (shared by both scripts)."""

from __future__ import annotations

import torch
from torch import nn

import zoo
from zoo.config import ComponentConfig


class BenchMLPConfig(ComponentConfig):
    in_dim: int = 256
    hidden: int = 512
    classes: int = 10


class BenchMLP(zoo.Model):
    """A 3-layer MLP classifier: small enough to run on a 2-core CPU, big enough to do real work."""

    Config = BenchMLPConfig
    metric = "classification"

    def __init__(self, config: BenchMLPConfig | None = None) -> None:
        super().__init__(config)
        c = self.config
        self.net = nn.Sequential(nn.Linear(c.in_dim, c.hidden), nn.ReLU(), nn.Linear(c.hidden, c.hidden), nn.ReLU(), nn.Linear(c.hidden, c.classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        x, y = batch
        return {"ce": nn.functional.cross_entropy(self(x), y)}

    def evaluation_step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        x, y = batch
        return {"pred": self(x).argmax(1), "target": y}


def synthetic_data(size: int, in_dim: int = 256, classes: int = 10) -> torch.utils.data.TensorDataset:
    """Seeded random features and labels (synthetic)."""
    generator = torch.Generator().manual_seed(0)
    return torch.utils.data.TensorDataset(torch.randn(size, in_dim, generator=generator), torch.randint(0, classes, (size,), generator=generator))

"""A small MLP classifier and seeded blob data: what the engine's tests and benchmarks train.

One home for both (a benchmark must not import from ``tests/``). Importing this module imports
torch; ``import zoo.testing`` does not import it.
"""

from __future__ import annotations

import torch
from torch import nn

import zoo
from zoo.config import ComponentConfig


class ToyMLPConfig(ComponentConfig):
    in_dim: int = 4
    hidden: int = 16
    depth: int = 1  # hidden layers
    classes: int = 3
    dropout: float = 0.0
    l2: float = 1e-3  # weight of the first layer's squared-weight penalty (a second named loss)


class ToyMLP(zoo.Model):
    """``depth`` hidden ReLU layers; no batch-dependent layers (accumulation is exactly a bigger batch).

    ``training_step`` returns ``ce`` and, when ``l2 > 0``, ``l2`` (their sum is optimised); batches
    are ``{"x", "y"}`` dicts or ``(x, y)`` tuples.
    """

    Config = ToyMLPConfig
    metric = "classification"

    def __init__(self, config: ToyMLPConfig | None = None) -> None:
        super().__init__(config)
        c = self.config
        self.hidden = nn.Linear(c.in_dim, c.hidden)
        self.extra = nn.ModuleList(nn.Linear(c.hidden, c.hidden) for _ in range(c.depth - 1))
        self.drop = nn.Dropout(c.dropout)
        self.out = nn.Linear(c.hidden, c.classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.hidden(x))
        for layer in self.extra:
            h = torch.relu(layer(h))
        return self.out(self.drop(h))

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.zeros(2, self.config.in_dim),)

    @staticmethod
    def _xy(batch: dict[str, torch.Tensor] | tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return (batch["x"], batch["y"]) if isinstance(batch, dict) else (batch[0], batch[1])

    def training_step(self, batch: dict[str, torch.Tensor] | tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        x, y = self._xy(batch)
        losses = {"ce": nn.functional.cross_entropy(self(x), y)}
        if self.config.l2:
            losses["l2"] = self.config.l2 * self.hidden.weight.pow(2).sum()
        return losses

    def evaluation_step(self, batch: dict[str, torch.Tensor] | tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        x, y = self._xy(batch)
        return {"pred": self(x).argmax(dim=1), "target": y}


def random_features(size: int, in_dim: int, classes: int, seed: int = 0) -> torch.utils.data.TensorDataset:
    """Seeded random features and labels as ``(x, y)`` tuples (synthetic; nothing to learn)."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(size, in_dim, generator=generator)
    return torch.utils.data.TensorDataset(x, torch.randint(0, classes, (size,), generator=generator))

"""``dataset/toy-blobs``: the CSV blobs of :mod:`zoo_toy_models.synth` (with subjects, for LOSO)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

import torch

import zoo
from zoo.sdk import InputError


class ToyBlobsConfig(zoo.ComponentConfig):
    root: str = ""
    split: Literal["train", "test"] = "train"
    augment: bool = False  # adds per-item noise seeded by the index (deterministic across runs)
    delay: float = 0.0  # seconds slept per item read: lets kill/resume tests catch a run half-way


class ToyBlobs(zoo.Dataset):
    """Rows ``subject,label,f1..fn`` of ``<root>/<split>.csv``; items are ``(features, label)``."""

    Config = ToyBlobsConfig

    def __init__(self, config: ToyBlobsConfig | None = None) -> None:
        super().__init__(config)
        path = Path(self.config.root) / f"{self.config.split}.csv"
        if not path.is_file():
            raise InputError(f"{path} does not exist; write the blobs with `python -m zoo_toy_models.synth ROOT`.")
        rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines() if line]
        self.subjects = [row[0] for row in rows]
        self.y = torch.tensor([int(row[1]) for row in rows])
        self.x = torch.tensor([[float(v) for v in row[2:]] for row in rows])

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.x[index]
        if self.config.delay:
            time.sleep(self.config.delay)
        if self.config.augment:
            x = x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(index))
        return x, self.y[index]

    def collate(self, items: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
        return {"x": torch.stack([x for x, _ in items]), "y": torch.stack([y for _, y in items])}

"""Training and LOSO evaluation of Depth-MER with the zoo engine (``zoo.engine.Trainer``).

Point sets are computed once per pipeline setting (:func:`materialise`) and held as tensors, so the
LOSO folds of all networks reuse them; each fold trains a fresh model with the engine and predicts
its held-out subject; UF1/UAR pool the predictions of all folds (``zoo_mer_data.loso.run_loso``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from typing import Any

import torch

import zoo
from zoo.engine import TrainConfig, Trainer


class PointSet(zoo.Dataset):
    """Precomputed ``points [M, N, 6]`` and ``labels [M]`` as an engine dataset.

    With ``augment`` every draw is randomly rotated about the camera axis (±10°), scaled
    (0.9–1.1 per axis) and shifted (±0.05), the usual PointNet++ training augmentations: with
    few subjects the networks otherwise learn face shapes instead of motion. Δxyz is rotated and
    scaled with the coordinates, so the motion stays the motion of the transformed face.
    """

    def __init__(self, points: torch.Tensor, labels: torch.Tensor, augment: bool = False) -> None:
        super().__init__(None)
        self.points, self.labels, self.augment = points, labels, augment

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, Any]:
        points = self.points[index]
        return {"points": augment_points(points) if self.augment else points, "label": self.labels[index]}

    def collate(self, items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        return {"points": torch.stack([i["points"] for i in items]), "label": torch.stack([i["label"] for i in items])}


def augment_points(points: torch.Tensor) -> torch.Tensor:
    """Random rotation about z, per-axis scale and shift of ``[N, 6]`` (xyz, Δxyz) points."""
    angle = (torch.rand(()) * 2 - 1) * torch.pi / 18
    cos, sin = torch.cos(angle), torch.sin(angle)
    rotation = torch.stack([torch.stack([cos, -sin, torch.zeros(())]), torch.stack([sin, cos, torch.zeros(())]),
                            torch.tensor([0.0, 0.0, 1.0])])
    transform = rotation * (0.9 + 0.2 * torch.rand(3))  # scales the columns: R · diag(s)
    xyz = points[:, :3] @ transform.T + (torch.rand(3) * 0.1 - 0.05)
    return torch.cat([xyz, points[:, 3:6] @ transform.T, points[:, 6:]], dim=1)


def materialise(dataset: Any) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """All of a ``dataset/casme3-depth``'s items as ``(points, labels, subjects)``."""
    items = [dataset[i] for i in range(len(dataset))]
    points = torch.stack([item["points"] for item in items])
    labels = torch.tensor([item["label"] for item in items], dtype=torch.long)
    return points, labels, [item["subject"] for item in items]


def _batch_size(samples: int, wanted: int) -> int:
    # BatchNorm cannot train on a last batch of one sample; shrink the batch until none is left over.
    size = min(wanted, samples)
    while size > 2 and samples % size == 1:
        size -= 1
    return size


def train_model(model: Any, points: torch.Tensor, labels: torch.Tensor, epochs: int, lr: float = 1e-3,
                batch_size: int = 16, seed: int = 0, out_dir: str | None = None, augment: bool = True) -> dict[str, Any]:
    """Train ``model`` in place on the given samples with the engine (AdamW, cosine schedule).

    Raises:
        zoo.engine.errors.TrainingError: if a step fails.
    """
    with tempfile.TemporaryDirectory() as tmp:
        config = TrainConfig(epochs=epochs, batch_size=_batch_size(len(labels), batch_size), lr=lr, seed=seed,
                             scheduler="cosine", weight_decay=1e-4, out_dir=out_dir or tmp, progress=False,
                             log_every=1000)
        return Trainer(model, config, train_data=PointSet(points, labels, augment)).fit()


@torch.no_grad()
def predict(model: Any, points: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """Class indices for ``points [M, N, 6]`` (eval mode)."""
    model.eval()
    return torch.cat([model(points[i : i + batch_size]).argmax(dim=1) for i in range(0, len(points), batch_size)])


def loso_evaluate(model_overrides: dict[str, Any], points: torch.Tensor, labels: torch.Tensor, subjects: Sequence[str],
                  epochs: int, only: Sequence[str] | None = None, seed: int = 0, lr: float = 1e-3) -> dict[str, Any]:
    """Leave-one-subject-out UF1/UAR/accuracy of ``model/depth-mer`` built with ``model_overrides``.

    Args:
        model_overrides: ``zoo.build`` overrides (encoder, class_names...).
        points, labels, subjects: the materialised dataset.
        epochs: epochs per fold.
        only: test subjects to evaluate (a documented subset of folds); ``None`` = all.
        seed: seed of every fold's initialisation and shuffling.

    Raises:
        InputError: with fewer than two subjects.
    """
    from zoo_mer_data.loso import run_loso

    def evaluate_fold(fold: Any) -> tuple[torch.Tensor, torch.Tensor]:
        torch.manual_seed(seed)
        model = zoo.build("model/depth-mer", **model_overrides)
        train, test = torch.tensor(fold.train), torch.tensor(fold.test)
        train_model(model, points[train], labels[train], epochs, lr=lr, seed=seed)
        return predict(model, points[test]), labels[test]

    from zoo_depth_mer.model import DepthMERConfig

    num_classes = len(model_overrides.get("class_names") or DepthMERConfig().class_names)
    return run_loso(list(subjects), evaluate_fold, num_classes=num_classes, only=only)

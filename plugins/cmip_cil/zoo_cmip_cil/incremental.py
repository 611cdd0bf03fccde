"""Class-incremental runner: CMIP-CIL and the baselines on one seeded split, trained on images, tested on points.

Methods (one runner, same split, same frozen pre-trained backbone):

- ``cmip-cil``: adapter + growing cosine classifier (CE + prototype regularisation), exemplar
  memory, prototype replacement after each task.
- ``finetune``: the same trainable parts, CE only, no memory, no prototype replacement.
- ``simplecil``: no training; each new class's row is the mean (un-adapted) image embedding.
- ``icarl-nme``: trained like ``finetune`` but with the exemplar memory; points are classified by
  the nearest mean of the exemplars' adapted image embeddings (iCaRL's NME rule).
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field

import zoo
from zoo.metrics.cil import cil_metrics
from zoo.protocols import class_incremental_tasks

Method = Literal["cmip-cil", "finetune", "simplecil", "icarl-nme"]
METHODS: tuple[str, ...] = ("cmip-cil", "finetune", "simplecil", "icarl-nme")


class IncrementalConfig(zoo.ComponentConfig):
    """How one incremental run is split and trained (paper: 40 epochs, batch 16, SGD lr 1e-2)."""

    method: Method = "cmip-cil"
    base: int = Field(4, ge=1, description="classes in the first task (m-MN40-Inc.4: 4)")
    increment: int = Field(4, ge=1)
    order_seed: int | None = 1993
    epochs: int = Field(40, ge=1)
    batch_size: int = Field(16, ge=1)
    lr: float = Field(1e-2, gt=0)
    weight_decay: float = Field(5e-4, ge=0)
    exemplars_per_class: int = Field(20, ge=0, description="0: exemplar-free")
    merge_remainder: bool = Field(False, description="fold a short last task into the one before (SN55: 8x6 + 7)")
    seed: int = 0


class _Items(torch.utils.data.Dataset):
    """Training items: cached frozen ``image_embedding`` rows, or raw ``views`` (BN-defect mode)."""

    def __init__(self, inputs: torch.Tensor | list[torch.Tensor], labels: torch.Tensor, key: str) -> None:
        self.inputs, self.labels, self.key = inputs, labels, key

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {self.key: self.inputs[index], "label": self.labels[index]}


def _device(model) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def embed_all(fn, tensors: list[torch.Tensor], device: torch.device, batch_size: int = 32) -> torch.Tensor:
    """Apply ``fn`` to stacked ``tensors`` in batches on ``device`` (inference mode); result on the CPU.

    The engine moves the model to the GPU when there is one; the runner's bookkeeping stays on the CPU.
    """
    return torch.cat([fn(torch.stack(tensors[i : i + batch_size]).to(device)).cpu()
                      for i in range(0, len(tensors), batch_size)])


def herding(embeddings: torch.Tensor, count: int) -> list[int]:
    """iCaRL's herding: greedily pick samples whose running mean tracks the class mean."""
    feats = F.normalize(embeddings, dim=-1)
    mean, chosen, running = feats.mean(0), [], torch.zeros_like(feats[0])
    for k in range(1, min(count, len(feats)) + 1):
        distance = ((mean - (running + feats) / k) ** 2).sum(-1)
        if chosen:
            distance[chosen] = float("inf")
        pick = int(distance.argmin())
        chosen.append(pick)
        running += feats[pick]
    return chosen


def _train_task(model, inputs: torch.Tensor | Sequence[torch.Tensor], labels: torch.Tensor, cfg: IncrementalConfig):
    """Train one task with the engine; returns its Trainer (its temporary run folder is gone)."""
    from zoo.engine import TrainConfig, Trainer

    with tempfile.TemporaryDirectory() as out_dir:
        train = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, optimizer="sgd",
                            weight_decay=cfg.weight_decay, seed=cfg.seed, out_dir=out_dir, progress=False)
        trainer = Trainer(model, train, train_data=_Items(inputs, labels, "image_embedding" if torch.is_tensor(inputs) else "views"))
        trainer.fit()
    return trainer


def run_incremental(
    model, train_views: Sequence[torch.Tensor], train_labels: list[int], test_points: list[torch.Tensor],
    test_labels: list[int], num_classes: int, cfg: IncrementalConfig, trainers: list[Any] | None = None,
) -> tuple[dict[str, Any], Any]:
    """Run the class-incremental protocol on a copy of ``model``.

    ``train_views`` may be any sequence (e.g. one that renders on access, so that a real training
    set's views need not all be in memory). If ``trainers`` is a list, each task's engine
    ``Trainer`` is appended to it (the last one trained the returned model; none for simplecil).

    Returns:
        The results (accuracy matrix, stage accuracies, A_B, Ā, forgetting, the task blocks as
        class ids) and the model after the last task (classifier rows in task order).

    The backbone is frozen, so the image embeddings are computed once and the adapter trains on
    them; with the ``bn_updates_in_frozen_backbone`` defect on, training runs the backbone on the
    views in train mode (its BatchNorm statistics move) and the embeddings are recomputed.

    Raises:
        zoo.errors.InputError: if the split sizes do not fit ``num_classes``.
    """
    tasks = split_tasks(num_classes, cfg)
    row_of = {c: i for i, c in enumerate(c for block in tasks for c in block)}  # classifier rows in task order
    y_train = torch.tensor([row_of[c] for c in train_labels])
    y_test = torch.tensor([row_of[c] for c in test_labels])
    model = _prepare(model, cfg.method)
    bn_defect = model.config.defects.bn_updates_in_frozen_backbone
    image = embed_all(model.embed_views, train_views, _device(model))
    memory: list[int] = []
    stage_outputs, blocks, start = [], [], 0
    for block in tasks:
        rows = list(range(start, start + len(block)))
        start += len(block)
        blocks.append(rows)
        model.classifier.add_classes(len(rows))
        new = torch.nonzero(torch.isin(y_train, torch.tensor(rows))).flatten()
        use_memory = cfg.method in ("cmip-cil", "icarl-nme") and cfg.exemplars_per_class > 0
        idx = torch.cat([new, torch.tensor(memory, dtype=torch.long)]) if use_memory else new
        if cfg.method != "simplecil":
            trainer = _train_task(model, [train_views[int(i)] for i in idx] if bn_defect else image[idx], y_train[idx], cfg)
            if trainers is not None:
                trainers.append(trainer)
            if bn_defect:  # BatchNorm statistics moved while training: the embeddings changed
                model.eval()
                image = embed_all(model.embed_views, train_views, _device(model))
        model.eval()
        if cfg.method in ("cmip-cil", "simplecil"):
            model.replace_prototypes(rows, image[new], y_train[new])
        if use_memory or cfg.method == "icarl-nme":
            for row in rows:
                members = new[y_train[new] == row]
                memory += members[herding(image[members], max(1, cfg.exemplars_per_class))].tolist()
        stage_outputs.append((_predict(model, test_points, image, y_train, memory, cfg), y_test))
    result = cil_metrics(stage_outputs, blocks).as_dict()
    result.update(method=cfg.method, tasks=[list(map(int, b)) for b in tasks])
    return result, model


def split_tasks(num_classes: int, cfg: IncrementalConfig) -> list[list[int]]:
    """The seeded class blocks (``zoo.protocols``), with a short last block merged if asked.

    Raises:
        zoo.errors.InputError: if the split sizes do not fit ``num_classes``.
    """
    tasks = class_incremental_tasks(num_classes, cfg.base, cfg.increment, cfg.order_seed)
    if cfg.merge_remainder and len(tasks) > 1 and len(tasks[-1]) < cfg.increment:
        remainder = tasks.pop()
        tasks[-1] = tasks[-1] + remainder  # m-SN55-Inc.6: 55 = 6 + 7x6 + 7, nine tasks
    return tasks


def _prepare(model, method: str):
    """A frozen copy of ``model`` set up for ``method`` (the caller's model stays as it was)."""
    model = copy.deepcopy(model)
    model.freeze_backbone()
    if method in ("finetune", "simplecil"):
        model.config.proto_reg_weight = 0.0
    if method == "simplecil":
        model.adapter = None  # prototypes only: no trainable part at all
    return model.eval()


@torch.no_grad()
def _predict(model, test_points, image, y_train, memory, cfg: IncrementalConfig) -> torch.Tensor:
    from zoo_cmip_cil.losses import augment_points

    def points_embedding(points: torch.Tensor) -> torch.Tensor:
        if model.config.defects.augment_test_points:
            points = augment_points(points, up_axis=model.config.up_axis)
        return model.adapt(model.embed_points(points))

    model.eval()
    device = _device(model)
    queries = embed_all(points_embedding, test_points, device)
    if cfg.method != "icarl-nme":
        return model.classifier(queries.to(device)).argmax(-1).cpu()
    bank = torch.tensor(memory, dtype=torch.long)
    adapted, labels = model.adapt(image[bank].to(device)).cpu(), y_train[bank]
    rows = sorted(set(labels.tolist()))
    means = F.normalize(torch.stack([F.normalize(adapted[labels == r], dim=-1).mean(0) for r in rows]), dim=-1)
    nearest = (F.normalize(queries, dim=-1) @ means.t()).argmax(-1)
    return torch.tensor(rows)[nearest]


def plot_stage_accuracy(results: list[dict[str, Any]], path: str, title: str = "") -> None:
    """Accuracy over the classes seen so far, after each task, one line per method (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.5), dpi=120)
    for result in results:
        stages = np.arange(1, len(result["stage_accuracy"]) + 1)
        ax.plot(stages, 100 * np.asarray(result["stage_accuracy"]), marker="o", label=result["method"])
    ax.set_xticks(np.arange(1, len(results[0]["stage_accuracy"]) + 1))
    ax.set_xlabel("task")
    ax.set_ylabel("accuracy on seen classes (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

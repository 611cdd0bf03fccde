"""Class-incremental protocol: one seeded split, trained on images, tested on points, for every method.

Every method (``cmip-cil`` and the baselines of :mod:`zoo_cmip_cil.baselines`) runs on a copy of
the same pre-trained model with its backbone frozen, on the same class blocks, the same exemplar
memory rule and the same schedule; only what the method trains and how it classifies differ.
Per task: the classifier grows, the method trains on the task's images (plus the exemplars of the
old classes if it replays them), the new classes' exemplars are chosen by iCaRL's herding on the
method's adapted image embeddings, the method closes the task (prototypes, weight aligning,
class means, balanced fine-tuning), and every test cloud of the classes seen so far is classified.

Because the backbone is frozen, image embeddings are computed once and the trainable parts train
on them (identical results, far cheaper). Three settings need the backbone in the loop instead:
the BatchNorm defect (its statistics move while training), image augmentation (each epoch sees
other pixels) and augmented test clouds; then embeddings are recomputed where they change.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field

import zoo
from zoo.sdk import cil_metrics, class_incremental_tasks, seed_everything
from zoo_cmip_cil.baselines import METHODS, REPLAYING, device_of, make_strategy

__all__ = ["METHODS", "REPLAYING", "IncrementalConfig", "IncrementalData", "run_incremental", "split_tasks"]



class IncrementalConfig(zoo.ComponentConfig):
    """How the incremental stage is split and trained (paper: 40 epochs, batch 16, SGD lr 1e-2)."""

    base: int = Field(4, ge=1, description="classes in the first task (m-MN40-Inc.4: 4)")
    increment: int = Field(4, ge=1)
    order_seed: int | None = Field(1993, description="seed of the class order (None: label order)")
    epochs: int = Field(40, ge=1)
    batch_size: int = Field(16, ge=1)
    lr: float = Field(1e-2, gt=0, description="CMIP-CIL, finetune and simplecil (cosine classifiers)")
    baseline_lr: float = Field(0.1, gt=0, description="icarl, wa, podnet (linear/LSC classifiers): PyCIL's 0.1")
    weight_decay: float = Field(5e-4, ge=0)
    scheduler: Literal["none", "cosine"] = Field("cosine", description="per task, as the release's CosineAnnealingLR")
    exemplars_per_class: int = Field(20, ge=0, description="0: exemplar-free")
    merge_remainder: bool = Field(False, description="fold a short last task into the one before (SN55: 8x6 + 7)")
    recompute_old_prototypes: bool = Field(
        True, description="after each task, old classes' rows become the mean adapted embedding of their exemplars"
    )


def split_tasks(num_classes: int, cfg: IncrementalConfig) -> list[list[int]]:
    """The seeded class blocks (``zoo.sdk.class_incremental_tasks``), with a short last block merged if asked.

    Raises:
        InputError: if the split sizes do not fit ``num_classes``.
    """
    tasks = class_incremental_tasks(num_classes, cfg.base, cfg.increment, cfg.order_seed)
    if cfg.merge_remainder and len(tasks) > 1 and len(tasks[-1]) < cfg.increment:
        remainder = tasks.pop()
        tasks[-1] = tasks[-1] + remainder  # m-SN55-Inc.6: 55 = 6 + 7x6 + 7, nine tasks
    return tasks


@dataclass
class IncrementalData:
    """What every method sees. ``views`` and ``train_points`` may be lazy sequences (read on access).

    ``image`` and ``test_embedding`` are the frozen embeddings when the runner computed them once
    for all methods (``None``: each run computes what it needs).
    """

    train_labels: list[int]
    views: Sequence[torch.Tensor]
    test_points: Sequence[torch.Tensor]
    test_labels: list[int]
    train_points: Sequence[torch.Tensor] | None = None
    image: torch.Tensor | None = None
    test_embedding: torch.Tensor | None = None


@torch.no_grad()
def embed_all(fn: Callable[[torch.Tensor], torch.Tensor], tensors: Sequence[torch.Tensor], device: torch.device,
              batch_size: int = 32) -> torch.Tensor:
    """Apply ``fn`` to stacked ``tensors`` in batches on ``device``; the result on the CPU.

    The engine moves the model to the GPU when there is one; the runner's bookkeeping stays on the CPU.
    """
    return torch.cat([fn(torch.stack([tensors[j] for j in range(i, min(i + batch_size, len(tensors)))]).to(device)).cpu()
                      for i in range(0, len(tensors), batch_size)])


def cacheable(model: Any) -> tuple[bool, bool]:
    """(image embeddings fixed over training, test embeddings fixed over the run) for this model's settings."""
    defects = model.config.defects
    images_fixed = not (defects.bn_updates_in_frozen_backbone or model.config.image_augment)
    return images_fixed, not (defects.bn_updates_in_frozen_backbone or defects.augment_test_points)


def frozen_embeddings(model: Any, data: IncrementalData) -> IncrementalData:
    """``data`` with the frozen image and test embeddings filled in where the settings allow."""
    images_fixed, tests_fixed = cacheable(model)
    model.eval()
    device = device_of(model)
    image = embed_all(model.embed_views, data.views, device) if images_fixed else None
    tests = embed_all(model.embed_points, data.test_points, device) if tests_fixed else None
    return dataclasses.replace(data, image=image, test_embedding=tests)


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


class TaskItems(torch.utils.data.Dataset):
    """A task's training items: cached ``image_embedding`` rows, or ``views`` (and ``points``) read on access."""

    def __init__(self, indices: torch.Tensor, labels: torch.Tensor, data: IncrementalData, image: torch.Tensor | None,
                 with_points: bool) -> None:
        self.indices, self.labels, self.data, self.image, self.with_points = indices.tolist(), labels, data, image, with_points

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> dict[str, Any]:
        i = self.indices[index]
        item: dict[str, Any] = {"label": self.labels[i]}
        if self.image is not None:
            item["image_embedding"] = self.image[i]
            return item
        item["views"] = self.data.views[i]
        if self.with_points and self.data.train_points is not None:
            item["points"] = self.data.train_points[i]
        return item


class RunState:
    """The bookkeeping of one method's run: labels as classifier rows, memory, current embeddings."""

    def __init__(self, model: Any, data: IncrementalData, y_train: torch.Tensor, cfg: IncrementalConfig) -> None:
        self.model, self.data, self.y_train, self.cfg = model, data, y_train, cfg
        self.memory: list[int] = []
        self.image = data.image if data.image is not None else self._embed_images()

    def _embed_images(self) -> torch.Tensor:
        self.model.eval()
        return embed_all(self.model.embed_views, self.data.views, device_of(self.model))

    def items(self, indices: torch.Tensor) -> TaskItems:
        fixed = self.data.image is not None
        bn_defect = self.model.config.defects.bn_updates_in_frozen_backbone
        return TaskItems(indices, self.y_train, self.data, self.image if fixed else None, bn_defect)

    def after_training(self) -> None:
        """Recompute the image embeddings if training could change them (BN defect)."""
        if self.model.config.defects.bn_updates_in_frozen_backbone:
            self.image = self._embed_images()

    def test_embedding(self) -> torch.Tensor:
        if self.data.test_embedding is not None:
            return self.data.test_embedding
        from zoo_cmip_cil.augment import augment_points

        model = self.model.eval()
        augment = model.config.defects.augment_test_points

        def embed(points: torch.Tensor) -> torch.Tensor:
            if augment:
                points = augment_points(points, model.config.point_augment, model.config.up_axis)
            return model.embed_points(points)

        return embed_all(embed, self.data.test_points, device_of(model))

    @torch.no_grad()
    def add_exemplars(self, rows: list[int], new: torch.Tensor, adapt: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """Herd ``exemplars_per_class`` exemplars of each new class on the adapted image embeddings."""
        device = device_of(self.model)
        for row in rows:
            members = new[self.y_train[new] == row]
            adapted = adapt(self.image[members].to(device)).cpu()
            self.memory += members[herding(adapted, self.cfg.exemplars_per_class)].tolist()


def run_incremental(
    model: Any, data: IncrementalData, num_classes: int, cfg: IncrementalConfig, method: str = "cmip-cil",
    seed: int = 0, trainers: list[Any] | None = None,
) -> tuple[dict[str, Any], Any]:
    """Run the class-incremental protocol with ``method`` on a frozen copy of ``model``.

    Returns:
        The results (accuracy matrix, stage accuracies, A_B, Ā, forgetting, the task blocks as
        class ids) and the model after the last task (classifier rows in task order; for the
        baselines, the copy whose adapter they trained).

    Raises:
        InputError: if the split sizes do not fit ``num_classes``.
        ConfigError: for an unknown method, or a replaying baseline without exemplars.
    """
    seed_everything(seed)  # new classifier rows are drawn from the global generator: same start for every method
    tasks = split_tasks(num_classes, cfg)
    row_of = {c: i for i, c in enumerate(c for block in tasks for c in block)}  # classifier rows in task order
    y_train = torch.tensor([row_of[c] for c in data.train_labels])
    y_test = torch.tensor([row_of[c] for c in data.test_labels])
    model = copy.deepcopy(model)
    model.freeze_backbone()
    strategy = make_strategy(method, model, cfg, seed)
    state = RunState(model.eval(), data, y_train, cfg)
    stage_outputs, blocks, start = [], [], 0
    for task, block in enumerate(tasks):
        rows = list(range(start, start + len(block)))
        start += len(block)
        blocks.append(rows)
        strategy.start_task(task, rows)
        new = torch.nonzero(torch.isin(y_train, torch.tensor(rows))).flatten()
        replay = strategy.uses_memory and cfg.exemplars_per_class > 0
        indices = torch.cat([new, torch.tensor(state.memory, dtype=torch.long)]) if replay else new
        trainer = strategy.train_task(task, state.items(indices))
        if trainer is not None and trainers is not None:
            trainers.append(trainer)
        state.after_training()
        model.eval()
        if replay:
            state.add_exemplars(rows, new, strategy.adapt)
        strategy.end_task(task, rows, new, state)
        stage_outputs.append((strategy.predict(state.test_embedding()), y_test))
    result = cil_metrics(stage_outputs, blocks).as_dict()
    result.update(method=method, tasks=[list(map(int, b)) for b in tasks])
    return result, model


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
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def markdown_table(results: list[dict[str, Any]]) -> str:
    """The incremental results as a Markdown table (percent)."""
    stages = len(results[0]["stage_accuracy"])
    lines = ["| method | " + " | ".join(f"after task {i + 1}" for i in range(stages)) + " | A_B | Ā | forgetting |",
             "|---" * (stages + 4) + "|"]
    for r in results:
        cells = " | ".join(f"{100 * a:.1f}" for a in r["stage_accuracy"])
        lines.append(f"| {r['method']} | {cells} | {100 * r['A_B']:.1f} | {100 * r['A_mean']:.1f} | {100 * r['forgetting']:.1f} |")
    return "\n".join(lines)

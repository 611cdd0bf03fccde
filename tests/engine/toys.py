"""Tiny models and datasets for the engine tests (also imported by the torchrun worker scripts)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

import zoo
from zoo.config import ComponentConfig
from zoo.processing import Processor
from zoo.testing.toys import ToyMLP, ToyMLPConfig


class ToyConfig(ToyMLPConfig):
    """The engine tests' toy: 4 features, 16 hidden units, 3 classes, ``ce`` + ``l2`` losses."""


class ToyClassifier(ToyMLP):
    """:class:`zoo.testing.toys.ToyMLP` (one hidden layer) with the predict API of a published model."""

    Config = ToyConfig
    task = "toy-classification"

    def processor(self) -> "TextRowProcessor":
        return TextRowProcessor()

    def predict_step(self, batch: torch.Tensor) -> list[dict[str, object]]:
        return [{"class": int(c)} for c in self(batch).argmax(dim=1)]

    def predict_files(self, inputs: list[str], output_dir: str | None = None) -> dict[str, object]:
        """Each input is a text file of comma-separated features; returns the predicted class."""
        rows = [[float(v) for v in open(path).read().split(",")] for path in inputs]
        with torch.no_grad():
            classes = self(torch.tensor(rows)).argmax(dim=1).tolist()
        return {"predictions": [{"input": p, "class": c} for p, c in zip(inputs, classes)]}


class TextRowProcessor(Processor):
    """Reads a text file of comma-separated features (``zoo predict``)."""

    def load(self, input: object) -> torch.Tensor:
        return torch.tensor([float(v) for v in open(str(input)).read().split(",")])


class ToyDataConfig(ComponentConfig):
    root: str = ""
    size: int = 32
    in_dim: int = 4
    classes: int = 3
    noise: float = 0.0
    seed: int = 0
    subjects: int = 0  # > 0: item i belongs to subject "s<i % subjects>" (for LOSO)


class ToyData(zoo.Dataset):
    """Separable blobs; ``noise`` > 0 adds augmentation drawn from the *global* torch RNG."""

    Config = ToyDataConfig

    def __init__(self, config: ToyDataConfig | None = None, **kwargs: object) -> None:
        super().__init__(config or ToyDataConfig(**kwargs))
        cfg = self.config
        generator = torch.Generator().manual_seed(cfg.seed)
        self.y = torch.arange(cfg.size) % cfg.classes
        centres = torch.randn(cfg.classes, cfg.in_dim, generator=generator) * 3
        self.x = centres[self.y] + torch.randn(cfg.size, cfg.in_dim, generator=generator)
        self.collate_calls = 0

    def __len__(self) -> int:
        return self.config.size

    @property
    def subjects(self) -> list[str] | None:
        count = self.config.subjects
        return [f"s{i % count}" for i in range(self.config.size)] if count else None

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.x[index]
        if self.config.noise:
            x = x + self.config.noise * torch.randn(self.config.in_dim)
        return x, self.y[index]

    def collate(self, items: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
        # Items are tuples but the model wants a dict: proves the engine uses this collate.
        self.collate_calls += 1
        return {"x": torch.stack([x for x, _ in items]), "y": torch.stack([y for _, y in items])}


def build_toy(seed: int = 0, **config: object) -> ToyClassifier:
    torch.manual_seed(seed)
    return ToyClassifier(ToyConfig(**config))


def register_toys() -> None:
    """Register the toys as ``model/engine-toy`` and ``dataset/engine-toy`` in the current host."""
    from zoo.plugins import get_host
    from zoo.registry import RegistryEntry

    registry = get_host().registry
    registry.add(RegistryEntry("model/engine-toy", "toys:ToyClassifier", distribution="engine-tests"))
    registry.add(RegistryEntry("dataset/engine-toy", "toys:ToyData", distribution="engine-tests"))


#: The ``[train]`` settings every :func:`write_toy_recipe` recipe starts from.
TOY_TRAIN = {"epochs": 1, "batch_size": 6, "lr": 0.05, "progress": False, "num_workers": 0}


def write_toy_recipe(folder: Path, **train: object) -> Path:
    """Write ``folder/toy.toml``: ``model/engine-toy`` trained on 24 ``dataset/engine-toy`` items, its
    ``[train]`` table :data:`TOY_TRAIN` updated with ``train`` (numbers and booleans); returns the path."""
    lines = ['model = "model/engine-toy"', "[train_data]", 'name = "dataset/engine-toy"', "config = { size = 24 }"]
    # json.dumps writes numbers and booleans exactly as TOML spells them.
    lines += ["[train]", *(f"{key} = {json.dumps(value)}" for key, value in {**TOY_TRAIN, **train}.items())]
    path = folder / "toy.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


#: Every call of :func:`two_stage_runner` (the recipe-runner tests read it).
RUNNER_CALLS: list[dict[str, object]] = []


def two_stage_runner(recipe, resume: bool):
    """A recipe ``runner``: the holdout run, then a second stage at ``stages.finetune.lr`` on the same data."""
    from zoo.engine.runner import run_holdout
    from zoo.engine.trainer import Trainer

    settings = recipe.stages["finetune"]
    first, _ = run_holdout(recipe.model_copy(update={"eval_dataset": None}), resume)
    config = recipe.train.model_copy(update={"lr": settings["lr"], "out_dir": f"{recipe.train.out_dir}/finetune"})
    data = ToyData(ToyDataConfig(**recipe.dataset.config))
    second = Trainer(first.model, config, train_data=data, eval_data=ToyData(ToyDataConfig(**recipe.eval_dataset.config)))
    summary = second.fit()
    RUNNER_CALLS.append({"name": recipe.name, "stages": recipe.stages, "resume": resume})
    summary.update(measured_on="toy eval blobs", setting=f"holdout, then fine-tuned at lr {settings['lr']}")
    return second, summary

"""Trackers: TensorBoard event files read back with tensorboard's own reader; missing packages."""

import json

import pytest
from pydantic import ValidationError
from toys import ToyData, build_toy

from zoo.engine import TrainConfig, Trainer
from zoo.engine import trackers as trackers_module
from zoo.errors import MissingDependencyError


def _config(tmp_path, **overrides):
    return TrainConfig(**{"epochs": 2, "batch_size": 8, "lr": 0.05, "out_dir": str(tmp_path / "run"), "progress": False,
                          "num_workers": 0, "log_every": 1, **overrides})


def test_tensorboard_event_files_hold_the_logged_scalars(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    trainer = Trainer(build_toy(), _config(tmp_path, trackers=["jsonl", "tensorboard"]),
                      train_data=ToyData(), eval_data=ToyData(seed=0))
    trainer.fit()
    folders = list((tmp_path / "run" / "tracking").iterdir())
    assert [f.name for f in folders] == ["run"]  # <out_dir>/tracking/<run name>/
    events = EventAccumulator(str(folders[0]))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "train/ce", "train/l2", "train/lr", "epoch/train_loss", "eval/accuracy"} <= tags
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    for tag, kind, key in [("train/loss", "step", "loss"), ("train/lr", "step", "lr"), ("eval/accuracy", "eval", "accuracy"),
                           ("epoch/train_loss", "epoch", "train_loss")]:
        expected = [(r["step"], r[key]) for r in records if r["kind"] == kind]
        logged = [(e.step, e.value) for e in events.Scalars(tag)]
        assert [s for s, _ in logged] == [s for s, _ in expected], tag
        assert [v for _, v in logged] == pytest.approx([v for _, v in expected], rel=1e-6), tag  # float32 in the file
    assert len(events.Scalars("train/loss")) == 8  # 32 samples / 8 per step * 2 epochs


def test_a_tracker_without_its_package_is_a_missing_dependency_error(tmp_path, monkeypatch):
    monkeypatch.setattr(trackers_module, "available_trackers", lambda: set())
    with pytest.raises(MissingDependencyError, match=r"needs the tensorboard package.*pip install tensorboard.*tracking"):
        Trainer(build_toy(), _config(tmp_path, trackers=["jsonl", "tensorboard"]), train_data=ToyData())
    with pytest.raises(MissingDependencyError, match="needs the comet-ml package"):
        Trainer(build_toy(), _config(tmp_path, trackers=["comet_ml"]), train_data=ToyData())
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_tracker_names_are_checked_and_jsonl_alone_is_the_default(tmp_path):
    assert TrainConfig().trackers == ["jsonl"]
    with pytest.raises(ValidationError, match="unknown tracker"):
        TrainConfig(trackers=["tensorbord"])
    with pytest.raises(ValidationError, match="twice"):
        TrainConfig(trackers=["jsonl", "jsonl"])
    Trainer(build_toy(), _config(tmp_path, trackers=[]), train_data=ToyData()).fit()
    assert not (tmp_path / "run" / "metrics.jsonl").exists()  # no tracker: no log at all

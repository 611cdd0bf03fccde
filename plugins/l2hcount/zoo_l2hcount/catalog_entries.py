"""Catalog entries of the plugin (standard library only: read at plugin registration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SYNTH_NAME = "l2hcount-synth"
SYNTH_DIR = f"checkpoints/{SYNTH_NAME}"

#: The reduced-width architecture of ``l2hcount-synth`` (≈1 M parameters, 4 MB): same modules as
#: the default L2HCount, narrower, so that it trains on a CPU in minutes.
SYNTH_MODEL_CONFIG: dict[str, Any] = {
    "encoder": {"name": "encoder/vgg16-bn", "config": {"width": 0.25}},
    "decoder": {"name": "head/density-decoder", "config": {"dim": 64, "fine_dim": 32}},
    "memory": {"name": "memory/dual-density", "config": {"slots": 128}},
    "enhance": {"name": "head/hfem", "config": {"hidden": 16}},
}
#: Training settings of ``l2hcount-synth`` (and of its no-HDSM ablation, trained the same way).
SYNTH_TRAIN: dict[str, Any] = {
    "epochs": 1, "batch_size": 8, "lr": 1e-3, "weight_decay": 1e-4, "scheduler": "cosine", "seed": 0,
    "max_steps": 800,
}
#: The synthetic data: ``zoo l2hcount make-synth`` with these sizes and seed.
SYNTH_DATA: dict[str, Any] = {"train": 200, "test": 50, "seed": 0, "crop_size": 128}


def catalog_entries(package_dir: Path) -> list[dict[str, Any]]:
    """The recipes for real data, plus ``l2hcount-synth`` once its checkpoint folder exists."""
    entries = [_recipe_sha(), _recipe_shb2sha()]
    return entries


def _train_settings() -> dict[str, Any]:
    # Adam as MPCount; 300 epochs of batch 8 crops 384² fit one 24 GB GPU in about 6 h on SHA.
    return {"epochs": 300, "batch_size": 8, "lr": 1e-4, "weight_decay": 1e-4, "seed": 0, "eval_every": 5}


def _recipe_sha() -> dict[str, Any]:
    return {
        "name": "l2hcount-sha",
        "model": "model/l2hcount",
        "config": {"encoder": {"name": "encoder/vgg16-bn", "config": {"pretrained": True}}},
        "status": "recipe",
        "license": "apache-2.0",
        "data": "ShanghaiTech part A (protocol (b): train on train images with count <= the train median; test on the full test set)",
        "summary": "L2HCount, within-dataset low→high protocol on ShanghaiTech A (weights not published yet)",
        "tags": ["crowd-counting", "shanghaitech", "low-to-high"],
        "reproduce": "zoo train l2hcount-sha --data /path/to/ShanghaiTech",
        "recipe": {
            "train_data": {"name": "dataset/shanghaitech", "config": {"part": "A", "split": "train", "subset": "low"}},
            "eval_data": {"name": "dataset/shanghaitech", "config": {"part": "A", "split": "test"}},
            "train": _train_settings(),
        },
    }


def _recipe_shb2sha() -> dict[str, Any]:
    return {
        "name": "l2hcount-shb2sha",
        "model": "model/l2hcount",
        "config": {"encoder": {"name": "encoder/vgg16-bn", "config": {"pretrained": True}}},
        "status": "recipe",
        "license": "apache-2.0",
        "data": "train ShanghaiTech part B (all train images), test ShanghaiTech part A test set (protocol (a), cross-dataset)",
        "summary": "L2HCount, cross-dataset low→high protocol: ShanghaiTech B → A (weights not published yet)",
        "tags": ["crowd-counting", "shanghaitech", "cross-dataset", "low-to-high"],
        "reproduce": "zoo train l2hcount-shb2sha --data /path/to/ShanghaiTech",
        "recipe": {
            "train_data": {"name": "dataset/shanghaitech", "config": {"part": "B", "split": "train"}},
            "eval_data": {"name": "dataset/shanghaitech", "config": {"part": "A", "split": "test"}},
            "train": _train_settings(),
        },
    }

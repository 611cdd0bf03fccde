"""Catalog entries of the plugin (standard library only: read at plugin registration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SYNTH_NAME = "l2hcount-synth"
SYNTH_DIR = f"checkpoints/{SYNTH_NAME}"


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

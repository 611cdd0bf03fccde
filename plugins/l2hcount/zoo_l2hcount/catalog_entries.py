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


#: sha256 of the committed checkpoint's files (pinned here, verified by ``zoo.load``).
SYNTH_FILES = {
    "model.safetensors": "sha256:f8608936172792db192761b24ff74542a91815a45ff7239bc75a5f27c2654768",
    "config.json": "sha256:9a97c2bc083a94d0b2b94287ad595ea082a464ef646156c080440074cc49bbac",
}
_SYNTH_TEST = "synthetic high-density test set (50 scenes, 120-360 heads; zoo l2hcount make-synth, seed 0)"
#: Measured on the synthetic test set by ``zoo l2hcount train-synth`` (seed 0; see the model card).
SYNTH_METRICS = [
    {"name": "mae", "value": 33.487, "measured_on": _SYNTH_TEST, "setting": "full model, trained on synthetic low density (10-60 heads)"},
    {"name": "mse", "value": 38.049, "measured_on": _SYNTH_TEST, "setting": "full model; MSE is the root mean squared error"},
    {"name": "mae", "value": 37.376, "measured_on": _SYNTH_TEST, "setting": "ablation without HDSM+GTGM, trained the same way"},
    {"name": "mse", "value": 43.592, "measured_on": _SYNTH_TEST, "setting": "ablation without HDSM+GTGM; root mean squared error"},
]


def catalog_entries(package_dir: Path) -> list[dict[str, Any]]:
    """The recipes for real data, plus ``l2hcount-synth`` when its checkpoint folder is installed."""
    entries = [_recipe_sha(), _recipe_shb2sha()]
    if (package_dir / SYNTH_DIR / "model.safetensors").is_file():
        entries.append(_synth_entry())
    return entries


def _synth_entry() -> dict[str, Any]:
    return {
        "name": SYNTH_NAME,
        "model": "model/l2hcount",
        "config": SYNTH_MODEL_CONFIG,
        "status": "published",
        "source": f"local-dir:{SYNTH_DIR}",
        "files": SYNTH_FILES,
        "license": "apache-2.0",
        "data": "SYNTHETIC crowds: trained on 200 low-density scenes (10-60 heads), tested on 50 high-density scenes (120-360 heads)",
        "metrics": SYNTH_METRICS,
        "reproduce": "zoo l2hcount train-synth",
        "recipe": {  # `zoo eval l2hcount-synth --data DIR` (DIR from `zoo l2hcount make-synth DIR`)
            "train_data": {"name": "dataset/shanghaitech", "config": {"part": "A", "split": "train", "crop_size": 128}},
            "eval_data": {"name": "dataset/shanghaitech", "config": {"part": "A", "split": "test"}},
            "train": SYNTH_TRAIN,
        },
        "summary": "L2HCount (reduced width, 1 M parameters) trained on synthetic low-density crowds; demo and tests only",
        "tags": ["crowd-counting", "synthetic", "low-to-high"],
    }


def _train_settings() -> dict[str, Any]:
    # AdamW as MPCount. Cost, measured (benchmarks/l2hcount_train_step.py): 36 ms per step of 8
    # crops of 384² on one H200 (3.4 GiB of step memory), so 300 epochs of ShanghaiTech A's low half
    # (150 images, 19 steps/epoch) are ~4 min of GPU compute: data loading dominates, hence workers.
    return {
        "epochs": 300, "batch_size": 8, "lr": 1e-4, "weight_decay": 1e-4, "seed": 0, "eval_every": 5,
        "num_workers": 4,
    }


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

"""Catalog entries of the Depth-MER plugin (standard library only: read at plugin registration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SYNTH_NAME = "depth-mer-synth"
SYNTH_DIR = f"checkpoints/{SYNTH_NAME}"
#: The reduced-width PointNet++ SSG of ``depth-mer-synth`` (see zoo_depth_mer.synth_recipe).
SYNTH_MODEL_CONFIG: dict[str, Any] = {
    "encoder": {"name": "encoder/pointnet2-ssg", "config": {
        "npoints": [128, 32], "nsamples": [[16], [32]], "mlps": [[[32, 32, 64]], [[64, 64, 128]]], "global_mlp": [128, 256]}},
    "pipeline": {"num_points": 512, "depth_unit_mm": 0.1},
}
#: sha256 of the committed checkpoint's files (pinned here, verified by ``zoo.load``).
SYNTH_FILES: dict[str, str] = {
    "model.safetensors": "sha256:28f82f4490db361bc4f87ede40bb01e91af0d4d1d9e98d2d12d9be9cec2dc9b6",
    "config.json": "sha256:251311b4bc5a2948be2ec739e1b2d21b5ee6e3c8bbd2c4fba47521e23bf206a4",
}
_SYNTH_MEASURED_ON = (
    'SYNTHETIC CAS(ME)^3-format depth clips (8 subjects x 13 clips, zoo depth-mer make-synth seed 0)'
    ', 3 classes, the first 3 of 8 LOSO folds'
)
#: LOSO (UF1, UAR) measured by ``zoo depth-mer train-synth`` per compared network (synthetic data).
_SYNTH_RESULTS: tuple[tuple[str, float, float], ...] = (
    ("PointNet++ SSG", 0.5667, 0.5524),
    ("PointNet++ MSG", 0.5328, 0.5518),
    ("PointNet", 0.766, 0.7607),
    ("DGCNN", 0.7667, 0.7753),
    ("PointNet++ SSG without ICP alignment", 0.368, 0.3687),
)
SYNTH_METRICS: list[dict[str, Any]] = [
    {"name": metric, "value": value, "measured_on": _SYNTH_MEASURED_ON,
     "setting": f"{network} (reduced width, 512 points), LOSO pooled"}
    for network, uf1, uar in _SYNTH_RESULTS
    for metric, value in (("uf1", uf1), ("uar", uar))
]


def catalog_entries(package_dir: Path) -> list[dict[str, Any]]:
    """The CAS(ME)^3 recipe, plus ``depth-mer-synth`` when its checkpoint folder is installed."""
    entries = [_recipe_casme3()]
    if SYNTH_FILES and (package_dir / SYNTH_DIR / "model.safetensors").is_file():
        entries.append(_synth_entry())
    return entries


def _synth_entry() -> dict[str, Any]:
    return {
        "name": SYNTH_NAME,
        "model": "model/depth-mer",
        "config": SYNTH_MODEL_CONFIG,
        "status": "published",
        "source": f"local-dir:{SYNTH_DIR}",
        "files": SYNTH_FILES,
        "license": "apache-2.0",
        "data": "SYNTHETIC CAS(ME)^3-format depth clips (zoo depth-mer make-synth, seed 0); 3 classes",
        "metrics": SYNTH_METRICS,
        "reproduce": "zoo depth-mer train-synth OUT",
        "summary": "Depth-MER (PointNet++ SSG, reduced width, 512 points) trained on synthetic depth clips; demo and tests only",
        "tags": ["micro-expression", "depth", "point-cloud", "synthetic"],
    }


def _recipe_casme3() -> dict[str, Any]:
    return {
        "name": "depth-mer-casme3",
        "model": "model/depth-mer",
        "config": {"encoder": "encoder/pointnet2-ssg", "pipeline": {"num_points": 2048}},
        "status": "recipe",
        "license": "unknown",
        "data": "CAS(ME)^3 Part A (860 micro-expressions, 94 subjects; 3-class: 699 clips), onset/apex depth frames",
        "reproduce": "zoo train depth-mer-casme3 --data <CAS(ME)^3 part_A root>",
        "summary": "Depth-MER (Zhang et al., arXiv:2406.07918) on CAS(ME)^3 Part A depth, 3 classes, LOSO UF1/UAR",
        "tags": ["micro-expression", "depth", "point-cloud", "casme3", "loso"],
        "recipe": {
            "dataset": {"name": "dataset/casme3-depth", "config": {"root": "data/CAS(ME)3/part_A", "num_classes": 3,
                                                                  "face_crop": "detect"}},
            "protocol": "loso",
            "train": {"epochs": 200, "batch_size": 24, "lr": 1e-3, "weight_decay": 1e-4, "scheduler": "cosine",
                      "optimizer": "adamw", "seed": 0},
            "notes": {
                "protocol": "leave-one-subject-out over all subjects; UF1/UAR with TP/FP/FN pooled over folds",
                "variants": "dataset.num_classes=4 or 7; model.encoder=encoder/pointnet2-msg, encoder/pointnet, encoder/dgcnn",
            },
        },
    }

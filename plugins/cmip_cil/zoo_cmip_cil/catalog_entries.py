"""Catalog entries of the plugin (standard library only: read at plugin registration)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SYNTH_NAME = "cmip-cil-synth"
SYNTH_DIR = f"checkpoints/{SYNTH_NAME}"

#: The reduced architecture of ``cmip-cil-synth``: same modules as CMIP-CIL, narrower (timm's LCNet-0.5
#: image backbone, a 4-EdgeConv DGCNN of half width, 128-d embeddings) so that it trains on a CPU.
SYNTH_MODEL_CONFIG: dict[str, Any] = {
    "point_encoder": {"name": "encoder/dgcnn", "config": {"k": 10, "edge_channels": [32, 32, 64, 64], "emb_dims": 256}},
    "image_encoder": {"name": "encoder/resnet50-views", "config": {"backbone": "lcnet_050"}},
    "point_head": {"name": "head/projection", "config": {"hidden_dim": 256}},
    "image_head": {"name": "head/projection", "config": {"hidden_dim": 128}},
    "adapter": {"name": "head/adapter", "config": {"bottleneck": 64}},
    "embed_dim": 128,
    # From-scratch encoders at the paper's τ = 0.02 did not align across modalities within a CPU
    # budget (cross-modal NT-Xent stayed at chance for 144 steps); the synthetic run uses 0.1.
    "temperature": 0.1,
}
#: The synthetic data and the short CPU schedule of ``zoo cmip-cil train-synth``.
SYNTH_SETTINGS: dict[str, Any] = {
    "train_per_class": 8, "test_per_class": 4, "data_seed": 0, "image_size": 32, "num_points": 512,
    "masked_variants": 1, "pretrain_epochs": 12, "pretrain_lr": 2e-3, "base": 6, "increment": 4, "incremental_epochs": 10,
    "exemplars_per_class": 4,
}
#: sha256 of the committed checkpoint's files (pinned here, verified by ``zoo.load``).
SYNTH_FILES: dict[str, str] = {
    "model.safetensors": "sha256:a5e8830b8ed5106d47a8499de252c7de07d14e12ea299f642f3389a0735fe57f",
    "config.json": "sha256:e86b282056273d1c1a2b14c23f577a5f38c912b7478924f2613b0c05851a03ef",
}

_SYNTH_DATA = ("SYNTHETIC shapes (zoo cmip-cil make-synth, seed 0): 14 procedural classes + 4 pyvista meshes, "
               "8 train / 4 test objects per class; trained on 32x32 renders, tested on 512-point clouds")


def synth_metrics(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Catalog/card metric records (percent) of the synthetic incremental results."""
    metrics = []
    for result in results:
        for key in ("A_B", "A_mean", "forgetting"):
            metrics.append({"name": key, "value": round(100 * result[key], 2),
                            "measured_on": "synthetic test point clouds (18 classes, 4 per class)",
                            "setting": f"{result['method']}, base 6 + 3 x 4 classes, seed 1993 order"})
    return metrics


def _synth_metrics(package_dir: Path) -> list[dict[str, Any]]:
    """The incremental results written beside the checkpoint by the training run."""
    path = package_dir / SYNTH_DIR / "results.json"
    if not path.is_file():
        return []
    return synth_metrics(json.loads(path.read_text(encoding="utf-8"))["methods"])


def _saved_config(package_dir: Path) -> dict[str, Any]:
    """The config stored with the weights (sha256-pinned): after the incremental stage it also
    holds the classifier's size and the class names, which only the training run knows."""
    return json.loads((package_dir / SYNTH_DIR / "config.json").read_text(encoding="utf-8"))["config"]


def catalog_entries(package_dir: Path) -> list[dict[str, Any]]:
    """The real-data recipes, plus ``cmip-cil-synth`` when its checkpoint is installed and pinned."""
    sn55 = _recipe("cmip-cil-sn55", "ShapeNet-55", 6, 6, 18, 1)
    sn55["recipe"]["stages"]["incremental"]["merge_remainder"] = True  # 8 tasks of 6, then a last task of 7
    entries = [_recipe("cmip-cil-mn40", "ModelNet40", 4, 4, 20, 2), sn55]
    if SYNTH_FILES and (package_dir / SYNTH_DIR / "model.safetensors").is_file():
        entries.append({
            "name": SYNTH_NAME, "model": "model/cmip-cil", "status": "published",
            "source": f"local-dir:{SYNTH_DIR}", "files": SYNTH_FILES, "license": "apache-2.0",
            "config": _saved_config(package_dir),
            "data": _SYNTH_DATA, "metrics": _synth_metrics(package_dir), "reproduce": "zoo cmip-cil train-synth OUT",
            "summary": "CMIP-CIL (reduced) pre-trained and run class-incrementally on synthetic shapes; demo and tests only",
            "tags": ["point-cloud", "class-incremental", "cross-modal", "synthetic"],
        })
    return entries


def _recipe(name: str, data: str, base: int, increment: int, exemplars: int, up_axis: int) -> dict[str, Any]:
    dataset_name = "dataset/modelnet40" if data == "ModelNet40" else "dataset/shapenet55"
    train_data: dict[str, Any] = {"split": "train", "masked_variants": 20}
    if data != "ModelNet40":  # views need ShapeNetCore.v2 meshes beside the Point-BERT clouds
        train_data.update(render=True, mesh_root="")
    return {
        "name": name, "model": "model/cmip-cil", "status": "recipe", "license": "apache-2.0",
        "config": {"up_axis": up_axis},
        "data": f"{data}: pre-train on 20 masked copies per training object; incremental stage trains on 10 renders "
                f"(224x224) and tests on 1024-point clouds",
        "summary": f"CMIP-CIL on m-{'MN40' if data == 'ModelNet40' else 'SN55'}-Inc.{increment} (recipe: no weights yet)",
        "reproduce": f"zoo train {name} --data ROOT" + ("" if data == "ModelNet40" else " dataset.mesh_root=SHAPENETCORE_V2"),
        "tags": ["point-cloud", "class-incremental", "cross-modal"],
        # `zoo train NAME --data ROOT` runs both stages (zoo_cmip_cil.recipe_runner): the cross-modal
        # pre-training on `dataset` with `train`, then the incremental stage with `stages`, tested
        # on the point clouds of `eval_dataset`.
        "recipe": {
            "runner": "zoo_cmip_cil.recipe_runner:run_cmip_cil",
            "dataset": {"name": dataset_name, "config": train_data},
            "eval_dataset": {"name": dataset_name, "config": {"split": "test", "render": False}},
            "train": {"epochs": 100, "batch_size": 16, "optimizer": "sgd", "lr": 1e-3, "momentum": 0.9,
                      "weight_decay": 5e-4, "scheduler": "cosine"},
            "stages": {"incremental": {"base": base, "increment": increment, "order_seed": 1993, "epochs": 40,
                                       "batch_size": 16, "lr": 1e-2, "exemplars_per_class": exemplars},
                       "baselines": ["finetune", "simplecil", "icarl-nme"]},
        },
    }

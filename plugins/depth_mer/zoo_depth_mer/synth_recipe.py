"""The ``depth-mer-synth`` recipe: synthetic data, the compared networks, LOSO, the final checkpoint.

Everything is sized for a shared 2-core CPU (two single-threaded processes): 512 points per
sample and narrow networks (the layer *structure* of each paper network, fewer channels and
centres). LOSO is run on a documented subset of folds (the first ``loso_folds`` subjects in natural
order) unless ``loso_folds`` is ``None``. All numbers are on synthetic data.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch

import zoo

from zoo_depth_mer.catalog_entries import SYNTH_MODEL_CONFIG

NUM_POINTS = SYNTH_MODEL_CONFIG["pipeline"]["num_points"]
DEPTH_UNIT_MM = SYNTH_MODEL_CONFIG["pipeline"]["depth_unit_mm"]  # the synthetic PNGs' unit (synth.DEPTH_UNIT_MM)
SSG_SMALL = SYNTH_MODEL_CONFIG["encoder"]["config"]  # the published checkpoint's encoder
MSG_SMALL = {"npoints": [128, 32], "nsamples": [[8, 16, 32], [8, 16, 32]],
             "mlps": [[[16, 16, 32]] * 3, [[32, 32, 64]] * 3], "global_mlp": [128, 256]}
VARIANTS: dict[str, dict[str, Any]] = {
    "pointnet2-ssg": {"encoder": {"name": "encoder/pointnet2-ssg", "config": SSG_SMALL}},
    "pointnet2-msg": {"encoder": {"name": "encoder/pointnet2-msg", "config": MSG_SMALL}},
    "pointnet": {"encoder": {"name": "encoder/pointnet", "config": {"mlp_channels": [64, 64, 128, 256],
                                                                    "input_transform": False}}},
    "dgcnn": {"encoder": {"name": "encoder/dgcnn", "config": {"k": 10, "edge_channels": [32, 32, 64], "emb_dims": 128}}},
    "no-alignment": {"encoder": {"name": "encoder/pointnet2-ssg", "config": SSG_SMALL}, "pipeline": {"align": False}},
}
SYNTH = {"subjects": 8, "clips_per_subject": 13, "seed": 0}
EPOCHS, LR = 40, 1e-3


def pipeline_for(variant: dict[str, Any]) -> dict[str, Any]:
    return {"num_points": NUM_POINTS, "depth_unit_mm": DEPTH_UNIT_MM, **variant.get("pipeline", {})}


def model_config(variant: dict[str, Any]) -> dict[str, Any]:
    """``zoo.build`` overrides of ``model/depth-mer`` for a variant (3-class setting)."""
    return {"encoder": variant["encoder"], "pipeline": pipeline_for(variant)}


def run(out_dir: str | Path, data_root: str | Path, epochs: int = EPOCHS, loso_folds: int | None = 3,
        variants: list[str] | None = None, threads: int = 1, final: bool = True,
        synth: dict[str, Any] | None = None) -> dict[str, Any]:
    """Generate the data, run LOSO for each variant, train the final SSG model on all subjects.

    One thread by default: on a shared 2-core machine a single-threaded process is several times
    faster per step than a two-threaded one competing with others (run two variants side by side).

    Returns:
        ``{variant: LOSO metrics}`` (also written to ``out_dir/loso_<variants>.json``) plus
        ``"final"`` (the trained model) when ``final``.

    Args:
        synth: ``make_synthetic`` arguments if the data must be generated (default :data:`SYNTH`).

    Raises:
        InputError: if the data cannot be generated or read.
    """
    from zoo_depth_mer.synth_writer import make_synthetic
    from zoo_depth_mer.training import loso_evaluate, materialise, train_model

    torch.set_num_threads(threads)
    if not (Path(data_root) / "depth").is_dir():
        make_synthetic(data_root, **(synth or SYNTH))
    cache: dict[str, Any] = {}
    results: dict[str, Any] = {}
    for name in variants or list(VARIANTS):
        pipeline = pipeline_for(VARIANTS[name])
        key = json.dumps(pipeline, sort_keys=True)
        if key not in cache:
            cache[key] = materialise(zoo.build("dataset/casme3-depth", root=str(data_root), pipeline=pipeline))
        points, labels, subjects = cache[key]
        only = sorted(set(subjects), key=lambda s: int(s.split(".")[-1]))[:loso_folds] if loso_folds else None
        start = time.time()
        results[name] = loso_evaluate(model_config(VARIANTS[name]), points, labels, subjects, epochs, only=only, lr=LR)
        results[name]["seconds"] = round(time.time() - start, 1)
        print(name, results[name], flush=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = {**SYNTH, "epochs": epochs, "lr": LR, "loso_folds": loso_folds, "num_points": NUM_POINTS}
    (out / f"loso_{'_'.join(results)}.json").write_text(json.dumps({"settings": settings, "results": results}, indent=2))
    if final:
        key = json.dumps(pipeline_for(VARIANTS["pointnet2-ssg"]), sort_keys=True)
        if key not in cache:
            cache[key] = materialise(zoo.build("dataset/casme3-depth", root=str(data_root),
                                               pipeline=pipeline_for(VARIANTS["pointnet2-ssg"])))
        points, labels, _ = cache[key]
        torch.manual_seed(0)
        results["final"] = zoo.build("model/depth-mer", **model_config(VARIANTS["pointnet2-ssg"]))
        train_model(results["final"], points, labels, epochs, lr=LR)
    return results


LABELS = {"pointnet2-ssg": "PointNet++ SSG", "pointnet2-msg": "PointNet++ MSG", "pointnet": "PointNet",
          "dgcnn": "DGCNN", "no-alignment": "PointNet++ SSG without ICP alignment"}


def measured_on(loso_folds: int | None) -> str:
    """How the LOSO numbers were measured (always says synthetic)."""
    subset = f"the first {loso_folds} of {SYNTH['subjects']} LOSO folds" if loso_folds else "all LOSO folds"
    return (f"SYNTHETIC CAS(ME)^3-format depth clips ({SYNTH['subjects']} subjects x {SYNTH['clips_per_subject']} clips, "
            f"zoo depth-mer make-synth seed {SYNTH['seed']}), 3 classes, {subset}")


def card_metrics(results: dict[str, Any], loso_folds: int | None) -> list[dict[str, Any]]:
    """UF1/UAR records of every variant for the model card and the catalog."""
    records = []
    for name, result in results.items():
        for metric in ("uf1", "uar"):
            records.append({"name": metric, "value": round(float(result[metric]), 4), "measured_on": measured_on(loso_folds),
                            "setting": f"{LABELS.get(name, name)} (reduced width, {NUM_POINTS} points), LOSO pooled"})
    return records


def save_checkpoint(model: Any, results: dict[str, Any], folder: str | Path, data_root: str | Path, epochs: int,
                    loso_folds: int | None) -> Path:
    """``zoo.save`` the final model with its card, plus one onset/apex sample pair under ``samples/``.

    Raises:
        InputError: if the data folder has no label file.
    """
    import shutil

    from zoo_mer_data.casme3 import find_label_file, read_casme3_labels

    folder = Path(folder)
    zoo.save(model, folder, card={
        "name": "depth-mer-synth",
        "summary": "Depth-MER (PointNet++ SSG, reduced width) trained on synthetic CAS(ME)^3-format depth; demo/tests only",
        "license": "apache-2.0", "datasets": ["synthetic"], "tags": ["micro-expression", "depth", "point-cloud", "synthetic"],
        "training_data": f"all {SYNTH['subjects']} synthetic subjects ({epochs} epochs); {measured_on(loso_folds)}",
        "task": "micro-expression-recognition", "metrics": card_metrics(results, loso_folds),
        "reproduce": f"zoo depth-mer train-synth OUT --epochs {epochs} --folds {loso_folds or 0}",
        "notes": "Synthetic data only: these numbers say nothing about CAS(ME)^3.",
    })
    labels, _ = read_casme3_labels(find_label_file(data_root), warn=False)
    clip = next((lab for lab in reversed(labels) if lab.emotion == "happy"), labels[-1])
    samples = folder / "samples"
    samples.mkdir(exist_ok=True)
    for role in ("onset", "apex"):
        frame = getattr(clip, role)
        shutil.copy(Path(data_root) / "depth" / clip.subject / clip.filename / "depth" / f"{frame}.png",
                    samples / f"{clip.sample_id}_{role}.png")
    return folder

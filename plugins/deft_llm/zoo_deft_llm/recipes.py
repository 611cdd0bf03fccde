"""Recipes (status ``recipe``) for the real MER benchmarks, with a small instruct LLM.

Plain data: the plugin hook imports this module. Training a recipe needs the dataset (licensed,
not downloadable here) and the LLM's weights in the Hugging Face cache.
"""

from __future__ import annotations

from typing import Any

LLM = "Qwen/Qwen2.5-0.5B-Instruct"
_REAL_CONFIG: dict[str, Any] = {
    "experts": {
        "structure": {"name": "expert/structure", "config": {"backbone": "resnet18", "tokens": 4, "dim": 256}},
        "texture": {"name": "expert/dynamic-texture", "config": {"backbone": "resnet18", "tokens": 4, "dim": 256}},
        "motion": {"name": "expert/motion-semantics", "config": {"dim": 256}},
    },
    "llm": {"pretrained": LLM, "tokenizer": None, "tuning": "lora", "lora_r": 16, "lora_alpha": 32, "max_new_tokens": 128},
    "image_size": 128,
}
_TRAIN = {"epochs": 20, "batch_size": 8, "lr": 2e-4, "weight_decay": 0.01}
_BENCHMARKS = [
    ("casme2", "casme2-5", ["happiness", "surprise", "disgust", "repression", "others"], "CASME II 5-class, LOSO (26 subjects)"),
    ("samm", "samm-5", ["anger", "contempt", "happiness", "surprise", "other"], "SAMM 5-class, LOSO"),
    ("megc2019", "megc2019-3", ["negative", "positive", "surprise"], "MEGC2019 composite 3-class, LOSO (68 subjects)"),
    ("smic", "smic-3", ["negative", "positive", "surprise"], "SMIC-HS 3-class, LOSO (16 subjects), flow-only Uni-MER"),
    ("casme3", "casme3-3", ["negative", "positive", "surprise"], "CAS(ME)^3 Part A 3-class (RGB), LOSO"),
]


def _recipe(dataset: str, setting: str, classes: list[str], summary: str) -> dict[str, Any]:
    return {
        "name": f"deft-llm-{dataset}",
        "model": "model/deft-llm",
        "config": {**_REAL_CONFIG, "classes": classes},
        "status": "recipe",
        "license": "dataset license (research only)",
        "data": f"{summary}; the dataset must be obtained from its authors",
        "reproduce": (f"zoo unimer build --dataset {dataset} --root RAW --out DATA/unimer.jsonl && "
                      f"zoo train deft-llm-{dataset} --data DATA"),
        "summary": f"DEFT-LLM ({LLM} + LoRA) on {summary} (no weights published)",
        "tags": ["micro-expression", "mer", "llm", "recipe"],
        "recipe": {
            "dataset": {"name": "dataset/unimer", "config": {"setting": setting, "image_size": 128}},
            "protocol": "loso",
            "train": _TRAIN,
            "notes": {
                "llm": LLM,
                "prepare": f"zoo unimer build --dataset {dataset} --root RAW --out DATA/unimer.jsonl",
                "both_readings": f"zoo deft-llm loso deft-llm-{dataset} --unimer DATA/unimer.jsonl also scores the parsed generation",
            },
        },
    }


RECIPES = [_recipe(*benchmark) for benchmark in _BENCHMARKS]

"""Shared fixtures: a tiny DEFT-LLM (test-sized timm backbones, 2-layer LLM) built once per session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SMALL_BACKBONE = {"backbone": "test_resnet", "tokens": 4, "dim": 32}
TINY_OVERRIDES = {
    "experts": {
        "structure": {"config": SMALL_BACKBONE},
        "texture": {"config": SMALL_BACKBONE},
        "motion": {"config": {"dim": 32}},
    },
    "llm": {"max_new_tokens": 8},
    "image_size": 32,
}


@pytest.fixture(scope="session")
def tiny_overrides():
    """Overrides that make model/deft-llm tiny (test-sized backbones, 2-layer LLM, 32² inputs)."""
    return TINY_OVERRIDES


@pytest.fixture(scope="session")
def tiny_model():
    import zoo

    return zoo.build("model/deft-llm", **TINY_OVERRIDES)

"""Shared fixtures: a tiny DEFT-LLM (test-sized timm backbones, 2-layer LLM) and a small synthetic data folder."""

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
#: The same as ``zoo train`` overrides of the deft-llm-synth recipe, on the 2-subject set below
#: (sub02 held out), two optimizer steps.
TINY_RECIPE = [
    "model.experts.structure.config.dim=32", "model.experts.texture.config.dim=32", "model.experts.motion.config.dim=32",
    "model.llm.max_new_tokens=8", "model.image_size=32", "dataset.image_size=32", "eval_dataset.image_size=32",
    'dataset.exclude_subjects=["sub02"]', 'eval_dataset.subjects=["sub02"]', "train.max_steps=2", "train.batch_size=5",
]


@pytest.fixture(scope="session")
def tiny_overrides():
    """Overrides that make model/deft-llm tiny (test-sized backbones, 2-layer LLM, 32² inputs)."""
    return TINY_OVERRIDES


@pytest.fixture(scope="session")
def tiny_recipe():
    """``zoo train deft-llm-synth`` overrides for the small synthetic set (see :data:`TINY_RECIPE`)."""
    return list(TINY_RECIPE)


@pytest.fixture(scope="session")
def tiny_model():
    import zoo

    return zoo.build("model/deft-llm", **TINY_OVERRIDES)


@pytest.fixture(scope="session")
def synth_data(tmp_path_factory):
    """``zoo deft-llm make-synth`` output, small: 2 subjects × 5 clips + the fear row (11 clips, seed 5)."""
    from zoo_deft_llm.synth import SynthOptions
    from zoo_deft_llm.synth_data import make_synthetic_set

    out = tmp_path_factory.mktemp("deft") / "synth"
    make_synthetic_set(out, SynthOptions(subjects=2, clips_per_subject=5, seed=5))
    return out

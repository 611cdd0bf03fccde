"""The committed deft-llm-synth checkpoint: catalog entry, verified load, prediction on its embedded sample."""

from __future__ import annotations

from pathlib import Path

import zoo
from zoo_deft_llm.unimer.templates import parse_answer

SAMPLES = Path(__file__).resolve().parents[1] / "zoo_deft_llm" / "checkpoints" / "deft-llm-synth" / "samples"


def test_catalog_entry_is_published_with_synthetic_metrics():
    from zoo.catalog import get_catalog

    entry = get_catalog().get("deft-llm-synth")
    assert entry.status == "published" and "model.safetensors" in entry.files
    assert {m.name for m in entry.metrics} >= {"uf1 (head, all experts)", "uar (head, all experts)"}
    assert all("synthetic" in m.measured_on for m in entry.metrics)


def test_load_and_predict_the_embedded_held_out_happiness_clip():
    model = zoo.load("deft-llm-synth")
    out = model.predict_files([str(SAMPLES / "onset.jpg"), str(SAMPLES / "apex.jpg")])
    assert out["head_emotion"] == "happiness"  # the sample is a held-out synthetic happiness clip
    parsed = parse_answer(out["answer"])
    assert parsed.emotion == out["emotion"] and parsed.caption and parsed.reasoning

"""Training with the engine, both readings scored, LOSO pooling, ablation parsing, predict on two frames."""

from __future__ import annotations

import json

import pytest

from zoo.errors import InputError

TRAIN = {"epochs": 1, "max_steps": 2, "batch_size": 5, "progress": False}  # 5 clips per subject: no 1-sample batch (BatchNorm)


@pytest.fixture(scope="module")
def unimer_data(tmp_path_factory):
    from zoo_deft_llm.datasets import UniMERConfig, UniMERDataset
    from zoo_deft_llm.synth import SynthOptions, generate
    from zoo_deft_llm.unimer.builder import build_records
    from zoo_mer_data.casme2 import list_clips

    root = tmp_path_factory.mktemp("unimer")
    generate(root / "data", SynthOptions(subjects=2, clips_per_subject=5, seed=5, extra_fear_row=False))
    path = root / "u.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r, _, _ in build_records(list_clips(root / "data"))))
    return UniMERDataset(UniMERConfig(path=str(path), image_size=32))


def test_train_and_score_both_readings(unimer_data, tmp_path, tiny_overrides):
    from zoo_deft_llm.train import train_and_score

    train = unimer_data.subset([i for i, s in enumerate(unimer_data.subjects) if s == "sub01"])
    test = unimer_data.subset([i for i, s in enumerate(unimer_data.subjects) if s == "sub02"])
    model, scores = train_and_score(tiny_overrides, train, test, str(tmp_path), **TRAIN)
    assert (tmp_path / "metrics.jsonl").is_file()  # the engine ran
    for reading in ("head", "generated"):
        assert set(scores[reading]) >= {"uf1", "uar", "accuracy"} and 0 <= scores[reading]["uar"] <= 1
    assert len(scores["answers"]) == len(test) == int(scores["head_accumulator"].confusion.sum())


def test_loso_pools_every_fold(unimer_data, tmp_path, tiny_overrides):
    from zoo_deft_llm.loso import run_loso

    result = run_loso({**tiny_overrides, "score_generation": False}, unimer_data, TRAIN, tmp_path)
    assert result["folds"] == 2 and result["samples"] == len(unimer_data)
    assert "generated" not in result and 0 <= result["head"]["uf1"] <= 1
    with pytest.raises(InputError, match="Unknown test subjects"):
        run_loso(tiny_overrides, unimer_data, TRAIN, tmp_path, only=["sub09"])


def test_parse_swaps_and_table():
    from zoo_deft_llm.ablate import markdown_table, parse_swaps

    assert parse_swaps(["experts.texture=expert/raw-apex", "experts.motion=none"]) == {
        "experts.texture=expert/raw-apex": {"experts.texture": "expert/raw-apex"},
        "experts.motion=none": {"experts.motion": None},
    }
    with pytest.raises(InputError, match="KEY=VALUE"):
        parse_swaps(["experts.texture"])
    table = markdown_table({"baseline": {"head": {"uf1": 0.5, "uar": 0.25}, "generated": {"uf1": 0.1, "uar": 0.2}, "seconds": 3}},
                           "synthetic test")
    assert "| baseline | 0.500 | 0.250 | 0.100 | 0.200 | 3 |" in table and table.startswith("Measured on: synthetic test")


def test_swap_override_builds_the_variant(tiny_overrides):
    import zoo
    from zoo.config import merge_overrides

    config = merge_overrides(tiny_overrides, {"experts.texture": "expert/flow-texture", "experts.structure": None})
    model = zoo.build("model/deft-llm", **config)
    assert list(model.experts) == ["texture", "motion"] and type(model.experts["texture"]).__name__ == "FlowTextureExpert"


def test_predict_needs_exactly_two_frames(tiny_model, unimer_data):
    record = unimer_data.records[0]
    with pytest.raises(InputError, match="ONSET and APEX"):
        tiny_model.predict_files([record["onset_path"]])
    out = tiny_model.predict_files([record["onset_path"], record["apex_path"]])
    assert out["head_emotion"] in tiny_model.config.classes and out["face_alignment"] == "eyes"
    assert abs(sum(out["head_probabilities"].values()) - 1) < 1e-3 and isinstance(out["answer"], str)

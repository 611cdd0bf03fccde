"""``predict_files`` and ``zoo.load("l2hcount-synth")``: any 8-bit image works, bad inputs are refused."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image

import zoo
from zoo.errors import InputError
from zoo_l2hcount import sample_path


@pytest.fixture(scope="module")
def synth_model():
    return zoo.load("l2hcount-synth")


def test_sample_prediction_counts_and_writes_an_overlay(synth_model, tmp_path):
    result = synth_model.predict_files([str(sample_path())], str(tmp_path))
    json.dumps(result)  # JSON-able, for `zoo predict --json`
    (row,) = result["results"]
    assert (row["width"], row["height"]) == (320, 240)
    assert 45 <= row["count"] <= 180  # the sample holds 90 synthetic heads
    overlay = Image.open(row["overlay"])
    assert overlay.size == (320, 240) and overlay.mode == "RGB"


@pytest.mark.parametrize("mode, size", [("L", (37, 23)), ("RGBA", (50, 41)), ("P", (16, 16)), ("RGB", (301, 7))])
def test_any_8bit_mode_and_size(tiny_model, tmp_path, mode, size):
    path = tmp_path / f"img_{mode}.png"
    Image.new(mode, size).save(path)
    (row,) = tiny_model.predict_files([str(path)], str(tmp_path / "out"))["results"]
    assert (row["width"], row["height"]) == size and row["count"] >= 0
    assert Image.open(row["overlay"]).size == size


def test_errors_are_input_errors_with_a_reason(tiny_model, tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.jpg"
    text.write_text("not an image at all")
    deep = tmp_path / "deep.png"
    Image.fromarray(np.full((8, 8), 40000, dtype=np.uint16)).save(deep)
    cases = [(empty, "empty"), (text, "not an image"), (deep, "^" + re.escape(f"{deep} has PIL mode 'I;16' (more than 8 bits per channel")), (tmp_path / "missing.png", "does not exist")]
    for path, reason in cases:
        with pytest.raises(InputError, match=reason):
            tiny_model.predict_files([str(path)], str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()  # inputs are checked before anything is written


def test_catalog_entries_build_and_recipes_refuse_to_load():
    from zoo.errors import RecipeNotPublishedError

    sha = zoo.info("l2hcount-sha")
    assert sha["status"] == "recipe" and sha["config"]["encoder"]["config"] == {"pretrained": True}
    with pytest.raises(RecipeNotPublishedError, match="zoo train l2hcount-shb2sha"):
        zoo.load("l2hcount-shb2sha")
    info = zoo.info("l2hcount-synth")
    assert info["status"] == "published" and all("synthetic" in m["measured_on"] for m in info["metrics"])

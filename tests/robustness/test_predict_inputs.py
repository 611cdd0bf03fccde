"""zoo.predict against hostile inputs: values that overflow to NaN outputs, a picture that fails halfway,
an output folder that is a file. The error is typed and names the input; the output folder gains
nothing (no half of the pictures, no staging folder) and what it held before is kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo.errors import InputError
from zoo.testing import run_cli

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_inputs_that_overflow_to_nan_outputs_are_an_input_error_naming_them(toy_model, tmp_path) -> None:
    out = tmp_path / "out"
    good, huge = np.ones((2, 8)), np.full((2, 8), 1e300)  # finite in float64, inf once the model casts it
    with pytest.raises(InputError) as info:
        zoo.predict(toy_model, [good, huge], batch_size=1, out_dir=out)
    message = str(info.value)
    assert "predicted NaN or infinite values for array(2x8 float64)" in message and "Nothing was written" in message
    assert _listing(tmp_path) == []  # neither out/ nor a staging folder


def test_a_picture_that_fails_halfway_adds_nothing_and_keeps_what_was_there(toy_model, tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("the user's own file")
    drawn = []
    original = toy_model.render

    def render(item, outputs, out_dir, stem):
        if drawn:
            raise RuntimeError("the picture library broke")
        drawn.extend(original(item, outputs, out_dir, stem))
        return drawn

    monkeypatch.setattr(toy_model, "render", render)
    with pytest.raises(RuntimeError, match="the picture library broke"):
        zoo.predict(toy_model, [np.ones((2, 8)), np.zeros((2, 8))], batch_size=1, out_dir=out)
    assert drawn and _listing(tmp_path) == ["out", "out/mine.txt"]  # the first picture was staged, then dropped
    monkeypatch.setattr(toy_model, "render", original)
    predictions = zoo.predict(toy_model, [np.ones((2, 8)), np.zeros((2, 8))], out_dir=out)
    assert [p.files for p in predictions] == [[out / "input-1.png"], [out / "input-2.png"]]
    assert _listing(tmp_path) == ["out", "out/input-1.png", "out/input-2.png", "out/mine.txt"]


def test_an_output_path_that_is_a_file_or_a_link_is_refused_before_reading(toy_model, tmp_path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    for out in (notes, tmp_path / "link"):
        with pytest.raises(InputError, match="is a file|is an existing file or link"):
            zoo.predict(toy_model, np.ones((2, 8)), out_dir=out)
    assert notes.read_text() == "keep me" and not (tmp_path / "elsewhere").exists()


def test_zoo_predict_reports_nan_outputs_as_one_line(toy_model, tmp_path, monkeypatch) -> None:
    folder = zoo.save(toy_model, tmp_path / "toy")
    np.save(tmp_path / "huge.npy", np.full((2, 8), 1e300))
    monkeypatch.chdir(tmp_path)
    result = run_cli(["predict", "./toy", "huge.npy", "--out", "pictures"])
    assert result.exit_code == 1 and result.output.startswith("error: ") and "huge.npy" in result.output
    assert not (tmp_path / "pictures").exists() and folder.is_dir()

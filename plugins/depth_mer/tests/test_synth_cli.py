"""``zoo depth-mer make-synth``: seeded, atomic, marked synthetic; typed errors; tiny sizes work."""

import hashlib
import json

import pytest

from zoo.sdk import InputError
from zoo.testing import run_cli
from zoo_depth_mer.synth import QUIRKS, make_synthetic


def _digest(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_make_synth_cli_writes_the_sample_and_a_synthetic_marker(tmp_path):
    result = run_cli(["depth-mer", "make-synth", str(tmp_path / "out"), "--subjects", "2", "--clips", "2", "--no-quirks"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["clips"] == 4 and summary["quirks"] == {}
    assert summary["train"] == f"zoo train depth-mer-synth --data {tmp_path / 'out'}"
    assert (tmp_path / "out" / "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx").is_file()
    marker = json.loads((tmp_path / "out" / "SYNTHETIC.json").read_text())
    assert marker["synthetic"] and marker["seed"] == 0 and marker["params"]["depth_unit_mm"] == 0.1


def test_tiny_samples_plant_as_many_quirks_as_there_are_clips(tmp_path):
    # 2 subjects x 2 clips once crashed with an IndexError and left a half-written folder.
    result = run_cli(["depth-mer", "make-synth", str(tmp_path / "tiny"), "--subjects", "2", "--clips", "2"])
    assert result.exit_code == 0, result.output
    quirks = json.loads(result.output)["quirks"]
    assert 4 <= len(quirks) <= 5 and list(quirks) == [q for q in QUIRKS if q in quirks]


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    make_synthetic(tmp_path / "a", subjects=2, clips_per_subject=2, seed=5, size=(48, 56))
    make_synthetic(tmp_path / "b", subjects=2, clips_per_subject=2, seed=5, size=(48, 56))
    make_synthetic(tmp_path / "c", subjects=2, clips_per_subject=2, seed=6, size=(48, 56))
    a, b, c = (_digest(tmp_path / n) for n in "abc")
    label = "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx"
    assert {k: v for k, v in a.items() if k != label} == {k: v for k, v in b.items() if k != label}  # xlsx holds a timestamp
    assert a != c


@pytest.mark.parametrize("args,message,code", [
    (["--subjects", "1"], "1 is not in the range 2<=x<=999", 2),
    (["--clips", "14"], "14 is not in the range 1<=x<=13", 2),
    (["--layout", "zip"], "'zip' is not one of", 2),
])
def test_bad_options_are_usage_errors(tmp_path, args, message, code):
    result = run_cli(["depth-mer", "make-synth", str(tmp_path / "x"), *args])
    assert result.exit_code == code and message in result.output
    assert not (tmp_path / "x").exists()


def test_existing_output_is_refused_unless_overwrite_and_a_file_never(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    result = run_cli(["depth-mer", "make-synth", str(tmp_path / "full"), "--subjects", "2", "--clips", "1"])
    assert result.exit_code == 1 and result.output.startswith("error:") and "Traceback" not in result.output
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
    (tmp_path / "file").write_text("a file")
    result = run_cli(["depth-mer", "make-synth", str(tmp_path / "file"), "--subjects", "2", "--clips", "1"])
    assert result.exit_code == 1 and (tmp_path / "file").read_text() == "a file"
    result = run_cli(["depth-mer", "make-synth", str(tmp_path / "full"), "--subjects", "2", "--clips", "1", "--overwrite"])
    assert result.exit_code == 0 and not (tmp_path / "full" / "keep.txt").exists()


def test_a_failure_midway_leaves_no_folder(tmp_path, monkeypatch):
    import zoo_depth_mer.synth as synth

    calls = []

    def failing_render(*args, **kwargs):
        calls.append(1)
        if len(calls) > 3:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    original = synth.render_depth
    monkeypatch.setattr(synth, "render_depth", failing_render)
    with pytest.raises(RuntimeError, match="disk full"):
        make_synthetic(tmp_path / "half", subjects=2, clips_per_subject=2, size=(48, 56))
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary sibling


def test_frames_too_small_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(InputError, match="at least 32 x 32"):
        make_synthetic(tmp_path / "small", subjects=2, clips_per_subject=1, size=(16, 16))
    assert not (tmp_path / "small").exists()


def test_train_synth_refuses_data_that_is_not_synthetic(tmp_path):
    (tmp_path / "real").mkdir()
    result = run_cli(["depth-mer", "train-synth", str(tmp_path / "out"), "--data", str(tmp_path / "real")])
    assert result.exit_code == 1 and "not synthetic data" in result.output
    result = run_cli(["depth-mer", "train-synth", str(tmp_path / "out"), "--seeds", "a,b"])
    assert result.exit_code == 1 and "--seeds must be comma-separated integers" in result.output

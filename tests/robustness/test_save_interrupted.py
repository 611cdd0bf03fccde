"""zoo.save is never half done: a failure or a SIGKILL in the middle leaves no folder (a new save) or
the previous, loadable files (a save over an existing folder); a file at the output path is refused."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import zoo
from zoo.errors import InputError


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _failing_weights(monkeypatch) -> None:
    def half_then_fail(model, path, state=None):
        Path(path).write_bytes(b"half of the weights")
        raise OSError("disk full")

    monkeypatch.setattr("zoo.saving.save_weights", half_then_fail)


def test_a_failed_new_save_leaves_nothing(toy_model, tmp_path, monkeypatch) -> None:
    _failing_weights(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        zoo.save(toy_model, tmp_path / "new")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_save_over_a_folder_keeps_the_previous_files(toy_model, tmp_path, monkeypatch) -> None:
    folder = zoo.save(toy_model, tmp_path / "model")
    (folder / "example.npy").write_bytes(b"the user's example")
    before = _hashes(folder)
    _failing_weights(monkeypatch)
    torch.nn.init.zeros_(next(toy_model.parameters()))
    with pytest.raises(OSError, match="disk full"):
        zoo.save(toy_model, folder)
    assert _hashes(folder) == before  # no staged file left, nothing replaced
    assert zoo.load(str(folder)) is not None


def test_a_save_over_a_folder_replaces_its_files_and_keeps_the_others(toy_model, tmp_path) -> None:
    folder = zoo.save(toy_model, tmp_path / "model")
    (folder / "example.npy").write_bytes(b"kept")
    with torch.no_grad():
        next(toy_model.parameters()).add_(1.0)
    zoo.save(toy_model, folder)
    assert sorted(_hashes(folder)) == ["README.md", "config.json", "example.npy", "model.safetensors"]
    loaded = zoo.load(str(folder))
    assert torch.equal(next(loaded.parameters()), next(toy_model.parameters()))


def test_an_output_path_that_is_a_file_is_refused(toy_model, tmp_path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    with pytest.raises(InputError, match="is an existing file"):
        zoo.save(toy_model, notes)
    assert notes.read_text() == "mine"


_KILLED = """
import os, signal, sys
from pathlib import Path
import torch, zoo
import zoo.saving

def killed(model, path, state=None):
    Path(path).write_bytes(b"half of the weights")
    os.kill(os.getpid(), signal.SIGKILL)

torch.manual_seed(0)
model = zoo.build("model/toy-fusion")
zoo.saving.save_weights = killed
zoo.save(model, sys.argv[1])
"""


@pytest.mark.parametrize("existing", [False, True])
def test_a_save_killed_midway_leaves_a_loadable_folder_or_none(existing, toy_model, tmp_path) -> None:
    out = tmp_path / "model"
    if existing:
        zoo.save(toy_model, out)
        before = _hashes(out)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(_KILLED), str(out)], env=env, timeout=120)
    assert done.returncode == -9
    if existing:
        assert _hashes(out) == before and zoo.load(str(out)) is not None
    else:
        assert not out.exists()
    # what a SIGKILL leaves is one hidden sibling, never a half-written folder
    assert [p.name.split(".tmp-")[0] for p in tmp_path.iterdir() if p != out] == [".model"]

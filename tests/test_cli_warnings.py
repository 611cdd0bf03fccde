"""CLI warnings are `warning: <message>` lines on stderr, in every verb (Python warnings and the zoo's log)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import warnings

from zoo_toy_models.synth import make_blobs

from zoo.cli.main import cli_warnings, format_warning

RECIPE = """
model = "model/toy-fusion"
[dataset]
name = "dataset/toy-blobs"
[train]
epochs = 1
batch_size = 8
progress = false
num_workers = 0
checkpoint_every = 1
keep_checkpoints = 3
max_steps = 3
"""


def _zoo(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "ZOO_DEBUG": "", "PYTHONWARNINGS": "", **env}
    code = "from zoo.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=full_env, timeout=300)


def test_a_python_warning_of_a_real_command_is_one_warning_line_on_stderr(sandbox, tmp_path) -> None:
    make_blobs(tmp_path / "data")
    recipe, out = tmp_path / "toy.toml", tmp_path / "run"
    recipe.write_text(RECIPE)
    first = _zoo("train", str(recipe), "--data", str(tmp_path / "data"), "--out", str(out))
    assert first.returncode == 0, first.stderr
    newest = sorted((out / "checkpoints").glob("ckpt-*"))[-1]
    (newest / "state.json").write_text("{")  # resume skips it with a CheckpointWarning

    resumed = _zoo("train", str(recipe), "--data", str(tmp_path / "data"), "--out", str(out), "--resume", "--json",
                   "train.max_steps=4")
    assert resumed.returncode == 0, resumed.stderr
    lines = [line for line in resumed.stderr.splitlines() if line.strip()]
    [line] = [line for line in lines if "skipped newer corrupt checkpoint" in line]
    assert line.startswith("warning: Resuming from ckpt-") and f"{newest.name}: state.json has 1 bytes" in line
    assert not any("CheckpointWarning" in line or "warnings.warn(" in line for line in lines)  # not Python's format
    assert json.loads(resumed.stdout)["step"] == 4  # stdout stays clean JSON


def test_the_format_and_the_zoo_log_inside_any_command(capsys, monkeypatch) -> None:
    monkeypatch.delenv("ZOO_DEBUG", raising=False)
    assert format_warning(UserWarning("3 rows skipped"), UserWarning, "/x/y.py", 7) == "warning: 3 rows skipped\n"
    monkeypatch.setenv("ZOO_DEBUG", "1")
    assert format_warning("w", UserWarning, "/x/y.py", 7) == "warning: w (UserWarning at /x/y.py:7)\n"
    monkeypatch.delenv("ZOO_DEBUG")

    before = warnings.formatwarning
    with cli_warnings():
        with cli_warnings():  # nested (main, then the group's invoke): one handler, one line
            logging.getLogger("zoo.hub").warning("Hub unreachable; using the cached copy of %s", "org/repo@main")
        assert warnings.formatwarning is format_warning
    assert warnings.formatwarning is before  # restored
    logging.getLogger("zoo.hub").warning("outside a command")  # not our handler's business any more
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "warning: Hub unreachable; using the cached copy of org/repo@main"
    assert sum("Hub unreachable" in line for line in err) == 1
    with warnings.catch_warnings(record=True) as caught, cli_warnings():
        warnings.simplefilter("always")
        warnings.warn("recorded", UserWarning)
    assert [str(w.message) for w in caught] == ["recorded"]  # recorders (pytest.warns) still see them

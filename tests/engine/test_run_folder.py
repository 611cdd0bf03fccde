"""`zoo train --out`: a file, a link or a folder already holding a run is refused before anything trains."""

import json
import os

import pytest
from toys import write_toy_recipe

from zoo.engine.runner import check_run_folder
from zoo.errors import InputError


def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_second_run_into_a_finished_folder_is_refused_and_resume_continues_it(toys, run, tmp_path):
    recipe, out = write_toy_recipe(tmp_path, checkpoint_every=2, max_steps=2), tmp_path / "run"
    assert run("train", recipe, "--data", tmp_path, "--out", out).exit_code == 0
    before = _snapshot(out)
    assert "summary.json" in before and "recipe.json" in before

    again = run("train", recipe, "--data", tmp_path, "--out", out)
    assert again.exit_code == 1
    assert f"error: {out} already holds a run (recipe.json, summary.json, publish, checkpoints)" in again.output
    assert "pass --resume to continue it" in again.output and "Traceback" not in again.output
    assert _snapshot(out) == before  # nothing appended to the log, the publish folder kept

    resumed = run("train", recipe, "--data", tmp_path, "--out", out, "--resume", "--json", "train.max_steps=4")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.output)["step"] == 4


def test_a_file_or_a_link_as_run_folder_is_refused_even_with_resume(toys, run, tmp_path):
    recipe = write_toy_recipe(tmp_path, checkpoint_every=2, max_steps=2)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    link = tmp_path / "link"
    os.symlink(tmp_path / "elsewhere", link)
    for out in (a_file, link):
        for flags in ((), ("--resume",)):
            result = run("train", recipe, "--data", tmp_path, "--out", out, *flags)
            assert result.exit_code == 1
            assert f"error: Run folder {out} is an existing file or link" in result.output
    assert a_file.read_text() == "mine" and not (tmp_path / "elsewhere").exists()


def test_a_folder_without_a_run_is_accepted(tmp_path):
    check_run_folder(tmp_path / "new", resume=False)  # does not exist yet
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    (tmp_path / "mine" / "checkpoints").mkdir()  # empty: a run killed before its first checkpoint
    check_run_folder(tmp_path / "mine", resume=False)
    (tmp_path / "loso" / "final").mkdir(parents=True)
    (tmp_path / "loso" / "final" / "metrics.jsonl").write_text("{}\n")
    with pytest.raises(InputError, match=r"already holds a run \(final\)"):
        check_run_folder(tmp_path / "loso", resume=False)  # a LOSO run's final model
    check_run_folder(tmp_path / "loso", resume=True)

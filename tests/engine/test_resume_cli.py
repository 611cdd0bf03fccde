"""`zoo train --resume` past corrupt checkpoints: a warning and a good resume, or one error line."""

import json

import pytest
from toys import write_toy_recipe

from zoo.engine import CheckpointWarning
from zoo.engine.checkpointing import list_checkpoints


def test_train_resume_skips_a_corrupt_checkpoint_or_fails_in_one_line(toys, run, tmp_path):
    recipe = write_toy_recipe(tmp_path, epochs=2, checkpoint_every=1, keep_checkpoints=3, max_steps=3)
    out = tmp_path / "run"
    assert run("train", recipe, "--data", tmp_path, "--out", out).exit_code == 0  # stops at step 3 (max_steps)
    names = [p.name for p in list_checkpoints(out)]
    assert names == ["ckpt-s000000001-e00000-b0000001", "ckpt-s000000002-e00000-b0000002", "ckpt-s000000003-e00000-b0000003"]
    (list_checkpoints(out)[-1] / "state.json").write_text("{")  # the newest: a broken sidecar

    expected = rf"Resuming from {names[1]}; skipped newer corrupt checkpoint\(s\): {names[2]}: state.json has 1 bytes"
    with pytest.warns(CheckpointWarning, match=expected):  # printed on stderr outside pytest
        resumed = run("train", recipe, "--data", tmp_path, "--out", out, "--resume", "--json", "train.max_steps=8")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.output)["step"] == 8
    assert (out / "checkpoints" / f"corrupt-{names[2]}").is_dir()

    for checkpoint in list_checkpoints(out):
        (checkpoint / "state.safetensors").write_bytes(b"\0" * 8)
    failed = run("train", recipe, "--data", tmp_path, "--out", out, "--resume")
    assert failed.exit_code == 1
    assert "error: No usable checkpoint" in failed.output and "Traceback" not in failed.output

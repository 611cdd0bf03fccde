"""Issue 16: a killed ablation resumes without retraining finished runs; --plan + collect equals a direct run."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from safetensors.torch import load_file


def _values(table):
    return {row["name"]: {m: s["values"] for m, s in row["metrics"].items()} for row in table["variants"]}


def _same_weights(a: Path, b: Path) -> bool:
    import torch

    first, second = load_file(str(a / "publish" / "model.safetensors")), load_file(str(b / "publish" / "model.safetensors"))
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def _kill_during_second_variant(command: list[str], out: Path) -> None:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 120
    try:
        while not list(out.glob("w-o-expert-b/seed-0/checkpoints/ckpt-*")):
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the second variant never wrote a checkpoint"
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()


def test_a_killed_ablation_resumes_without_retraining_and_equals_an_uninterrupted_one(direct, zoo_cli, tmp_path):
    ref, direct_out, direct_table = direct
    out = tmp_path / "killed"
    # dataset.delay slows reading (not the numbers) so that the kill lands inside a run.
    args = ["ablate", "--spec", ref, "--out", str(out), "dataset.delay=0.002"]
    _kill_during_second_variant([sys.executable, "-m", "zoo.cli.main", *args], out)
    finished = {p: p.stat().st_mtime_ns for p in out.glob("full/seed-*/**/*") if p.is_file()}
    assert len(list(out.glob("full/seed-*/summary.json"))) == 2  # the first variant had finished
    assert not (out / "w-o-expert-b" / "seed-1" / "summary.json").exists()
    interrupted = [run for run in ("seed-0", "seed-1") if not (out / "w-o-expert-b" / run / "summary.json").exists()]

    code, stdout, stderr = zoo_cli(*args, "--json")
    assert code == 0, stderr
    assert stderr.count("finished earlier, skipped") == 2 and "[3/4] w/o expert b seed 0: resuming" in stderr
    assert {p: p.stat().st_mtime_ns for p in finished} == finished  # not retrained, not rewritten
    table = json.loads(stdout)
    assert _values(table) == _values(direct_table)
    for run in interrupted:  # resumed from its checkpoint to the uninterrupted run's exact weights
        assert _same_weights(out / "w-o-expert-b" / run, direct_out / "w-o-expert-b" / run)


def test_plan_commands_then_collect_equal_the_direct_run(direct, zoo_cli, tmp_path):
    ref, direct_out, direct_table = direct
    out = tmp_path / "planned"
    code, stdout, stderr = zoo_cli("ablate", "--spec", ref, "--out", out, "--plan")
    assert code == 0, stderr
    lines = [line for line in stdout.splitlines() if line and not line.startswith("#")]
    assert len(lines) == 1 + 4 and lines[0] == f"python -m zoo_toy_models.synth {out / 'data'}"
    assert lines[1] == f"zoo train {shlex.quote(ref.rsplit(':', 1)[0].replace('specs.toml', 'toy-recipe.toml'))} " \
                       f"--data {out / 'data'} --out {out / 'full' / 'seed-0'} train.seed=0"
    assert not (out / "full").exists()  # planned, not run
    subprocess.run([sys.executable, *shlex.split(lines[0])[1:]], check=True, capture_output=True)
    for line in reversed(lines[1:]):  # any order, as a scheduler would
        words = shlex.split(line)
        assert words[:2] == ["zoo", "train"]
        code, _, stderr = zoo_cli(*words[1:])
        assert code == 0, stderr
    code, stdout, stderr = zoo_cli("ablate", "collect", out, "--json")
    assert code == 0, stderr
    table = json.loads(stdout)
    assert _values(table) == _values(direct_table) and table["missing"] == []
    assert [row["runs"] for row in table["variants"]] == [row["runs"] for row in direct_table["variants"]]
    assert (out / "ablation.md").is_file() and (out / "ablation.png").is_file()


def test_collect_reports_unfinished_runs_and_pools_plain_run_folders(direct, zoo_cli, tmp_path):
    _, direct_out, direct_table = direct
    code, stdout, stderr = zoo_cli("ablate", "collect", direct_out / "full", direct_out / "w-o-expert-b",
                                   "--out", tmp_path / "pooled", "--json")
    assert code == 0, stderr
    table = json.loads(stdout)  # no plan: variants are named by their overrides
    assert [row["name"] for row in table["variants"]] == ["reference", "model.experts.b=None"]
    assert [row["metrics"] for row in table["variants"]] == [row["metrics"] for row in direct_table["variants"]]
    assert json.loads((tmp_path / "pooled" / "ablation.json").read_text()) == table

    code, _, stderr = zoo_cli("ablate", "collect", tmp_path / "pooled")
    assert code == 1 and "No finished run" in stderr

"""torchrun with 2 gloo processes vs 1 process with the same global batch (about 15 s)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from run_toy import DATA, EVAL_DATA, RUN
from safetensors.torch import load_file
from toys import ToyData, build_toy

from zoo.engine import TrainConfig, Trainer
from zoo.engine.checkpointing import list_checkpoints
from zoo.engine.run_log import read_log

HERE = Path(__file__).parent
REPO = HERE.parent.parent


@pytest.fixture(autouse=True)
def _restore_determinism():
    yield
    torch.use_deterministic_algorithms(False)


def _torchrun_two_processes(out: Path, batch_size: int, accumulate: int) -> list[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])), "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        str(HERE / "run_toy.py"), str(out), "--batch-size", str(batch_size), "--accumulate", str(accumulate),
        "--dropout", "0", "--noise", "0",
        "--eval-metric", "mer",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-6000:]
    return [json.loads(line[5:]) for line in done.stdout.splitlines() if line.startswith("eval ")]


# Global batch 8 in both: 2 processes x 2 x 2 micro-batches (DDP + no_sync inside each group), or
# 2 processes x 4 (plain DDP, slow: the same path without accumulation). The last checkpoint
# before the end is at step 14: micro-batch 8 (of 9) or batch 4 (of 5) of the third epoch.
@pytest.mark.skipif(
    torch.cuda.is_available() and torch.cuda.device_count() < 2, reason="2 processes need 2 GPUs under nccl"
)
@pytest.mark.parametrize("batch_size, accumulate, last_mid_epoch", [
    (2, 2, "ckpt-s000000014-e00002-b0000008"),
    pytest.param(4, 1, "ckpt-s000000014-e00002-b0000004", marks=pytest.mark.slow),
])
def test_two_gloo_processes_match_one_process_with_the_same_global_batch(tmp_path, batch_size, accumulate, last_mid_epoch):
    evals = _torchrun_two_processes(tmp_path / "two", batch_size, accumulate)
    rank0 = load_file(str(tmp_path / "two" / "final-rank0.safetensors"))
    rank1 = load_file(str(tmp_path / "two" / "final-rank1.safetensors"))
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)  # DDP keeps the replicas in sync

    torch.set_num_threads(1)
    config = TrainConfig(**{**RUN, "batch_size": 8, "out_dir": str(tmp_path / "one")})
    single = Trainer(build_toy(dropout=0.0), config, train_data=ToyData(**{**DATA, "noise": 0.0}))
    single.fit()
    for key, value in single.model.state_dict().items():
        torch.testing.assert_close(rank0[key], value.cpu(), rtol=1e-5, atol=1e-6)

    # Metrics: both ranks report the counts summed over their shards (21 samples, no padding),
    # which equals a single-process evaluation of the same weights.
    model = build_toy(dropout=0.0)
    model.load_state_dict(rank0)
    model.metric = "mer"
    expected = Trainer(model, config).evaluate(ToyData(**EVAL_DATA))
    assert evals == [expected, expected]

    # Rank 0 alone logs and checkpoints.
    raw = [json.loads(line) for line in (tmp_path / "two" / "metrics.jsonl").read_text().splitlines()]
    assert [(r["kind"], r["step"]) for r in raw if r["kind"] == "step"] == [("step", 10)]  # 15 steps, log_every=10
    assert len(raw) == len(read_log(tmp_path / "two"))  # nothing written twice
    # keep_checkpoints=2: the last mid-epoch one (checkpoint_every=2) and the final one
    assert [p.name for p in list_checkpoints(tmp_path / "two")] == [last_mid_epoch, "ckpt-s000000015-e00003-b0000000"]

"""Steps per second of a small model trained by the engine: 1 process vs 2 processes (torchrun, gloo).

Each process uses one thread and the same per-process batch, so 2 processes process twice the
samples per step (weak scaling); samples/s is the fair comparison. Both runs happen in this
invocation, one after the other, on the same machine.

    .venv/bin/python benchmarks/engine_ddp_scaling.py [--steps 200] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


#: The benchmark model: zoo.testing.toys.ToyMLP as a 256-512-512-10 MLP (no l2 term).
MODEL = dict(in_dim=256, hidden=512, depth=2, classes=10, l2=0.0)
DATA = dict(in_dim=256, classes=10)


def worker(steps: int, batch_size: int) -> None:
    """Train ``steps`` steps under whatever torchrun set up; rank 0 prints the timing as JSON."""
    import torch

    from zoo.testing.toys import ToyMLP, ToyMLPConfig, random_features

    from zoo.engine import TrainConfig, Trainer
    from zoo.engine.distributed import teardown_distributed

    torch.set_num_threads(1)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    torch.manual_seed(0)
    data = random_features(steps * batch_size * world, **DATA)
    with tempfile.TemporaryDirectory() as out:
        common = dict(epochs=1, batch_size=batch_size, lr=1e-3, progress=False, num_workers=0)
        trainer = Trainer(ToyMLP(ToyMLPConfig(**MODEL)), TrainConfig(**common, out_dir=out, log_every=50), train_data=data)
        warm = TrainConfig(**common, out_dir=out + "/warm", max_steps=10)
        Trainer(ToyMLP(ToyMLPConfig(**MODEL)), warm, train_data=data).fit()  # warm-up: process group, allocator
        start = time.perf_counter()
        trainer.fit()
        elapsed = time.perf_counter() - start
    if int(os.environ.get("RANK", "0")) == 0:
        print("RESULT " + json.dumps({"world": world, "steps": trainer.position.step, "seconds": elapsed, "batch": batch_size}), flush=True)
    teardown_distributed()


def _launch(prefix: list[str], steps: int, batch_size: int) -> dict:
    command = [*prefix, str(Path(__file__).resolve()), "--worker", "--steps", str(steps), "--batch-size", str(batch_size)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    line = next(l for l in done.stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.steps, args.batch_size)
        return
    one = _launch([sys.executable], args.steps, args.batch_size)
    two = _launch([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"], args.steps, args.batch_size)
    print(f"MLP 256-512-512-10, batch {args.batch_size} per process, {args.steps} steps, synthetic data, 1 thread per process")
    for run in (one, two):
        steps_s = run["steps"] / run["seconds"]
        print(f"{run['world']} process(es): {steps_s:7.1f} steps/s  {steps_s * run['batch'] * run['world']:9.0f} samples/s")
    ratio = (two["steps"] / two["seconds"]) / (one["steps"] / one["seconds"])
    print(f"2-process / 1-process: steps/s ratio {ratio:.2f}, samples/s ratio {2 * ratio:.2f}")


if __name__ == "__main__":
    main()

"""Overhead of zoo.engine.Trainer against a hand-written loop doing the same steps, in one run.

Both train the same MLP (256-512-512-10) on the same synthetic data with AdamW, the same batch
size and the same number of steps; the Trainer also logs JSONL every ``log_every`` steps and
writes one checkpoint at the end (part of its cost). Runs alternate and the median is reported.

    .venv/bin/python benchmarks/engine_overhead.py [--steps 300] [--batch-size 64] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from _engine_bench_model import BenchMLP, synthetic_data  # noqa: E402

from zoo.engine import TrainConfig, Trainer  # noqa: E402


def hand_loop(steps: int, batch_size: int) -> float:
    torch.manual_seed(0)
    model, data = BenchMLP(), synthetic_data(steps * batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True, generator=generator)
    start = time.perf_counter()
    model.train()
    for x, y in loader:
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def engine(steps: int, batch_size: int, log_every: int) -> float:
    torch.manual_seed(0)
    model, data = BenchMLP(), synthetic_data(steps * batch_size)
    with tempfile.TemporaryDirectory() as out:
        config = TrainConfig(epochs=1, batch_size=batch_size, lr=1e-3, out_dir=out, progress=False, log_every=log_every)
        trainer = Trainer(model, config, train_data=data)
        start = time.perf_counter()
        trainer.fit()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    hand_loop(20, args.batch_size)  # warm-up (allocator, kernels)
    hand, ours = [], []
    for _ in range(args.repeats):
        hand.append(hand_loop(args.steps, args.batch_size))
        ours.append(engine(args.steps, args.batch_size, args.log_every))
    hand_s, ours_s = statistics.median(hand), statistics.median(ours)
    print(f"steps={args.steps} batch={args.batch_size} threads={args.threads} repeats={args.repeats} (synthetic data)")
    print(f"hand-written loop: {hand_s:.3f} s  ({args.steps / hand_s:.1f} steps/s)")
    print(f"zoo Trainer:       {ours_s:.3f} s  ({args.steps / ours_s:.1f} steps/s)")
    print(f"Trainer / hand-written time ratio: {ours_s / hand_s:.3f}  (overhead {100 * (ours_s / hand_s - 1):+.1f}%)")


if __name__ == "__main__":
    main()

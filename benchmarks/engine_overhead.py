"""Overhead of zoo.engine.Trainer against a hand-written PyTorch loop doing the same steps, in one run.

Both train the same MLP (zoo.testing.toys.ToyMLP, 256-512-512-10) on the same synthetic data with
AdamW, the same micro-batch size and the same number of micro-batches, loading in the training
process (num_workers=0) in both. Settings: fp32; fp32 with ``accumulate=2`` (the hand loop
divides the loss by 2 and steps every second batch); bf16 autocast (the hand loop wraps the
forward in ``torch.autocast``). The Trainer also logs JSONL every ``log_every`` steps and writes
its checkpoint at the end (part of its cost). Runs alternate and the median is reported.

    .venv/bin/python benchmarks/engine_overhead.py [--batches 300] [--batch-size 64] [--repeats 5]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time

import torch
from torch import nn

from zoo.engine import TrainConfig, Trainer
from zoo.testing.toys import ToyMLP, ToyMLPConfig, random_features

MODEL = ToyMLPConfig(in_dim=256, hidden=512, depth=2, classes=10, l2=0.0)
#: name -> (TrainConfig fields, hand loop: accumulate, autocast dtype)
SETTINGS = {
    "fp32": ({}, 1, None),
    "fp32, accumulate=2": ({"accumulate": 2}, 2, None),
    "bf16 autocast": ({"precision": "bf16"}, 1, torch.bfloat16),
}


def hand_loop(batches: int, batch_size: int, accumulate: int, dtype: torch.dtype | None) -> float:
    torch.manual_seed(0)
    model, data = ToyMLP(MODEL), random_features(batches * batch_size, MODEL.in_dim, MODEL.classes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True, generator=generator)
    autocast = (lambda: torch.autocast("cpu", dtype=dtype)) if dtype is not None else contextlib.nullcontext
    start = time.perf_counter()
    model.train()
    for index, (x, y) in enumerate(loader):
        if index % accumulate == 0:
            optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = nn.functional.cross_entropy(model(x), y)
        (loss.float() / accumulate).backward()
        if (index + 1) % accumulate == 0:
            optimizer.step()
    return time.perf_counter() - start


def engine(batches: int, batch_size: int, log_every: int, fields: dict) -> float:
    torch.manual_seed(0)
    model, data = ToyMLP(MODEL), random_features(batches * batch_size, MODEL.in_dim, MODEL.classes)
    with tempfile.TemporaryDirectory() as out:
        config = TrainConfig(
            epochs=1, batch_size=batch_size, lr=1e-3, out_dir=out, progress=False, log_every=log_every,
            num_workers=0, **fields,
        )
        trainer = Trainer(model, config, train_data=data)
        start = time.perf_counter()
        trainer.fit()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300, help="micro-batches per run")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=float, default=1.05, help="exit 1 if an fp32 ratio exceeds this")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"ToyMLP 256-512-512-10, {args.batches} micro-batches of {args.batch_size}, threads={args.threads}, "
          f"median of {args.repeats} alternating runs (synthetic data)")
    worst = 0.0
    for name, (fields, accumulate, dtype) in SETTINGS.items():
        hand_loop(20, args.batch_size, accumulate, dtype)  # warm-up (allocator, kernels)
        engine(20, args.batch_size, args.log_every, fields)
        hand, ours = [], []
        for _ in range(args.repeats):
            hand.append(hand_loop(args.batches, args.batch_size, accumulate, dtype))
            ours.append(engine(args.batches, args.batch_size, args.log_every, fields))
        hand_s, ours_s = statistics.median(hand), statistics.median(ours)
        ratio = ours_s / hand_s
        if dtype is None:
            worst = max(worst, ratio)
        print(f"{name:20s} hand-written {hand_s:6.3f} s ({args.batches / hand_s:6.1f} batches/s)   "
              f"Trainer {ours_s:6.3f} s ({args.batches / ours_s:6.1f} batches/s)   ratio {ratio:.3f}")
    print(f"worst fp32 Trainer / hand-written time ratio: {worst:.3f} (limit {args.limit})")
    raise SystemExit(0 if worst <= args.limit else 1)


if __name__ == "__main__":
    main()

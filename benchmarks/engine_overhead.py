"""Per-step overhead of zoo.engine.Trainer against a hand-written PyTorch loop doing the same steps, in one run.

Both train the same MLP (zoo.testing.toys.ToyMLP, 256-512-512-10) on the same synthetic data with
AdamW, the same micro-batch size and the same number of micro-batches, loading in the training
process (num_workers=0) in both. Settings: fp32; fp32 with ``accumulate=2`` (the hand loop
divides the loss by 2 and steps every second batch); bf16 autocast (the hand loop wraps the
forward in ``torch.autocast``). The Trainer also logs JSONL every ``log_every`` steps and writes
its verified checkpoint at the end.

Per-step time is the slope between a short and a long run (``--batches`` and 4x as many), so the
fixed costs (the final checkpoint, loader set-up) fall out of it; they are printed apart as the
Trainer's fixed cost. Runs alternate (hand, Trainer, short, long); ratios are medians of the ratios
within each repeat (the two sides of a ratio ran back to back, under the same load). The
clock is this process's CPU time by default (``--clock cpu``; one thread, loading in-process), which
other jobs on a shared machine disturb far less than wall time; ``--clock wall`` measures wall time.

    .venv/bin/python benchmarks/engine_overhead.py [--batches 100] [--batch-size 64] [--repeats 7]
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

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]
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
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)  # TrainConfig's default
    generator = torch.Generator().manual_seed(0)
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True, generator=generator)
    autocast = (lambda: torch.autocast("cpu", dtype=dtype)) if dtype is not None else contextlib.nullcontext
    start = clock()
    model.train()
    for index, (x, y) in enumerate(loader):
        if index % accumulate == 0:
            optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = nn.functional.cross_entropy(model(x), y)
        (loss.float() / accumulate).backward()
        if (index + 1) % accumulate == 0:
            optimizer.step()
    return clock() - start


def engine(batches: int, batch_size: int, log_every: int, fields: dict) -> float:
    torch.manual_seed(0)
    model, data = ToyMLP(MODEL), random_features(batches * batch_size, MODEL.in_dim, MODEL.classes)
    with tempfile.TemporaryDirectory() as out:
        config = TrainConfig(
            epochs=1, batch_size=batch_size, lr=1e-3, out_dir=out, progress=False, log_every=log_every,
            num_workers=0, **fields,
        )
        trainer = Trainer(model, config, train_data=data)
        start = clock()
        trainer.fit()
        return clock() - start


def _paired(runs: dict[str, list[float]], batches: int) -> tuple[float, float, float, float]:
    """Per micro-batch seconds (hand, ours), their ratio and the Trainer's fixed cost.

    Each repeat ran hand and Trainer back to back at both lengths, so a repeat's two slopes saw the
    same machine load: the ratio is the median of the per-repeat slope ratios.
    """
    slopes = {k: [(b - a) / (3 * batches) for a, b in zip(runs[k], runs[k + "4"])] for k in ("hand", "ours")}
    ratio = statistics.median(o / h for o, h in zip(slopes["ours"], slopes["hand"]))
    ours_step = statistics.median(slopes["ours"])
    return statistics.median(slopes["hand"]), ours_step, ratio, statistics.median(runs["ours"]) - ours_step * batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=100, help="micro-batches of the short run (the long: 4x)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=float, default=1.05, help="exit 1 if an fp32 per-step ratio exceeds this")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    torch.set_num_threads(args.threads)
    n = args.batches
    print(f"ToyMLP 256-512-512-10, micro-batches of {args.batch_size}, runs of {n} and {4 * n} micro-batches, "
          f"threads={args.threads}, {args.clock} time, medians of {args.repeats} alternating runs (synthetic data)")
    worst = 0.0
    for name, (fields, accumulate, dtype) in SETTINGS.items():
        hand_loop(20, args.batch_size, accumulate, dtype)  # warm-up (allocator, kernels)
        engine(20, args.batch_size, args.log_every, fields)
        runs: dict[str, list[float]] = {"hand": [], "ours": [], "hand4": [], "ours4": []}
        for _ in range(args.repeats):
            for length, suffix in ((n, ""), (4 * n, "4")):
                runs["hand" + suffix].append(hand_loop(length, args.batch_size, accumulate, dtype))
                runs["ours" + suffix].append(engine(length, args.batch_size, args.log_every, fields))
        hand_step, ours_step, ratio, ours_fixed = _paired(runs, n)
        total = statistics.median(o / h for o, h in zip(runs["ours4"], runs["hand4"]))
        if dtype is None:
            worst = max(worst, ratio)
        print(f"{name:20s} per micro-batch: hand-written {1e3 * hand_step:6.2f} ms, Trainer {1e3 * ours_step:6.2f} ms, "
              f"ratio {ratio:.3f}   | {4 * n}-batch run: ratio {total:.3f}, Trainer fixed cost {1e3 * ours_fixed:5.0f} ms")
    print(f"worst fp32 per-step Trainer / hand-written ratio: {worst:.3f} (limit {args.limit})")
    raise SystemExit(0 if worst <= args.limit else 1)


if __name__ == "__main__":
    main()

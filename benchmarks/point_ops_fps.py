"""Farthest-point sampling: ``zoo_point_ops.ops`` vs the reference pure-PyTorch PointNet++ FPS, one run.

For B clouds of N uniform random points in the unit cube (synthetic), ``npoint`` centres from start
index 0: both implementations run on the same inputs, the indices are compared (they must be
identical) and the speed-up is printed, for one thread and for two threads
(``torch.set_num_threads``; our CPU loop is compiled and single-threaded either way; it is compiled once before timing).

Times are the best of ``--repeats`` calls. With one thread the ratio uses CPU time
(``time.process_time``), which a shared machine's other processes do not inflate; with two
threads it uses wall time (CPU time would add the threads up). Both clocks are printed.

Usage: ``python benchmarks/point_ops_fps.py [--sizes 1024 4096 16384] [--npoints 512 1024] [--batch 8]``
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import time
from pathlib import Path

import torch

from zoo_point_ops import ops

_REF = Path(__file__).resolve().parents[1] / "plugins/point_ops/tests/pointnet2_reference.py"
_spec = importlib.util.spec_from_file_location("pointnet2_reference", _REF)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def _best(fn, repeats):
    """``(best wall seconds, best CPU seconds, last output)`` over ``repeats`` calls."""
    wall, cpu, out = float("inf"), float("inf"), None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, time.process_time() - c0)
    return wall, cpu, out


def run_case(batch, n, npoint, repeats, threads):
    gen = torch.Generator().manual_seed(n * 31 + npoint)
    xyz = torch.rand(batch, n, 3, generator=gen)
    start = torch.zeros(batch, dtype=torch.long)
    ref_wall, ref_cpu, ref_idx = _best(lambda: ref.farthest_point_sample(xyz, npoint, start), repeats)
    our_wall, our_cpu, idx = _best(lambda: ops.farthest_point_sample(xyz, npoint, start), repeats)
    ratio = ref_cpu / our_cpu if threads == 1 else ref_wall / our_wall
    return torch.equal(idx, ref_idx), (ref_wall, ref_cpu), (our_wall, our_cpu), ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096, 8192, 16384])
    parser.add_argument("--npoints", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many calls, for both")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"B={args.batch}, fp32, start 0; {platform.processor() or platform.machine()}, "
          f"cpu_count={os.cpu_count()}, load average {load:.1f}; torch {torch.__version__}")
    start = time.perf_counter()
    ops.farthest_point_sample(torch.rand(1, 16, 3), 4)  # compile (or read numba's on-disk cache) once
    print(f"first call, compile or cache load: {time.perf_counter() - start:.2f} s (not in the timings)")
    print("threads      N  npoint  identical | reference wall / cpu    | ours wall / cpu        | speed-up")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for n in args.sizes:
            for npoint in args.npoints:
                same, (rw, rc), (ow, oc), ratio = run_case(args.batch, n, npoint, args.repeats, threads)
                clock = "cpu" if threads == 1 else "wall"
                print(f"{threads:7d} {n:6d} {npoint:7d} {str(same):>10} | {rw:7.4f} s / {rc:7.4f} s | "
                      f"{ow:7.4f} s / {oc:7.4f} s | {ratio:5.1f}x ({clock})", flush=True)


if __name__ == "__main__":
    main()

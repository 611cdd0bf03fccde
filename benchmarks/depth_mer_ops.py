"""The point ops Depth-MER's PointNet++ uses (``zoo_point_ops.ops``) vs the straightforward pure-PyTorch
PointNet++ algorithm, same run.

For B=8 clouds of N uniform points in the unit cube (synthetic), npoint FPS centres (start index 0)
and a ball query of radius 0.2 with nsample=32, it times farthest-point sampling, the ball query
and the whole sample-and-group step (FPS + ball query + grouping of xyz and 3 feature channels),
checks that our indices and groups are identical to the reference's, and prints the speed-up (best
of ``--repeats`` runs for both). Runs with one thread and with all threads; with one thread the
times are CPU time (``time.process_time``, not inflated by other processes on a shared machine),
with more threads wall time. ``benchmarks/point_ops_fps.py`` measures FPS alone over more sizes.

Usage: ``python benchmarks/depth_mer_ops.py [--sizes 1024 4096 16384] [--npoints 512 1024]``
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from pathlib import Path

import torch

from zoo_point_ops import ops

_REF = Path(__file__).resolve().parents[1] / "plugins/point_ops/tests/pointnet2_reference.py"
_spec = importlib.util.spec_from_file_location("pointnet2_reference", _REF)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

RADIUS, NSAMPLE, BATCH = 0.2, 32, 8


CLOCK = time.process_time  # set per thread count in main()


def _best(fn, repeats):
    best, out = float("inf"), None
    for _ in range(repeats):
        start = CLOCK()
        out = fn()
        best = min(best, CLOCK() - start)
    return best, out


def _ours_sample_and_group(xyz, feats, npoint, start):
    idx = ops.farthest_point_sample(xyz, npoint, start)
    centres = ops.gather_points(xyz, idx)
    ball = ops.ball_query(RADIUS, NSAMPLE, xyz, centres)
    return idx, ball, ops.group(xyz, centres, ball, feats)


def run_case(n, npoint, repeats):
    gen = torch.Generator().manual_seed(n + npoint)
    xyz = torch.rand(BATCH, n, 3, generator=gen)
    feats = torch.randn(BATCH, n, 3, generator=gen)
    start = torch.zeros(BATCH, dtype=torch.long)
    t_ref_fps, ref_idx = _best(lambda: ref.farthest_point_sample(xyz, npoint, start), repeats)
    t_fps, idx = _best(lambda: ops.farthest_point_sample(xyz, npoint, start), repeats)
    centres = ref.index_points(xyz, ref_idx)
    t_ref_bq, ref_ball = _best(lambda: ref.query_ball_point(RADIUS, NSAMPLE, xyz, centres), repeats)
    t_bq, ball = _best(lambda: ops.ball_query(RADIUS, NSAMPLE, xyz, centres), repeats)
    t_ref_all, (_, ref_group, _, _) = _best(lambda: ref.sample_and_group(npoint, RADIUS, NSAMPLE, xyz, feats, start)[:4], repeats)
    t_all, (_, _, group) = _best(lambda: _ours_sample_and_group(xyz, feats, npoint, start), repeats)
    same = torch.equal(idx, ref_idx) and torch.equal(ball, ref_ball) and torch.equal(group, ref_group)
    return same, (t_ref_fps, t_fps), (t_ref_bq, t_bq), (t_ref_all, t_all)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096, 16384])
    parser.add_argument("--npoints", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs, for both")
    args = parser.parse_args()
    all_threads = os.cpu_count() or 1
    print(f"B={BATCH}, radius={RADIUS}, nsample={NSAMPLE}, fp32, cpu_count={all_threads}")
    print("threads      N  npoint  identical | FPS ref/ours (x)       | ball query ref/ours (x)  | sample+group ref/ours (x)"
          "   (1 thread: CPU time; more: wall time)")
    global CLOCK
    for threads in sorted({1, all_threads}):
        torch.set_num_threads(threads)
        CLOCK = time.process_time if threads == 1 else time.perf_counter
        for n in args.sizes:
            for npoint in args.npoints:
                same, *timings = run_case(n, npoint, args.repeats)
                cells = [f"{r:7.3f}/{o:6.3f} s ({r / o:5.1f}x)" for r, o in timings]
                print(f"{threads:7d} {n:6d} {npoint:7d} {str(same):>10} | " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()

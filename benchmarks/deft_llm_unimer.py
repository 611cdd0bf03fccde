"""Uni-MER builder throughput on CPU: clips per second, ours vs full-resolution flow, same run.

Data: the SYNTHETIC CASME II-layout set (deft_llm synth, seed 0), each 240² frame placed on a
640×480 canvas (CASME II's frame size) at 1.5× so that the face is CASME II-sized.
Ours: Haar face + eyes on the onset frame, similarity alignment of onset and apex to 128² crops,
TV-L1 (fast settings) on the crops, region motion, dual constraint. Baseline: OpenCV's default
TV-L1 on the full 640×480 frames (then the same alignment and constraint on the warped flow is
omitted: the baseline's flow alone is timed, which favours the baseline).
Also timed: OpenCV-default TV-L1 on the 128² crops, and DIS on the crops.

Run: .venv/bin/python benchmarks/deft_llm_unimer.py [--clips 40] [--baseline-clips 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def canvas(frame: np.ndarray) -> np.ndarray:
    big = cv2.resize(frame, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)
    out = np.full((480, 640, 3), 90, np.uint8)
    y, x = (480 - big.shape[0]) // 2, (640 - big.shape[1]) // 2
    out[y:y + big.shape[0], x:x + big.shape[1]] = big
    return out


def load_pairs(clips: int) -> list[tuple[np.ndarray, np.ndarray, str]]:
    from zoo_deft_llm.synth import SynthOptions, generate
    from zoo_mer_data.casme2 import list_clips

    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, SynthOptions(subjects=max(1, clips // 10), clips_per_subject=10, seed=0, extra_fear_row=False))
        return [(canvas(cv2.imread(c.onset_path)), canvas(cv2.imread(c.apex_path)), c.aus) for c in list_clips(tmp)[:clips]]


def ours(pairs, flow_method: str) -> tuple[float, float]:
    from zoo_deft_llm.facs import load_table, parse_aus
    from zoo_deft_llm.preprocess import prepare_clip
    from zoo_deft_llm.regions import measure_regions
    from zoo_deft_llm.unimer.constraint import apply_dual_constraint

    table = load_table()
    start, cpu = time.perf_counter(), time.process_time()
    for onset, apex, aus in pairs:
        prepared = prepare_clip(onset, apex, 128, flow_method)
        motions, noise = measure_regions(prepared.flow, table)
        apply_dual_constraint(parse_aus(aus), motions, noise, table)
    return len(pairs) / (time.perf_counter() - start), len(pairs) / (time.process_time() - cpu)


def _one(pair) -> int:
    from zoo_deft_llm.facs import load_table, parse_aus
    from zoo_deft_llm.preprocess import prepare_clip
    from zoo_deft_llm.regions import measure_regions
    from zoo_deft_llm.unimer.constraint import apply_dual_constraint

    cv2.setNumThreads(1)
    onset, apex, aus = pair
    table = load_table()
    motions, noise = measure_regions(prepare_clip(onset, apex, 128, "tvl1").flow, table)
    return len(apply_dual_constraint(parse_aus(aus), motions, noise, table).kept)


def ours_parallel(pairs, workers: int) -> tuple[float, float]:
    """As ``zoo unimer build --workers N``: clips are independent, one process per core."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.map(_one, pairs[:workers])  # warm-up: imports and cascades in every worker
        start = time.perf_counter()
        pool.map(_one, pairs, chunksize=4)
        return len(pairs) / (time.perf_counter() - start), float("nan")


def full_resolution_baseline(pairs) -> tuple[float, float]:
    from zoo_deft_llm.flow import compute_flow

    start, cpu = time.perf_counter(), time.process_time()
    for onset, apex, _ in pairs:
        compute_flow(onset, apex, "tvl1-full")
    return len(pairs) / (time.perf_counter() - start), len(pairs) / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=40)
    parser.add_argument("--baseline-clips", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (1: the per-process figure)")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    pairs = load_pairs(args.clips)
    ours(pairs[:2], "tvl1")  # warm-up: cascade loading
    rows = {
        "ours: align 128² + TV-L1 (fast) + regions + constraint": ours(pairs, "tvl1"),
        "ours, 2 processes (zoo unimer build --workers 2)": ours_parallel(pairs, 2),
        "ours with OpenCV-default TV-L1 on 128² crops": ours(pairs[: max(4, len(pairs) // 4)], "tvl1-full"),
        "ours with DIS on 128² crops": ours(pairs, "dis"),
        "baseline: OpenCV-default TV-L1 on full 640×480 frames (flow only)": full_resolution_baseline(pairs[: args.baseline_clips]),
    }
    print(f"data: SYNTHETIC CASME II-layout clips on 640×480 canvases ({len(pairs)} clips); OpenCV threads {args.threads}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (a shared machine: wall clock includes waiting for a core)")
    print("  wall clips/s   CPU clips/s  (clips per second of this process's CPU time)")
    for name, (wall, cpu) in rows.items():
        print(f"{wall:12.2f} {cpu:13.2f}  {name}")
    baseline = rows["baseline: OpenCV-default TV-L1 on full 640×480 frames (flow only)"]
    ours_rate = rows["ours: align 128² + TV-L1 (fast) + regions + constraint"]
    print(f"ratio ours / baseline: {ours_rate[0] / baseline[0]:.1f}× wall, {ours_rate[1] / baseline[1]:.1f}× CPU  "
          f"(target ≥ 20 clips/s: wall {'met' if ours_rate[0] >= 20 else 'NOT met'}, CPU {'met' if ours_rate[1] >= 20 else 'NOT met'})")


if __name__ == "__main__":
    main()

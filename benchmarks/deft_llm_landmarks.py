"""Uni-MER's dual constraint against known motion, with and without landmarks, in one run.

Data: the SYNTHETIC set of ``zoo deft-llm make-synth`` (seed 0, 8 subjects × 10 clips + one fear
clip; real face photographs: scikit-image's astronaut, matplotlib's Grace Hopper, LFW faces),
whose planted motion is known (``planted_motion.json``). For each clip the builder keeps a labelled
AU only if the flow in its regions confirms it; kept AUs are scored against the animated ones:
precision = kept-and-animated / kept, recall = kept-and-animated / animated (labelled decoys that
were not animated are the negatives).

Ours: dlib 68 landmarks (eye-corner alignment, landmark-anchored regions). Baseline: Haar cascades
(eyes, box or central square) and the FACS table's fixed boxes. Also timed: the builder's
clips/s for each (the landmark detector is the extra cost).

Run: .venv/bin/python benchmarks/deft_llm_landmarks.py [--subjects 8]   (dlib: `make setup`)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=8)
    args = parser.parse_args()
    from zoo_deft_llm import landmarks
    from zoo_deft_llm.sources import list_clips
    from zoo_deft_llm.synth import SynthOptions, generate
    from zoo_deft_llm.unimer.builder import BuildOptions, build_records
    from zoo_deft_llm.unimer.score import read_planted, score_records

    if not landmarks.available():
        raise SystemExit("dlib-bin + face-recognition-models are not installed: run `make setup`.")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "synth"
        generate(root, SynthOptions(subjects=args.subjects, clips_per_subject=10, seed=0))
        clips, planted = list_clips("casme2", root), read_planted(root)
        rows = {}
        for name, mode in (("Haar + fixed boxes (baseline)", "none"), ("dlib landmarks (ours)", "dlib")):
            start = time.perf_counter()
            records = [r for r, _, _ in build_records(clips, BuildOptions(landmarks=mode))]
            rows[name] = {**score_records(records, planted), "clips_per_s": len(records) / (time.perf_counter() - start)}
    print(f"SYNTHETIC clips: {len(clips)} (make-synth seed 0, {args.subjects} subjects)")
    print("| regions | precision | recall | TP | FP | FN | TN (decoys rejected) | alignment | clips/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['tp']} | {r['fp']} | {r['fn']} | {r['tn']} | "
              f"{r['alignment']} | {r['clips_per_s']:.1f} |")
    base, ours = rows["Haar + fixed boxes (baseline)"], rows["dlib landmarks (ours)"]
    print(f"recall ratio ours/baseline: {ours['recall'] / base['recall']:.2f}; "
          f"speed ratio: {ours['clips_per_s'] / base['clips_per_s']:.2f}")
    for name, r in rows.items():
        missed = {au: c for au, c in r["per_au"].items() if c.get("fn") or c.get("fp")}
        print(f"{name}: AUs with misses or false positives: {missed}")


if __name__ == "__main__":
    main()

"""Seeded synthetic blobs on disk (the core's ablation and card tests): ``python -m zoo_toy_models.synth OUT``.

Writes ``OUT/train.csv`` and ``OUT/test.csv`` (one row per item: subject, label, features) and the
``SYNTHETIC.json`` marker. numpy only, so generating data does not import torch.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from zoo.sdk import write_synthetic_marker

GENERATOR = "python -m zoo_toy_models.synth"


def make_blobs(out: str | Path, seed: int = 0, size: int = 48, in_features: int = 8, classes: int = 3,
               subjects: int = 4, spread: float = 1.5) -> Path:
    """Write ``size`` train and ``size // 2`` test items of ``classes`` Gaussian blobs into ``out``.

    Returns:
        The folder written.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, in_features)) * 2.0
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    for split, count in (("train", size), ("test", size // 2)):
        labels = np.arange(count) % classes
        features = centres[labels] + spread * rng.normal(size=(count, in_features))
        rows = [
            ",".join([f"s{i % subjects}", str(int(label)), *(f"{v:.6f}" for v in row)])
            for i, (label, row) in enumerate(zip(labels, features))
        ]
        (root / f"{split}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    write_synthetic_marker(root, generator=GENERATOR, seed=seed, size=size, in_features=in_features,
                           classes=classes, subjects=subjects, spread=spread)
    return root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=48)
    args = parser.parse_args(argv)
    print(make_blobs(args.out, seed=args.seed, size=args.size))


if __name__ == "__main__":
    main()

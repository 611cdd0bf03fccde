"""``zoo depth-mer …`` commands: write the synthetic CAS(ME)^3 sample, train the synthetic checkpoint."""

from __future__ import annotations

import json

import click


@click.group("depth-mer")
def depth_mer() -> None:
    """Depth-MER: micro-expressions from depth point clouds (synthetic data and checkpoint)."""


@depth_mer.command("make-synth")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--subjects", default=6, show_default=True, help="synthetic subjects")
@click.option("--clips", "clips_per_subject", default=12, show_default=True, help="clips per subject (<= 13)")
@click.option("--seed", default=0, show_default=True)
@click.option("--layout", type=click.Choice(["frames", "clip"]), default="frames", show_default=True,
              help="RGB/…/color + depth/…/depth, or Part_A_ME_clip/{frame,depth}")
@click.option("--quirks/--no-quirks", default=True, show_default=True, help="plant the real label file's quirks")
def make_synth(out: str, subjects: int, clips_per_subject: int, seed: int, layout: str, quirks: bool) -> None:
    """Write a seeded synthetic CAS(ME)^3 Part A sample (labels, RGB, 16-bit depth) to OUT."""
    from zoo_depth_mer.synth_writer import make_synthetic

    summary = make_synthetic(out, subjects, clips_per_subject, seed, layout=layout, quirks=quirks)
    emotions: dict[str, int] = {}
    for clip in summary.clips:
        emotions[clip.emotion] = emotions.get(clip.emotion, 0) + 1
    click.echo(json.dumps({"root": str(summary.root), "label_file": str(summary.label_file),
                           "clips": len(summary.clips), "emotions": emotions, "quirks": summary.quirks}, indent=2))


@depth_mer.command("train-synth")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--data", "data_root", default=None, help="synthetic data folder (generated if missing)")
@click.option("--epochs", default=40, show_default=True)
@click.option("--folds", default=3, show_default=True, help="LOSO test subjects (0 = all)")
@click.option("--variants", default=None, help="comma-separated subset of the compared networks")
@click.option("--threads", default=1, show_default=True)
def train_synth(out_dir: str, data_root: str | None, epochs: int, folds: int, variants: str | None, threads: int) -> None:
    """Reproduce depth-mer-synth: LOSO of every compared network, then the final checkpoint in OUT_DIR."""
    from pathlib import Path

    from zoo_depth_mer.synth_recipe import run, save_checkpoint

    data = data_root or str(Path(out_dir) / "data")
    results = run(out_dir, data, epochs=epochs, loso_folds=folds or None,
                  variants=variants.split(",") if variants else None, threads=threads)
    final = results.pop("final")
    save_checkpoint(final, results, Path(out_dir) / "depth-mer-synth", data, epochs, folds or None)
    click.echo(json.dumps(results, indent=2))

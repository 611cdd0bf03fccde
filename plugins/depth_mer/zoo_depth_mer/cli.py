"""``zoo depth-mer ...``: the plugin's verbs (click only at import; each verb imports what it needs).

Bad input is a :class:`zoo.sdk.InputError` (the ``zoo`` CLI prints ``error: ...`` and exits 1) or
a click usage error (exit 2); nothing is half-written: every verb builds its output in a
temporary folder that is renamed when complete.
"""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("depth-mer")
def depth_mer() -> None:
    """Depth-MER: micro-expressions from depth point clouds (synthetic data and checkpoint)."""


@depth_mer.command("make-synth")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--subjects", default=10, show_default=True, type=click.IntRange(2, 999), help="Synthetic subjects.")
@click.option("--clips", "clips_per_subject", default=13, show_default=True, type=click.IntRange(1, 13),
              help="Clips per subject (Filename a..m).")
@click.option("--seed", default=0, show_default=True, help="Random seed (same seed, same files).")
@click.option("--layout", type=click.Choice(["frames", "clip"]), default="frames", show_default=True,
              help="RGB/…/color + depth/…/depth, or Part_A_ME_clip/{frame,depth}.")
@click.option("--quirks/--no-quirks", default=True, show_default=True, help="Plant the real label file's quirks.")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
def make_synth(out: Path, subjects: int, clips_per_subject: int, seed: int, layout: str, quirks: bool,
               overwrite: bool) -> None:
    """Write a seeded synthetic CAS(ME)^3 Part A sample (labels, RGB, 16-bit depth, SYNTHETIC.json) into OUT."""
    from zoo_depth_mer.synth import make_synthetic

    summary = make_synthetic(out, subjects, clips_per_subject, seed, layout=layout, quirks=quirks, overwrite=overwrite)
    emotions: dict[str, int] = {}
    for clip in summary.clips:
        emotions[clip.emotion] = emotions.get(clip.emotion, 0) + 1
    click.echo(json.dumps({"root": str(summary.root), "label_file": str(summary.label_file), "clips": len(summary.clips),
                           "emotions": emotions, "quirks": summary.quirks,
                           "train": f"zoo train depth-mer-synth --data {summary.root}"}, indent=2))


@depth_mer.command("train-synth")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--data", type=click.Path(path_type=Path), default=None,
              help="Synthetic data from `zoo depth-mer make-synth` (default: generated into OUT/ablation/data).")
@click.option("--seeds", default=None, help="Comma-separated seeds (default: the spec's, 0,1,2).")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 256),
              help="torch CPU threads (fixed: the same number gives the same numbers on one machine).")
def train_synth(out: Path, data: Path | None, seeds: str | None, threads: int) -> None:
    """Run the paper's comparison (depth-mer:paper, every variant x seed) into OUT/ablation and write OUT/depth-mer-synth.

    Never writes into the installed package: to ship the checkpoint, copy OUT/depth-mer-synth into
    zoo_depth_mer/checkpoints/ and paste the printed entry into catalog.toml.
    """
    from zoo.sdk import InputError
    from zoo_depth_mer.train_synth import train_synthetic

    try:
        seed_list = [int(s) for s in seeds.split(",")] if seeds else None
    except ValueError:
        raise InputError(f"--seeds must be comma-separated integers like 0,1,2, got {seeds!r}.") from None
    result = train_synthetic(out, data=data, seeds=seed_list, echo=click.echo, threads=threads)
    click.echo(f"\n{result.table}\ncheckpoint: {result.checkpoint}\n")
    click.echo("To ship it, copy that folder to zoo_depth_mer/checkpoints/ and put this entry into catalog.toml:\n")
    click.echo(result.entry)

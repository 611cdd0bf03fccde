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

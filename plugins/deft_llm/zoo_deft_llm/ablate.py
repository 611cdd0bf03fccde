"""Ablations in one command: train and score each variant of a base config, write a markdown table."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from zoo.config import merge_overrides
from zoo.errors import InputError


def parse_swaps(swaps: tuple[str, ...] | list[str]) -> dict[str, dict[str, Any]]:
    """``["experts.texture=expert/raw-apex", "experts.motion=none"]`` → one variant per swap.

    Raises:
        InputError: if a swap is not ``key=value``.
    """
    variants: dict[str, dict[str, Any]] = {}
    for swap in swaps:
        key, sep, value = swap.partition("=")
        if not sep or not key:
            raise InputError(f"Bad --swap {swap!r}; expected KEY=VALUE, e.g. experts.texture=expert/raw-apex or experts.motion=none.")
        parsed: Any = None if value.strip().lower() in {"none", "null", "off"} else value.strip()
        variants[swap] = {key.strip(): parsed}
    return variants


def run_variants(base_config: dict[str, Any], variants: dict[str, dict[str, Any]], train, test, workdir: Path,
                 train_config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Train and score every variant (each: base config + its overrides); returns scores and models."""
    from zoo_deft_llm.train import train_and_score

    results = {}
    for name, overrides in variants.items():
        config = merge_overrides(base_config, overrides)
        start = time.perf_counter()
        safe = "".join(c if c.isalnum() else "_" for c in name)
        model, scores = train_and_score(config, train, test, str(workdir / safe), **train_config)
        results[name] = {**scores, "model": model, "seconds": time.perf_counter() - start}
    return results


def markdown_table(results: dict[str, dict[str, Any]], measured_on: str) -> str:
    """The ablation table: UF1/UAR of both readings per variant, and what it was measured on."""
    lines = [f"Measured on: {measured_on}", "",
             "| variant | UF1 (head) | UAR (head) | UF1 (generated) | UAR (generated) | train s |",
             "|---|---|---|---|---|---|"]
    for name, r in results.items():
        generated = r.get("generated", {})
        lines.append(f"| {name} | {r['head']['uf1']:.3f} | {r['head']['uar']:.3f} | "
                     f"{generated.get('uf1', float('nan')):.3f} | {generated.get('uar', float('nan')):.3f} | {r['seconds']:.0f} |")
    return "\n".join(lines) + "\n"

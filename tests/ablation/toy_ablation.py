"""A tiny recipe (the toy plugin's fusion model on its seeded CSV blobs) and its ablation spec."""

from __future__ import annotations

from pathlib import Path

RECIPE = """
model = "model/toy-fusion"
[config]
classes = 3
[dataset]
name = "dataset/toy-blobs"
[eval_dataset]
name = "dataset/toy-blobs"
config = { split = "test" }
[train]
epochs = 3
batch_size = 8
lr = 0.05
deterministic = true
checkpoint_every = 2
keep_checkpoints = 2
num_workers = 0
progress = false
"""

SPEC = """
[ablations.toy]
recipe = "toy-recipe.toml"
make_data = "python -m zoo_toy_models.synth {data}"
seeds = [0, 1]
summary = "Toy fusion: both experts vs expert b switched off (synthetic blobs)"
[ablations.toy.variants]
"full" = []
"w/o expert b" = ["model.experts.b=None"]
"""


def write_spec(folder: Path) -> str:
    """Write the recipe and the spec into ``folder``; returns the spec reference ``FILE.toml:toy``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "toy-recipe.toml").write_text(RECIPE, encoding="utf-8")
    (folder / "specs.toml").write_text(SPEC, encoding="utf-8")
    return f"{folder / 'specs.toml'}:toy"


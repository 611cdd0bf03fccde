"""Registers the toy components (imports nothing heavy)."""

from pathlib import Path

import zoo


@zoo.hookimpl
def zoo_register_components(register):
    register("expert/toy-mean", "zoo_toy_models.components:MeanExpert", summary="Mean-pooled linear tokens")
    register("head/toy-linear", "zoo_toy_models.components:LinearHead", summary="Linear classifier")
    register("model/toy-fusion", "zoo_toy_models.components:ToyFusion", summary="Experts → concat → head")
    register("dataset/toy-blobs", "zoo_toy_models.datasets:ToyBlobs", summary="CSV blobs of zoo_toy_models.synth (recipes, ablations)")


@zoo.hookimpl
def zoo_register_catalog(add):
    add(Path(__file__).with_name("catalog.toml"))

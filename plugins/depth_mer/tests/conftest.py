"""Shared fixtures: a tiny seeded synthetic CAS(ME)^3 sample (3 subjects x 4 clips, 64 x 80 frames)."""

from __future__ import annotations

import warnings

import pytest

import zoo

#: A PointNet++ SSG small enough for tests, and the pipeline the tiny data is read with.
SMALL_SSG = {"name": "encoder/pointnet2-ssg", "config": {"npoints": [32, 8], "nsamples": [[8], [8]],
                                                         "mlps": [[[16]], [[32]]], "global_mlp": [32]}}
PIPELINE = {"num_points": 128, "depth_unit_mm": 0.1}


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory):
    """``(root, summary)`` of a tiny synthetic sample with every quirk planted."""
    from zoo_depth_mer.synth import make_synthetic

    root = tmp_path_factory.mktemp("casme3_synth") / "data"
    summary = make_synthetic(root, subjects=3, clips_per_subject=4, seed=3, size=(64, 80))
    return root, summary


def build_quietly(name: str, **config):
    """``zoo.build`` with the planted quirks' warning silenced (tests that check it do so themselves)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zoo.build(name, **config)


@pytest.fixture(scope="session")
def quiet_build():
    return build_quietly


@pytest.fixture(scope="session")
def pipeline():
    return dict(PIPELINE)


@pytest.fixture(scope="session")
def small_ssg():
    return {"name": SMALL_SSG["name"], "config": dict(SMALL_SSG["config"])}


@pytest.fixture(scope="session")
def dataset(synth_root):
    return build_quietly("dataset/casme3-depth", root=str(synth_root[0]), num_classes=7, pipeline=PIPELINE)

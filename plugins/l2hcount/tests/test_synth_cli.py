"""The synthetic scene generator (seeded, real layout) and the ``zoo l2hcount make-synth`` verb."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

import zoo
from zoo_l2hcount.cli import l2hcount_group
from zoo_l2hcount.synth import HIGH_DENSITY, LOW_DENSITY, make_scene


def test_scenes_are_seeded_and_in_range():
    a_img, a_pts = make_scene(np.random.default_rng(5), LOW_DENSITY)
    b_img, b_pts = make_scene(np.random.default_rng(5), LOW_DENSITY)
    np.testing.assert_array_equal(a_img, b_img)
    np.testing.assert_array_equal(a_pts, b_pts)
    assert a_img.shape == (240, 320, 3) and a_img.dtype == np.uint8
    assert LOW_DENSITY.min_heads <= len(a_pts) <= LOW_DENSITY.max_heads
    _, dense = make_scene(np.random.default_rng(5), HIGH_DENSITY)
    assert len(dense) >= HIGH_DENSITY.min_heads
    assert (a_pts >= 0).all() and (a_pts[:, 0] <= 319).all() and (a_pts[:, 1] <= 239).all()


def test_make_synth_verb_writes_what_the_loader_reads(tmp_path):
    tmp_path = tmp_path / "synth"
    result = CliRunner().invoke(l2hcount_group, ["make-synth", str(tmp_path), "--train", "3", "--test", "2", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert "train: 3 images" in result.output
    train = zoo.build("dataset/shanghaitech", root=str(tmp_path), split="train")
    test = zoo.build("dataset/shanghaitech", root=str(tmp_path), split="test")
    assert len(train) == 3 and len(test) == 2
    assert max(train.counts()) <= LOW_DENSITY.max_heads < min(test.counts())
    assert (tmp_path / "part_A" / "test_data" / "ground-truth" / "GT_IMG_2.mat").is_file()
    marker = json.loads((tmp_path / "SYNTHETIC.json").read_text())
    assert marker["synthetic"] is True and marker["generator"] == "zoo l2hcount make-synth" and marker["seed"] == 1
    assert marker["params"]["train"] == 3 and marker["params"]["test"] == 2


def test_same_seed_same_files(tmp_path):
    from zoo_l2hcount.synth import make_synthetic_shanghaitech

    for name in ("a", "b"):
        make_synthetic_shanghaitech(tmp_path / name, train=2, test=1, seed=7)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 7  # 3 images, 3 annotations, the marker
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)

"""The synthetic scene generator (seeded, real layout) and the ``zoo l2hcount make-synth`` verb."""

from __future__ import annotations

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
    result = CliRunner().invoke(l2hcount_group, ["make-synth", str(tmp_path), "--train", "3", "--test", "2", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert "train: 3 images" in result.output
    train = zoo.build("dataset/shanghaitech", root=str(tmp_path), split="train")
    test = zoo.build("dataset/shanghaitech", root=str(tmp_path), split="test")
    assert len(train) == 3 and len(test) == 2
    assert max(train.counts()) <= LOW_DENSITY.max_heads < min(test.counts())
    assert (tmp_path / "part_A" / "test_data" / "ground-truth" / "GT_IMG_2.mat").is_file()

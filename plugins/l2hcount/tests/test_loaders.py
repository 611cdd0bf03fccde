"""Loaders read the real layouts (written here by the same code paths a real download uses)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.io import loadmat, savemat

import zoo
from zoo.sdk import InputError
from zoo_l2hcount.points_io import read_shanghaitech_mat, write_shanghaitech_mat

POINTS_1BASED = np.array([[1.0, 1.0], [10.5, 4.0], [20.0, 12.0]])


def _jpg(path: Path, w: int = 24, h: int = 16) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 120, np.uint8)).save(path)


def test_shanghaitech_mat_round_trip_is_the_real_struct(tmp_path):
    path = tmp_path / "GT_IMG_1.mat"
    write_shanghaitech_mat(path, POINTS_1BASED - 1)
    raw = loadmat(str(path))["image_info"]
    np.testing.assert_allclose(raw[0, 0][0, 0][0], POINTS_1BASED)  # the real indexing, 1-based
    assert raw[0, 0][0, 0][1][0, 0] == 3
    np.testing.assert_allclose(read_shanghaitech_mat(path), POINTS_1BASED - 1)


@pytest.mark.parametrize("folder", ["part_B", "part_B_final"])
def test_shanghaitech_layout_and_counts(tmp_path, folder):
    for split, counts in (("train", [3, 1, 5]), ("test", [2])):
        for i, n in enumerate(counts, start=1):
            base = tmp_path / folder / f"{split}_data"
            _jpg(base / "images" / f"IMG_{i}.jpg")
            (base / "ground-truth").mkdir(exist_ok=True)
            write_shanghaitech_mat(base / "ground-truth" / f"GT_IMG_{i}.mat", np.tile([[4.0, 3.0]], (n, 1)))
    train = zoo.build("dataset/shanghaitech", root=str(tmp_path), part="B", split="train", crop_size=16)
    assert train.counts() == [3, 1, 5]
    test = zoo.build("dataset/shanghaitech", root=str(tmp_path), part="B", split="test")
    item = test[0]
    assert item["image"].shape == (3, 16, 24) and item["density"].shape == (1, 4, 6)
    assert item["count"].item() == 2 and item["density"].sum().item() == pytest.approx(2.0, abs=1e-5)
    low = zoo.build("dataset/shanghaitech", root=str(tmp_path), part="B", split="train", subset="low")
    high = zoo.build("dataset/shanghaitech", root=str(tmp_path), part="B", split="train", subset="high")
    assert low.counts() == [3, 1] and high.counts() == [5]  # protocol (b): count <= the median (3)


def test_training_items_are_crops_with_exact_counts(tmp_path):
    from zoo_l2hcount.synth import make_synthetic_shanghaitech

    make_synthetic_shanghaitech(tmp_path, train=2, test=0, seed=3)
    ds = zoo.build("dataset/shanghaitech", root=str(tmp_path), split="train", crop_size=64, simulate_prob=1.0, repeats=3)
    assert len(ds) == 6
    batch = ds.collate([ds[i] for i in range(4)])
    assert batch["image"].shape == (4, 3, 64, 64) and batch["density"].shape == (4, 1, 16, 16)
    assert batch["regime"].tolist() == [1, 1, 1, 1]
    np.testing.assert_allclose(batch["density"].sum((1, 2, 3)).numpy(), batch["count"].numpy(), atol=1e-4)


def test_ucf_qnrf_layout(tmp_path):
    _jpg(tmp_path / "Train" / "img_0001.jpg", w=40, h=20)
    savemat(str(tmp_path / "Train" / "img_0001_ann.mat"), {"annPoints": POINTS_1BASED})
    ds = zoo.build("dataset/ucf-qnrf", root=str(tmp_path), split="train", training=False, max_side=20)
    item = ds[0]
    assert item["image"].shape == (3, 10, 20)  # long side resized to 20, points follow
    assert item["count"].item() == 3


def test_jhu_layout(tmp_path):
    base = tmp_path / "val"
    _jpg(base / "images" / "0003.jpg")
    (base / "gt").mkdir()
    (base / "gt" / "0003.txt").write_text("3 4 10 12 1 0\n20 2 8 8 2 1\n")
    (base / "image_labels.txt").write_text("0003,2,marathon,0,0\n")
    ds = zoo.build("dataset/jhu-crowd", root=str(tmp_path), split="val")
    np.testing.assert_allclose(ds.samples[0].points, [[3, 4], [20, 2]])  # 0-based already
    assert ds[0]["count"].item() == 2


def test_nwpu_json_and_mat_layouts(tmp_path):
    _jpg(tmp_path / "images" / "0001.jpg")
    _jpg(tmp_path / "images" / "0002.jpg")
    (tmp_path / "jsons").mkdir()
    (tmp_path / "jsons" / "0001.json").write_text(json.dumps({"points": [[1, 2], [3, 4]], "boxes": []}))
    (tmp_path / "mats").mkdir()
    savemat(str(tmp_path / "mats" / "0002.mat"), {"annPoints": POINTS_1BASED})
    (tmp_path / "train.txt").write_text("0001 1 2\n0002 0 1\n")
    (tmp_path / "test.txt").write_text("0003 1 1\n")
    ds = zoo.build("dataset/nwpu", root=str(tmp_path), split="train", training=False)
    assert ds.counts() == [2, 3]
    np.testing.assert_allclose(ds.samples[1].points, POINTS_1BASED - 1)
    with pytest.raises(InputError, match="withheld"):
        zoo.build("dataset/nwpu", root=str(tmp_path), split="test")


def test_missing_data_says_what_layout_was_expected(tmp_path):
    with pytest.raises(InputError, match=r"part_A\[_final\]"):
        zoo.build("dataset/shanghaitech", root=str(tmp_path), part="A")
    with pytest.raises(InputError, match="Train"):
        zoo.build("dataset/ucf-qnrf", root=str(tmp_path))

"""L2HCount's loaders and CLI verbs against bad files: typed errors, one report, inputs untouched.

Every crowd dataset (ShanghaiTech, UCF-QNRF, JHU-Crowd++, NWPU) validates what it reads when it
is built: an image without its annotation, an unreadable image or annotation (corrupt ``.mat``,
bad JSON/text), NaN head positions are skipped; heads outside the image are dropped. The default
warns once with a count per reason; ``strict=True`` raises at the first bad record.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

pytest.importorskip("zoo_l2hcount")

import zoo  # noqa: E402
from zoo.sdk import DataWarning, InputError  # noqa: E402
from zoo_l2hcount.points_io import write_shanghaitech_mat  # noqa: E402


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def _jpg(path: Path, w: int = 32, h: int = 24) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 90, np.uint8)).save(path)


@pytest.fixture
def shanghaitech(tmp_path: Path) -> Path:
    """part_A/train_data with 2 good images and one of each bad record."""
    base = tmp_path / "part_A" / "train_data"
    gt = base / "ground-truth"
    gt.mkdir(parents=True)
    good = np.array([[3.0, 4.0], [10.0, 10.0]])
    for i in (1, 2):
        _jpg(base / "images" / f"IMG_{i}.jpg")
        write_shanghaitech_mat(gt / f"GT_IMG_{i}.mat", good)
    _jpg(base / "images" / "IMG_3.jpg")  # no annotation file
    _jpg(base / "images" / "IMG_4.jpg")
    (gt / "GT_IMG_4.mat").write_bytes(b"MATLAB 5.0 MAT-file" + bytes(40))  # corrupt .mat
    _jpg(base / "images" / "IMG_5.jpg")
    write_shanghaitech_mat(gt / "GT_IMG_5.mat", np.array([[np.nan, 3.0], [4.0, 4.0]]))
    _jpg(base / "images" / "IMG_6.jpg")
    write_shanghaitech_mat(gt / "GT_IMG_6.mat", np.array([[-7.0, 3.0], [500.0, 4.0], [5.0, 5.0]]))  # 2 outside
    (base / "images" / "IMG_7.jpg").write_text("not a jpeg")  # unreadable image
    write_shanghaitech_mat(gt / "GT_IMG_7.mat", good)
    return tmp_path


def test_bad_records_are_skipped_and_reported_once(shanghaitech):
    before = _tree_digest(shanghaitech)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = zoo.build("dataset/shanghaitech", root=str(shanghaitech), split="train", training=False)
    data_warnings = [w for w in caught if issubclass(w.category, DataWarning)]
    assert len(data_warnings) == 1
    message = str(data_warnings[0].message)
    assert "skipped 5 record(s)" in message
    for reason in ("1 x no annotation file (e.g. IMG_3.jpg (expected GT_IMG_3.mat))", "1 x unreadable annotation",
                   "1 x NaN or infinite head positions (e.g. GT_IMG_5.mat (1 of 2))", "1 x unreadable image",
                   "1 x head positions outside the image (those heads dropped, the image kept) (e.g. GT_IMG_6.mat (2 of 3 heads))"):
        assert reason in message
    assert [s.image.name for s in ds.samples] == ["IMG_1.jpg", "IMG_2.jpg", "IMG_6.jpg"]
    assert ds.counts() == [2, 2, 1] and len(ds.report) == 5
    assert ds[2]["count"].item() == 1 and ds[2]["density"].sum().item() == pytest.approx(1.0, abs=1e-5)
    assert _tree_digest(shanghaitech) == before  # nothing read was changed


def test_strict_raises_at_the_first_bad_record(shanghaitech):
    with pytest.raises(InputError, match=r"dataset/shanghaitech at .*: IMG_3.jpg \(expected GT_IMG_3.mat\): no annotation file\. \(strict mode"):
        zoo.build("dataset/shanghaitech", root=str(shanghaitech), split="train", strict=True)


def test_a_dataset_with_no_usable_record_says_why(tmp_path):
    _jpg(tmp_path / "Train" / "img_0001.jpg")
    (tmp_path / "Train" / "img_0001_ann.mat").write_bytes(b"\x00" * 10)
    with pytest.raises(InputError, match=r"no usable items \(every record was skipped: 1 x unreadable annotation"):
        zoo.build("dataset/ucf-qnrf", root=str(tmp_path), split="train")


def test_ucf_qnrf_without_its_key_and_with_nan(tmp_path):
    from scipy.io import savemat

    for i, content in ((1, {"other": np.zeros((2, 2))}), (2, {"annPoints": np.array([[np.inf, 1.0]])}),
                       (3, {"annPoints": np.array([[2.0, 2.0]])})):
        _jpg(tmp_path / "Train" / f"img_000{i}.jpg")
        savemat(str(tmp_path / "Train" / f"img_000{i}_ann.mat"), content)
    with pytest.warns(DataWarning, match=r"img_0001_ann.mat: has no 'annPoints' \(keys: \['other'\]\)"):
        ds = zoo.build("dataset/ucf-qnrf", root=str(tmp_path), split="train")
    assert ds.counts() == [1] and {s.reason for s in ds.report} == {"unreadable annotation", "NaN or infinite head positions"}


def test_jhu_bad_lines_and_out_of_image_heads(tmp_path):
    base = tmp_path / "train"
    for stem, text in (("1", "3 4 1 1 0 0\nbroken\n"), ("2", "nan nan 1 1 0 0\n"), ("3", "1 1 2 2 0 0\n-40 2 2 2 0 0\n")):
        _jpg(base / "images" / f"{stem}.jpg")
        (base / "gt").mkdir(exist_ok=True)
        (base / "gt" / f"{stem}.txt").write_text(text)
    with pytest.warns(DataWarning) as record:
        ds = zoo.build("dataset/jhu-crowd", root=str(tmp_path), split="train")
    assert "1.txt: 2: expected 'x y w h occlusion blur'" in str(record[0].message)
    assert ds.counts() == [1]  # 3.txt kept with its one head inside


def test_nwpu_bad_json(tmp_path):
    for image_id, text in (("0001", "{not json"), ("0002", json.dumps({"boxes": []})), ("0003", '{"points": [[NaN, 1]]}'),
                           ("0004", json.dumps({"points": [[1, 2]]}))):
        _jpg(tmp_path / "images" / f"{image_id}.jpg")
        (tmp_path / "jsons").mkdir(exist_ok=True)
        (tmp_path / "jsons" / f"{image_id}.json").write_text(text)
    (tmp_path / "val.txt").write_text("0001\n0002\n0003\n0004\n0005\n")  # 0005 has neither image nor label
    with pytest.warns(DataWarning, match="skipped 4 record"):
        ds = zoo.build("dataset/nwpu", root=str(tmp_path), split="val")
    assert ds.counts() == [1]
    assert sorted(s.reason for s in ds.report) == [
        "NaN or infinite head positions", "no annotation file", "unreadable annotation", "unreadable annotation",
    ]


def test_a_truncated_image_body_is_an_input_error_naming_it(tmp_path):
    path = tmp_path / "Train" / "img_0001.jpg"
    path.parent.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:4000])  # the header survives: indexing keeps it
    from scipy.io import savemat

    savemat(str(tmp_path / "Train" / "img_0001_ann.mat"), {"annPoints": np.array([[2.0, 2.0]])})
    ds = zoo.build("dataset/ucf-qnrf", root=str(tmp_path), split="train", training=False)
    with pytest.raises(InputError, match=r"img_0001.jpg could not be decoded as an image .*truncated"):
        ds[0]


@pytest.fixture
def zoo_cli():
    from zoo.cli.main import build_cli

    runner = CliRunner()
    return lambda *args: runner.invoke(build_cli(), list(args))


def test_make_synth_refuses_an_existing_file_or_folder_and_leaves_it(zoo_cli, tmp_path):
    target = tmp_path / "taken.txt"
    target.write_text("mine")
    result = zoo_cli("l2hcount", "make-synth", str(target), "--train", "1", "--test", "1")
    assert result.exit_code == 1 and result.output.startswith("error: ") and "existing file" in result.output
    assert "Traceback" not in result.output and target.read_text() == "mine"
    folder = tmp_path / "full"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    result = zoo_cli("l2hcount", "make-synth", str(folder), "--train", "1", "--test", "1")
    assert result.exit_code == 1 and "not empty" in result.output and sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    assert zoo_cli("l2hcount", "make-synth", str(tmp_path / "n"), "--train", "-1").exit_code == 2  # usage error
    assert not (tmp_path / "n").exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_train_synth_refuses_bad_seeds_before_any_work(zoo_cli, tmp_path):
    result = zoo_cli("l2hcount", "train-synth", str(tmp_path / "out"), "--seeds", "0,x")
    assert result.exit_code == 1 and "--seeds must be comma-separated integers" in result.output
    assert not (tmp_path / "out").exists()
    result = zoo_cli("l2hcount", "train-synth", str(tmp_path / "out"), "--data", str(tmp_path / "nothing"))
    assert result.exit_code == 1 and "holds no part_A/ folder" in result.output and not (tmp_path / "out").exists()
    (tmp_path / "file").write_text("x")
    result = zoo_cli("l2hcount", "train-synth", str(tmp_path / "file"))
    assert result.exit_code == 1 and "is an existing file" in result.output and (tmp_path / "file").read_text() == "x"

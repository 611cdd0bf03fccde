"""CMIP-CIL's loaders, processor and CLI verbs against bad files: typed errors, one report, inputs untouched.

Every CMIP dataset (ModelNet40 raw ``.off``, normal_resampled ``.txt``, ply_hdf5_2048 ``.h5``,
ShapeNet-55 ``.npy``/``.obj``) checks every record when it is built: a face index out of range or
negative, a truncated file, NaN coordinates, a mesh without (positive-area) faces, an empty or
wrong-shaped point file, an h5 file with wrong shapes. The default skips such records and warns
once with a count per reason; ``strict=True`` raises at the first one; a dataset left with no
record raises ``InputError`` saying why. ModelNet40's glued counts line (``OFF490 518 0``) is valid.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("zoo_cmip_cil")

import zoo  # noqa: E402
from zoo.sdk import DataWarning, InputError  # noqa: E402
from zoo.testing import run_cli  # noqa: E402

TRIANGLE = "0 0 0\n1 0 0\n0 1 0\n0 0 1\n"
GOOD_FACES = "3 0 1 2\n3 0 1 3\n3 0 2 3\n"
#: file name -> (content, reason it is skipped or None if it is good)
OFF_FILES = {
    "good_0001.off": ("OFF\n4 3 0\n" + TRIANGLE + GOOD_FACES, None),
    "good_0002.off": ("OFF4 3 0\n" + TRIANGLE + GOOD_FACES, None),  # glued counts line
    "bad_0003.off": ("OFF\n4 3 0\n" + TRIANGLE + "3 0 1 2\n3 0 1 7\n3 0 2 3\n", "face index out of range"),
    "bad_0004.off": ("OFF\n4 3 0\n" + TRIANGLE + "3 0 1 2\n3 -1 1 3\n3 0 2 3\n", "negative face index"),
    "bad_0005.off": ("OFF\n4 3 0\n" + TRIANGLE + "3 0 1 2\n", "truncated or malformed"),
    "bad_0006.off": ("OFF\n4 3 0\n0 0 0\nnan 0 0\n0 1 0\n0 0 1\n" + GOOD_FACES, "non-finite coordinates"),
    "bad_0007.off": ("OFF\n4 0 0\n" + TRIANGLE, "no faces"),
    "bad_0008.off": ("PLY\n4 3 0\n" + TRIANGLE + GOOD_FACES, "not an OFF file"),
    "bad_0009.off": ("OFF\n3 1 0\n0 0 0\n1 0 0\n2 0 0\n3 0 1 2\n", "zero-area mesh"),
    "bad_0010.off": ("OFF\nfour 3 0\n" + TRIANGLE + GOOD_FACES, "malformed counts line"),
}


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def _build(name: str, **config):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = zoo.build(name, **config)
    return ds, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


@pytest.fixture
def modelnet(tmp_path: Path) -> Path:
    folder = tmp_path / "mn40" / "thing" / "train"
    folder.mkdir(parents=True)
    for name, (content, _) in OFF_FILES.items():
        (folder / name).write_text(content)
    return tmp_path / "mn40"


def test_bad_off_files_are_skipped_and_reported_once(modelnet):
    before = _tree(modelnet)
    ds, messages = _build("dataset/modelnet40", root=str(modelnet), split="train", render=False, num_points=16)
    assert len(messages) == 1 and "skipped 8 record(s)" in messages[0]
    for name, (_, reason) in OFF_FILES.items():
        if reason is not None:
            assert f"1 x {reason} (e.g. thing/train/{name})" in messages[0]
    assert [p.name for p in ds.files] == ["good_0001.off", "good_0002.off"] and len(ds.report) == 8
    assert ds[1]["points"].shape == (16, 3)  # the glued-header file reads
    assert _tree(modelnet) == before


def test_strict_stops_at_the_first_bad_off_file(modelnet):
    with pytest.raises(InputError, match=r"bad_0003.off: face index out of range\. \(strict mode"):
        zoo.build("dataset/modelnet40", root=str(modelnet), split="train", strict=True)


def test_a_split_of_bad_files_only_says_why(modelnet):
    for good in ("good_0001.off", "good_0002.off"):
        (modelnet / "thing" / "train" / good).unlink()
    with pytest.raises(InputError, match="no usable items .every record was skipped: 1 x face index out of range"):
        _build("dataset/modelnet40", root=str(modelnet), split="train")
    with pytest.raises(InputError, match="no records were found"):
        zoo.build("dataset/modelnet40", root=str(modelnet), split="test")


def test_unknown_class_filter_names_the_classes(modelnet):
    with pytest.raises(InputError, match="classes names \\['chair'\\].*it has: thing"):
        zoo.build("dataset/modelnet40", root=str(modelnet), classes=["chair"])


@pytest.fixture
def resampled(tmp_path: Path) -> Path:
    root = tmp_path / "resampled"
    (root / "box").mkdir(parents=True)
    (root / "modelnet40_shape_names.txt").write_text("box\n")
    cloud = np.random.default_rng(0).normal(size=(40, 6))
    np.savetxt(root / "box" / "box_0001.txt", cloud, delimiter=",", fmt="%.5f")
    (root / "box" / "box_0002.txt").write_text("")  # 0 points
    bad = cloud.copy()
    bad[3, 1] = np.nan
    np.savetxt(root / "box" / "box_0003.txt", bad, delimiter=",", fmt="%.5f")
    (root / "box" / "box_0004.txt").write_text("1,2,x\n")
    np.savetxt(root / "box" / "box_0006.txt", np.ones((5, 6)), delimiter=",")  # all points equal
    (root / "modelnet40_train.txt").write_text("\n".join(
        ["box_0001", "box_0002", "box_0003", "box_0004", "box_0005", "box_0006", "lamp_0001"]) + "\n")
    return root


def test_bad_point_files_are_skipped_and_reported(resampled):
    before = _tree(resampled)
    ds, messages = _build("dataset/modelnet40-resampled", root=str(resampled), num_points=32)
    assert len(ds) == 1 and ds[0]["points"].shape == (32, 3) and len(messages) == 1
    for reason in ("1 x no points (e.g. box_0002)", "1 x non-finite coordinates (e.g. box_0003)",
                   "1 x malformed point file (e.g. box_0004)", "1 x unreadable file (e.g. box_0005)",
                   "1 x zero extent (e.g. box_0006)", "1 x class not in modelnet40_shape_names.txt (e.g. lamp_0001)"):
        assert reason in messages[0]
    with pytest.raises(InputError, match="box_0002: no points"):
        zoo.build("dataset/modelnet40-resampled", root=str(resampled), strict=True)
    assert _tree(resampled) == before


def _h5(path: Path, data: np.ndarray, label: np.ndarray) -> None:
    import h5py

    with h5py.File(path, "w") as handle:
        handle["data"], handle["label"] = data, label


def test_h5_files_with_wrong_shapes_or_bad_rows(tmp_path):
    rng = np.random.default_rng(0)
    good = rng.normal(size=(3, 64, 3)).astype(np.float32)
    good[1, 5, 2] = np.nan
    _h5(tmp_path / "a.h5", good, np.array([[0], [1], [9]], dtype=np.uint8))
    _h5(tmp_path / "b.h5", rng.normal(size=(3, 64)).astype(np.float32), np.zeros((3, 1), np.uint8))
    _h5(tmp_path / "c.h5", good, np.zeros((2, 1), np.uint8))
    (tmp_path / "shape_names.txt").write_text("airplane\nbathtub\n")
    (tmp_path / "train_files.txt").write_text("data/a.h5\ndata/b.h5\ndata/c.h5\ndata/missing.h5\n")
    ds, messages = _build("dataset/modelnet40-h5", root=str(tmp_path), num_points=32)
    assert len(ds) == 1 and ds[0]["label"] == 0
    for reason in ("1 x non-finite coordinates (e.g. a.h5[1])", "1 x label outside shape_names.txt (0..1) (e.g. a.h5[2])",
                   "wrong shapes: data (3, 64) (want [B, P, 3])", "wrong shapes: data (3, 64, 3) (want [B, P, 3]), label (2, 1)",
                   "1 x missing or unreadable h5 file (e.g. missing.h5)"):
        assert reason in messages[0]


def test_shapenet_clouds_with_wrong_shapes_or_no_points(tmp_path):
    (tmp_path / "shapenet_pc").mkdir()
    np.save(tmp_path / "shapenet_pc" / "02691156-a.npy", np.random.default_rng(0).normal(size=(100, 3)))
    np.save(tmp_path / "shapenet_pc" / "02691156-b.npy", np.zeros(8192))
    np.save(tmp_path / "shapenet_pc" / "02691156-c.npy", np.zeros((0, 3)))
    (tmp_path / "shapenet_pc" / "02691156-d.npy").write_bytes(b"not numpy")
    (tmp_path / "train.txt").write_text("02691156-a.npy\n02691156-b.npy\n02691156-c.npy\n02691156-d.npy\n")
    (tmp_path / "test.txt").write_text("")
    ds, messages = _build("dataset/shapenet55", root=str(tmp_path), num_points=16)
    assert len(ds) == 1
    for reason in ("1 x wrong shape (e.g. 02691156-b.npy)", "1 x no points (e.g. 02691156-c.npy)",
                   "1 x unreadable file (e.g. 02691156-d.npy)"):
        assert reason in messages[0]


@pytest.mark.parametrize("make, match", [
    (lambda d: np.zeros((0, 3)), "holds no points"),
    (lambda d: np.full((10, 3), np.nan), "NaN or infinite"),
    (lambda d: np.zeros((10, 2)), "expected points \\[N, 3\\]"),
    (lambda d: d / "missing.off", "is not a file"),
    (lambda d: _write(d / "x.png", "png"), "expected a mesh"),
    (lambda d: _write(d / "e.txt", ""), "holds no points"),
    (lambda d: _write(d / "b.off", "OFF\n4 1 0\n" + TRIANGLE + "3 0 1 9\n"), "face 0 uses vertex indices"),
    (lambda d: {"points": 1}, "Cannot read a dict"),
])
def test_processor_refuses_bad_inputs(tmp_path, make, match):
    from zoo_cmip_cil.processor import PointCloudProcessor

    value = make(tmp_path)
    before = _tree(tmp_path)
    with pytest.raises(InputError, match=match):
        PointCloudProcessor(num_points=8).load(value)
    assert _tree(tmp_path) == before


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_cli_verbs_give_typed_errors_and_write_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("afile").write_text("keep")
    result = run_cli(["cmip-cil", "make-synth", "afile", "--no-pyvista"])
    assert result.exit_code == 1 and "is an existing file" in result.output and "Traceback" not in result.output
    assert Path("afile").read_text() == "keep"
    result = run_cli(["cmip-cil", "make-synth", "out", "--train-per-class", "0"])
    assert result.exit_code == 2 and not Path("out").exists()
    result = run_cli(["cmip-cil", "train-synth", "t", "--seeds", "0,x"])
    assert result.exit_code == 1 and "--seeds must be comma-separated integers" in result.output
    result = run_cli(["cmip-cil", "train-synth", "t", "--data", "nowhere"])
    assert result.exit_code == 1 and "--data nowhere is not a folder" in result.output
    result = run_cli(["cmip-cil", "train-synth", "afile"])
    assert result.exit_code == 1 and "is an existing file" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_make_synth_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "shapes").mkdir()
    (tmp_path / "shapes" / "mine.txt").write_text("mine")
    result = run_cli(["cmip-cil", "make-synth", str(tmp_path / "shapes"), "--no-pyvista"])
    assert result.exit_code == 1 and "already exists and is not empty" in result.output
    assert [p.name for p in (tmp_path / "shapes").iterdir()] == ["mine.txt"]


def test_zoo_predict_refuses_bad_clouds_before_writing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save("nan.npy", np.full((20, 3), np.nan))
    Path("good.txt").write_text("0 0 0\n1 0 0\n0 1 0\n0 0 1\n")
    before = _tree(tmp_path)
    result = run_cli(["predict", "cmip-cil-synth", "good.txt", "nan.npy", "--out", "pics"])
    assert result.exit_code == 1 and "nan.npy" in result.output and "NaN or infinite" in result.output
    assert "Traceback" not in result.output and not Path("pics").exists() and _tree(tmp_path) == before

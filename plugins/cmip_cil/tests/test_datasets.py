import json

import numpy as np
import pytest
from click.testing import CliRunner

import zoo
from zoo.sdk import InputError
from zoo_cmip_cil.mesh import read_off, sample_surface
from zoo_cmip_cil.synth import GENERATOR, class_names, make_synthetic_modelnet


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mn40") / "shapes"
    make_synthetic_modelnet(root, train_per_class=2, test_per_class=1, seed=0)
    return root


def test_synthetic_set_layout(synth_root):
    names = class_names()
    assert len(names) == 18 and len([n for n in names if not n.startswith("pv_")]) >= 12
    assert sorted(p.name for p in synth_root.iterdir()) == sorted([*names, "SYNTHETIC.json"])
    marker = json.loads((synth_root / "SYNTHETIC.json").read_text())
    assert marker["generator"] == GENERATOR and marker["seed"] == 0 and marker["params"]["train_per_class"] == 2
    files = sorted(synth_root.glob("*/*/*.off"))
    assert len(files) == 18 * 3
    assert sum(f.read_text()[:4] != "OFF\n" for f in files) == 18  # every third file: glued header
    mesh = read_off(synth_root / "pv_airplane" / "train" / "pv_airplane_0001.off")
    assert len(mesh.faces) == 2452  # pyvista's airplane


def test_synthetic_set_is_seeded(tmp_path):
    make_synthetic_modelnet(tmp_path / "a", 1, 1, seed=4, include_pyvista=False)
    make_synthetic_modelnet(tmp_path / "b", 1, 1, seed=4, include_pyvista=False)
    a = (tmp_path / "a" / "chair" / "train" / "chair_0001.off").read_text()
    assert a == (tmp_path / "b" / "chair" / "train" / "chair_0001.off").read_text()


def test_make_synth_cli(tmp_path):
    from zoo_cmip_cil.cli import cmip_cil

    result = CliRunner().invoke(cmip_cil, ["make-synth", str(tmp_path / "s"), "--train-per-class", "1",
                                           "--test-per-class", "1", "--no-pyvista"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "s").glob("*/test/*.off"))) == 14
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_modelnet40_mesh_items(synth_root):
    ds = zoo.build("dataset/modelnet40", root=str(synth_root), split="train", image_size=32)
    assert len(ds) == 36 and ds.classes == sorted(class_names())
    item = ds[5]
    assert item["points"].shape == (1024, 3) and item["views"].shape == (10, 32, 32, 3)
    assert np.isclose(item["points"].norm(dim=1).max().item(), 0.5, atol=1e-5)
    assert item["label"] == 2  # sorted classes: bookshelf, bottle, box...; index 5 = box #2
    assert (item["points"] == ds[5]["points"]).all()  # seeded per item
    # Rotated -90 degrees about x: the z-up shapes stand along y, like the camera's up.
    box = read_off(ds.files[5])
    extent = box.vertices.max(0) - box.vertices.min(0)
    np.testing.assert_allclose(np.sort(ds.load_mesh(5).vertices.max(0) - ds.load_mesh(5).vertices.min(0)),
                               np.sort(extent / np.linalg.norm(extent) * 1.0), atol=1e-6)
    rotated = np.ptp(ds.load_mesh(5).vertices, axis=0)
    assert np.isclose(rotated[1] / rotated[2], extent[2] / extent[1])  # old z is the new y


def test_class_filter_and_cache_keep_labels(synth_root):
    ds = zoo.build("dataset/modelnet40", root=str(synth_root), split="test", render=False, classes=["torus", "box"], cache=True)
    assert sorted(ds.labels) == [ds.classes.index("box"), ds.classes.index("torus")]
    assert ds[0] is ds[0]  # cached: the same object on the second read


def test_masked_variants_share_the_partial_mesh(synth_root):
    full = zoo.build("dataset/modelnet40", root=str(synth_root), split="test", image_size=32)
    masked = zoo.build("dataset/modelnet40", root=str(synth_root), split="test", image_size=32, masked_variants=3)
    assert len(masked) == 3 * len(full)
    index = full.classes.index("ellipsoid")
    whole, part = full[index], masked[3 * index + 1]
    assert part["label"] == whole["label"]
    # Fewer object pixels in the partial object's views than in the whole one's.
    assert (part["views"] < 255).any(-1).sum() < (whole["views"] < 255).any(-1).sum()


def _write_resampled(root, synth_root):
    names = ["box", "flower_pot"]
    (root / "modelnet40_shape_names.txt").write_text("\n".join(names) + "\n")
    mesh = read_off(synth_root / "box" / "train" / "box_0001.off")
    for name in names:
        (root / name).mkdir(parents=True)
        data = np.concatenate([sample_surface(mesh, 50, np.random.default_rng(1)), np.zeros((50, 3))], 1)
        np.savetxt(root / name / f"{name}_0001.txt", data, delimiter=",", fmt="%.6f")
    (root / "modelnet40_train.txt").write_text("box_0001\nflower_pot_0001\n")


def test_modelnet40_resampled(tmp_path, synth_root):
    _write_resampled(tmp_path, synth_root)
    ds = zoo.build("dataset/modelnet40-resampled", root=str(tmp_path), num_points=64)
    assert len(ds) == 2 and ds[1]["label"] == 1  # "flower_pot" keeps its underscore
    assert ds[0]["points"].shape == (64, 3)  # 50 points repeated up to 64


def test_modelnet40_h5(tmp_path):
    import h5py

    rng = np.random.default_rng(0)
    for i in range(2):
        with h5py.File(tmp_path / f"ply_data_train{i}.h5", "w") as f:
            f["data"] = rng.normal(size=(3, 2048, 3)).astype(np.float32)
            f["label"] = np.array([[i], [2], [3]], dtype=np.uint8)
    (tmp_path / "train_files.txt").write_text("data/modelnet40_ply_hdf5_2048/ply_data_train0.h5\n"
                                              "data/modelnet40_ply_hdf5_2048/ply_data_train1.h5\n")
    ds = zoo.build("dataset/modelnet40-h5", root=str(tmp_path))
    assert len(ds) == 6 and [ds[i]["label"] for i in range(6)] == [0, 2, 3, 1, 2, 3]
    assert ds[0]["points"].shape == (1024, 3)
    with pytest.raises(InputError, match="test_files.txt"):
        zoo.build("dataset/modelnet40-h5", root=str(tmp_path), split="test")


def test_shapenet55_clouds_and_meshes(tmp_path, synth_root):
    (tmp_path / "pc" / "shapenet_pc").mkdir(parents=True)
    entries = ["03001627-aaa.npy", "02691156-bbb.npy"]
    for entry in entries:
        np.save(tmp_path / "pc" / "shapenet_pc" / entry, np.random.default_rng(0).normal(size=(8192, 3)).astype(np.float32))
        synset, model = entry[:-4].split("-")
        obj = tmp_path / "meshes" / synset / model / "models" / "model_normalized.obj"
        obj.parent.mkdir(parents=True)
        mesh = read_off(synth_root / "chair" / "train" / "chair_0001.off")
        obj.write_text("".join(f"v {x} {y} {z}\n" for x, y, z in mesh.vertices)
                       + "".join(f"f {a + 1} {b + 1} {c + 1}\n" for a, b, c in mesh.faces))
    (tmp_path / "pc" / "train.txt").write_text("\n".join(entries) + "\n")
    (tmp_path / "pc" / "test.txt").write_text("")
    clouds = zoo.build("dataset/shapenet55", root=str(tmp_path / "pc"))
    assert clouds.classes == ["02691156", "03001627"] and [clouds[i]["label"] for i in range(2)] == [1, 0]
    assert "views" not in clouds[0]
    rendered = zoo.build("dataset/shapenet55", root=str(tmp_path / "pc"), mesh_root=str(tmp_path / "meshes"),
                         render=True, image_size=32)
    assert rendered[0]["views"].shape == (10, 32, 32, 3)
    with pytest.raises(InputError, match="mesh_root"):
        zoo.build("dataset/shapenet55", root=str(tmp_path / "pc"), render=True)


def test_missing_root_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        zoo.build("dataset/modelnet40", root=str(tmp_path / "nope"))

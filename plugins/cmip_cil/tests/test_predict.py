"""The predict API: processor (sampling, normalisation, rotation), predict_step, the picture, zoo.predict."""

import numpy as np
import pytest
import torch

import zoo
from zoo_cmip_cil.mesh import Mesh, normalise, read_off, write_off
from zoo_cmip_cil.processor import PointCloudProcessor
from zoo_cmip_cil.synth import PROCEDURAL

CLASSES = ["a", "b", "c"]


@pytest.fixture
def model(tiny_config):
    return zoo.build("model/cmip-cil", classifier={"name": "head/cosine-incremental", "config": {"initial_classes": 3}},
                     class_names=CLASSES, num_points=64, top_k=2, **tiny_config).eval()


@pytest.fixture
def chair(tmp_path):
    write_off(normalise(PROCEDURAL["chair"](np.random.default_rng(5))), tmp_path / "chair.off", glued_header=True)
    return tmp_path / "chair.off"


def test_processor_samples_normalises_and_rotates_meshes_like_the_training_data(chair):
    item = PointCloudProcessor(num_points=128).load(chair)
    points = item["points"].numpy()
    assert points.shape == (128, 3) and points.dtype == np.float32
    assert np.isclose(np.linalg.norm(points, axis=1).max(), 0.5, atol=1e-5)
    # The chair is z-up on disk; -90 degrees about x makes its height the y extent.
    raw = read_off(chair).vertices
    assert np.isclose(np.ptp(item["mesh"].vertices[:, 1]) / np.ptp(item["mesh"].vertices[:, 0]),
                      np.ptp(raw[:, 2]) / np.ptp(raw[:, 0]))
    again = PointCloudProcessor(num_points=128).load(chair)
    assert torch.equal(item["points"], again["points"])  # fixed seed: the same input gives the same item


def test_processor_reads_point_files_and_arrays_the_same_way(tmp_path):
    cloud = np.random.default_rng(0).normal(size=(300, 3))
    np.save(tmp_path / "c.npy", cloud)
    np.savetxt(tmp_path / "c.txt", np.concatenate([cloud, np.zeros((300, 3))], 1), delimiter=",")
    processor = PointCloudProcessor(num_points=50)
    from_npy, from_txt = processor.load(tmp_path / "c.npy"), processor.load(str(tmp_path / "c.txt"))
    from_array, from_tensor = processor.load(cloud), processor.load(torch.from_numpy(cloud))
    assert torch.allclose(from_npy["points"], from_txt["points"], atol=1e-5)
    assert torch.equal(from_npy["points"], from_array["points"]) and torch.equal(from_array["points"], from_tensor["points"])
    assert from_npy["mesh"] is None
    small = processor.load(cloud[:10])  # fewer points than asked: repeated
    assert small["points"].shape == (50, 3)
    batch = processor([cloud, cloud[:10]])
    assert batch["points"].shape == (2, 50, 3)


def test_processor_settings_come_from_the_model_config(model):
    processor = model.processor()
    assert processor.to_dict() == {"processor": "zoo_cmip_cil.processor:PointCloudProcessor", "num_points": 64,
                                   "mesh_rotate_x_deg": -90.0, "seed": 0}


def test_predict_step_is_one_batched_forward_with_top_k(model):
    batch = model.processor()([np.random.default_rng(i).normal(size=(100, 3)) for i in range(3)])
    with torch.no_grad():
        outputs = model.predict_step(batch)
        probs = model(batch["points"]).softmax(-1)
    assert len(outputs) == 3
    for out, p in zip(outputs, probs):
        assert out["label"] == CLASSES[int(p.argmax())] and out["probability"] == pytest.approx(float(p.max()))
        assert [r["label"] for r in out["top_k"]] == [CLASSES[i] for i in p.argsort(descending=True)[:2].tolist()]
        assert out["top_k"][0]["probability"] >= out["top_k"][1]["probability"]


def test_predict_step_refuses_a_model_without_classes(tiny_config):
    from zoo.sdk import InputError

    empty = zoo.build("model/cmip-cil", **tiny_config).eval()
    with pytest.raises(InputError, match="no classes yet"):
        empty.predict_step({"points": torch.zeros(1, 8, 3)})


def test_picture_of_a_mesh_and_of_a_cloud(model, chair, tmp_path):
    processor = model.processor()
    for name, item in (("mesh", processor.load(chair)), ("cloud", processor.load(np.random.default_rng(0).normal(size=(80, 3))))):
        with torch.no_grad():
            outputs = model.predict_step(processor.collate([item]))[0]
        (path,) = model.render(item, outputs, tmp_path / "pics", f"in-{name}")
        assert path == tmp_path / "pics" / f"in-{name}.png" and path.read_bytes()[:4] == b"\x89PNG"


def test_point_splats_use_the_render_cameras():
    from zoo_cmip_cil.render import MultiViewRenderer, RenderConfig

    renderer = MultiViewRenderer(RenderConfig(image_size=32))
    images = renderer.render_points(np.array([[0.0, 0.0, 0.0]]), radius_px=0)
    assert images.shape == (10, 32, 32, 3)
    # One point at the origin lands on the image centre in every view, nowhere else.
    assert ((images < 255).any(-1).sum(axis=(1, 2)) == 1).all()
    assert (images[:, 16, 16] < 255).all()


def test_zoo_predict_runs_the_model_end_to_end(model, chair, tmp_path):
    predictions = zoo.predict(model, [str(chair), np.random.default_rng(1).normal(size=(90, 3))], out_dir=tmp_path / "out")
    assert [p.task for p in predictions] == ["point-cloud-classification"] * 2
    assert predictions[0].input == str(chair) and predictions[1].input.startswith("array(90x3")
    assert all(p["label"] in CLASSES and len(p.files) == 1 and p.files[0].is_file() for p in predictions)

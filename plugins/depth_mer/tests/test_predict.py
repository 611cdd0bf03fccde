"""The predict API: the processor's inputs and errors, one forward per batch, the picture, zoo.predict."""

import json
import shutil

import numpy as np
import pytest
import torch

import zoo
from zoo.sdk import InputError
from zoo_depth_mer.depth import read_depth


@pytest.fixture(scope="module")
def model(small_ssg, pipeline):
    torch.manual_seed(0)
    return zoo.build("model/depth-mer", encoder=small_ssg, pipeline=pipeline).eval()


@pytest.fixture(scope="module")
def pair_folder(synth_root, tmp_path_factory):
    """A pair folder (onset.png + apex.png) cut from a clean clip of the synthetic sample."""
    root, summary = synth_root
    clip = summary.clips[9]
    folder = tmp_path_factory.mktemp("pair") / "clip9"
    folder.mkdir()
    depth = root / "depth" / clip.subject_name / clip.filename / "depth"
    shutil.copyfile(depth / f"{clip.onset}.png", folder / "onset.png")
    shutil.copyfile(depth / f"{clip.apex}.png", folder / "apex.png")
    return folder


def test_processor_settings_are_the_model_configs_pipeline(model):
    processor = model.processor()
    settings = processor.to_dict()
    assert settings["processor"] == "zoo_depth_mer.processor:DepthPairProcessor"
    assert settings["pipeline"] == model.config.pipeline.model_dump() and settings["pipeline"]["num_points"] == 128


def test_a_folder_a_dict_of_paths_and_a_dict_of_arrays_give_the_same_points(model, pair_folder):
    processor = model.processor()
    onset, apex = pair_folder / "onset.png", pair_folder / "apex.png"
    a = processor.load(pair_folder)
    b = processor.load({"onset": str(onset), "apex": apex})
    c = processor.load({"onset": read_depth(onset), "apex": torch.from_numpy(read_depth(apex).astype(np.int32))})
    assert a.motion.features.shape == (128, 6)
    assert np.array_equal(a.motion.features, b.motion.features) and np.array_equal(a.motion.features, c.motion.features)
    assert processor.collate([a, b])["points"].shape == (2, 128, 6)
    boxed = processor.load({"onset": onset, "apex": apex, "box": [5, 5, 60, 75]})
    assert boxed.box == [5, 5, 60, 75] and not np.array_equal(boxed.motion.features, a.motion.features)


@pytest.mark.parametrize("bad,message", [
    ("onset.png", "a Depth-MER input is an onset/apex pair"),
    ({"onset": "x.png"}, "needs the keys 'onset' and 'apex'"),
    ({"onset": np.zeros((4, 4, 3)), "apex": np.zeros((4, 4))}, "2-D numeric array"),
    ({"onset": np.full((4, 4), np.nan), "apex": np.zeros((4, 4))}, "NaN or infinite"),
    ({"onset": -np.ones((4, 4)), "apex": np.zeros((4, 4))}, "negative"),
    ({"onset": np.zeros((8, 8), np.uint16), "apex": np.zeros((8, 8), np.uint16)}, "no valid"),
    ({"onset": np.ones((8, 8), np.uint16), "apex": np.ones((9, 8), np.uint16)}, "differ in size"),
    ({"onset": np.ones((8, 8)), "apex": np.ones((8, 8)), "box": [0, 0, 1]}, "'box' must be"),
    (42, "got int"),
])
def test_bad_inputs_are_typed_errors(model, pair_folder, bad, message):
    if bad == "onset.png":
        bad = pair_folder / "onset.png"
    with pytest.raises(InputError, match=message):
        model.processor().load(bad)


def test_a_folder_without_the_pair_names_what_is_missing(model, tmp_path):
    (tmp_path / "onset.png").write_bytes(b"")
    with pytest.raises(InputError, match="no apex.png"):
        model.processor().load(tmp_path)


def test_predict_step_is_one_batched_forward(model, pair_folder):
    processor = model.processor()
    batch = processor([pair_folder, {"onset": pair_folder / "apex.png", "apex": pair_folder / "onset.png"}])
    calls = []
    original = model.forward
    model.forward = lambda points: (calls.append(points.shape), original(points))[1]
    try:
        outputs = model.predict_step(batch)
    finally:
        del model.forward
    assert calls == [(2, 128, 6)]
    assert [sorted(o) for o in outputs] == [["class", "index", "probabilities"]] * 2
    for out in outputs:
        assert out["class"] == model.config.class_names[out["index"]]
        assert sum(out["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
        assert out["class"] == max(out["probabilities"], key=out["probabilities"].get)


def test_zoo_predict_draws_the_picture(model, pair_folder, tmp_path):
    from PIL import Image

    [prediction] = zoo.predict(model, pair_folder, out_dir=tmp_path)
    assert prediction.task == "micro-expression-recognition" and prediction.input == str(pair_folder)
    assert json.loads(json.dumps(prediction.to_dict()))["outputs"]["class"] in model.config.class_names
    [picture] = prediction.files
    assert picture == tmp_path / "clip9.png"
    with Image.open(picture) as image:
        width, height = image.size
        pixels = np.asarray(image.convert("RGB"))
    assert width > 2.5 * height  # four panels side by side
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200  # depth shading and the motion colours, not a blank


def test_published_checkpoint_predicts_its_example(tmp_path):
    from zoo.testing import run_cli

    result = run_cli(["predict", "depth-mer-synth", "--example", "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    [prediction] = record["predictions"]
    assert prediction["task"] == "micro-expression-recognition"
    assert prediction["outputs"]["class"] in ("negative", "positive", "surprise")
    assert len(prediction["files"]) == 1

"""``zoo.predict`` on L2HCount: the processor, batched predict_step, the picture, large inputs."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from PIL import Image

import zoo
from zoo.sdk import InputError
from zoo_l2hcount import example_path
from zoo_l2hcount.points_io import write_shanghaitech_mat


@pytest.fixture(scope="module")
def synth_model():
    return zoo.load("l2hcount-synth")


def test_example_prediction_counts_and_draws_the_picture(synth_model, tmp_path):
    (pred,) = zoo.predict(synth_model, [str(example_path())], out_dir=tmp_path)
    json.dumps(pred.to_dict())  # one JSON schema for every model
    out = pred.outputs
    assert pred.task == "crowd-counting" and (out["width"], out["height"]) == (320, 240)
    assert out["true_count"] == 90 and out["annotation"].endswith("example.points.json")  # found beside it
    assert 45 <= out["count"] <= 180 and out["error"] == pytest.approx(out["count"] - 90, abs=0.011)
    (picture,) = pred.files
    assert picture.name == "example_density.png"
    with Image.open(picture) as img:
        assert img.width > 2 * img.height * 0.9  # two panels side by side


def test_processor_settings_come_from_the_config(tiny_model):
    processor = tiny_model.processor()
    settings = processor.to_dict()
    assert settings["mean"] == list(tiny_model.config.mean) or settings["mean"] == tuple(tiny_model.config.mean)
    assert (settings["max_side"], settings["tile_size"], settings["max_pixels"]) == (2048, 1024, 80_000_000)
    batch = processor([np.full((20, 30, 3), 255, np.uint8)])
    assert batch["pixel_values"].shape == (1, 3, 32, 32)  # padded to a multiple of 16
    white = (1 - torch.tensor(tiny_model.config.mean)) / torch.tensor(tiny_model.config.std)
    torch.testing.assert_close(batch["pixel_values"][0, :, 0, 0], white)
    assert batch["pixel_values"][0, :, 25:, 31:].abs().max() == 0  # zero padding = the mean colour


def test_batched_prediction_equals_one_at_a_time(tiny_model):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for h, w in ((40, 50), (41, 49), (70, 20), (40, 50))]
    together = zoo.predict(tiny_model, images, batch_size=8)
    alone = [zoo.predict(tiny_model, image)[0] for image in images]
    assert [p.outputs["count"] for p in together] == [p.outputs["count"] for p in alone]
    assert [p.input for p in together][0] == "array(40x50x3 uint8)"


@pytest.mark.parametrize("mode, size", [("L", (37, 23)), ("RGBA", (50, 41)), ("P", (16, 16)), ("RGB", (301, 7))])
def test_any_8bit_mode_and_size(tiny_model, tmp_path, mode, size):
    path = tmp_path / f"img_{mode}.png"
    Image.new(mode, size).save(path)
    (pred,) = zoo.predict(tiny_model, [str(path)], out_dir=tmp_path / "out")
    assert (pred.outputs["width"], pred.outputs["height"]) == size and pred.outputs["count"] >= 0
    assert "true_count" not in pred.outputs and pred.files[0].is_file()


def test_annotations_in_the_dataset_layouts_give_the_true_count(tiny_model, tmp_path):
    images, truth = tmp_path / "test_data" / "images", tmp_path / "test_data" / "ground-truth"
    images.mkdir(parents=True)
    truth.mkdir()
    Image.new("RGB", (40, 30)).save(images / "IMG_1.jpg")
    write_shanghaitech_mat(truth / "GT_IMG_1.mat", np.array([[3.0, 4.0], [10.0, 20.0], [99.0, 5.0]]))  # one outside
    (pred,) = zoo.predict(tiny_model, [str(images / "IMG_1.jpg")])
    assert pred.outputs["true_count"] == 2  # heads outside the image are not in it
    explicit = zoo.predict(tiny_model, [{"image": str(images / "IMG_1.jpg"), "points": [[1.0, 1.0]]}])[0]
    assert explicit.outputs["true_count"] == 1 and explicit.outputs["annotation"] == "given"


def test_a_large_image_is_tiled_in_bounded_pieces(tiny_model, monkeypatch):
    tiny_model.config.max_side, tiny_model.config.tile_size = 96, 64
    seen = []
    forward = tiny_model.forward

    def spy(images, *args, **kwargs):
        seen.append(tuple(images.shape[-2:]))
        return forward(images, *args, **kwargs)

    monkeypatch.setattr(tiny_model, "forward", spy)
    image = np.random.default_rng(1).integers(0, 256, size=(200, 300, 3), dtype=np.uint8)
    (pred,) = zoo.predict(tiny_model, image)
    assert pred.outputs["tiles"] == 4 * 5 and len(seen) == 20
    assert max(h for h, _ in seen) <= 64 + 2 * 64 and max(w for _, w in seen) <= 64 + 2 * 64  # tile + margins
    whole = tiny_model.densities([tiny_model.processor().normalize(torch.from_numpy(image).permute(2, 0, 1))])
    assert whole[0].shape == (50, 75)


def test_too_many_pixels_are_refused_before_decoding(tiny_model, tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("RGB", (300, 200)).save(path)
    tiny_model.config.max_pixels = 50_000
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(1))
    message = r"300×200 = 60,000 pixels, above the limit of 50,000 \(max_pixels"
    with pytest.raises(InputError, match=message):
        zoo.predict(tiny_model, [str(path)], out_dir=tmp_path / "out")
    assert not decoded and not (tmp_path / "out").exists()
    with pytest.raises(InputError, match="above max_pixels"):
        zoo.predict(tiny_model, np.zeros((300, 200, 3), np.uint8))


def test_bad_inputs_are_input_errors_with_a_reason(tiny_model, tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.jpg"
    text.write_text("not an image at all")
    deep = tmp_path / "deep.png"
    Image.fromarray(np.full((8, 8), 40000, dtype=np.uint16)).save(deep)
    cases = [
        (str(empty), "empty"), (str(text), "not an image"),
        (str(deep), "^" + re.escape(f"{deep} has PIL mode 'I;16' (more than 8 bits per channel")),
        (str(tmp_path / "missing.png"), "does not exist"),
        (np.zeros((4, 4, 5)), "expected an image path"), (np.full((4, 4, 3), 2.0), r"finite values in \[0, 1\]"),
        ({"image": np.zeros((4, 4, 3), np.uint8), "points": [[np.nan, 1.0]]}, "NaN or infinite"),
        ({"image": np.zeros((4, 4, 3), np.uint8), "points": [1.0, 2.0, 3.0]}, r"\[N, 2\]"),
    ]
    for item, reason in cases:
        with pytest.raises(InputError, match=reason):
            zoo.predict(tiny_model, [str(example_path()), item], out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()  # every input is checked before anything is written


def test_catalog_entries_build_and_recipes_refuse_to_load():
    from zoo.sdk import RecipeNotPublishedError

    sha = zoo.info("l2hcount-sha")
    assert sha["status"] == "recipe" and sha["config"]["encoder"]["config"] == {"pretrained": True}
    with pytest.raises(RecipeNotPublishedError, match="zoo train l2hcount-shb2sha"):
        zoo.load("l2hcount-shb2sha")
    info = zoo.info("l2hcount-synth")
    assert info["status"] == "published" and all("SYNTHETIC" in m["measured_on"] for m in info["metrics"])


def test_large_density_maps_are_sum_pooled_for_the_picture():
    from zoo_l2hcount.predict import DISPLAY_CELLS, _sum_pool

    density = np.random.default_rng(0).random((650, 225))
    factor = -(-650 // DISPLAY_CELLS)
    pooled = _sum_pool(density, factor)
    assert pooled.shape == (217, 75) and pooled.sum() == pytest.approx(density.sum())

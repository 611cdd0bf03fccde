"""``zoo.predict`` for DEFT-LLM: the clip processor (folders, dicts, arrays), one batched step, the picture."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import zoo
from zoo.sdk import InputError


@pytest.fixture(scope="module")
def clip(synth_data, tmp_path_factory):
    """A clip folder of frames (img<k>.jpg, natural order) and the record it comes from."""
    record = json.loads((synth_data / "unimer.jsonl").read_text().splitlines()[0])
    source = (synth_data / record["onset_path"]).parent
    folder = tmp_path_factory.mktemp("clip") / source.name
    shutil.copytree(source, folder)
    return folder, record


def test_a_clip_folder_takes_the_first_frame_as_onset_and_the_middle_one_as_apex(tiny_model, clip):
    from zoo_deft_llm.processor import clip_frames

    folder, record = clip
    onset, apex = clip_frames(folder)
    assert (onset.name, apex.name) == (record["onset_path"].rsplit("/", 1)[1], record["apex_path"].rsplit("/", 1)[1])
    named = folder.parent / "named"
    named.mkdir()
    for role, frame in (("onset", onset), ("apex", apex)):
        shutil.copy(frame, named / f"{role}.jpg")
    shutil.copy(onset, named / "img1.jpg")  # other frames do not matter when onset/apex are named
    assert [p.name for p in clip_frames(named)] == ["onset.jpg", "apex.jpg"]


def test_a_folder_and_the_same_frames_in_memory_give_the_same_views(tiny_model, clip):
    import cv2

    from zoo_deft_llm.processor import clip_frames

    processor = tiny_model.processor()
    assert processor.to_dict()["image_size"] == tiny_model.config.image_size == 32
    folder, _ = clip
    from_folder = processor.load(folder)
    frames = {role: cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for role, p in zip(("onset", "apex"), clip_frames(folder))}
    in_memory = processor.load(frames)
    for key in ("onset", "apex", "flow"):
        assert from_folder.views[key].shape == in_memory.views[key].shape
        np.testing.assert_allclose(from_folder.views[key].numpy(), in_memory.views[key].numpy(), atol=1e-6)
    assert in_memory.onset.startswith("array(") and from_folder.onset.endswith(".jpg")


def test_bad_clips_are_typed_errors(tiny_model, clip, tmp_path):
    processor = tiny_model.processor()
    folder, _ = clip
    single = tmp_path / "one"
    single.mkdir()
    shutil.copy(next(folder.iterdir()), single / "img1.jpg")
    cases = [
        (next(folder.iterdir()), "a single image is not a clip"),
        (tmp_path / "nowhere", "it does not exist"),
        (single, "needs at least two frames"),
        ({"onset": str(next(folder.iterdir()))}, "exactly the keys 'onset' and 'apex'"),
        ({"onset": np.zeros((8, 8), np.uint8), "apex": np.zeros((8, 8), np.uint8)}, r"\[H, W, 3\] uint8 RGB array"),
        ({"onset": np.zeros((64, 64, 3), np.uint8), "apex": np.zeros((32, 32, 3), np.uint8)}, "differ in size"),
        (42, "expected a clip folder"),
    ]
    for bad, message in cases:
        with pytest.raises(InputError, match=message):
            processor.load(bad)


def test_predict_runs_one_batch_and_draws_a_picture_per_clip(tiny_model, clip, tmp_path):
    folder, _ = clip
    other = tmp_path / "b" / folder.name  # the same folder name elsewhere: its own picture
    shutil.copytree(folder, other)
    predictions = zoo.predict(tiny_model, [str(folder), str(other)], batch_size=2, out_dir=tmp_path / "out")
    assert [p.task for p in predictions] == ["micro-expression-recognition"] * 2
    outputs = predictions[0].outputs
    assert outputs["label"] in tiny_model.config.classes
    assert sum(outputs["probabilities"].values()) == pytest.approx(1, abs=1e-3)
    assert isinstance(outputs["text"], str) and outputs["face_alignment"] in {"eyes", "box", "full-frame", "landmarks"}
    assert len(outputs["regions"]) == 3 and outputs["onset"].endswith(".jpg")
    json.dumps([p.to_dict() for p in predictions])  # JSON-able
    files = [f for p in predictions for f in p.files]
    assert len(set(files)) == 2 and all(f.suffix == ".png" and f.stat().st_size > 10_000 for f in files)
    from PIL import Image

    width, height = Image.open(files[0]).size
    assert width > 2 * height  # the three panels side by side

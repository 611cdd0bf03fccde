"""dataset/casme3-depth on the synthetic CAS(ME)^3 sample: layout, quirks, checks, settings in batches."""

import json
import warnings

import numpy as np
import pytest
import torch

from zoo.sdk import DataWarning, InputError
from zoo_mer_data.report import LabelQuirkWarning


def test_synthetic_sample_has_the_real_layout_and_planted_quirks(synth_root, pipeline, quiet_build):
    root, summary = synth_root
    assert (root / "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx").is_file()
    assert json.loads((root / "SYNTHETIC.json").read_text())["generator"] == "zoo depth-mer make-synth"
    clip = summary.clips[6]
    assert (root / "RGB" / clip.subject_name / clip.filename / "color" / f"{clip.onset}.jpg").is_file()
    with pytest.warns(LabelQuirkWarning) as caught:
        import zoo

        data = zoo.build("dataset/casme3-depth", root=str(root), num_classes=7, pipeline=pipeline)
    assert len(caught) == 1  # one summary, not one warning per row
    counts = data.report.counts()
    for kind in ("apex_not_after_onset", "apex_after_offset", "uppercase_filename", "damaged_frame"):
        assert counts.get(kind) == 1, kind
    assert counts["frame_substituted"] == 2  # the missing onset and the damaged apex were replaced
    assert len(data) == len(summary.clips)  # nothing crashed, nothing was lost


def test_items_and_the_batch_carries_the_settings_the_model_checks(dataset, pipeline, quiet_build):
    item = dataset[0]
    assert item["points"].shape == (128, 6) and item["points"].dtype == torch.float32
    assert item["subject"] == "spNO.1" and 0 <= item["label"] < 7
    assert torch.equal(dataset[0]["points"], item["points"])  # computed once, then cached
    batch = dataset.collate([dataset[0], dataset[1]])
    assert batch["points"].shape == (2, 128, 6) and batch["label"].dtype == torch.long
    assert batch["class_names"] == ["anger", "disgust", "fear", "happy", "sad", "surprise", "others"]
    assert batch["pipeline"]["num_points"] == 128 and batch["pipeline"]["align"] is True
    assert batch["augment"] == {"enabled": True, "rotation_deg": 10.0, "scale": (0.9, 1.1), "shift": 0.05}
    off = quiet_build("dataset/casme3-depth", root=str(dataset.config.root), num_classes=7, pipeline=pipeline,
                        augment={"enabled": False}, subjects=["spNO.2"])
    assert off.collate([off[0]])["augment"] is None


@pytest.mark.parametrize("classes,names", [
    (3, ["negative", "positive", "surprise"]), (4, ["negative", "positive", "surprise", "others"]),
])
def test_class_settings(synth_root, dataset, classes, names, pipeline, quiet_build):
    data = quiet_build("dataset/casme3-depth", root=str(synth_root[0]), num_classes=classes, pipeline=pipeline)
    assert list(data.classes) == names
    emotions = [e for e in (i["emotion"] for i in dataset.items)]
    expected = sum(e != "others" for e in emotions) if classes == 3 else len(emotions)
    assert len(data) == expected


def test_clip_layout_gives_the_same_points(tmp_path, synth_root, dataset, pipeline, quiet_build):
    from zoo_depth_mer.synth import make_synthetic

    make_synthetic(tmp_path / "clip", subjects=3, clips_per_subject=4, seed=3, size=(64, 80), layout="clip")
    clip_data = quiet_build("dataset/casme3-depth", root=str(tmp_path / "clip"), num_classes=7, pipeline=pipeline)
    assert clip_data.layout.kind == "clip"
    assert [i["sample_id"] for i in clip_data.items] == [i["sample_id"] for i in dataset.items]
    assert torch.equal(clip_data[5]["points"], dataset[5]["points"])


def _copy(synth_root, tmp_path):
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(synth_root[0], root)
    return root


def test_a_clip_without_any_decodable_depth_is_skipped_and_reported(synth_root, tmp_path, pipeline, quiet_build):
    root = _copy(synth_root, tmp_path)
    clip = synth_root[1].clips[7]
    for frame in range(clip.onset, clip.offset + 1):  # every frame of the clip damaged: no substitute
        (root / "depth" / clip.subject_name / clip.filename / "depth" / f"{frame}.png").write_bytes(b"broken")
    with pytest.warns(DataWarning, match="undecodable_depth"):
        data = __import__("zoo").build("dataset/casme3-depth", root=str(root), num_classes=7, pipeline=pipeline)
    assert f"{clip.subject_name}_{clip.filename}_{clip.onset}" not in {i["sample_id"] for i in data.items}
    assert len(data.report.of_kind("undecodable_depth")) == 1
    with pytest.raises(InputError, match="no decodable 16-bit depth frame"):
        quiet_build("dataset/casme3-depth", root=str(root), num_classes=7, pipeline=pipeline, strict=True)


def test_an_empty_cloud_is_skipped_and_strict_names_it(synth_root, tmp_path, pipeline, quiet_build):
    import cv2

    root = _copy(synth_root, tmp_path)
    clip = synth_root[1].clips[8]
    folder = root / "depth" / clip.subject_name / clip.filename / "depth"
    for frame in range(clip.onset, clip.offset + 1):  # decodable, but no valid (non-zero) depth at all
        cv2.imwrite(str(folder / f"{frame}.png"), np.zeros((80, 64), np.uint16))
    data = quiet_build("dataset/casme3-depth", root=str(root), num_classes=7, pipeline=pipeline)
    assert [q.sample_id for q in data.report.of_kind("empty_depth_cloud")] == [f"{clip.subject_name}_{clip.filename}_{clip.onset}"]
    with pytest.raises(InputError, match="fewer than 3 valid depth pixels"):
        quiet_build("dataset/casme3-depth", root=str(root), num_classes=7, pipeline=pipeline, strict=True)


def test_face_boxes_from_a_file_are_validated(synth_root, tmp_path, dataset, pipeline, quiet_build):
    root = synth_root[0]
    first, second = dataset.items[0]["sample_id"], dataset.items[1]["sample_id"]
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({first: [10, 12, 50, 70], second: [30, 5, 10, float("nan")] if False else [30, 5, 10, 60]}))
    data = quiet_build("dataset/casme3-depth", root=str(root), num_classes=7, pipeline=pipeline, boxes_file=str(boxes))
    assert data.items[0]["box"] == [10, 12, 50, 70] and not torch.equal(data[0]["points"], dataset[0]["points"])
    assert second not in {i["sample_id"] for i in data.items}  # x0 > x1: skipped
    assert data.report.of_kind("bad_face_box")[0].sample_id == second
    for content, message in [("{not json", "not readable JSON"), ("[1, 2]", "must hold a JSON object")]:
        boxes.write_text(content)
        with pytest.raises(InputError, match=message):
            quiet_build("dataset/casme3-depth", root=str(root), num_classes=7, pipeline=pipeline, boxes_file=str(boxes))
    with pytest.raises(InputError, match="does not exist"):
        quiet_build("dataset/casme3-depth", root=str(root), pipeline=pipeline, boxes_file=str(tmp_path / "none.json"))


def test_the_face_detector_box_or_the_whole_frame_with_a_report(synth_root, dataset, pipeline, quiet_build):
    detected = quiet_build("dataset/casme3-depth", root=str(synth_root[0]), num_classes=7, pipeline=pipeline,
                             subjects=["spNO.2"], face_crop="detect")
    item = detected.items[0]
    same = next(i for i, d in enumerate(dataset.items) if d["sample_id"] == item["sample_id"])
    if item["box"] is None:  # the Haar cascade finds no face in the synthetic shading: reported, whole frame
        assert item["sample_id"] in {q.sample_id for q in detected.report.of_kind("face_not_detected")}
        assert torch.equal(detected[0]["points"], dataset[same]["points"])
    else:
        assert len(item["box"]) == 4 and item["box"][2] > item["box"][0]


def test_reading_leaves_the_files_untouched(synth_root, pipeline, quiet_build):
    import hashlib

    root = synth_root[0]
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = quiet_build("dataset/casme3-depth", root=str(root), num_classes=3, pipeline=pipeline)
        data[0]
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}
    assert before == after

"""CAS(ME)^3 Part A labels (quirks adjusted or skipped, reported), layouts, the clip dataset."""

import warnings

import pytest

import zoo
from zoo.sdk import InputError
from zoo_mer_data.casme3 import LABEL_FILE, LabelQuirkWarning, find_label_file, read_casme3_labels, write_casme3_labels

ROWS = [
    {"Subject": "spNO.1", "Filename": "a", "Onset": 10, "Apex": 14, "Offset": 20, "AU": "R12", "emotion": "happy"},
    {"Subject": "spNO.1", "Filename": "b", "Onset": 30, "Apex": 30, "Offset": 40, "emotion": "disgust"},  # apex <= onset
    {"Subject": "spNO.2", "Filename": "C", "Onset": 50, "Apex": 70, "Offset": 60, "emotion": "Others"},  # apex > offset
    {"Subject": "spNO.2", "Filename": "d", "Onset": None, "Apex": 5, "Offset": 9, "emotion": "sad"},  # no onset
    {"Subject": "spNO.10", "Filename": "a", "Onset": 5.0, "Apex": 7, "Offset": 9, "emotion": "surprise"},
]


@pytest.fixture
def label_file(tmp_path):
    return write_casme3_labels(tmp_path / LABEL_FILE, ROWS)


def test_quirks_are_reported_and_apex_policies_apply(label_file):
    with pytest.warns(LabelQuirkWarning, match="1 apex_after_offset, 1 apex_not_after_onset"):
        labels, report = read_casme3_labels(label_file)
    assert [lab.sample_id for lab in labels] == ["spNO.1_a_10", "spNO.1_b_30", "spNO.2_c_50", "spNO.10_a_5"]
    assert [lab.apex for lab in labels] == [14, 35, 55, 7]  # midpoints replace the two bad apexes
    assert labels[1].raw_apex == 30 and labels[2].emotion == "others"
    assert report.counts() == {"apex_not_after_onset": 1, "apex_after_offset": 1, "uppercase_filename": 1,
                               "emotion_spelling": 1, "missing_value": 1}
    assert report.of_kind("missing_value")[0].row == 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept, _ = read_casme3_labels(label_file, apex_policy="keep", warn=False)
        dropped, _ = read_casme3_labels(label_file, apex_policy="drop", warn=False)
    assert [lab.apex for lab in kept][:3] == [14, 30, 70]
    assert [lab.sample_id for lab in dropped] == ["spNO.1_a_10", "spNO.10_a_5"]


def test_find_label_file_searches_below_the_root(label_file, tmp_path):
    nested = tmp_path / "x" / "annotation"
    nested.mkdir(parents=True)
    moved = nested / LABEL_FILE
    label_file.rename(moved)
    assert find_label_file(tmp_path) == moved
    empty = tmp_path / "x" / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="No CAS\\(ME\\)\\^3 Part A label file"):
        find_label_file(empty)


def _touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.mark.parametrize("layout", ["frames", "clip"])
def test_clip_dataset_resolves_both_layouts_and_substitutes_missing_frames(tmp_path, label_file, layout):
    root = tmp_path / "data"
    root.mkdir()
    label_file.rename(root / LABEL_FILE)
    for row in ROWS:
        if row["Onset"] is None:
            continue
        onset = int(row["Onset"])
        for frame in range(onset, int(row["Offset"]) + 1):
            if (row["Filename"], frame) == ("a", 14) and row["Subject"] == "spNO.1":
                continue  # the apex of the first clip is missing: frame 13 or 15 is used
            name = row["Filename"].lower()
            if layout == "frames":
                _touch(root / "part_A" / "RGB" / row["Subject"] / name / "color" / f"{frame}.jpg")
            else:
                _touch(root / "Part_A_ME_clip" / "frame" / f"{row['Subject']}_{name}_{onset}" / f"{frame - onset}.jpg")
    with pytest.warns(LabelQuirkWarning):
        data = zoo.build("dataset/casme3", root=str(root), num_classes=4)
    assert data.layout.kind == layout
    assert [item["sample_id"] for item in data] == ["spNO.1_a_10", "spNO.1_b_30", "spNO.2_c_50", "spNO.10_a_5"]
    assert [item["label"] for item in data] == [1, 0, 3, 2]  # positive, negative, others, surprise
    first = data[0]["frames"]["rgb"]
    assert first["apex_frame"] == 13 and first["onset_frame"] == 10
    assert data.report.of_kind("frame_substituted")[0].sample_id == "spNO.1_a_10"
    assert data.subjects == ["spNO.1", "spNO.1", "spNO.2", "spNO.10"]
    assert data.collate([data[0], data[1]]) == [data[0], data[1]]


def test_clip_dataset_leaves_out_clips_without_frames(tmp_path, label_file):
    _touch(tmp_path / "RGB" / "spNO.1" / "a" / "color" / "10.jpg")
    _touch(tmp_path / "RGB" / "spNO.1" / "a" / "color" / "14.jpg")
    with pytest.warns(LabelQuirkWarning):
        data = zoo.build("dataset/casme3", root=str(tmp_path), num_classes=7)
    assert [item["sample_id"] for item in data] == ["spNO.1_a_10"]
    assert len(data.report.of_kind("missing_frame")) == 3
    with pytest.raises(InputError, match="No CAS\\(ME\\)\\^3 Part A frames"):
        zoo.build("dataset/casme3", root=str(tmp_path / "RGB" / "spNO.1" / "a" / "color"), label_file=str(label_file))

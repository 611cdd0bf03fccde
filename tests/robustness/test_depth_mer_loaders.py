"""dataset/casme3-depth and the Depth-MER verbs against bad data: typed errors, one report, inputs untouched.

A hand-written CAS(ME)^3 Part A copy holds one good clip and one clip per defect: label rows the
shared MER layer rejects (offset before onset, a negative frame, an unknown emotion spelling) and
depth the Depth-MER layer rejects (every frame of a clip damaged, an 8-bit PNG, no valid depth in
the face, onset and apex of different sizes, a NaN or inverted face box). Each is skipped and
counted in ONE warning; ``strict=True`` raises ``InputError`` at the first; a copy with nothing
usable raises naming why; no file is changed.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("zoo_depth_mer")

import cv2  # noqa: E402

import zoo  # noqa: E402
from zoo.sdk import DataWarning, InputError  # noqa: E402
from zoo.testing import run_cli  # noqa: E402
from zoo_mer_data.casme3 import LABEL_FILE, write_casme3_labels  # noqa: E402

PIPELINE = {"num_points": 64, "depth_unit_mm": 1.0, "smooth_px": None, "clean_sigma": None}
#: (subject, filename, onset, apex, offset, emotion, what the depth frames are)
ROWS = [
    ("spNO.1", "a", 10, 12, 14, "happy", "good"),
    ("spNO.1", "b", 20, 22, 18, "happy", "good"),        # offset before onset
    ("spNO.1", "c", -2, 1, 3, "surprise", "good"),        # negative onset
    ("spNO.1", "d", 30, 32, 34, "hapy", "good"),          # unknown emotion spelling
    ("spNO.2", "a", 40, 42, 44, "disgust", "damaged"),    # every frame undecodable
    ("spNO.2", "b", 50, 52, 54, "disgust", "8bit"),       # a colour/8-bit image is not depth
    ("spNO.2", "c", 60, 62, 64, "surprise", "zeros"),     # decodable, no valid depth
    ("spNO.2", "d", 70, 72, 74, "sad", "sizes"),          # onset and apex of different sizes
    ("spNO.3", "a", 80, 82, 84, "fear", "good"),          # its face box is NaN (boxes file)
    ("spNO.3", "b", 90, 92, 94, "anger", "good"),         # its face box is inverted
]


def _face(height=40, width=32, lift=0.0):
    v, u = np.mgrid[0:height, 0:width].astype(float)
    z = 600 - 30 * np.exp(-((u - width / 2) ** 2 + (v - height / 2) ** 2) / 80) - lift * np.exp(-((u - 10) ** 2 + (v - 30) ** 2) / 10)
    return np.round(z).astype(np.uint16)


def _write_frames(root: Path, subject: str, filename: str, onset: int, offset: int, kind: str) -> None:
    folder = root / "depth" / subject / filename / "depth"
    folder.mkdir(parents=True, exist_ok=True)
    for frame in range(min(onset, offset), max(onset, offset) + 1):
        path = folder / f"{frame}.png"
        if kind == "damaged":
            path.write_bytes(b"\x89PNG\r\n\x1a\n broken")
        elif kind == "8bit":
            cv2.imwrite(str(path), np.full((40, 32, 3), 128, np.uint8))
        elif kind == "zeros":
            cv2.imwrite(str(path), np.zeros((40, 32), np.uint16))
        elif kind == "sizes" and frame != onset:
            cv2.imwrite(str(path), _face(44, 32))
        else:
            cv2.imwrite(str(path), _face(lift=3.0 * (frame - onset)))


@pytest.fixture
def casme3(tmp_path):
    root = tmp_path / "part_A"
    rows = []
    for subject, filename, onset, apex, offset, emotion, kind in ROWS:
        rows.append({"Subject": subject, "Filename": filename, "Onset": onset, "Apex": apex, "Offset": offset,
                     "AU": "12", "Objective class": "I", "emotion": emotion})
        if onset >= 0:
            _write_frames(root, subject, filename, onset, offset, kind)
    write_casme3_labels(root / LABEL_FILE, rows)
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"spNO.3_a_80": [0, 0, float("nan"), 30], "spNO.3_b_90": [30, 0, 2, 40]}))
    return root, boxes


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def _build(root, boxes, **config):
    return zoo.build("dataset/casme3-depth", root=str(root), num_classes=7, pipeline=PIPELINE, boxes_file=str(boxes), **config)


def test_every_bad_clip_is_skipped_and_counted_in_one_warning(casme3):
    root, boxes = casme3
    before = _digest(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = _build(root, boxes)
    assert [i["sample_id"] for i in data.items] == ["spNO.1_a_10"]
    counts = data.report.counts()
    assert counts["offset_before_onset"] == 1 and counts["negative_frame"] == 1 and counts["unknown_emotion"] == 1
    assert counts["undecodable_depth"] == 2  # every frame damaged; an 8-bit image is not a depth map
    assert counts["empty_depth_cloud"] == 1 and counts["depth_size_mismatch"] == 1 and counts["bad_face_box"] == 2
    data_warnings = [w for w in caught if issubclass(w.category, DataWarning)]
    assert len(data_warnings) == 1 and "undecodable_depth" in str(data_warnings[0].message)
    assert data[0]["points"].shape == (64, 6) and np.isfinite(data[0]["points"].numpy()).all()
    assert _digest(root) == before


@pytest.mark.parametrize("drop,reason", [
    ([], "offset frame comes before the onset frame"),
    (["spNO.1_b"], "a frame number is negative"),
    (["spNO.1_b", "spNO.1_c"], "not a label of the dataset's class map"),
    (["spNO.1_b", "spNO.1_c", "spNO.1_d"], "no decodable 16-bit depth frame"),
])
def test_strict_stops_at_the_first_bad_record_naming_it(casme3, drop, reason):
    root, boxes = casme3
    from openpyxl import load_workbook

    book = load_workbook(root / LABEL_FILE)
    sheet = book["label"]
    for row in reversed(range(2, sheet.max_row + 1)):
        if f"{sheet.cell(row, 1).value}_{sheet.cell(row, 2).value}" in drop:
            sheet.delete_rows(row)
    book.save(root / LABEL_FILE)
    with pytest.raises(InputError, match=reason):
        _build(root, boxes, strict=True)


def test_nothing_usable_is_an_error_naming_why(casme3):
    root, boxes = casme3
    for frame in (10, 11, 12, 13, 14):  # the one good clip's depth, now empty
        cv2.imwrite(str(root / "depth" / "spNO.1" / "a" / "depth" / f"{frame}.png"), np.zeros((40, 32), np.uint16))
    with pytest.raises(InputError, match=r"no usable clip \(every record was skipped: .*fewer than 3 valid depth pixels"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _build(root, boxes)


def test_a_bad_boxes_file_is_an_input_error(casme3, tmp_path):
    root, _ = casme3
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(InputError, match="not readable JSON"):
        _build(root, bad)


def test_the_verbs_give_typed_errors_and_write_nothing(tmp_path, casme3):
    root, _ = casme3
    target = tmp_path / "a_file"
    target.write_text("keep")
    result = run_cli(["depth-mer", "make-synth", str(target), "--subjects", "2", "--clips", "1"])
    assert result.exit_code == 1 and result.output.startswith("error:") and target.read_text() == "keep"
    result = run_cli(["depth-mer", "train-synth", str(tmp_path / "out"), "--data", str(root)])
    assert result.exit_code == 1 and "not synthetic data" in result.output and not (tmp_path / "out").exists()
    png = next((root / "depth" / "spNO.1" / "a" / "depth").glob("*.png"))
    result = run_cli(["predict", "depth-mer-synth", str(png)])
    assert result.exit_code == 1 and "onset/apex pair" in result.output and "Traceback" not in result.output
    result = run_cli(["predict", "depth-mer-synth", str(root / "depth" / "spNO.1" / "a")])
    assert result.exit_code == 1 and "no onset.png and no apex.png" in result.output

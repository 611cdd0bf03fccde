"""The shared MER loaders (zoo-mer-data) against bad label files and frames: typed errors, one report, inputs untouched.

CASME II, SAMM, SMIC-HS, the MEGC2019 composite and CAS(ME)^3 validate every row: an offset before
the onset, a negative frame, an emotion the class map does not know, a missing subject/onset, frames
missing on disk are skipped and reported in ONE ``LabelQuirkWarning`` (a ``DataWarning``) with a
count per kind; ``strict=True`` raises ``InputError`` at the first; a dataset left with nothing
raises; a corrupt workbook is an ``InputError``. Nothing is ever written into the dataset.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import pytest

pytest.importorskip("zoo_mer_data")

import zoo  # noqa: E402
from zoo.sdk import DataWarning, InputError  # noqa: E402
from zoo_mer_data import casme2, megc, samm, smic  # noqa: E402
from zoo_mer_data.casme3 import LABEL_FILE, read_casme3_labels, write_casme3_labels  # noqa: E402
from zoo_mer_data.report import LabelQuirkWarning  # noqa: E402

HEADER = ["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units", "Estimated Emotion"]
#: (subject, filename, onset, apex, offset, AUs, emotion, write frames?)
CASME2_ROWS = [
    (1, "EP01_01", 10, 12, 14, "12", "happiness", True),       # good
    (1, "EP02_01", 20, "/", 26, "1+2", "surprise", True),      # apex unknown: midpoint, kept
    (2, "EP03_01", 30, 33, 28, "4", "disgust", True),          # offset before onset
    (2, "EP04_01", -3, 2, 6, "4", "disgust", True),            # negative onset
    (2, "EP05_01", 40, 42, 44, "12", "hapiness", True),        # unknown emotion spelling
    (3, "EP06_01", 50, 52, 54, "15", "repression", False),     # frames missing on disk
    (None, "EP07_01", 60, 62, 64, "4", "others", True),        # no subject
    (3, "EP08_01", 70, 80, 74, "4", "others", True),           # apex after the offset: midpoint, kept
]


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def _workbook(path: Path, rows: list[list]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def write_casme2(root: Path, rows=CASME2_ROWS) -> Path:
    _workbook(root / "CASME2-coding-20140508.xlsx", [HEADER, *[[s, f, None, o, a, e, None, au, emo] for s, f, o, a, e, au, emo, _ in rows]])
    for subject, filename, onset, apex, offset, _, _, frames in rows:
        if not frames or subject is None:
            continue
        folder = root / "CASME2_RAW_selected" / f"sub{subject:02d}" / filename
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(max(onset, 0), max(onset, offset, 0) + 1):
            (folder / f"img{k}.jpg").write_bytes(b"jpg")
    return root


def test_casme2_bad_rows_are_skipped_and_reported_once(tmp_path):
    root = write_casme2(tmp_path)
    before = _digest(root)
    with pytest.warns(LabelQuirkWarning) as caught:
        data = zoo.build("dataset/casme2", root=str(root))
    assert len(caught) == 1 and issubclass(caught[0].category, DataWarning)
    message = str(caught[0].message)
    for text in ("1 missing_frame (skipped)", "1 missing_value (skipped)", "1 negative_frame (skipped)",
                 "1 offset_before_onset (skipped)", "1 unknown_emotion (skipped)", "1 apex_outside_clip"):
        assert text in message, text
    assert [c.clip for c in data.clips] == ["EP01_01", "EP02_01", "EP08_01"]
    assert [(c.apex_frame, c.apex_estimated) for c in data.clips] == [(12, False), (23, True), (72, True)]
    unknown = data.report.of_kind("unknown_emotion")[0]
    assert unknown.row == 6 and "'hapiness' is not one of" in unknown.detail and "happiness" in unknown.detail
    assert _digest(root) == before


@pytest.mark.parametrize("rows, expected", [
    ([CASME2_ROWS[2]], r"sub02_EP03_01 \(row 3: onset 30, offset 28\): the offset frame comes before the onset frame"),
    ([CASME2_ROWS[3]], r"sub02_EP04_01 \(row 3: onset -3\): a frame number is negative"),
    ([CASME2_ROWS[4]], r"'hapiness' is not one of .*the emotion is not a label of the dataset's class map"),
    ([CASME2_ROWS[5]], r"img50.jpg, img52.jpg not in .*missing or empty on disk"),
])
def test_casme2_strict_raises_at_the_first_bad_row(tmp_path, rows, expected):
    root = write_casme2(tmp_path, [CASME2_ROWS[0], *rows])
    before = _digest(root)
    with pytest.raises(InputError, match=expected):
        zoo.build("dataset/casme2", root=str(root), strict=True)
    assert _digest(root) == before


def test_a_dataset_left_with_nothing_says_why(tmp_path):
    root = write_casme2(tmp_path, [CASME2_ROWS[2], CASME2_ROWS[4]])
    with pytest.raises(InputError, match=r"no usable clip \(every record was skipped: .*offset frame comes before"):
        zoo.build("dataset/casme2", root=str(root))
    with pytest.raises(InputError, match="is not a folder"):
        zoo.build("dataset/casme2", root=str(tmp_path / "nowhere"))


def test_subjects_that_select_nothing_name_the_subjects_the_data_has(tmp_path):
    root = write_casme2(tmp_path, CASME2_ROWS[:2])
    with pytest.raises(InputError, match=r"for subjects \['sub09'\]; the data has subjects sub01"):
        zoo.build("dataset/casme2", root=str(root), subjects=["sub09"])


def test_a_corrupt_workbook_is_an_input_error(tmp_path):
    root = write_casme2(tmp_path, CASME2_ROWS[:1])
    (root / "CASME2-coding-20140508.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    before = _digest(root)
    with pytest.raises(InputError, match="not a readable .xlsx workbook"):
        casme2.list_clips(root)
    assert _digest(root) == before


def test_samm_negative_apex_other_than_minus_one_and_unknown_emotions(tmp_path):
    header = ["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration", "Type",
              "Action Units", "Notes", "Estimated Emotion"]
    rows = [[6, "006_1_2", 1, 100, -1, 110, 10, "Micro", "4", "", "Anger"],   # -1: unknown apex, midpoint
            [6, "006_1_3", 1, 200, -5, 210, 10, "Micro", "4", "", "Anger"],   # negative apex
            [6, "006_1_4", 1, 300, 305, 310, 10, "Micro", "4", "", "Angry"]]  # unknown emotion
    _workbook(tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx", [["SAMM"], [], header, *rows])
    for clip, start in (("006_1_2", 100), ("006_1_3", 200), ("006_1_4", 300)):
        folder = tmp_path / "SAMM" / "006" / clip
        folder.mkdir(parents=True)
        for k in range(start, start + 11):
            (folder / f"006_{k:05d}.jpg").write_bytes(b"jpg")
    with pytest.warns(LabelQuirkWarning, match="1 negative_frame .*1 unknown_emotion"):
        (clip,) = samm.list_clips(tmp_path)
    assert (clip.clip, clip.apex_frame, clip.apex_estimated) == ("006_1_2", 105, True)
    with pytest.raises(InputError, match="apex -5"):
        samm.list_clips(tmp_path, strict=True)


def _smic_clip(root: Path, subject: str, emotion: str, clip: str, frames: int, empty: tuple[int, ...] = ()) -> None:
    folder = root / "HS" / subject / "micro" / emotion / clip
    folder.mkdir(parents=True)
    for k in range(frames):
        (folder / f"reg_image{k:04d}.bmp").write_bytes(b"" if k in empty else b"bmp")


def test_smic_unknown_class_folders_and_clips_without_frames_are_reported(tmp_path):
    _smic_clip(tmp_path, "s1", "positive", "s1_po_01", 5)
    _smic_clip(tmp_path, "s1", "happy", "s1_ha_01", 5)              # not a SMIC class folder
    _smic_clip(tmp_path, "s1", "negative", "s1_ne_01", 2, empty=(1,))  # one non-empty frame left
    before = _digest(tmp_path)
    with pytest.warns(LabelQuirkWarning, match="1 too_few_frames .*1 unknown_emotion"):
        (clip,) = smic.list_clips(tmp_path)
    assert (clip.clip, clip.apex_frame) == ("s1_po_01", 2)
    with pytest.raises(InputError, match="s1/micro/happy .*'happy' is not one of negative, positive, surprise"):
        smic.list_clips(tmp_path, strict=True)
    assert _digest(tmp_path) == before


def test_the_composite_reports_its_parts_bad_rows(tmp_path):
    write_casme2(tmp_path / "CASME2", CASME2_ROWS[:3])
    with pytest.warns(LabelQuirkWarning, match="dataset/megc2019 at .*1 offset_before_onset"):
        data = zoo.build("dataset/megc2019", root=str(tmp_path))
    assert [(i["subject"], i["emotion"]) for i in data] == [("casme2/sub01", "positive"), ("casme2/sub01", "surprise")]
    assert data.report.of_kind("offset_before_onset")[0].sample_id == "sub02_EP03_01"
    with pytest.warns(LabelQuirkWarning, match="MEGC2019 composite at"):
        assert [c.sample_id for c in megc.list_clips(tmp_path)] == ["casme2/sub01_EP01_01", "casme2/sub01_EP02_01"]


CASME3_ROWS = [
    {"Subject": "spNO.1", "Filename": "a", "Onset": 10, "Apex": 14, "Offset": 20, "emotion": "happy"},
    {"Subject": "spNO.1", "Filename": "b", "Onset": 30, "Apex": 32, "Offset": 25, "emotion": "disgust"},  # offset < onset
    {"Subject": "spNO.1", "Filename": "c", "Onset": -4, "Apex": 2, "Offset": 9, "emotion": "fear"},       # negative onset
    {"Subject": "spNO.2", "Filename": "d", "Onset": 5, "Apex": 7, "Offset": 9, "emotion": "happiness"},   # not a CAS(ME)^3 label
]


def test_casme3_offset_before_onset_negative_frames_and_unknown_emotions(tmp_path):
    path = write_casme3_labels(tmp_path / LABEL_FILE, CASME3_ROWS)
    before = _digest(tmp_path)
    with pytest.warns(LabelQuirkWarning, match="1 negative_frame .*1 offset_before_onset .*1 unknown_emotion"):
        labels, report = read_casme3_labels(path)
    assert [label.sample_id for label in labels] == ["spNO.1_a_10"]
    assert "'happiness' is not one of anger, disgust, fear, happy" in report.of_kind("unknown_emotion")[0].detail
    with pytest.raises(InputError, match=r"spNO.1_b_30 \(row 3: onset 30, offset 25\)"):
        read_casme3_labels(path, strict=True)
    for frame in (10, 14):
        folder = tmp_path / "RGB" / "spNO.1" / "a" / "color"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{frame}.jpg").write_bytes(b"jpg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelQuirkWarning)
        data = zoo.build("dataset/casme3", root=str(tmp_path), num_classes=7)
    assert [item["sample_id"] for item in data] == ["spNO.1_a_10"] and data.clips[0].onset_path.endswith("10.jpg")
    with pytest.raises(InputError, match="offset frame comes before the onset"):
        zoo.build("dataset/casme3", root=str(tmp_path), num_classes=7, strict=True)
    assert {k: v for k, v in _digest(tmp_path).items() if not k.startswith("RGB")} == before

"""CASME II reader: header by name with spacer columns, apex '/', both frame layouts, missing frames."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from zoo.sdk import InputError
from zoo_mer_data.casme2 import CASME2_5, list_clips
from zoo_mer_data.report import LabelQuirkWarning


def write_casme2(root, rows, layout=("CASME2_RAW_selected", "img{k}.jpg"), skip_frames=()):
    book = Workbook()
    book.active.append(["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units", "Estimated Emotion"])
    for subject, filename, onset, apex, offset, aus, emotion in rows:
        book.active.append([subject, filename, None, onset, apex, offset, None, aus, emotion])
        folder = root / layout[0] / f"sub{subject:02d}" / filename
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(onset, offset + 1):
            if (filename, k) not in skip_frames:
                (folder / layout[1].format(k=k)).write_bytes(b"jpg")
    book.save(root / "CASME2-coding-20140508.xlsx")


def test_reads_rows_by_name_and_estimates_a_missing_apex(tmp_path):
    write_casme2(tmp_path, [(1, "EP02_01f", 46, 59, 86, "4+L10", "disgust"), (17, "EP01_02", 10, "/", 20, "12", "Happiness ")])
    first, second = list_clips(tmp_path)
    assert (first.subject, first.clip, first.onset_frame, first.apex_frame, first.aus, first.emotion) == ("sub01", "EP02_01f", 46, 59, "4+L10", "disgust")
    assert first.onset_path.endswith("sub01/EP02_01f/img46.jpg") and not first.apex_estimated
    assert (second.subject, second.apex_frame, second.apex_estimated, second.emotion) == ("sub17", 15, True, "happiness")


def test_cropped_layout_and_five_class_setting(tmp_path):
    write_casme2(tmp_path, [(2, "EP01_01", 1, 3, 5, "1+2", "surprise"), (2, "EP03_01", 1, 2, 4, "4", "fear")],
                 layout=("Cropped", "reg_img{k}.jpg"))
    clips = list_clips(tmp_path)
    assert clips[0].apex_path.endswith("Cropped/sub02/EP01_01/reg_img3.jpg")
    assert [CASME2_5.index(c.emotion) for c in clips] == [1, None]


def test_missing_frames_are_skipped_with_one_warning_or_raise_in_strict_mode(tmp_path):
    write_casme2(tmp_path, [(1, "A", 1, 2, 3, "12", "happiness"), (1, "B", 1, 2, 3, "12", "happiness")], skip_frames={("B", 2)})
    with pytest.warns(LabelQuirkWarning, match=r"1 missing_frame \(skipped\) \(e.g. sub01_B: img2.jpg not in"):
        assert [c.clip for c in list_clips(tmp_path)] == ["A"]
    with pytest.raises(InputError, match=r"sub01_B \(row 3: img2.jpg not in .*an onset or apex frame is missing"):
        list_clips(tmp_path, strict=True)


def test_missing_label_file_says_where_to_point(tmp_path):
    with pytest.raises(InputError, match="CASME2-coding"):
        list_clips(tmp_path)


def test_registered_dataset_items_follow_the_casme3_layout(tmp_path):
    import zoo

    write_casme2(tmp_path, [(1, "A", 1, 2, 3, "12", "happiness"), (2, "B", 1, 2, 3, "4", "fear"), (3, "C", 4, 6, 8, "1+2", "surprise")])
    data = zoo.build("dataset/casme2", root=str(tmp_path), subjects=["sub01", "sub02", "sub03"])
    assert len(data) == 2 and data.subjects == ["sub01", "sub03"]  # fear is not in the 5-class setting
    assert [c.emotion for c in data.clips] == ["happiness", "fear", "surprise"]  # a known label, left out quietly
    item = data[1]
    assert (item["label"], item["emotion"], item["aus"], item["apex"]) == (1, "surprise", "1+2", 6)
    assert item["frames"]["rgb"]["apex"].endswith("sub03/C/img6.jpg") and data.collate([item]) == [item]

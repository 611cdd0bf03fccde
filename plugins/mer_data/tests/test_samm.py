"""SAMM reader: preamble rows before the header, zero-padded frame names, apex -1."""

from __future__ import annotations

from openpyxl import Workbook

from zoo_mer_data.samm import SAMM_5, list_clips


def test_samm_layout_with_preamble(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["SAMM Micro-Movement Database"])
    sheet.append(["Coded by FACS coders"])
    sheet.append([])
    sheet.append(["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
                  "Type", "Action Units", "Notes", "Estimated Emotion", "Objective Classes"])
    sheet.append([6, "006_1_2", 1, 5562, 5588, 5605, 43, "Micro - 1/2", "4+7", "", "Anger", 2])
    sheet.append(["007", "007_5_1", 1, 100, -1, 110, 10, "Micro - 1/2", "R12", "", "Contempt", 3])
    book.save(tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx")
    for subject, clip, frames, width in (("006", "006_1_2", range(5562, 5606), 5), ("007", "007_5_1", range(100, 111), 4)):
        folder = tmp_path / "SAMM" / subject / clip
        folder.mkdir(parents=True)
        for k in frames:
            (folder / f"{subject}_{k:0{width}d}.jpg").write_bytes(b"jpg")
    first, second = list_clips(tmp_path)
    assert (first.subject, first.onset_frame, first.apex_frame, first.emotion, first.aus) == ("006", 5562, 5588, "anger", "4+7")
    assert first.apex_path.endswith("006_05588.jpg")
    assert (second.apex_frame, second.apex_estimated) == (105, True) and second.apex_path.endswith("007_0105.jpg")
    assert [SAMM_5.index(c.emotion) for c in (first, second)] == [0, 1]

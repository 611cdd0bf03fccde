"""Label sheets read by header name, and the emotion → class mappings."""

import openpyxl
import pytest

from zoo.sdk import ConfigError, InputError
from zoo_mer_data.classes import CASME3_3, CASME3_4, CASME3_7, casme3_mapping, make_mapping
from zoo_mer_data.sheets import read_table


def _workbook(path, rows, title="Sheet1"):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_read_table_finds_header_after_preamble_and_skips_spacers(tmp_path):
    path = _workbook(tmp_path / "labels.xlsx", [
        ["Micro FACS codes"], [], ["Subject", None, " Onset  Frame", "Estimated Emotion"],
        [1, None, 10, "happiness"], [None, None, None, None], ["2", "x", 20.0, "surprise"],
    ])
    rows = read_table(path, {"subject": ["Subject"], "onset": ["Onset Frame", "OnsetFrame"]},
                      optional={"emotion": ["Estimated emotion"], "au": ["Action Units"]})
    assert rows == [
        {"subject": 1, "onset": 10, "emotion": "happiness", "au": None, "_row": 4},
        {"subject": "2", "onset": 20.0, "emotion": "surprise", "au": None, "_row": 6},
    ]


def test_read_table_errors_name_the_problem(tmp_path):
    path = _workbook(tmp_path / "labels.xlsx", [["Subject", "Apex"], [1, 2]], title="label")
    with pytest.raises(InputError, match="no header row with the columns Subject, Onset"):
        read_table(path, {"subject": ["Subject"], "onset": ["Onset"]})
    with pytest.raises(InputError, match="has no sheet 'other'"):
        read_table(path, {"subject": ["Subject"]}, sheet="other")
    with pytest.raises(InputError, match="does not exist"):
        read_table(tmp_path / "missing.xlsx", {"subject": ["Subject"]})
    (tmp_path / "bad.xlsx").write_text("not a workbook")
    with pytest.raises(InputError, match="not a readable .xlsx"):
        read_table(tmp_path / "bad.xlsx", {"subject": ["Subject"]})


def test_casme3_class_settings_match_the_published_counts():
    # v2 label counts: disgust 250, surprise 187, others 158 + 3 "Others", fear 86, anger 64, sad 57, happy 55
    counts = {"disgust": 250, "surprise": 187, "others": 158, "Others": 3, "fear": 86, "anger": 64, "sad": 57,
              "happy": 55}
    labels = [emotion for emotion, n in counts.items() for _ in range(n)]
    four = [CASME3_4.index(e) for e in labels]
    assert [four.count(i) for i in range(4)] == [457, 55, 187, 161]
    three = [CASME3_3.index(e) for e in labels]
    assert sum(i is not None for i in three) == 699 and CASME3_3.classes == ("negative", "positive", "surprise")
    seven = [CASME3_7.index(e) for e in labels]
    assert len(set(seven)) == 7 and None not in seven
    assert casme3_mapping(4) is CASME3_4


def test_make_mapping_rejects_conflicts_and_empty_classes():
    mapping = make_mapping("megc", {"negative": ["disgust", "Repression"], "positive": ["happiness"]})
    assert mapping.index(" repression ") == 0 and mapping.index("fear") is None and len(mapping) == 2
    with pytest.raises(ConfigError, match="both 'a' and 'b'"):
        make_mapping("x", {"a": ["fear"], "b": ["Fear"]})
    with pytest.raises(ConfigError, match="lists no raw labels"):
        make_mapping("x", {"a": []})
    with pytest.raises(ConfigError, match="3-, 4- and 7-class"):
        casme3_mapping(5)

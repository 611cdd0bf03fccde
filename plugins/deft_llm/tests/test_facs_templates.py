"""FACS table parsing, AU label parsing, and the (C, E, R) answer layout round trip."""

from __future__ import annotations

import json

import pytest

from zoo.sdk import InputError
from zoo_deft_llm.facs import AULabel, load_table, parse_aus
from zoo_deft_llm.unimer.templates import format_answer, parse_answer


def test_parse_aus_reads_dataset_cells():
    assert parse_aus("4+L10") == [AULabel(4), AULabel(10, "L")]
    assert parse_aus("R12A+R14A") == [AULabel(12, "R", "A"), AULabel(14, "R", "A")]
    assert parse_aus("1+2+5B+26") == [AULabel(1), AULabel(2), AULabel(5, None, "B"), AULabel(26)]
    assert parse_aus("AU4, AU7") == [AULabel(4), AULabel(7)]
    assert parse_aus("?") == [] and parse_aus(None) == [] and parse_aus("/") == []


def test_table_regions_and_sides():
    table = load_table()
    assert table.regions_for(AULabel(12, "L")) == {"mouth_corner_l": ("up", "outward")}
    assert set(table.regions_for(AULabel(12))) == {"mouth_corner_l", "mouth_corner_r"}
    assert table.regions_for(AULabel(17, "L")) == table.regions_for(AULabel(17))  # midline: no side
    assert table.readable("mouth_corner_l") == "left mouth corner"
    with pytest.raises(InputError, match="AU99"):
        table.regions_for(AULabel(99))


def test_bad_direction_in_a_custom_table_is_reported(tmp_path):
    raw = {"eyes": {"left_in_image": [0.3, 0.4], "right_in_image": [0.7, 0.4]}, "regions": {"chin": [0, 0, 1, 1]},
           "region_names": {}, "aus": {"17": {"name": "Chin Raiser", "regions": {"chin": "sideways"}}}}
    path = tmp_path / "table.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError, match="sideways"):
        load_table(str(path))


def test_answer_round_trip_and_malformed_text():
    text = format_answer("the chin moves up (AU17).", "repression", "pressed lips hold back a smile.")
    parsed = parse_answer(text)
    assert (parsed.caption, parsed.emotion, parsed.reasoning) == ("the chin moves up (AU17).", "repression", "pressed lips hold back a smile.")
    assert parse_answer("no layout here").emotion == ""

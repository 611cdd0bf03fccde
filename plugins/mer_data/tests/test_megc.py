"""MEGC2019 composite: per-dataset mapping to negative/positive/surprise, dataset-prefixed subjects."""

from __future__ import annotations

import pytest

from zoo.sdk import InputError
from zoo_mer_data.casme2 import ClipRecord
from zoo_mer_data.megc import MEGC_3, list_clips, to_megc


def clip(dataset, emotion, subject="sub01"):
    return ClipRecord(dataset, subject, "c", 1, 2, 3, "a.jpg", "b.jpg", emotion, None)


@pytest.mark.parametrize("dataset, emotion, expected", [
    ("casme2", "repression", "negative"), ("casme2", "disgust", "negative"), ("casme2", "others", None),
    ("casme2", "fear", None), ("samm", "contempt", "negative"), ("samm", "sadness", "negative"),
    ("samm", "other", None), ("smic", "positive", "positive"), ("samm", "happiness", "positive"),
    ("casme2", "surprise", "surprise"),
])
def test_mapping(dataset, emotion, expected):
    mapped = to_megc(clip(dataset, emotion))
    assert (mapped.emotion if mapped else None) == expected
    if mapped:
        assert mapped.subject == f"{dataset}/sub01" and MEGC_3.index(mapped.emotion) is not None


def test_composite_reads_available_parts(tmp_path):
    folder = tmp_path / "SMIC" / "HS" / "s1" / "micro" / "negative" / "s1_ne_01"
    folder.mkdir(parents=True)
    for k in range(3):
        (folder / f"reg_image{k}.bmp").write_bytes(b"bmp")
    clips = list_clips(tmp_path)
    assert [(c.dataset, c.subject, c.emotion) for c in clips] == [("smic", "smic/s1", "negative")]
    with pytest.raises(InputError, match="MEGC2019"):
        list_clips(tmp_path / "SMIC" / "HS")

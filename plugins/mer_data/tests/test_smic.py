"""SMIC-HS reader: class from the folder, first frame = onset, middle frame = apex, no AUs."""

from __future__ import annotations

import pytest

from zoo.sdk import InputError
from zoo_mer_data.smic import list_clips


def test_smic_hs_layout(tmp_path):
    for subject, emotion, clip, frames in (("s3", "positive", "s3_po_05", range(1000, 1011)), ("s10", "surprise", "s10_sur_01", range(7, 10))):
        folder = tmp_path / "HS" / subject / "micro" / emotion / clip
        folder.mkdir(parents=True)
        for k in frames:
            (folder / f"reg_image{k:06d}.bmp").write_bytes(b"bmp")
    first, second = list_clips(tmp_path)
    assert (first.subject, first.emotion, first.onset_frame, first.apex_frame, first.aus) == ("s3", "positive", 1000, 1005, None)
    assert first.apex_estimated and first.apex_path.endswith("reg_image001005.bmp")
    assert (second.subject, second.onset_frame, second.apex_frame) == ("s10", 7, 8)


def test_not_a_smic_folder(tmp_path):
    with pytest.raises(InputError, match="SMIC-HS layout"):
        list_clips(tmp_path)

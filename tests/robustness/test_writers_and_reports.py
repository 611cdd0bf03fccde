"""atomic_output_dir (no half-written folders) and SkippedRecords (strict or one summary warning)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from zoo.errors import DataWarning, InputError
from zoo.sdk import SkippedRecords, atomic_output_dir


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_successful_block_renames_the_temporary_folder_to_out(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    with atomic_output_dir(out) as work:
        assert work.parent == tmp_path and work != out and not out.exists()
        (work / "a.txt").write_text("a")
    assert (out / "a.txt").read_text() == "a"
    assert _siblings(tmp_path) == ["synth"]  # nothing temporary left beside it


def test_a_failing_block_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    with pytest.raises(RuntimeError, match="killed"):
        with atomic_output_dir(out) as work:
            (work / "half.txt").write_text("half")
            raise RuntimeError("killed half way")
    assert _siblings(tmp_path) == []


def test_an_interrupt_also_cleans_up(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        with atomic_output_dir(tmp_path / "synth") as work:
            (work / "half.txt").write_text("half")
            raise KeyboardInterrupt
    assert _siblings(tmp_path) == []


def test_an_existing_file_is_refused_before_the_block_runs_and_kept(tmp_path: Path) -> None:
    out = tmp_path / "notes.txt"
    out.write_bytes(b"precious")
    ran = []
    for overwrite in (False, True):
        with pytest.raises(InputError, match="existing file, not a folder"):
            with atomic_output_dir(out, overwrite=overwrite):
                ran.append(1)
    assert ran == [] and out.read_bytes() == b"precious" and _siblings(tmp_path) == ["notes.txt"]


def test_a_non_empty_folder_needs_overwrite_and_is_replaced_only_on_success(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(InputError, match="not empty.*overwrite"):
        with atomic_output_dir(out):
            pass
    with pytest.raises(ValueError):
        with atomic_output_dir(out, overwrite=True) as work:
            (work / "new.txt").write_text("new")
            raise ValueError("failed")
    assert _siblings(out) == ["old.txt"]  # a failed overwrite keeps the old content
    with atomic_output_dir(out, overwrite=True) as work:
        (work / "new.txt").write_text("new")
    assert _siblings(out) == ["new.txt"] and _siblings(tmp_path) == ["synth"]


def test_an_empty_existing_folder_is_used(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    out.mkdir()
    with atomic_output_dir(out) as work:
        (work / "x").write_text("x")
    assert _siblings(out) == ["x"]


def test_a_symlink_as_out_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(InputError, match="symbolic link"):
        with atomic_output_dir(tmp_path / "link", overwrite=True):
            pass
    assert _siblings(target) == ["keep.txt"]


def test_strict_raises_on_the_first_bad_record_naming_it() -> None:
    report = SkippedRecords(source="dataset/toy at /data", strict=True)
    with pytest.raises(InputError) as info:
        report.skip(record="IMG_3.jpg", reason="no annotation file GT_IMG_3.mat")
    message = str(info.value)
    assert message.startswith("dataset/toy at /data: IMG_3.jpg: no annotation file GT_IMG_3.mat")
    assert "strict=False" in message


def test_default_mode_warns_once_with_a_count_per_reason() -> None:
    report = SkippedRecords(source="dataset/toy at /data")
    for i in range(5):
        report.skip(record=f"IMG_{i}.jpg", reason="no annotation file")
    report.skip(record="IMG_9.jpg", reason="NaN head position")
    assert report.counts() == {"no annotation file": 5, "NaN head position": 1}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        skipped = report.finish(kept=10)
        report.finish(kept=10)  # a second finish does not warn again
    assert len(caught) == 1 and caught[0].category is DataWarning
    text = str(caught[0].message)
    assert "skipped 6 record(s)" in text
    assert "5 x no annotation file (e.g. IMG_0.jpg, IMG_1.jpg, IMG_2.jpg, ...)" in text
    assert "1 x NaN head position (e.g. IMG_9.jpg)" in text
    assert [s.record for s in skipped][:2] == ["IMG_0.jpg", "IMG_1.jpg"] and len(skipped) == 6


def test_nothing_skipped_means_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert SkippedRecords(source="s").finish(kept=3) == []


def test_zero_items_is_an_error_naming_why() -> None:
    report = SkippedRecords(source="dataset/toy at /data")
    report.skip(record="a.off", reason="face index out of range")
    with pytest.raises(InputError, match=r"no usable items \(every record was skipped: 1 x face index out of range"):
        report.finish(kept=0)
    with pytest.raises(InputError, match="no records were found"):
        SkippedRecords(source="dataset/toy at /empty").finish(kept=0)

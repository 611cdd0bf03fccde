"""Uni-MER: alignment, flow, region motion, the dual constraint, the CLI end to end with --show."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from zoo_deft_llm.face import similarity_from_eyes
from zoo_deft_llm.facs import AULabel, load_table, parse_aus
from zoo_deft_llm.flow import compute_flow
from zoo_deft_llm.regions import RegionMotion, expected_direction, measure_regions
from zoo_deft_llm.unimer.constraint import Thresholds, apply_dual_constraint


def test_similarity_maps_the_eyes_to_their_targets():
    left, right = np.array([40.0, 60.0]), np.array([90.0, 50.0])
    matrix = similarity_from_eyes(left, right, ((0.3, 0.38), (0.7, 0.38)), 128)
    mapped = [matrix @ np.array([*p, 1.0]) for p in (left, right)]
    np.testing.assert_allclose(mapped[0], [0.3 * 128, 0.38 * 128], atol=1e-3)
    np.testing.assert_allclose(mapped[1], [0.7 * 128, 0.38 * 128], atol=1e-3)


@pytest.mark.parametrize("method", ["tvl1", "dis", "farneback"])
def test_flow_recovers_a_known_subpixel_shift(method):
    rng = np.random.default_rng(0)
    import cv2

    texture = cv2.GaussianBlur((rng.random((96, 96)) * 255).astype(np.uint8), (0, 0), 2)
    shifted = cv2.warpAffine(texture, np.float32([[1, 0, 0.6], [0, 1, -0.4]]), (96, 96), borderMode=cv2.BORDER_REFLECT)
    flow = compute_flow(texture, shifted, method)
    np.testing.assert_allclose(np.median(flow[20:-20, 20:-20].reshape(-1, 2), axis=0), [0.6, -0.4], atol=0.1)


def _flow_with(region: str, vector: tuple[float, float], shift=(0.0, 0.0), size: int = 128) -> np.ndarray:
    table = load_table()
    flow = np.zeros((size, size, 2), np.float32) + np.float32(shift)
    x0, y0, x1, y1 = (np.array(table.regions[region]) * size).round().astype(int)
    flow[y0:y1, x0:x1] += np.float32(vector)
    return flow


def test_region_motion_is_relative_to_rigid_head_motion():
    table = load_table()
    motions, noise = measure_regions(_flow_with("chin", (0.0, -1.0), shift=(2.0, 3.0)), table)
    assert motions["chin"].dy == pytest.approx(-1.0, abs=1e-5) and motions["chin"].dx == pytest.approx(0.0, abs=1e-5)
    assert motions["glabella"].magnitude == pytest.approx(0.0, abs=1e-6) and noise == pytest.approx(0.0)


def test_expected_direction_outward_depends_on_the_side():
    np.testing.assert_allclose(expected_direction(("outward",), 0.7), [1, 0])
    np.testing.assert_allclose(expected_direction(("outward",), 0.3), [-1, 0])
    np.testing.assert_allclose(expected_direction(("up", "outward"), 0.3), np.array([-1, -1]) / np.sqrt(2))


def test_dual_constraint_keeps_confirmed_and_rejects_with_reasons():
    table = load_table()
    flow = _flow_with("mouth_corner_l", (0.8, -0.8)) + _flow_with("chin", (0.0, 1.0))  # AU12 left; chin DOWN
    motions, noise = measure_regions(flow, table)
    result = apply_dual_constraint(parse_aus("L12+17+9"), motions, noise, table)
    assert result.confirmed_codes == ["L12"]
    assert result.kept[0]["statement"] == "the left mouth corner moves up and outward (L12)"
    reasons = {r["au"]: r["reason"] for r in result.rejected}
    assert reasons["AU17"].startswith("wrong direction") and "chin moves down" in reasons["AU17"]
    assert reasons["AU9"].startswith("no significant motion")


def test_unlabelled_motion_never_becomes_an_au_statement():
    table = load_table()
    motions, noise = measure_regions(_flow_with("mouth_corner_l", (0.8, -0.8)), table)
    assert apply_dual_constraint(parse_aus("4"), motions, noise, table).kept == []


def test_flow_only_statements_without_aus():
    table = load_table()
    motions, noise = measure_regions(_flow_with("mouth_corner_r", (-0.9, -0.9)), table)
    result = apply_dual_constraint(None, motions, noise, table, Thresholds(max_flow_only_statements=2))
    assert result.statements == ["the right mouth corner moves up and outward"]
    assert result.confirmed_codes == [] and result.rejected == []


def test_au_outside_the_table_is_rejected_not_fatal():
    table = load_table()
    motions = {name: RegionMotion(name, 0.0, 0.0, 0.5) for name in table.regions}
    result = apply_dual_constraint([AULabel(61)], motions, 0.0, table)
    assert result.rejected == [{"au": "AU61", "reason": "not in the FACS table (no region to check)"}]


def test_cli_builds_jsonl_and_pngs_from_the_synthetic_set(tmp_path):
    from zoo_deft_llm.synth import SynthOptions, generate
    from zoo_deft_llm.unimer.cli import unimer

    generate(tmp_path / "data", SynthOptions(subjects=2, clips_per_subject=5, seed=1, extra_fear_row=False))
    out = tmp_path / "u.jsonl"
    result = CliRunner().invoke(unimer, ["build", "--dataset", "casme2", "--root", str(tmp_path / "data"),
                                         "--out", str(out), "--show", str(tmp_path / "show")])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 10 and {r["subject"] for r in records} == {"sub01", "sub02"}
    # sub01 is the astronaut photograph (Haar finds her eyes); sub02 an upscaled LFW face (Haar may not).
    assert all(r["alignment"] == "eyes" for r in records if r["subject"] == "sub01")
    assert all(r["alignment"] in {"eyes", "box", "full-frame"} and r["regions_from"] == "fixed boxes" for r in records)
    assert {c["template"] for c in records[0]["conversations"]} == {"cer", "describe", "aus"}
    happy = [r for r in records if r["emotion"] == "happiness" and r["subject"] == "sub01"]
    assert happy and all(any(k["au"].endswith("12") for k in r["kept"]) for r in happy)
    assert sorted(p.suffix for p in (tmp_path / "show").iterdir()) == [".png"] * 10  # no temporary file left


def test_smic_layout_gets_flow_only_statements(tmp_path):
    """SMIC-HS has no AU labels: the builder describes the moving regions without AU codes."""
    import cv2

    from zoo_deft_llm.sources import list_clips
    from zoo_deft_llm.synth import base_face, displacement_field, warp
    from zoo_deft_llm.unimer.builder import BuildOptions, build_record

    face = base_face()
    folder = tmp_path / "HS" / "s1" / "micro" / "positive" / "s1_po_01"
    folder.mkdir(parents=True)
    field = displacement_field(face, "12", amplitude=2.0)
    for k, phase in enumerate([0.0, 0.5, 1.0, 0.5, 0.0]):  # the middle frame is SMIC's apex stand-in
        cv2.imwrite(str(folder / f"reg_image{k:06d}.bmp"), warp(face, phase * field, np.zeros(2)))
    (clip,) = list_clips("smic", tmp_path)
    record, _, result = build_record(clip, BuildOptions())
    assert record["aus_labelled"] is None and record["rejected"] == []
    assert result.kept and all(k["au"] is None for k in result.kept)
    assert any("mouth corner moves up" in s for s in result.statements)
    assert {c["template"] for c in record["conversations"]} == {"cer", "describe"}


def _build_args(root, out, *extra):
    return ["build", "--dataset", "casme2", "--root", str(root), "--out", str(out), *extra]


def test_cli_refuses_an_existing_out_before_any_work_unless_overwrite(tmp_path, monkeypatch):
    from zoo.sdk import InputError

    import zoo_deft_llm.sources
    import zoo_deft_llm.unimer.cli as cli
    from zoo_deft_llm.fileio import check_output_file

    calls = []
    monkeypatch.setattr(zoo_deft_llm.sources, "list_clips", lambda *a: calls.append(a) or ["clip"])
    monkeypatch.setattr(cli, "_records", lambda clips, options, workers: iter([({"id": "new"}, None, _Result())]))
    out = tmp_path / "u.jsonl"
    out.write_text('{"id": "old"}\n')
    result = CliRunner().invoke(cli.unimer, _build_args(tmp_path, out))
    assert isinstance(result.exception, InputError) and "--overwrite" in str(result.exception)
    assert calls == [] and out.read_text() == '{"id": "old"}\n'
    result = CliRunner().invoke(cli.unimer, _build_args(tmp_path, out, "--overwrite"))
    assert result.exit_code == 0, result.output
    assert out.read_text() == '{"id": "new"}\n' and sorted(p.name for p in tmp_path.iterdir()) == ["u.jsonl"]
    with pytest.raises(InputError, match="is a folder"):  # a folder is never an output file
        check_output_file(tmp_path, overwrite=True)


class _Result:
    kept, rejected = [{"au": "AU12"}], []


def test_cli_failing_halfway_leaves_no_partial_file_and_the_old_output_intact(tmp_path, monkeypatch):
    import zoo_deft_llm.sources
    import zoo_deft_llm.unimer.cli as cli

    def records(clips, options, workers):
        yield {"id": "first"}, None, _Result()
        raise RuntimeError("flow failed on the second clip")

    monkeypatch.setattr(zoo_deft_llm.sources, "list_clips", lambda *a: ["a", "b"])
    monkeypatch.setattr(cli, "_records", records)
    fresh = tmp_path / "fresh.jsonl"
    result = CliRunner().invoke(cli.unimer, _build_args(tmp_path, fresh))
    assert isinstance(result.exception, RuntimeError) and list(tmp_path.iterdir()) == []
    old = tmp_path / "old.jsonl"
    old.write_text('{"id": "old"}\n')
    result = CliRunner().invoke(cli.unimer, _build_args(tmp_path, old, "--overwrite"))
    assert isinstance(result.exception, RuntimeError)
    assert old.read_text() == '{"id": "old"}\n' and [p.name for p in tmp_path.iterdir()] == ["old.jsonl"]


def test_sigterm_during_an_atomic_write_removes_the_temporary_file(tmp_path):
    import os
    import signal

    from zoo_deft_llm.fileio import atomic_output_file

    out = tmp_path / "u.jsonl"
    out.write_text("old\n")
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as stopped, atomic_output_file(out, overwrite=True) as work:
        work.write_text("half")
        os.kill(os.getpid(), signal.SIGTERM)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert out.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["u.jsonl"]
    assert signal.getsignal(signal.SIGTERM) is before


#: The largest file the capped build below may write: above its JSONL (~2 KB), below its PNG (~300 KB).
FILE_CAP = 64 * 1024


def _build_with_files_capped(tmp_path, *, killed: bool):
    """``zoo unimer build --show`` on one synthetic clip in a child process whose files cannot grow
    past :data:`FILE_CAP`, so that the PNG's write fails part way: with EFBIG (Python ignores
    SIGXFSZ), or, with ``killed``, by the kernel's SIGXFSZ stopping the child in the middle of the
    write, as a kill or a crash would."""
    import os
    import subprocess

    from zoo_deft_llm.synth import SynthOptions, generate

    generate(tmp_path / "data", SynthOptions(subjects=1, clips_per_subject=1, seed=1, extra_fear_row=False))
    code = (
        "import resource, signal, sys\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({FILE_CAP}, resource.RLIM_INFINITY))\n"
        "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"  # SIGXFSZ would dump core
        + ("signal.signal(signal.SIGXFSZ, signal.SIG_DFL)\n" if killed else "")
        + "from zoo_deft_llm.unimer.cli import unimer\nunimer(sys.argv[1:])\n"
    )
    args = _build_args(tmp_path / "data", tmp_path / "u.jsonl", "--show", str(tmp_path / "show"))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # a .pyc over the cap must not be what fails
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.skipif(sys.platform == "win32", reason="needs RLIMIT_FSIZE")
def test_a_png_write_failing_part_way_fails_the_build_and_leaves_no_png_nor_temporary_file(tmp_path):
    done = _build_with_files_capped(tmp_path, killed=False)
    assert done.returncode == 1 and "File too large" in done.stderr, done.stderr[-2000:]
    assert list((tmp_path / "show").iterdir()) == []  # neither a truncated PNG nor its temporary sibling
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "show"]  # nor the JSONL or its temporary file


@pytest.mark.skipif(sys.platform == "win32", reason="needs RLIMIT_FSIZE and SIGXFSZ")
def test_a_build_killed_while_writing_a_png_leaves_no_truncated_png_under_its_name(tmp_path):
    import signal

    done = _build_with_files_capped(tmp_path, killed=True)
    assert done.returncode == -signal.SIGXFSZ, done.stderr[-2000:]
    [left] = (tmp_path / "show").iterdir()  # a PNG written in place would be here, cut at FILE_CAP
    assert left.name.startswith(".casme2_") and ".png.tmp-" in left.name  # only the hidden sibling
    assert left.stat().st_size == FILE_CAP and not (tmp_path / "u.jsonl").exists()

"""The synthetic set (CASME II layout, read back by zoo-mer-data), ``make-synth`` OUT, and ``dataset/unimer``."""

from __future__ import annotations

import json
import os

import pytest
import torch

from zoo.sdk import ConfigError, InputError
from zoo.testing import run_cli


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory):
    from zoo_deft_llm.synth import SynthOptions, generate

    root = tmp_path_factory.mktemp("synth") / "raw"
    generate(root, SynthOptions(subjects=2, clips_per_subject=5, seed=3))
    return root


def test_synthetic_set_reads_back_in_the_casme2_layout(synth_root):
    from openpyxl import load_workbook

    from zoo_mer_data.casme2 import CASME2_5, list_clips

    header = next(load_workbook(synth_root / "CASME2-coding-20140508.xlsx").active.iter_rows(values_only=True))
    assert header[2] is None and header[6] is None  # spacer columns, as in the real sheet
    clips = list_clips(synth_root)
    assert len(clips) == 11 and {c.subject for c in clips} == {"sub01", "sub02"}
    assert [c.emotion for c in clips if CASME2_5.index(c.emotion) is None] == ["fear"]
    assert all(c.apex_frame == c.onset_frame + 3 for c in clips)


def test_synthetic_warp_moves_the_au_regions_in_the_facs_direction():
    import numpy as np

    from zoo_deft_llm.facs import load_table
    from zoo_deft_llm.preprocess import prepare_clip
    from zoo_deft_llm.regions import measure_regions
    from zoo_deft_llm.synth import base_face, displacement_field, warp

    face = base_face()
    apex = warp(face, displacement_field(face, "17+R12", amplitude=2.0), np.zeros(2))
    motions, _ = measure_regions(prepare_clip(face, apex).flow, load_table())
    assert motions["chin"].dy < -0.4  # AU17: the chin moves up
    corner = motions["mouth_corner_r"]  # R12: the subject's right = image left: up and to the image's left
    assert corner.dy < -0.3 and corner.dx < -0.15  # (measured in the fixed box, off the landmark-placed bump's centre)
    assert motions["mouth_corner_l"].magnitude < 0.25 and motions["brow_outer_l"].magnitude < 0.15


def test_make_synth_writes_a_movable_marked_folder_and_never_half_of_one(tmp_path):
    out = tmp_path / "out"
    result = run_cli(["deft-llm", "make-synth", str(out), "--subjects", "2", "--clips", "1", "--seed", "4"])
    assert result.exit_code == 0, result.output
    assert "wrote 3 SYNTHETIC clips of 2 subjects" in result.output  # + the fear row
    assert sorted(p.name for p in out.iterdir()) == ["SYNTHETIC.json", "raw", "unimer.jsonl"]
    marker = json.loads((out / "SYNTHETIC.json").read_text())
    assert marker["generator"] == "zoo deft-llm make-synth" and marker["seed"] == 4
    records = [json.loads(line) for line in (out / "unimer.jsonl").read_text().splitlines()]
    assert all(r["onset_path"].startswith("raw/CASME2_RAW_selected/") and (out / r["apex_path"]).is_file() for r in records)
    moved = tmp_path / "moved"
    out.rename(moved)  # relative frame paths: the folder can move
    import zoo

    assert len(zoo.build("dataset/unimer", root=str(moved))) == 2  # the fear clip is left out by casme2-5
    again = run_cli(["deft-llm", "make-synth", str(moved), "--subjects", "2", "--clips", "1"])
    assert again.exit_code == 1 and "already exists and is not empty" in again.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["moved"]  # no temporary folder left behind


def test_unimer_items_subject_filters_and_settings(synth_data):
    import zoo

    data = zoo.build("dataset/unimer", root=str(synth_data), image_size=32, exclude_subjects=["sub02"])
    assert len(data) == 5 and set(data.subjects) == {"sub01"}  # fear dropped by the 5-class setting, quietly
    batch = data.collate([data[0], data[1]])
    assert batch["onset"].shape == (2, 3, 32, 32) and batch["flow"].shape == (2, 2, 32, 32)
    assert batch["label"].dtype == torch.long and batch["answer"][0].startswith("Caption:")
    assert batch["aus"].sum() >= 1
    megc = zoo.build("dataset/unimer", root=str(synth_data), setting="megc2019-3")
    classes = {r["emotion"]: megc.label(i) for i, r in enumerate(megc.records)}
    assert classes == {"happiness": 1, "surprise": 2, "disgust": 0, "repression": 0}  # others and fear left out
    with pytest.raises(ConfigError, match="class setting"):
        zoo.build("dataset/unimer", root=str(synth_data), setting="nope")
    with pytest.raises(InputError, match="zoo unimer build"):
        zoo.build("dataset/unimer", root=str(synth_data), file="missing.jsonl")


def test_views_are_computed_once_per_process_and_again_for_a_rewritten_frame(synth_data, tmp_path):
    import shutil

    import zoo

    first = zoo.build("dataset/unimer", root=str(synth_data), image_size=16)
    second = zoo.build("dataset/unimer", root=str(synth_data), image_size=16)
    assert first.views(0) is second.views(0)  # LOSO folds and ablation runs share the flow of a clip
    copy = tmp_path / "copy"
    shutil.copytree(synth_data, copy)
    data = zoo.build("dataset/unimer", root=str(copy), image_size=16)
    before = data.views(0)
    apex = copy / data.records[0]["apex_path"]
    apex.write_bytes((copy / data.records[0]["onset_path"]).read_bytes())  # the apex becomes the onset: no motion
    os.utime(apex, ns=(1, 1))
    after = zoo.build("dataset/unimer", root=str(copy), image_size=16).views(0)
    assert after is not before and after["flow"].abs().max() < before["flow"].abs().max()

"""The synthetic set in the CASME II layout, read back by zoo_mer_data's CASME II reader; dataset/unimer."""

from __future__ import annotations

import json

import pytest
import torch

from zoo.errors import ConfigError, InputError


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory):
    from zoo_deft_llm.synth import SynthOptions, generate

    root = tmp_path_factory.mktemp("synth")
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


def test_unimer_dataset_items_and_subject_filter(synth_root, tmp_path):
    from zoo_deft_llm.datasets import UniMERConfig, UniMERDataset
    from zoo_deft_llm.unimer.builder import build_records
    from zoo_mer_data.casme2 import list_clips

    path = tmp_path / "u.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r, _, _ in build_records(list_clips(synth_root))))
    data = UniMERDataset(UniMERConfig(path=str(path), image_size=32, exclude_subjects=["sub02"]))
    assert len(data) == 5 and set(data.subjects) == {"sub01"}  # fear dropped by the 5-class setting
    batch = data.collate([data[0], data[1]])
    assert batch["onset"].shape == (2, 3, 32, 32) and batch["flow"].shape == (2, 2, 32, 32)
    assert batch["label"].dtype == torch.long and batch["answer"][0].startswith("Caption:")
    assert batch["aus"].sum() >= 1
    with pytest.raises(ConfigError, match="class setting"):
        UniMERDataset(UniMERConfig(path=str(path), setting="nope"))
    with pytest.raises(InputError, match="zoo unimer build"):
        UniMERDataset(UniMERConfig(path=str(tmp_path / "missing.jsonl")))


def test_subsets_share_the_views_cache(synth_root, tmp_path):
    from zoo_deft_llm.datasets import UniMERConfig, UniMERDataset
    from zoo_deft_llm.unimer.builder import build_records
    from zoo_mer_data.casme2 import list_clips

    path = tmp_path / "u.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r, _, _ in build_records(list_clips(synth_root)[:3])))
    data = UniMERDataset(UniMERConfig(path=str(path), image_size=16))
    part = data.subset([1])
    assert part.views(0) is data.views(1)  # computed once, by id

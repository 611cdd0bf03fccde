"""Landmarks (dlib, optional), landmark alignment and regions, real-face synthetic clips, dual-constraint scores."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zoo.sdk import ConfigError, InputError, MissingDependencyError
from zoo_deft_llm import landmarks
from zoo_deft_llm.face import align_face, eye_corner_targets, similarity_from_points
from zoo_deft_llm.facs import load_table
from zoo_deft_llm.regions import landmark_boxes

needs_dlib = pytest.mark.skipif(not landmarks.available(), reason="dlib-bin + face-recognition-models not installed (`make setup`)")


def test_similarity_from_points_recovers_a_known_similarity():
    angle, scale, shift = np.deg2rad(7.0), 1.3, np.array([4.0, -2.5])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = np.array([[10.0, 20.0], [30.0, 21.0], [50.0, 19.0], [70.0, 20.5]])
    matrix = similarity_from_points(src, src @ rotation.T + shift)
    assert np.allclose(matrix[:, :2], rotation, atol=1e-5) and np.allclose(matrix[:, 2], shift, atol=1e-4)


def test_eye_corner_targets_are_centred_on_the_eye_targets():
    corners = eye_corner_targets(((0.3, 0.38), (0.7, 0.38)), 100)
    assert np.allclose(corners[:2].mean(0), [30, 38]) and np.allclose(corners[2:].mean(0), [70, 38])
    assert corners[0, 0] < corners[1, 0] < corners[2, 0] < corners[3, 0]


def _astronaut_points() -> np.ndarray:
    from zoo_deft_llm.synth_faces import face_with_landmarks

    return face_with_landmarks("astronaut")[1]


def test_landmark_boxes_cover_the_facs_regions_and_follow_the_face():
    table = load_table()
    points = _astronaut_points()
    boxes = landmark_boxes(points, 240, table.region_list)
    assert list(boxes) == table.region_list  # same names and order as the FACS table
    assert all(0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1 for x0, y0, x1, y1 in boxes.values())
    # The subject's right mouth corner box holds point 48 (image left), the left one point 54.
    for name, index in (("mouth_corner_r", 48), ("mouth_corner_l", 54)):
        x0, y0, x1, y1 = boxes[name]
        assert x0 * 240 < points[index, 0] < x1 * 240 and y0 * 240 < points[index, 1] < y1 * 240
    # Twice the face at twice the crop size: the same fractions (sizes are in inter-ocular units).
    doubled = landmark_boxes(points * 2, 480, table.region_list)
    assert all(np.allclose(doubled[k], boxes[k]) for k in boxes)
    # A face mirrored left-right swaps the _l and _r boxes (sided offsets point outward).
    mirrored = points.copy()
    mirrored[:, 0] = 240 - mirrored[:, 0]
    order = list(range(16, -1, -1)) + list(range(26, 16, -1)) + list(range(27, 31)) + list(range(35, 30, -1)) + \
        [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40] + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + \
        [64, 63, 62, 61, 60, 67, 66, 65]
    flipped = landmark_boxes(mirrored[order], 240, table.region_list)
    x0, y0, x1, y1 = boxes["cheek_r"]
    assert np.allclose(flipped["cheek_l"], (1 - x1, y0, 1 - x0, y1), atol=1e-9)


def test_unknown_landmark_mode_and_missing_packages_are_typed_errors(monkeypatch):
    frame = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ConfigError, match="none, dlib, auto"):
        align_face(frame, 32, landmarks="mediapipe")
    monkeypatch.setattr(landmarks, "MODEL_DISTRIBUTION", "no-such-face-models")
    with pytest.raises(MissingDependencyError, match=r"'no-such-face-models'.*make setup.*landmarks='none'"):
        landmarks.predictor_path()
    assert not landmarks.available()
    # "auto" without dlib is the Haar path (recorded), never an error.
    monkeypatch.setattr("zoo_deft_llm.face._dlib_available", lambda: False)
    assert align_face(frame, 32, landmarks="auto").method == "full-frame"


def test_missing_dlib_names_dlib_bin_and_the_make_target(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "dlib", None)  # import dlib → ImportError
    landmarks._models.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match="dlib-bin.*make setup"):
            landmarks.detect_landmarks(np.zeros((64, 64), np.uint8))
    finally:
        landmarks._models.cache_clear()


@needs_dlib
def test_shipped_synthetic_face_landmarks_match_dlib():
    from zoo_deft_llm.synth_faces import POOL, face_with_landmarks

    for name in POOL:
        frame, shipped = face_with_landmarks(name)
        found = landmarks.detect_landmarks(frame)
        assert found is not None and np.abs(found - shipped).max() <= 0.51, name  # shipped rounded to 0.1 px


@needs_dlib
def test_landmark_alignment_puts_the_eyes_on_their_targets():
    from zoo_deft_llm.synth_faces import photo

    alignment = align_face(photo("grace-hopper"), 128, landmarks="dlib")
    assert alignment.method == "landmarks" and alignment.landmarks.shape == (68, 2)
    left, right = landmarks.eye_centres(alignment.landmarks)
    assert np.allclose(left, [0.3 * 128, 0.38 * 128], atol=2.5) and np.allclose(right, [0.7 * 128, 0.38 * 128], atol=2.5)


def test_synthetic_set_has_real_faces_known_motion_and_a_marker(tmp_path):
    from zoo_deft_llm.synth import PLANTED_FILE, SynthOptions, generate

    generate(tmp_path / "s", SynthOptions(subjects=3, clips_per_subject=5, seed=2, extra_fear_row=False))
    planted = json.loads((tmp_path / "s" / PLANTED_FILE).read_text())
    assert len(planted["clips"]) == 15 and list(planted["faces"]) == ["astronaut", "lfw-1", "lfw-18"]
    for clip in planted["clips"].values():
        labelled, animated = clip["labelled"].split("+"), clip["planted"].split("+") if clip["planted"] else []
        assert animated == labelled or animated == labelled[:-1]  # at most the last label is a decoy
        assert 0.8 <= clip["amplitude_crop_px"] <= 2.5
    marker = json.loads((tmp_path / "s" / "SYNTHETIC.json").read_text())
    assert marker["synthetic"] is True and marker["generator"] == "zoo deft-llm make-synth" and marker["seed"] == 2
    with pytest.raises(InputError, match="not empty"):  # writers never mix into an existing set
        generate(tmp_path / "s", SynthOptions(subjects=1, clips_per_subject=1))


def test_scores_count_kept_decoys_as_false_positives():
    from zoo_deft_llm.unimer.score import score_records

    planted = {"sub01/a": {"labelled": "9+10", "planted": "9"}, "sub01/b": {"labelled": "6+12", "planted": "6+12"},
               "sub01/c": {"labelled": "4+7", "planted": "4"}}
    records = [
        {"id": "x/sub01/a", "subject": "sub01", "clip": "a", "kept": [{"au": "AU9"}, {"au": "AU10"}]},  # AU10 decoy kept: FP
        {"id": "x/sub01/b", "subject": "sub01", "clip": "b", "kept": [{"au": "AU12"}]},  # AU6 missed: FN
        {"id": "x/sub01/c", "subject": "sub01", "clip": "c", "kept": [{"au": "AU4"}]},  # AU7 decoy rejected: TN
    ]
    result = score_records(records, planted)
    assert (result["tp"], result["fp"], result["fn"], result["tn"]) == (3, 1, 1, 1)
    assert result["precision"] == pytest.approx(0.75) and result["recall"] == pytest.approx(0.75)
    with pytest.raises(InputError, match="no planted motion"):
        score_records([{**records[0], "subject": "sub09"}], planted)


def test_motion_expert_pools_the_given_region_boxes():
    import torch

    import zoo

    expert = zoo.build("expert/motion-semantics", dim=16)
    flow = torch.randn(2, 2, 32, 32, generator=torch.Generator().manual_seed(0))
    fixed = expert.boxes[None].repeat(2, 1, 1)
    assert torch.allclose(expert.region_features(flow), expert.region_features(flow, fixed))
    shifted = (fixed + 0.1).clamp(0, 1)
    assert not torch.allclose(expert.region_features(flow), expert.region_features(flow, shifted))


@needs_dlib
def test_landmarks_switch_in_the_builder_records_landmark_regions(tmp_path):
    from zoo_deft_llm.sources import list_clips
    from zoo_deft_llm.synth import SynthOptions, generate
    from zoo_deft_llm.unimer.builder import BuildOptions, build_records
    from zoo_deft_llm.unimer.score import read_planted, score_records

    generate(tmp_path / "s", SynthOptions(subjects=2, clips_per_subject=5, seed=1, extra_fear_row=False))
    clips = list_clips("casme2", tmp_path / "s")
    records = [r for r, _, _ in build_records(clips, BuildOptions(landmarks="dlib"))]
    assert all(r["alignment"] == "landmarks" and r["regions_from"] == "landmarks" for r in records)
    assert list(records[0]["region_boxes"]) == load_table().region_list and len(records[0]["landmarks_68"]) == 68
    scores = score_records(records, read_planted(tmp_path / "s"))
    # Measured on these 10 clips: recall 1.0, precision 0.94 with landmarks (0.80 / 1.0 with Haar + fixed boxes).
    assert scores["recall"] >= 0.9 and scores["precision"] >= 0.85

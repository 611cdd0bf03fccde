"""Write a synthetic CAS(ME)^3 Part A sample (labels, RGB and depth frames) in either real layout."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from zoo.errors import InputError
from zoo_depth_mer.synth import _AUS, _OBJECTIVE, EMOTION_AUS, EMOTION_WEIGHTS, Clip, Subject, render_depth, shade

Layout = Literal["frames", "clip"]


@dataclass
class SynthSummary:
    """What was written: the root, the label file, the clips and the quirks planted on purpose."""

    root: Path
    label_file: Path
    clips: list[Clip]
    quirks: dict[str, str] = field(default_factory=dict)


def _draw_clips(rng: np.random.Generator, subjects: int, clips_per_subject: int) -> list[Clip]:
    emotions, weights = list(EMOTION_WEIGHTS), np.array(list(EMOTION_WEIGHTS.values()))
    clips = []
    for s in range(subjects):
        onset = int(rng.integers(100, 400))
        for c in range(clips_per_subject):
            emotion = str(rng.choice(emotions, p=weights / weights.sum()))
            aus = EMOTION_AUS.get(emotion) or [str(rng.choice(list(_AUS)))]
            rise, fall = int(rng.integers(2, 4)), int(rng.integers(2, 4))
            head = (rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5), rng.uniform(-2, 2),
                    rng.uniform(-0.017, 0.017), rng.uniform(-0.017, 0.017))
            amplitude = rng.uniform(0.3, 0.8) if emotion == "others" else rng.uniform(0.6, 2.0)
            clips.append(Clip(f"spNO.{s + 1}", "abcdefghijklm"[c % 13], onset, onset + rise, onset + rise + fall,
                              emotion, tuple(aus), float(amplitude), head))
            onset += rise + fall + int(rng.integers(5, 40))
    return clips


def _paths(root: Path, clip: Clip, frame: int, layout: Layout) -> tuple[Path, Path]:
    if layout == "clip":
        folder = f"{clip.subject_name}_{clip.filename}_{clip.onset}"
        base = root / "Part_A_ME_clip"
        index = frame - clip.onset
        return base / "frame" / folder / f"{index}.jpg", base / "depth" / folder / f"{index}.png"
    rgb = root / "RGB" / clip.subject_name / clip.filename / "color" / f"{frame}.jpg"
    return rgb, root / "depth" / clip.subject_name / clip.filename / "depth" / f"{frame}.png"


def make_synthetic(out: str | Path, subjects: int = 6, clips_per_subject: int = 12, seed: int = 0,
                   size: tuple[int, int] = (112, 136), layout: Layout = "frames", quirks: bool = True) -> SynthSummary:
    """Write the sample under ``out`` and return what was written.

    Args:
        out: the dataset root to create.
        subjects, clips_per_subject: how many synthetic subjects and clips each (``clips_per_subject`` ≤ 13).
        seed: everything is drawn from ``numpy.random.default_rng(seed)``.
        size: depth/RGB frame ``(width, height)``.
        layout: ``"frames"`` (RGB/…/color, depth/…/depth) or ``"clip"`` (Part_A_ME_clip/{frame,depth}).
        quirks: plant the real label file's quirks (apex ≤ onset, apex > offset, an upper-case
            filename, ``Others``, a damaged and a missing depth frame).

    Raises:
        InputError: on fewer than 2 subjects or more than 13 clips per subject.
    """
    import cv2

    from zoo_mer_data.casme3 import LABEL_FILE, write_casme3_labels

    if subjects < 2 or not 1 <= clips_per_subject <= 13:
        raise InputError("Need >= 2 subjects and 1..13 clips per subject (Filename a..m).")
    rng = np.random.default_rng(seed)
    faces = {f"spNO.{s + 1}": Subject.draw(rng) for s in range(subjects)}
    clips = _draw_clips(rng, subjects, clips_per_subject)
    root = Path(out)
    for clip in clips:
        for frame in range(clip.onset, clip.offset + 1):
            depth = render_depth(faces[clip.subject_name], clip, frame, size, rng)
            rgb_path, depth_path = _paths(root, clip, frame, layout)
            for path in (rgb_path, depth_path):
                path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(depth_path), depth)
            cv2.imwrite(str(rgb_path), shade(depth))
    rows = [{"Subject": c.subject_name, "Filename": c.filename, "Onset": c.onset, "Apex": c.apex, "Offset": c.offset,
             "AU": "+".join(c.aus), "Objective class": _OBJECTIVE[c.emotion], "emotion": c.emotion} for c in clips]
    planted = _plant_quirks(root, clips, rows, layout) if quirks else {}
    label_file = write_casme3_labels(root / LABEL_FILE, rows)
    return SynthSummary(root, label_file, clips, planted)


def _plant_quirks(root: Path, clips: list[Clip], rows: list[dict], layout: Layout) -> dict[str, str]:
    """Reproduce the real sheet's and disk's quirks on a few clips (indices chosen to be distinct)."""
    planted = {}
    rows[0]["Apex"] = rows[0]["Onset"]
    planted["apex_not_after_onset"] = clips[0].subject_name + "_" + clips[0].filename
    rows[1]["Apex"] = rows[1]["Offset"] + 2
    planted["apex_after_offset"] = clips[1].subject_name + "_" + clips[1].filename
    rows[2]["Filename"] = rows[2]["Filename"].upper()
    planted["uppercase_filename"] = clips[2].subject_name + "_" + clips[2].filename
    others = next((i for i, c in enumerate(clips) if c.emotion == "others"), None)
    if others is not None:
        rows[others]["emotion"] = "Others"
        planted["emotion_spelling"] = clips[others].subject_name + "_" + clips[others].filename
    damaged = _paths(root, clips[3], clips[3].apex, layout)[1]
    damaged.write_bytes(b"\x89PNG\r\n\x1a\n not a real png")  # decodes to nothing
    planted["damaged_frame"] = str(damaged)
    missing = _paths(root, clips[4], clips[4].onset, layout)[1]
    missing.unlink()
    planted["missing_frame"] = str(missing)
    return planted

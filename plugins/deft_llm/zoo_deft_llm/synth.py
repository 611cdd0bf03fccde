"""A seeded synthetic micro-expression set written in the CASME II layout (``deft-llm-synth`` data).

A real face (scikit-image's ``astronaut``, bundled offline) is varied per synthetic subject
(scale, rotation, shift, lighting, tint) and animated by AU-driven local warps: each labelled AU
pushes its FACS regions in the FACS direction with a Gaussian bump of sub-pixel to a few pixels,
rising to the apex and falling back. Each class has its own AU set, so the task is learnable
from motion. A small rigid head shift and sensor noise are added so the rigid-motion reference and
the dual constraint matter; some clips label an AU that is not animated (a rejected statement).
Every synthetic subject shares one identity: this set tests the code path, not generalisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from zoo_deft_llm.facs import load_table, parse_aus
from zoo_deft_llm.face import align_face
from zoo_deft_llm.regions import expected_direction

LABEL_FILE = "CASME2-coding-20140508.xlsx"
HEADER = ["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units", "Estimated Emotion"]
#: Class → AU label cells a clip of that class draws from (CASME II 5-class setting).
CLASS_AUS: dict[str, tuple[str, ...]] = {
    "happiness": ("6+12", "R12", "6+L12"),
    "surprise": ("1+2", "1+2+5"),
    "disgust": ("9+10", "4+9", "4+L10"),
    "repression": ("15+17", "17", "24", "14"),
    "others": ("4", "7", "4+7"),
}
FRAME_SIZE = 240
CLIP_FRAMES = 7


@dataclass(frozen=True)
class SynthOptions:
    """Size of the set: subjects × clips per subject, and the seed."""

    subjects: int = 6
    clips_per_subject: int = 10
    seed: int = 0
    extra_fear_row: bool = True


def base_face() -> np.ndarray:
    """The astronaut's face, cropped to a square BGR frame of ``FRAME_SIZE``."""
    from skimage import data

    image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    return cv2.resize(image[20:260, 110:350], (FRAME_SIZE, FRAME_SIZE))


def subject_face(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One synthetic subject: the base face rotated/scaled/shifted, relit and tinted."""
    centre = (FRAME_SIZE / 2, FRAME_SIZE / 2)
    matrix = cv2.getRotationMatrix2D(centre, rng.uniform(-5, 5), rng.uniform(0.92, 1.08))
    matrix[:, 2] += rng.uniform(-8, 8, size=2)
    face = cv2.warpAffine(base, matrix, (FRAME_SIZE, FRAME_SIZE), borderMode=cv2.BORDER_REFLECT)
    gain = rng.uniform(0.85, 1.15) * rng.uniform(0.93, 1.07, size=3)
    return np.clip(face.astype(np.float32) * gain + rng.uniform(-12, 12), 0, 255).astype(np.uint8)


def displacement_field(face: np.ndarray, aus: str, amplitude: float) -> np.ndarray:
    """The apex displacement ``(H, W, 2)`` in frame pixels produced by the AUs of ``aus``."""
    table = load_table()
    alignment = align_face(face, 128)
    inverse = cv2.invertAffineTransform(alignment.matrix)
    ys, xs = np.mgrid[0:FRAME_SIZE, 0:FRAME_SIZE].astype(np.float32)
    field = np.zeros((FRAME_SIZE, FRAME_SIZE, 2), np.float32)
    to_frame = np.linalg.norm(inverse[:, 0])  # crop px → frame px
    for label in parse_aus(aus):
        for region, directions in table.regions_for(label).items():
            x0, y0, x1, y1 = table.regions[region]
            cx, cy = inverse @ np.array([(x0 + x1) / 2 * 128, (y0 + y1) / 2 * 128, 1.0])
            sigma = 0.35 * (x1 - x0) * 128 * to_frame
            bump = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2))
            direction = inverse[:, :2] @ expected_direction(directions, (x0 + x1) / 2)
            direction /= max(np.linalg.norm(direction), 1e-6)
            field += amplitude * bump[..., None] * direction.astype(np.float32)
    return field


def warp(face: np.ndarray, field: np.ndarray, head_shift: np.ndarray) -> np.ndarray:
    """Move the face's content by ``field + head_shift`` (backward mapping, small motions)."""
    ys, xs = np.mgrid[0:FRAME_SIZE, 0:FRAME_SIZE].astype(np.float32)
    map_x = (xs - field[..., 0] - head_shift[0]).astype(np.float32)
    map_y = (ys - field[..., 1] - head_shift[1]).astype(np.float32)
    return cv2.remap(face, map_x, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def write_clip(folder: Path, face: np.ndarray, aus_animated: str, onset: int, rng: np.random.Generator) -> int:
    """Write ``img<k>.jpg`` frames from onset to offset; return the apex frame number."""
    folder.mkdir(parents=True, exist_ok=True)
    field = displacement_field(face, aus_animated, rng.uniform(0.8, 2.5)) if aus_animated else np.zeros((FRAME_SIZE, FRAME_SIZE, 2), np.float32)
    head = rng.uniform(-0.6, 0.6, size=2)
    apex_offset = CLIP_FRAMES // 2
    for t in range(CLIP_FRAMES):
        phase = np.sin(np.pi * t / (CLIP_FRAMES - 1))  # 0 at onset/offset, 1 at the apex
        frame = warp(face, phase * field, head * t / (CLIP_FRAMES - 1))
        noisy = np.clip(frame.astype(np.float32) + rng.normal(0, 1.5, frame.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(str(folder / f"img{onset + t}.jpg"), noisy, [cv2.IMWRITE_JPEG_QUALITY, 95])
    return onset + apex_offset


def generate(root: str | Path, options: SynthOptions = SynthOptions()) -> Path:
    """Write the synthetic set under ``root`` (frames + label xlsx); return the xlsx path."""
    from openpyxl import Workbook

    root = Path(root)
    rng = np.random.default_rng(options.seed)
    base = base_face()
    rows = []
    classes = list(CLASS_AUS)
    for s in range(1, options.subjects + 1):
        face = subject_face(base, rng)
        for c in range(options.clips_per_subject):
            emotion = classes[c % len(classes)]
            aus = CLASS_AUS[emotion][int(rng.integers(len(CLASS_AUS[emotion])))]
            labels = aus.split("+")
            # ~15 % of clips label one AU the face does not perform: the dual constraint must reject it.
            animated = "+".join(labels[:-1]) if len(labels) > 1 and rng.random() < 0.15 else aus
            onset = int(rng.integers(20, 300))
            filename = f"EP{c + 1:02d}_{s:02d}{'f' if c % 2 else ''}"
            apex = write_clip(root / "CASME2_RAW_selected" / f"sub{s:02d}" / filename, face, animated, onset, rng)
            apex_cell = "/" if (s + c) % 17 == 0 else apex  # CASME II writes '/' where the apex is unknown
            rows.append([s, filename, None, onset, apex_cell, onset + CLIP_FRAMES - 1, None, aus, emotion])
        if options.extra_fear_row and s == 1:
            onset = 50
            write_clip(root / "CASME2_RAW_selected" / "sub01" / "EP99_01", face, "1+2+4", onset, rng)
            rows.append([1, "EP99_01", None, onset, onset + 3, onset + CLIP_FRAMES - 1, None, "1+2+4", "fear"])
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    path = root / LABEL_FILE
    workbook.save(path)
    return path

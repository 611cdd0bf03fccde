"""A seeded synthetic micro-expression set with real faces, in the CASME II layout, with known motion.

Subjects are real photographs that ship inside installed packages (:mod:`zoo_deft_llm.synth_faces`:
scikit-image's astronaut, matplotlib's Grace Hopper and ten Labeled-Faces-in-the-Wild crops), one
identity per subject, each placed with its own small rotation, scale, shift, lighting and tint.
Clips are animated by AU-like local warps driven by the face's 68 landmarks: every planted AU
pushes its regions (boxes anchored on the landmarks, ``landmark_regions.json``) in the FACS
direction of the face (its own "up" follows the eye line) with a Gaussian bump, rising to the
apex and falling back, plus a small rigid head drift and sensor noise. About 15 % of multi-AU clips
label an AU that is not animated (the dual constraint should reject it).

The planted motion is written beside the frames (``planted_motion.json``: per clip the labelled
and the animated AUs and the apex amplitude in pixels of the 128² aligned crop), so the Uni-MER
dual constraint can be scored against it (:mod:`zoo_deft_llm.unimer.score`). The folder is marked
synthetic (``SYNTHETIC.json``) and written atomically.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

import zoo.sdk as sdk
from zoo_deft_llm.facs import load_table, parse_aus
from zoo_deft_llm.synth_faces import FRAME_SIZE, POOL, SOURCES, face_with_landmarks, photo, pixel_hash

LABEL_FILE = "CASME2-coding-20140508.xlsx"
PLANTED_FILE = "planted_motion.json"
GENERATOR = "zoo deft-llm make-synth"
HEADER = ["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units", "Estimated Emotion"]
#: Class → AU label cells a clip of that class draws from (CASME II 5-class setting).
CLASS_AUS: dict[str, tuple[str, ...]] = {
    "happiness": ("6+12", "R12", "6+L12"),
    "surprise": ("1+2", "1+2+5"),
    "disgust": ("9+10", "4+9", "4+L10"),
    "repression": ("15+17", "17", "24", "14"),
    "others": ("4", "7", "4+7"),
}
CLIP_FRAMES = 7
CROP = 128  # the builder's aligned crop: amplitudes are given in its pixels
EYE_TARGETS = ((0.3, 0.38), (0.7, 0.38))


@dataclass(frozen=True)
class SynthOptions:
    """Size of the set: subjects × clips per subject, and the seed."""

    subjects: int = 8
    clips_per_subject: int = 10
    seed: int = 0
    extra_fear_row: bool = True


def base_face() -> np.ndarray:
    """The first pool face (scikit-image's astronaut) as a ``FRAME_SIZE``² BGR frame."""
    return photo(POOL[0])


def subject_face(name: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One synthetic subject: a pool face rotated/scaled/shifted, relit and tinted, and its landmarks."""
    face, points = face_with_landmarks(name)
    centre = (FRAME_SIZE / 2, FRAME_SIZE / 2)
    matrix = cv2.getRotationMatrix2D(centre, rng.uniform(-5, 5), rng.uniform(0.94, 1.06))
    matrix[:, 2] += rng.uniform(-6, 6, size=2)
    moved = cv2.warpAffine(face, matrix, (FRAME_SIZE, FRAME_SIZE), borderMode=cv2.BORDER_REFLECT)
    gain = rng.uniform(0.85, 1.15) * rng.uniform(0.93, 1.07, size=3)
    lit = np.clip(moved.astype(np.float32) * gain + rng.uniform(-12, 12), 0, 255).astype(np.uint8)
    return lit, points @ matrix[:, :2].T + matrix[:, 2]


def _points_of(face: np.ndarray) -> np.ndarray:
    wanted = pixel_hash(face)
    for name in POOL:
        frame, points = face_with_landmarks(name)
        if pixel_hash(frame) == wanted:
            return points
    raise sdk.InputError("displacement_field needs the face's 68 landmarks (points=...) for a face outside the pool.")


def displacement_field(face: np.ndarray, aus: str, amplitude: float, points: np.ndarray | None = None) -> np.ndarray:
    """The apex displacement ``(H, W, 2)`` in frame pixels produced by the AUs of ``aus``.

    Args:
        face: the frame (its size sets the field's).
        aus: an AU cell such as ``"6+R12"``.
        amplitude: the apex displacement at each region's centre, in pixels of the 128² crop.
        points: the face's 68 landmarks in frame pixels (default: the shipped ones of a pool face).
    """
    from zoo_deft_llm.face import eye_corner_targets, similarity_from_points
    from zoo_deft_llm.landmarks import EYE_CORNERS
    from zoo_deft_llm.regions import expected_direction, landmark_boxes

    points = _points_of(face) if points is None else points
    table = load_table()
    to_crop = similarity_from_points(points[EYE_CORNERS], eye_corner_targets(EYE_TARGETS, CROP))
    to_frame = cv2.invertAffineTransform(to_crop)
    crop_points = points @ to_crop[:, :2].T.astype(np.float64) + to_crop[:, 2]
    boxes = landmark_boxes(crop_points, CROP, table.region_list)
    height, width = face.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    field = np.zeros((height, width, 2), np.float32)
    scale = float(np.linalg.norm(to_frame[:, 0]))  # crop px → frame px
    for label in parse_aus(aus):
        for region, directions in table.regions_for(label).items():
            x0, y0, x1, y1 = boxes[region]
            cx, cy = to_frame @ np.array([(x0 + x1) / 2 * CROP, (y0 + y1) / 2 * CROP, 1.0])
            sigma = 0.35 * (x1 - x0) * CROP * scale
            bump = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2))
            direction = to_frame[:, :2] @ expected_direction(directions, (x0 + x1) / 2)
            direction /= max(np.linalg.norm(direction), 1e-6)
            field += amplitude * scale * bump[..., None] * direction.astype(np.float32)
    return field


def warp(face: np.ndarray, field: np.ndarray, head_shift: np.ndarray) -> np.ndarray:
    """Move the face's content by ``field + head_shift`` (backward mapping, small motions)."""
    height, width = face.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    map_x = (xs - field[..., 0] - head_shift[0]).astype(np.float32)
    map_y = (ys - field[..., 1] - head_shift[1]).astype(np.float32)
    return cv2.remap(face, map_x, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def write_clip(folder: Path, face: np.ndarray, points: np.ndarray, aus_animated: str, onset: int,
               rng: np.random.Generator) -> tuple[int, float]:
    """Write ``img<k>.jpg`` frames from onset to offset; return the apex frame and the amplitude."""
    folder.mkdir(parents=True, exist_ok=True)
    amplitude = float(rng.uniform(0.8, 2.5))
    field = (displacement_field(face, aus_animated, amplitude, points) if aus_animated
             else np.zeros((*face.shape[:2], 2), np.float32))
    head = rng.uniform(-0.6, 0.6, size=2)
    for t in range(CLIP_FRAMES):
        phase = np.sin(np.pi * t / (CLIP_FRAMES - 1))  # 0 at onset/offset, 1 at the apex
        frame = warp(face, phase * field, head * t / (CLIP_FRAMES - 1))
        noisy = np.clip(frame.astype(np.float32) + rng.normal(0, 1.5, frame.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(str(folder / f"img{onset + t}.jpg"), noisy, [cv2.IMWRITE_JPEG_QUALITY, 95])
    return onset + CLIP_FRAMES // 2, amplitude


def _subject_rows(root: Path, s: int, options: SynthOptions, rng: np.random.Generator, planted: dict) -> list[list]:
    identity = POOL[(s - 1) % len(POOL)]
    face, points = subject_face(identity, rng)
    classes, rows = list(CLASS_AUS), []
    for c in range(options.clips_per_subject):
        emotion = classes[c % len(classes)]
        aus = CLASS_AUS[emotion][int(rng.integers(len(CLASS_AUS[emotion])))]
        labels = aus.split("+")
        # ~15 % of clips label one AU the face does not perform: the dual constraint must reject it.
        animated = "+".join(labels[:-1]) if len(labels) > 1 and rng.random() < 0.15 else aus
        onset = int(rng.integers(20, 300))
        filename = f"EP{c + 1:02d}_{s:02d}{'f' if c % 2 else ''}"
        folder = root / "CASME2_RAW_selected" / f"sub{s:02d}" / filename
        apex, amplitude = write_clip(folder, face, points, animated, onset, rng)
        apex_cell = "/" if (s + c) % 17 == 0 else apex  # CASME II writes '/' where the apex is unknown
        rows.append([s, filename, None, onset, apex_cell, onset + CLIP_FRAMES - 1, None, aus, emotion])
        planted[f"sub{s:02d}/{filename}"] = {"identity": identity, "labelled": aus, "planted": animated,
                                             "amplitude_crop_px": round(amplitude, 4)}
    if options.extra_fear_row and s == 1:
        onset = 50
        _, amplitude = write_clip(root / "CASME2_RAW_selected" / "sub01" / "EP99_01", face, points, "1+2+4", onset, rng)
        rows.append([1, "EP99_01", None, onset, onset + 3, onset + CLIP_FRAMES - 1, None, "1+2+4", "fear"])
        planted["sub01/EP99_01"] = {"identity": identity, "labelled": "1+2+4", "planted": "1+2+4",
                                    "amplitude_crop_px": round(amplitude, 4)}
    return rows


def generate(root: str | Path, options: SynthOptions = SynthOptions(), overwrite: bool = False) -> Path:
    """Write the synthetic set into the folder ``root`` (atomically); return the label xlsx path.

    Raises:
        InputError: if ``root`` is a file, or a non-empty folder without ``overwrite``.
    """
    from openpyxl import Workbook

    root = Path(root)
    with sdk.atomic_output_dir(root, overwrite=overwrite) as work:
        rng = np.random.default_rng(options.seed)
        rows: list[list] = []
        planted: dict[str, dict] = {}
        for s in range(1, options.subjects + 1):
            rows += _subject_rows(work, s, options, rng, planted)
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(HEADER)
        for row in rows:
            sheet.append(row)
        workbook.save(work / LABEL_FILE)
        identities = sorted({p["identity"] for p in planted.values()}, key=POOL.index)
        (work / PLANTED_FILE).write_text(json.dumps(
            {"crop_size": CROP, "faces": {n: SOURCES[n] for n in identities}, "clips": planted}, indent=1) + "\n",
            encoding="utf-8")
        sdk.write_synthetic_marker(work, generator=GENERATOR, seed=options.seed, layout="casme2",
                                   faces=identities, **{k: v for k, v in asdict(options).items() if k != "seed"})
    return root / LABEL_FILE

"""A seeded synthetic CAS(ME)^3 Part A sample with depth, written in the real on-disk layout.

``zoo depth-mer make-synth OUT`` (:func:`make_synthetic`) writes the label workbook, RGB and 16-bit
depth frames in either layout in circulation, and ``SYNTHETIC.json`` (the zoo's synthetic-data
marker: runs on it are labelled synthetic). Everything is built in a temporary folder that is
renamed to ``OUT`` only when complete, so a failed or killed run leaves nothing behind.

Every face is an analytic height field (ellipsoid + nose, eye sockets, brow ridge, lips) whose
shape, size and distance vary by synthetic subject. A micro-expression is a set of AU-like local
deformations (Gaussian regions that move towards/away from the camera by up to ~2 mm and slide by
a fraction of a pixel) that rise from onset to apex and fade towards offset; each emotion uses its
own regions, so the task is learnable from the motion. On top: small rigid head motion (±1.5 px,
±2 mm, up to ±1° tilt), 0.1 mm Gaussian sensor noise, 0.1 mm quantisation (16-bit PNG in units of
``DEPTH_UNIT_MM``), zero holes, and a handful of the real label file's quirks (optional).
This is synthetic data: numbers measured on it say nothing about CAS(ME)^3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from zoo.sdk import InputError, atomic_output_dir, write_synthetic_marker

#: Millimetres per raw unit of the synthetic depth PNGs (real CAS(ME)^3 is read with its own unit).
DEPTH_UNIT_MM = 0.1
#: Standard deviation of the Gaussian sensor noise (mm).
NOISE_MM = 0.1

# name: (centres in face coordinates (x right, y down, in [-1, 1]), sigma, dz mm per unit amplitude,
#        (dx, dy) pixels per unit amplitude; dx is mirrored on the left half)
_AUS: dict[str, tuple[list[tuple[float, float]], float, float, tuple[float, float]]] = {
    "1+2": ([(-0.33, -0.42), (0.33, -0.42)], 0.12, 0.4, (0.0, -1.0)),
    "4": ([(-0.18, -0.36), (0.18, -0.36)], 0.10, -0.6, (-0.6, 0.5)),
    "6": ([(-0.42, 0.12), (0.42, 0.12)], 0.14, 1.0, (0.0, -0.6)),
    "7": ([(-0.33, -0.24), (0.33, -0.24)], 0.09, 0.6, (0.0, 0.0)),
    "9": ([(0.0, -0.12)], 0.10, 0.8, (0.0, -0.6)),
    "12": ([(-0.32, 0.50), (0.32, 0.50)], 0.11, 0.7, (1.0, -1.0)),
    "15": ([(-0.30, 0.58), (0.30, 0.58)], 0.10, -0.6, (0.0, 1.0)),
    "20": ([(-0.34, 0.50), (0.34, 0.50)], 0.10, 0.3, (1.2, 0.0)),
    "26": ([(0.0, 0.78)], 0.20, -0.7, (0.0, 1.5)),
}
EMOTION_AUS = {"happy": ["6", "12"], "surprise": ["1+2", "26"], "disgust": ["9"], "anger": ["4", "7"],
               "sad": ["15"], "fear": ["1+2", "20"]}
# Closer to balanced than CAS(ME)^3 (negative 53%, positive 6%) so that a small sample has every class.
EMOTION_WEIGHTS = {"disgust": 0.15, "surprise": 0.25, "happy": 0.25, "others": 0.1, "fear": 0.05, "anger": 0.1, "sad": 0.1}
_OBJECTIVE = {"happy": "I", "disgust": "II", "surprise": "III", "fear": "IV", "anger": "V", "sad": "VI", "others": "VII"}


@dataclass(frozen=True)
class Subject:
    """The face of one synthetic subject."""

    distance_mm: float
    width_factor: float
    nose_mm: float
    relief: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> "Subject":
        return cls(rng.uniform(550, 650), rng.uniform(0.9, 1.05), rng.uniform(14, 22), rng.uniform(0.8, 1.2))


def _blob(x: np.ndarray, y: np.ndarray, cx: float, cy: float, sx: float, sy: float | None = None) -> np.ndarray:
    sy = sx if sy is None else sy
    return np.exp(-((x - cx) ** 2 / (2 * sx**2) + (y - cy) ** 2 / (2 * sy**2)))


def face_height(x: np.ndarray, y: np.ndarray, subject: Subject) -> np.ndarray:
    """Height towards the camera (mm) of the face surface at face coordinates ``(x, y)``."""
    r = np.clip(1 - x**2 - y**2, 0, None)
    h = 60 * np.sqrt(r)
    h += subject.nose_mm * _blob(x, y, 0, 0.02, 0.10, 0.24)
    for side in (-1, 1):
        h -= 7 * subject.relief * _blob(x, y, side * 0.33, -0.24, 0.12, 0.08)
        h += 4 * subject.relief * _blob(x, y, side * 0.33, -0.42, 0.16, 0.06)
        h += 3 * subject.relief * _blob(x, y, side * 0.42, 0.12, 0.16)
    h += 4 * subject.relief * _blob(x, y, 0, 0.52, 0.22, 0.07)
    return h


def au_field(aus: list[str], x: np.ndarray, y: np.ndarray, scale_px: tuple[float, float]) -> tuple[np.ndarray, ...]:
    """Per-pixel ``(dz mm, dx face units, dy face units)`` of unit-amplitude AUs."""
    dz, dx, dy = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    for au in aus:
        centres, sigma, lift, (mx, my) = _AUS[au]
        for cx, cy in centres:
            weight = _blob(x, y, cx, cy, sigma)
            dz += lift * weight
            dx += (np.sign(cx) if cx else 1.0) * mx * weight / scale_px[0]
            dy += my * weight / scale_px[1]
    return dz, dx, dy


@dataclass(frozen=True)
class Clip:
    """One synthetic micro-expression: its label row and how to render its frames."""

    subject_name: str
    filename: str
    onset: int
    apex: int
    offset: int
    emotion: str
    aus: tuple[str, ...]
    amplitude: float
    head: tuple[float, ...]  # tu px, tv px, tz mm, slope_u mm/px, slope_v mm/px at the apex


def render_depth(subject: Subject, clip: Clip, frame: int, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """The ``uint16`` depth PNG content of ``frame`` (units of :data:`DEPTH_UNIT_MM`, 0 = invalid)."""
    width, height = size
    progress = _progress(clip, frame)
    tu, tv, tz, su, sv = (v * min(1.0, (frame - clip.onset) / max(1, clip.apex - clip.onset)) for v in clip.head)
    v, u = np.mgrid[0:height, 0:width].astype(np.float64)
    ax, ay = 0.42 * width * subject.width_factor, 0.45 * height
    x, y = (u - tu - width / 2) / ax, (v - tv - height / 2) / ay
    dz, dx, dy = au_field(list(clip.aus), x, y, (ax, ay))
    amp = clip.amplitude * progress
    z = subject.distance_mm - face_height(x - amp * dx, y - amp * dy, subject) - amp * dz
    z += tz + su * (u - width / 2) + sv * (v - height / 2) + rng.normal(0, NOISE_MM, z.shape)
    depth = np.round(z / DEPTH_UNIT_MM)
    depth[(x**2 + y**2) >= 0.97] = 0
    depth[rng.random(z.shape) < 0.01] = 0
    for _ in range(2):  # small specular holes
        hu, hv, hr = rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height, rng.uniform(1.5, 3.5)
        depth[(u - hu) ** 2 + (v - hv) ** 2 < hr**2] = 0
    return depth.astype(np.uint16)


def _progress(clip: Clip, frame: int) -> float:
    if frame <= clip.apex:
        return (frame - clip.onset) / max(1, clip.apex - clip.onset)
    return 1.0 - 0.8 * (frame - clip.apex) / max(1, clip.offset - clip.apex)


def shade(depth: np.ndarray) -> np.ndarray:
    """A grey Lambertian rendering of a depth map, as the RGB stand-in (``uint8 [H, W, 3]``)."""
    z = depth.astype(np.float64) * DEPTH_UNIT_MM
    gy, gx = np.gradient(z)
    light = (0.3 + 0.7 * np.clip((-gx * 0.3 - gy * 0.5 + 1) / np.sqrt(gx**2 + gy**2 + 1), 0, 1)) * 255
    light[depth == 0] = 20
    return np.repeat(light.astype(np.uint8)[..., None], 3, axis=2)


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


#: What ``zoo depth-mer make-synth`` writes by default (and the synthetic recipe trains on).
DEFAULTS = {"subjects": 10, "clips_per_subject": 13, "seed": 0, "size": (112, 136)}
#: The quirks of the real label file and disk that are planted, one clip each, in this order.
QUIRKS = ("apex_not_after_onset", "apex_after_offset", "uppercase_filename", "damaged_frame", "missing_frame",
          "emotion_spelling")


def make_synthetic(out: str | Path, subjects: int = DEFAULTS["subjects"], clips_per_subject: int = DEFAULTS["clips_per_subject"],
                   seed: int = 0, size: tuple[int, int] = DEFAULTS["size"], layout: Layout = "frames", quirks: bool = True,
                   overwrite: bool = False) -> SynthSummary:
    """Write the sample into ``out`` (atomically) and return what was written.

    Args:
        out: the dataset root to create (it must not exist or be empty, unless ``overwrite``).
        subjects, clips_per_subject: how many synthetic subjects and clips each (``clips_per_subject`` ≤ 13).
        seed: everything is drawn from ``numpy.random.default_rng(seed)``; the same seed writes the same files.
        size: depth/RGB frame ``(width, height)``, at least 32 × 32.
        layout: ``"frames"`` (RGB/…/color, depth/…/depth) or ``"clip"`` (Part_A_ME_clip/{frame,depth}).
        quirks: plant the real label file's quirks (:data:`QUIRKS`: apex ≤ onset, apex > offset, an
            upper-case filename, a damaged and a missing depth frame, ``Others``), one clip each, as
            many as there are clips (``Others`` only if an ``others`` clip was drawn).
        overwrite: replace an existing ``out``.

    Raises:
        InputError: on fewer than 2 subjects, clips per subject outside 1..13, a frame smaller than
            32 × 32, or an ``out`` that is a file or a non-empty folder (nothing is written then).
    """
    import cv2

    from zoo_mer_data.casme3 import LABEL_FILE, write_casme3_labels

    if subjects < 2 or not 1 <= clips_per_subject <= 13:
        raise InputError(f"Need at least 2 subjects and 1..13 clips per subject (Filename a..m); got {subjects} "
                         f"subjects and {clips_per_subject} clips per subject.")
    if min(size) < 32:
        raise InputError(f"Frames must be at least 32 x 32 pixels, got {size[0]} x {size[1]}.")
    rng = np.random.default_rng(seed)
    faces = {f"spNO.{s + 1}": Subject.draw(rng) for s in range(subjects)}
    clips = _draw_clips(rng, subjects, clips_per_subject)
    with atomic_output_dir(out, overwrite=overwrite) as work:
        for clip in clips:
            for frame in range(clip.onset, clip.offset + 1):
                depth = render_depth(faces[clip.subject_name], clip, frame, size, rng)
                rgb_path, depth_path = _paths(work, clip, frame, layout)
                depth_path.parent.mkdir(parents=True, exist_ok=True)
                rgb_path.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(depth_path), depth)
                cv2.imwrite(str(rgb_path), shade(depth))
        rows = [{"Subject": c.subject_name, "Filename": c.filename, "Onset": c.onset, "Apex": c.apex, "Offset": c.offset,
                 "AU": "+".join(c.aus), "Objective class": _OBJECTIVE[c.emotion], "emotion": c.emotion} for c in clips]
        planted = _plant_quirks(work, clips, rows, layout) if quirks else {}
        write_casme3_labels(work / LABEL_FILE, rows)
        write_synthetic_marker(work, generator="zoo depth-mer make-synth", seed=seed, subjects=subjects,
                               clips_per_subject=clips_per_subject, size=list(size), layout=layout, quirks=sorted(planted),
                               depth_unit_mm=DEPTH_UNIT_MM)
    root = Path(out)
    return SynthSummary(root, root / LABEL_FILE, clips, planted)


def _plant_quirks(root: Path, clips: list[Clip], rows: list[dict], layout: Layout) -> dict[str, str]:
    """Reproduce the real sheet's and disk's quirks, each on its own clip; ``{quirk: sample or file}``.

    Files are named relative to the dataset root (``root`` is the temporary folder being written).
    """
    planted: dict[str, str] = {}
    others = [i for i, c in enumerate(clips) if c.emotion == "others"]
    free = iter(i for i in range(len(clips)) if i not in others[:1])
    for quirk in QUIRKS:
        if quirk == "emotion_spelling":
            index = others[0] if others else None
        else:
            index = next(free, None)
        if index is None:
            continue
        clip, row = clips[index], rows[index]
        name = f"{clip.subject_name}_{clip.filename}"
        if quirk == "apex_not_after_onset":
            row["Apex"] = row["Onset"]
        elif quirk == "apex_after_offset":
            row["Apex"] = row["Offset"] + 2
        elif quirk == "uppercase_filename":
            row["Filename"] = row["Filename"].upper()
        elif quirk == "emotion_spelling":
            row["emotion"] = "Others"
        elif quirk == "damaged_frame":
            path = _paths(root, clip, clip.apex, layout)[1]
            path.write_bytes(b"\x89PNG\r\n\x1a\n not a real png")  # decodes to nothing
            name = str(path.relative_to(root))
        else:  # missing_frame
            path = _paths(root, clip, clip.onset, layout)[1]
            path.unlink()
            name = str(path.relative_to(root))
        planted[quirk] = name
    return planted

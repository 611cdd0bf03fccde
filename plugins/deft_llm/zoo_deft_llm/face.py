"""Face alignment: from 68 landmarks (dlib, eye corners) or from OpenCV Haar cascades (eyes, box).

``landmarks`` selects the method: ``"dlib"`` (68 points; a similarity transform fitted to the four
eye corners; needs the optional dlib packages), ``"none"`` (Haar face + eye cascades, then the box,
then the central square) or ``"auto"`` (dlib where installed, else Haar). Whatever is used is
recorded in :attr:`Alignment.method`; a frame where dlib finds no face falls back to Haar.

The transform is estimated on the onset frame and applied to both onset and apex, so that the flow
between the two crops measures facial motion, not jitter of two separate alignments.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from zoo.sdk import ConfigError, InputError

#: Detection runs on a copy whose longer side is at most this many pixels (speed; faces in MER
#: datasets fill a good part of the frame, so they stay well above the cascade's minimum size).
DETECT_MAX_SIDE = 200


@dataclass(frozen=True)
class Alignment:
    """A 2×3 affine map from frame pixels to crop pixels, and how it was found."""

    matrix: np.ndarray
    size: int
    method: str  # "landmarks" | "eyes" | "box" | "full-frame"
    box: tuple[int, int, int, int] | None = None
    landmarks: np.ndarray | None = None  # (68, 2) in crop pixels when method == "landmarks"

    def warp(self, image: np.ndarray) -> np.ndarray:
        """Apply the alignment to a frame (bilinear, border replicated)."""
        return cv2.warpAffine(image, self.matrix, (self.size, self.size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@lru_cache(maxsize=2)
def _cascade(filename: str) -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + filename)
    if cascade.empty():
        raise InputError(f"OpenCV's Haar cascade {filename} is missing from {cv2.data.haarcascades}; reinstall opencv-contrib-python-headless.")
    return cascade


def detect_face(gray: np.ndarray) -> tuple[int, int, int, int] | None:
    """The largest frontal face box ``(x, y, w, h)`` in frame pixels, or ``None``."""
    scale = min(1.0, DETECT_MAX_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    # Faces in MER recordings fill a large part of the frame: skipping windows smaller than a fifth
    # of the frame's short side removes most of the cascade's work (and most false positives).
    smallest = max(24, int(0.2 * min(small.shape)))
    faces = _cascade("haarcascade_frontalface_default.xml").detectMultiScale(small, 1.2, 4, minSize=(smallest, smallest))
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
    return tuple(int(round(v / scale)) for v in (x, y, w, h))


def detect_eyes(gray: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray] | None:
    """Centres of the image-left and image-right eye inside a face box, or ``None``.

    Only the upper 60 % of the box is searched and the two candidates must lie on either side of
    the box centre: nostrils and brows are the cascade's usual false positives.
    """
    x, y, w, h = box
    roi = gray[y:y + int(0.6 * h), x:x + w]
    scale = min(1.0, 80 / max(w, 1))
    small = cv2.resize(roi, None, fx=scale, fy=scale) if scale < 1 else roi
    eyes = _cascade("haarcascade_eye.xml").detectMultiScale(small, 1.15, 3, minSize=(10, 10), maxSize=(40, 40))
    centres = [np.array([x + (ex + ew / 2) / scale, y + (ey + eh / 2) / scale]) for ex, ey, ew, eh in eyes]
    left = [c for c in centres if c[0] < x + w / 2]
    right = [c for c in centres if c[0] >= x + w / 2]
    if not left or not right:
        return None
    left_eye = min(left, key=lambda c: abs(c[0] - (x + 0.3 * w)))
    right_eye = min(right, key=lambda c: abs(c[0] - (x + 0.7 * w)))
    return left_eye, right_eye


def similarity_from_eyes(left: np.ndarray, right: np.ndarray, targets: tuple[tuple[float, float], tuple[float, float]], size: int) -> np.ndarray:
    """The 2×3 similarity (rotation, uniform scale, shift) taking the eye centres to their targets."""
    src = np.stack([left, right]).astype(np.float64)
    dst = np.array(targets, dtype=np.float64) * size
    src_vec, dst_vec = src[1] - src[0], dst[1] - dst[0]
    scale = np.linalg.norm(dst_vec) / max(np.linalg.norm(src_vec), 1e-6)
    angle = np.arctan2(dst_vec[1], dst_vec[0]) - np.arctan2(src_vec[1], src_vec[0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shift = dst[0] - rotation @ src[0]
    return np.hstack([rotation, shift[:, None]]).astype(np.float32)


LANDMARK_MODES = ("none", "dlib", "auto")
#: Half the eye width (corner to corner) as a fraction of the inter-ocular distance: the mean of
#: scikit-image's astronaut (0.21) and matplotlib's Grace Hopper (0.18) under dlib's 68 points.
EYE_HALF_WIDTH = 0.195


def similarity_from_points(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2×3 least-squares similarity (rotation, uniform scale, shift) taking ``src`` to ``dst``.

    Umeyama's closed form without reflection; with two points it is exact.
    """
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    a, b = src - src_mean, dst - dst_mean
    # For 2-D points the optimal similarity is z -> c·z + t in complex numbers.
    za, zb = a[:, 0] + 1j * a[:, 1], b[:, 0] + 1j * b[:, 1]
    c = np.vdot(za, zb) / max(np.vdot(za, za).real, 1e-12)
    rotation = np.array([[c.real, -c.imag], [c.imag, c.real]])
    shift = dst_mean - rotation @ src_mean
    return np.hstack([rotation, shift[:, None]]).astype(np.float32)


def eye_corner_targets(eye_targets, size: int) -> np.ndarray:
    """Crop positions of the four eye corners (points 36, 39, 42, 45) for given eye-centre targets."""
    (lx, ly), (rx, ry) = eye_targets
    half = EYE_HALF_WIDTH * (rx - lx)
    return np.array([[lx - half, ly], [lx + half, ly], [rx - half, ry], [rx + half, ry]]) * size


def landmark_alignment(frame: np.ndarray, size: int, eye_targets) -> Alignment | None:
    """Alignment from dlib's 68 landmarks (eye corners), or ``None`` if no face is found.

    Raises:
        MissingDependencyError: if dlib or its model is not installed.
    """
    from zoo_deft_llm.landmarks import EYE_CORNERS, detect_landmarks

    points = detect_landmarks(frame)
    if points is None:
        return None
    matrix = similarity_from_points(points[EYE_CORNERS], eye_corner_targets(eye_targets, size))
    in_crop = points @ matrix[:, :2].T.astype(np.float64) + matrix[:, 2]
    x0, y0 = points.min(0)
    x1, y1 = points.max(0)
    box = (int(x0), int(y0), int(x1 - x0), int(y1 - y0))
    return Alignment(matrix, size, "landmarks", box, in_crop)


def align_face(frame: np.ndarray, size: int = 128, eye_targets=((0.3, 0.38), (0.7, 0.38)),
               landmarks: str = "none") -> Alignment:
    """Find the face and the map to a ``size``² crop with the eyes at ``eye_targets``.

    With ``landmarks="dlib"`` (or ``"auto"`` where dlib is installed) the four eye corners of the
    68 landmarks fix the similarity. Otherwise, or when dlib finds no face, Haar cascades are used:
    the eyes, then the detected box (eyes not found), then the central square of the frame (no
    face found); :attr:`Alignment.method` records which, so the builder can report it.

    Raises:
        InputError: if ``frame`` is not a 2-D or 3-D image array.
        ConfigError: for an unknown ``landmarks`` mode.
        MissingDependencyError: ``landmarks="dlib"`` without the dlib packages.
    """
    if frame.ndim not in (2, 3):
        raise InputError(f"Expected an image array (H, W) or (H, W, 3), got shape {frame.shape}.")
    if landmarks not in LANDMARK_MODES:
        raise ConfigError(f"Unknown landmarks mode {landmarks!r}; choose one of {', '.join(LANDMARK_MODES)}.")
    if landmarks == "dlib" or (landmarks == "auto" and _dlib_available()):
        found = landmark_alignment(frame, size, eye_targets)
        if found is not None:
            return found
    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    box = detect_face(gray)
    if box is not None:
        eyes = detect_eyes(gray, box)
        if eyes is not None:
            return Alignment(similarity_from_eyes(*eyes, eye_targets, size), size, "eyes", box)
        x, y, w, h = box
        return Alignment(_box_matrix(x, y, w, h, size), size, "box", box)
    height, width = gray.shape
    side = min(height, width)
    return Alignment(_box_matrix((width - side) / 2, (height - side) / 2, side, side, size), size, "full-frame")


def _box_matrix(x: float, y: float, w: float, h: float, size: int) -> np.ndarray:
    # The Haar box is tight around brows-to-mouth; a 10 % margin keeps the chin in the crop.
    side = max(w, h) * 1.1
    cx, cy = x + w / 2, y + h / 2 + 0.05 * h
    scale = size / side
    return np.float32([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]])


def _dlib_available() -> bool:
    from zoo_deft_llm.landmarks import available

    return available()

"""Face detection (OpenCV Haar cascades) and eye-based similarity alignment.

The transform is estimated on the onset frame and applied to both onset and apex, so that the flow
between the two crops measures facial motion, not jitter of two separate alignments.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from zoo.errors import InputError

#: Detection runs on a copy whose longer side is at most this many pixels (speed; faces in MER
#: datasets fill a good part of the frame, so they stay well above the cascade's minimum size).
DETECT_MAX_SIDE = 200


@dataclass(frozen=True)
class Alignment:
    """A 2×3 affine map from frame pixels to crop pixels, and how it was found."""

    matrix: np.ndarray
    size: int
    method: str  # "eyes" | "box" | "full-frame"
    box: tuple[int, int, int, int] | None = None

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


def align_face(frame: np.ndarray, size: int = 128, eye_targets=((0.3, 0.38), (0.7, 0.38))) -> Alignment:
    """Find the face and the map to a ``size``² crop with the eyes at ``eye_targets``.

    Falls back to the detected box (eyes not found) and then to the central square of the frame
    (no face found); :attr:`Alignment.method` records which, so the builder can report it.

    Raises:
        InputError: if ``frame`` is not a 2-D or 3-D image array.
    """
    if frame.ndim not in (2, 3):
        raise InputError(f"Expected an image array (H, W) or (H, W, 3), got shape {frame.shape}.")
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

"""68-point facial landmarks: dlib's HOG frontal face detector + its 68-point shape predictor.

A component any MER method can use (``detect_landmarks`` on a frame → ``(68, 2)`` pixel
coordinates in the iBUG 300-W order: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, lips 48-67;
"right"/"left" are the subject's, so the subject's right eye 36-41 is on the image's left).

The packages are optional: ``dlib-bin`` (the detector and predictor code) and
``face-recognition-models`` (ships ``shape_predictor_68_face_landmarks.dat``). The model file is
found through ``importlib.metadata`` without importing ``face_recognition_models`` (its
``__init__`` imports ``pkg_resources``). **Research use only**: the 68-point model is trained on
iBUG 300-W, whose images are licensed for non-commercial research.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

import zoo.sdk as sdk

MODEL_DISTRIBUTION = "face-recognition-models"
MODEL_FILE = "face_recognition_models/models/shape_predictor_68_face_landmarks.dat"
RESEARCH_USE = ("dlib's 68-point landmark model is trained on iBUG 300-W (images licensed for "
                "non-commercial research): research use only")
INSTALL_HINT = ("install the DEFT-LLM extras with `make setup` (or `pip install -e plugins/deft_llm[real]`, "
                "i.e. dlib-bin and face-recognition-models)")
#: Detection runs on a copy whose longer side is at most this (HOG is the cost; the predictor then
#: reads the full-resolution frame).
DETECT_MAX_SIDE = 320
RIGHT_EYE = list(range(36, 42))  # the subject's right eye: the image's left
LEFT_EYE = list(range(42, 48))
EYE_CORNERS = [36, 39, 42, 45]  # outer/inner corner of the subject's right eye, inner/outer of the left


def predictor_path() -> Path:
    """``shape_predictor_68_face_landmarks.dat`` inside the installed ``face-recognition-models``.

    Raises:
        MissingDependencyError: if the distribution (or the file in it) is missing.
    """
    import importlib.metadata as metadata

    try:
        distribution = metadata.distribution(MODEL_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise sdk.MissingDependencyError(
            f"Facial landmarks need dlib's 68-point model from the {MODEL_DISTRIBUTION!r} package, which is "
            f"not installed; {INSTALL_HINT}. Without it, use landmarks='none' (Haar cascades + fixed boxes)."
        ) from None
    path = Path(str(distribution.locate_file(MODEL_FILE)))
    if not path.is_file():
        raise sdk.MissingDependencyError(
            f"{MODEL_DISTRIBUTION} is installed but {path} is missing; reinstall it ({INSTALL_HINT})."
        )
    return path


@lru_cache(maxsize=1)
def _models():
    try:
        import dlib
    except ImportError:
        raise sdk.MissingDependencyError(
            f"Facial landmarks need the `dlib-bin` package (import dlib), which is not installed; {INSTALL_HINT}. "
            "Without it, use landmarks='none' (Haar cascades + fixed boxes)."
        ) from None
    return dlib, dlib.get_frontal_face_detector(), dlib.shape_predictor(str(predictor_path()))


def available() -> bool:
    """Whether dlib and the 68-point model are installed (no model is loaded)."""
    import importlib.util

    try:
        predictor_path()
    except sdk.MissingDependencyError:
        return False
    return importlib.util.find_spec("dlib") is not None


def detect_landmarks(image: np.ndarray) -> np.ndarray | None:
    """The 68 landmarks ``(68, 2)`` (x, y in pixels) of the largest frontal face, or ``None``.

    Args:
        image: a grey ``(H, W)`` or BGR ``(H, W, 3)`` uint8 frame.

    Raises:
        InputError: if ``image`` is not a 2-D or 3-D array.
        MissingDependencyError: if dlib or its model is not installed.
    """
    import cv2

    if image.ndim not in (2, 3):
        raise sdk.InputError(f"Expected an image array (H, W) or (H, W, 3), got shape {image.shape}.")
    dlib, detector, predictor = _models()
    gray = np.ascontiguousarray(image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    scale = min(1.0, DETECT_MAX_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    # Upsampling once finds faces down to ~40 px; MER faces are far larger, so only small frames need it.
    faces = detector(small, 1 if max(small.shape) < 200 else 0)
    if len(faces) == 0:
        return None
    face = max(faces, key=lambda r: r.width() * r.height())
    box = dlib.rectangle(*(int(round(v / scale)) for v in (face.left(), face.top(), face.right(), face.bottom())))
    shape = predictor(gray, box)
    return np.array([[shape.part(i).x, shape.part(i).y] for i in range(68)], dtype=np.float64)


def eye_centres(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the image-left (the subject's right) and image-right eye from 68 landmarks."""
    return points[RIGHT_EYE].mean(0), points[LEFT_EYE].mean(0)


def interocular(points: np.ndarray) -> float:
    """Distance between the eye centres (the unit of landmark-anchored regions)."""
    left, right = eye_centres(points)
    return float(np.linalg.norm(right - left))

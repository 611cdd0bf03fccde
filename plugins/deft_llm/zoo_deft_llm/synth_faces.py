"""The real face photographs behind the synthetic subjects, and their 68 landmarks.

Every photograph ships inside an installed package, so the synthetic set builds offline:

- ``astronaut``: scikit-image's ``data.astronaut()`` (Eileen Collins, NASA, public domain), colour;
- ``grace-hopper``: matplotlib's ``sample_data/grace_hopper.jpg`` (US Navy photo, public domain), colour;
- ``lfw-<i>``: ten faces of scikit-image's ``data.lfw_subset()`` (Labeled Faces in the Wild,
  25 × 25 grey crops, upscaled here: soft, low-detail faces), chosen as distinct people on which
  dlib finds all 68 landmarks.

Each photograph becomes a ``FRAME_SIZE``² BGR frame. Its 68 landmarks were found once with dlib
(:func:`compute_landmarks`) and are shipped in ``synth_faces.json`` with a hash of the frame's
pixels, so generating clips needs no dlib and gives the same clips with or without it; a test
re-detects them where dlib is installed.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

import zoo.sdk as sdk

FRAME_SIZE = 240
LANDMARKS_PATH = Path(__file__).with_name("synth_faces.json")
LFW_FACES = (1, 18, 26, 31, 44, 46, 64, 74, 80, 93)
#: Subject k (1-based) is POOL[(k - 1) % len(POOL)]: with the default 8 subjects the held-out
#: sub07/sub08 are Grace Hopper (colour) and an LFW face (grey), neither seen in training.
POOL = ("astronaut", "lfw-1", "lfw-18", "lfw-26", "lfw-31", "lfw-44", "grace-hopper", "lfw-46",
        "lfw-64", "lfw-74", "lfw-80", "lfw-93")
SOURCES = {
    "astronaut": "scikit-image data.astronaut() (Eileen Collins, NASA; public domain)",
    "grace-hopper": "matplotlib mpl-data/sample_data/grace_hopper.jpg (US Navy; public domain)",
    **{f"lfw-{i}": f"scikit-image data.lfw_subset()[{i}] (Labeled Faces in the Wild)" for i in LFW_FACES},
}


def photo(name: str) -> np.ndarray:
    """The ``FRAME_SIZE``² BGR frame of one photograph of :data:`POOL`.

    Raises:
        InputError: for a name that is not in the pool.
    """
    if name == "astronaut":
        from skimage import data

        image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
        return cv2.resize(image[20:260, 110:350], (FRAME_SIZE, FRAME_SIZE), interpolation=cv2.INTER_AREA)
    if name == "grace-hopper":
        import matplotlib.cbook as cbook

        image = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
        return cv2.resize(image[12:452, 53:493], (FRAME_SIZE, FRAME_SIZE), interpolation=cv2.INTER_AREA)
    if name.startswith("lfw-") and int(name[4:]) in LFW_FACES:
        from skimage import data

        grey = (data.lfw_subset()[int(name[4:])] * 255).round().astype(np.uint8)
        grey = cv2.resize(grey, (FRAME_SIZE, FRAME_SIZE), interpolation=cv2.INTER_CUBIC)
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    raise sdk.InputError(f"Unknown synthetic face {name!r}; the pool is: {', '.join(POOL)}.")


def pixel_hash(frame: np.ndarray) -> str:
    """sha256 of a frame's pixels (the shipped landmarks belong to exactly these pixels)."""
    return hashlib.sha256(np.ascontiguousarray(frame).tobytes()).hexdigest()


@lru_cache(maxsize=1)
def _shipped() -> dict[str, dict]:
    return json.loads(LANDMARKS_PATH.read_text(encoding="utf-8"))["faces"]


def face_with_landmarks(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A pool photograph and its shipped 68 landmarks ``(68, 2)`` in frame pixels.

    Raises:
        InputError: if the installed package's photograph is not the one the landmarks were found
            on (another scikit-image/matplotlib version changed it): rerun :func:`compute_landmarks`.
    """
    frame = photo(name)
    entry = _shipped()[name]
    if pixel_hash(frame) != entry["pixels_sha256"]:
        raise sdk.InputError(
            f"The photograph {name!r} ({SOURCES[name]}) differs from the one whose landmarks are shipped in "
            f"{LANDMARKS_PATH.name}; regenerate them with `python -m zoo_deft_llm.synth_faces` (needs dlib)."
        )
    return frame, np.asarray(entry["landmarks"], dtype=np.float64)


def compute_landmarks() -> dict[str, dict]:
    """Detect the 68 landmarks of every pool photograph with dlib (what ``synth_faces.json`` holds).

    Raises:
        MissingDependencyError: without dlib and its model.
        InputError: if dlib finds no face on a photograph.
    """
    from zoo_deft_llm.landmarks import detect_landmarks

    faces = {}
    for name in POOL:
        frame = photo(name)
        points = detect_landmarks(frame)
        if points is None:
            raise sdk.InputError(f"dlib finds no face on the synthetic face photograph {name!r}.")
        faces[name] = {"source": SOURCES[name], "pixels_sha256": pixel_hash(frame), "landmarks": points.round(1).tolist()}
    return faces


if __name__ == "__main__":  # python -m zoo_deft_llm.synth_faces: refresh the shipped landmarks
    from zoo_deft_llm.landmarks import RESEARCH_USE

    payload = {"_comment": f"68 landmarks of the synthetic faces, found by dlib ({RESEARCH_USE}).",
               "frame_size": FRAME_SIZE, "faces": compute_landmarks()}
    LANDMARKS_PATH.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {LANDMARKS_PATH}")

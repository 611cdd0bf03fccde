"""Readers (and the ShanghaiTech writer) of the crowd datasets' head annotations.

Every reader returns an ``[N, 2]`` float64 array of 0-based ``(x, y)`` positions with pixel centres
at integers. MATLAB annotations are 1-based, so 1 is subtracted.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from zoo.sdk import InputError


def _as_points(array: object, path: Path, one_based: bool) -> np.ndarray:
    try:
        pts = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{path}: the head positions are not numbers.") from None
    if pts.size == 0:
        return np.zeros((0, 2))
    if pts.ndim != 2 or pts.shape[1] < 2:
        raise InputError(f"{path}: expected an (N, 2) array of (x, y) head positions, got shape {pts.shape}.")
    pts = pts[:, :2].copy()
    return pts - 1.0 if one_based else pts


def _loadmat(path: Path, key: str) -> dict:
    """Read a .mat file that must hold ``key`` (the annotation variable of the dataset)."""
    from scipy.io import loadmat

    try:
        mat = loadmat(str(path))
    except NotImplementedError:  # scipy's answer to MATLAB 7.3 (HDF5) files
        raise InputError(f"{path} is a MATLAB v7.3 (HDF5) file; re-save it with `save -v7`.") from None
    except Exception as exc:  # noqa: BLE001 - a corrupt file raises any of OSError, IndexError, MatReadError, ...
        raise InputError(f"{path} is not a readable MATLAB .mat file ({type(exc).__name__}: {exc}).") from None
    if key not in mat:
        raise InputError(f"{path} has no {key!r} (keys: {sorted(k for k in mat if not k.startswith('__'))}).")
    return mat


def read_shanghaitech_mat(path: str | Path) -> np.ndarray:
    """Heads of a ShanghaiTech ``GT_IMG_<n>.mat`` (``image_info[0,0][0,0][0]``, 1-based).

    Raises:
        InputError: if the file is not a .mat or lacks ``image_info``.
    """
    path = Path(path)
    mat = _loadmat(path, "image_info")
    try:
        location = mat["image_info"][0, 0][0, 0][0]
    except (IndexError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: 'image_info' is not the ShanghaiTech struct ({exc}).") from None
    return _as_points(location, path, one_based=True)


#: The text part of a MAT-file v5 header (116 bytes), without a timestamp.
_MAT_HEADER = b"MATLAB 5.0 MAT-file, Platform: posix, written by zoo-l2hcount".ljust(116)


def write_shanghaitech_mat(path: str | Path, points: np.ndarray) -> None:
    """Write 0-based ``points`` as a ShanghaiTech ``.mat`` (a 1×1 cell of a struct ``location, number``)."""
    from scipy.io import savemat

    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2) + 1.0
    struct = np.empty((1, 1), dtype=[("location", "O"), ("number", "O")])
    struct[0, 0]["location"] = pts
    struct[0, 0]["number"] = np.array([[float(len(pts))]])
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = struct
    savemat(str(path), {"image_info": cell})
    # The MAT header's 116 text bytes hold a creation time: fix them so the same points give the
    # same file (seeded synthetic data is then byte-identical; readers ignore this text).
    with open(path, "r+b") as handle:
        handle.write(_MAT_HEADER)


def read_annpoints_mat(path: str | Path) -> np.ndarray:
    """Heads of a UCF-QNRF ``img_<n>_ann.mat`` or an NWPU ``mats/<id>.mat`` (``annPoints``, 1-based).

    Raises:
        InputError: if the file is not a .mat or lacks ``annPoints``.
    """
    path = Path(path)
    mat = _loadmat(path, "annPoints")
    return _as_points(mat["annPoints"], path, one_based=True)


def read_jhu_txt(path: str | Path) -> np.ndarray:
    """Heads of a JHU-Crowd++ ``gt/<id>.txt`` (``x y w h occlusion blur`` per line, 0-based pixels).

    Raises:
        InputError: if a line has fewer than two numbers.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not a readable JHU-Crowd++ text annotation ({exc}).") from None
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        fields = line.replace(",", " ").split()
        if not fields:
            continue
        try:
            rows.append((float(fields[0]), float(fields[1])))
        except (ValueError, IndexError):
            raise InputError(f"{path}:{lineno}: expected 'x y w h occlusion blur', got {line!r}.") from None
    return _as_points(rows, path, one_based=False)


def read_nwpu_json(path: str | Path) -> np.ndarray:
    """Heads of an NWPU ``jsons/<id>.json`` (``{"points": [[x, y], ...]}``, 0-based pixels).

    Raises:
        InputError: if the file is not JSON or has no ``points``.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not a readable NWPU JSON annotation: {exc}") from None
    if not isinstance(data, dict) or "points" not in data:
        raise InputError(f"{path} has no 'points' list.")
    return _as_points(data["points"], path, one_based=False)


def split_points(points: np.ndarray, width: int, height: int) -> tuple[np.ndarray, int, int]:
    """Validate head positions against their image.

    Returns:
        ``(inside, non_finite, outside)``: the finite heads whose pixel ``floor(p + 0.5)`` lies
        in the ``width × height`` image, and how many heads were NaN/infinite or outside it.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    finite = np.isfinite(pts).all(axis=1)
    pixels = np.floor(np.where(finite[:, None], pts, 0.0) + 0.5)
    inside = finite & (pixels[:, 0] >= 0) & (pixels[:, 0] < width) & (pixels[:, 1] >= 0) & (pixels[:, 1] < height)
    return pts[inside], int((~finite).sum()), int((finite & ~inside).sum())


def read_points_file(path: str | Path) -> np.ndarray:
    """Heads of an annotation file in any of the four datasets' formats, chosen by its name.

    ``GT_*.mat`` → ShanghaiTech; other ``.mat`` → ``annPoints`` (UCF-QNRF, NWPU); ``.json`` →
    NWPU's ``{"points": ...}``; ``.txt`` → JHU-Crowd++.

    Raises:
        InputError: if the suffix is none of those or the file cannot be read.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".mat":
        return read_shanghaitech_mat(path) if path.name.startswith("GT_") else read_annpoints_mat(path)
    if suffix == ".json":
        return read_nwpu_json(path)
    if suffix == ".txt":
        return read_jhu_txt(path)
    raise InputError(f"{path}: unknown annotation format; expected a .mat, .json or .txt head annotation.")

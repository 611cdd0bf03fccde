"""Readers (and the ShanghaiTech writer) of the crowd datasets' head annotations.

Every reader returns an ``[N, 2]`` float64 array of 0-based ``(x, y)`` positions with pixel centres
at integers. MATLAB annotations are 1-based, so 1 is subtracted.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from zoo.errors import InputError


def _as_points(array: object, path: Path, one_based: bool) -> np.ndarray:
    pts = np.asarray(array, dtype=np.float64)
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
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path} is not a readable MATLAB .mat file: {exc}") from None
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
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
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
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not a readable NWPU JSON annotation: {exc}") from None
    if not isinstance(data, dict) or "points" not in data:
        raise InputError(f"{path} has no 'points' list.")
    return _as_points(data["points"], path, one_based=False)

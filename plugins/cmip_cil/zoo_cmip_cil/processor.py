"""The CMIP-CIL processor: a mesh or a point cloud in, ``num_points`` normalised points out.

Inputs: ``.off``/``.obj`` meshes (points sampled uniformly on the surface, after the rotation the
training data had: ModelNet40's ``.off`` files are z-up, the model's frame is y-up), point files
(``.npy``, ``.txt``/``.xyz`` with ``x y z`` or ``x,y,z[,nx,ny,nz]`` rows: taken as already y-up,
like ModelNet40's h5/resampled releases and ShapeNet-55's clouds) and in-memory arrays or tensors
``[N, >=3]``. Every cloud is checked (points present, finite, not all equal), sampled to
``num_points`` with a fixed seed (with repetition if it has fewer) and normalised like the
training data (bounding box centred, radius 0.5).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from zoo.sdk import InputError, Processor
from zoo_cmip_cil.mesh import check_points, normalise, normalise_points, read_mesh, read_point_file, rotate_x, sample_surface

MESH_SUFFIXES = (".off", ".obj")
POINT_SUFFIXES = (".npy", ".txt", ".xyz")


class PointCloudProcessor(Processor):
    """Loads meshes, point files and arrays as ``{"points": float32 [num_points, 3], "mesh": Mesh | None}``."""

    def __init__(self, num_points: int = 1024, mesh_rotate_x_deg: float = -90.0, seed: int = 0) -> None:
        self.num_points = int(num_points)
        self.mesh_rotate_x_deg = float(mesh_rotate_x_deg)
        self.seed = int(seed)

    def load(self, input: Any) -> dict[str, Any]:
        """One input as an item (the mesh is kept, normalised, for the picture).

        Raises:
            InputError: for a missing file, an unsupported suffix, a malformed file or an empty,
                non-finite or degenerate cloud (the message names the input).
        """
        import torch

        rng = np.random.default_rng(self.seed)
        mesh = None
        if isinstance(input, (str, Path)):
            path = Path(input)
            if not path.is_file():
                raise InputError(f"{path} is not a file; give a mesh ({', '.join(MESH_SUFFIXES)}) or a point file "
                                 f"({', '.join(POINT_SUFFIXES)}).")
            if path.suffix.lower() not in (*MESH_SUFFIXES, *POINT_SUFFIXES):
                raise InputError(f"Cannot read {path}: expected a mesh ({', '.join(MESH_SUFFIXES)}) or a point file "
                                 f"({', '.join(POINT_SUFFIXES)}).")
            if path.suffix.lower() in MESH_SUFFIXES:
                mesh = normalise(rotate_x(read_mesh(path), self.mesh_rotate_x_deg))
                cloud = sample_surface(mesh, self.num_points, rng)
            else:
                cloud = check_points(read_point_file(path), str(path))
        elif isinstance(input, (np.ndarray, torch.Tensor)):
            array = input.detach().cpu().numpy() if isinstance(input, torch.Tensor) else input
            cloud = check_points(array, self.describe(input))
        else:
            raise InputError(f"Cannot read a {type(input).__name__} as a point cloud; give a path or an array [N, 3].")
        picked = cloud[rng.choice(len(cloud), self.num_points, replace=len(cloud) < self.num_points)]
        points = torch.from_numpy(normalise_points(picked).astype(np.float32))
        return {"points": points, "mesh": mesh}

    def collate(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """``{"points": [B, num_points, 3]}`` (meshes stay with the items, for the pictures)."""
        import torch

        return {"points": torch.stack([item["points"] for item in items])}

"""Triangle meshes: OFF/OBJ reading and writing, normalisation, surface sampling, contiguous masking.

Only numpy and scipy: these functions run in data-loading workers and in the synthetic generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.errors import InputError


@dataclass
class Mesh:
    """A triangle mesh: ``vertices`` float ``[V, 3]`` and ``faces`` int ``[F, 3]``."""

    vertices: np.ndarray
    faces: np.ndarray

    def __post_init__(self) -> None:
        self.vertices = np.asarray(self.vertices, dtype=np.float64).reshape(-1, 3)
        self.faces = np.asarray(self.faces, dtype=np.int64).reshape(-1, 3)

    def face_areas(self) -> np.ndarray:
        """Area of every triangle ``[F]``."""
        a, b, c = (self.vertices[self.faces[:, i]] for i in range(3))
        return 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)

    def submesh(self, face_ids: np.ndarray) -> "Mesh":
        """The mesh made of ``face_ids`` only, with unused vertices dropped and faces re-indexed."""
        faces = self.faces[np.asarray(face_ids, dtype=np.int64)]
        used, inverse = np.unique(faces.ravel(), return_inverse=True)
        return Mesh(self.vertices[used], inverse.reshape(-1, 3))


def normalise_points(points: np.ndarray) -> np.ndarray:
    """Centre a point set's bounding box at the origin and scale it into the ball of radius 0.5.

    Raises:
        InputError: if there are no points or they all coincide.
    """
    points = np.asarray(points, dtype=np.float64)
    if len(points) == 0:
        raise InputError("Cannot normalise an empty point set or mesh: it has no vertices.")
    centred = points - (points.min(0) + points.max(0)) / 2
    radius = float(np.linalg.norm(centred, axis=1).max())
    if radius <= 0:
        raise InputError("Cannot normalise points that all coincide (zero extent).")
    return centred * (0.5 / radius)


def normalise(mesh: Mesh) -> Mesh:
    """Centre the mesh's bounding box at the origin and scale it into the ball of radius 0.5.

    "Unit size" is read as unit *diameter*: from the spec's camera distance of 1.2 with a 60°
    field of view, such an object always lies wholly inside every view (it subtends at most
    2·asin(0.5/1.2) ≈ 49°), so no view is clipped.

    Raises:
        InputError: if the mesh has no vertices or zero extent.
    """
    return Mesh(normalise_points(mesh.vertices), mesh.faces.copy())


def _triangulate(polygons: list[list[int]]) -> np.ndarray:
    tris = [(p[0], p[i], p[i + 1]) for p in polygons for i in range(1, len(p) - 1)]
    return np.asarray(tris, dtype=np.int64).reshape(-1, 3)


def read_off(path: str | Path) -> Mesh:
    """Read an OFF mesh, including ModelNet40's glued header line (``OFF490 518 0``).

    Polygons with more than three corners are fan-triangulated.

    Raises:
        InputError: if the file is not OFF or is truncated.
    """
    tokens = Path(path).read_text(encoding="ascii", errors="replace").split()
    if not tokens or not tokens[0].upper().startswith("OFF"):
        raise InputError(f"{path} is not an OFF file: it must start with 'OFF'.")
    head = tokens[0][3:]
    rest = ([head] if head else []) + tokens[1:]  # "OFF490" -> "490"
    try:
        n_vertices, n_faces = int(rest[0]), int(rest[1])
        values = rest[3:]
        vertices = np.asarray(values[: 3 * n_vertices], dtype=np.float64).reshape(n_vertices, 3)
        pos, polygons = 3 * n_vertices, []
        for _ in range(n_faces):
            k = int(values[pos])
            polygons.append([int(v) for v in values[pos + 1 : pos + 1 + k]])
            pos += 1 + k
    except (IndexError, ValueError) as exc:
        raise InputError(f"{path} is a truncated or malformed OFF file ({exc}).") from None
    return Mesh(vertices, _triangulate(polygons))


def write_off(mesh: Mesh, path: str | Path, glued_header: bool = False) -> None:
    """Write ``mesh`` as OFF; ``glued_header`` writes ModelNet40's ``OFF<v> <f> 0`` variant."""
    counts = f"{len(mesh.vertices)} {len(mesh.faces)} 0"
    lines = [f"OFF{counts}"] if glued_header else ["OFF", counts]
    lines += [f"{x:.6f} {y:.6f} {z:.6f}" for x, y, z in mesh.vertices]
    lines += [f"3 {a} {b} {c}" for a, b, c in mesh.faces]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines) + "\n", encoding="ascii")


def read_obj(path: str | Path) -> Mesh:
    """Read the geometry of a Wavefront OBJ (``v`` and ``f`` records; ``f a/b/c`` forms accepted).

    Raises:
        InputError: if the file holds no faces.
    """
    vertices, polygons = [], []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.startswith("v "):
                vertices.append([float(v) for v in line.split()[1:4]])
            elif line.startswith("f "):
                ids = [int(tok.split("/")[0]) for tok in line.split()[1:]]
                # OBJ indices are 1-based; negative ones count back from the last vertex.
                polygons.append([i - 1 if i > 0 else len(vertices) + i for i in ids])
    if not polygons:
        raise InputError(f"{path} holds no faces ('f' records); cannot use it as a mesh.")
    return Mesh(np.asarray(vertices), _triangulate(polygons))


def read_mesh(path: str | Path) -> Mesh:
    """Read ``.off`` or ``.obj`` by suffix.

    Raises:
        InputError: for another suffix or a malformed file.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".off":
        return read_off(path)
    if suffix == ".obj":
        return read_obj(path)
    raise InputError(f"Unsupported mesh file {path}: expected .off or .obj.")


def sample_surface(mesh: Mesh, n_points: int, rng: np.random.Generator) -> np.ndarray:
    """Sample ``n_points`` uniformly on the surface (faces chosen by area), ``[n, 3]`` float32.

    Raises:
        InputError: if the mesh has no face with positive area.
    """
    areas = mesh.face_areas()
    total = areas.sum()
    if not np.isfinite(total) or total <= 0:
        raise InputError("Cannot sample points: the mesh has no face with positive area.")
    face_ids = rng.choice(len(areas), size=n_points, p=areas / total)
    u, v = rng.random((2, n_points))
    flip = u + v > 1  # reflect into the triangle so the barycentric sample stays uniform
    u[flip], v[flip] = 1 - u[flip], 1 - v[flip]
    a, b, c = (mesh.vertices[mesh.faces[face_ids, i]] for i in range(3))
    return (a + u[:, None] * (b - a) + v[:, None] * (c - a)).astype(np.float32)


def face_walk_order(mesh: Mesh, seed_face: int) -> np.ndarray:
    """Faces in breadth-first order over shared vertices, starting at ``seed_face``.

    Faces the walk cannot reach (separate parts, common in ModelNet40) follow in order of their
    centroid's distance to the seed's, so a run of the order is always spatially contiguous.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    n_faces = len(mesh.faces)
    rows = np.repeat(np.arange(n_faces), 3)
    incidence = csr_matrix((np.ones(3 * n_faces), (rows, mesh.faces.ravel())), shape=(n_faces, len(mesh.vertices)))
    adjacency = (incidence @ incidence.T).tocsr()
    reached = breadth_first_order(adjacency, seed_face, directed=False, return_predecessors=False)
    seen = np.zeros(n_faces, dtype=bool)
    seen[reached] = True
    centroids = mesh.vertices[mesh.faces].mean(1)
    others = np.flatnonzero(~seen)
    distance = np.linalg.norm(centroids[others] - centroids[seed_face], axis=1)
    return np.concatenate([reached, others[np.argsort(distance, kind="stable")]])


def mask_contiguous(
    mesh: Mesh, rng: np.random.Generator, keep_range: tuple[float, float] = (0.25, 0.5)
) -> Mesh:
    """Keep a random contiguous run of faces (a fraction drawn from ``keep_range``).

    The run starts at a random seed face and grows breadth-first, as the spec's masked
    pre-training copies do (25–50 % of the faces kept).

    Raises:
        InputError: if ``keep_range`` is not within (0, 1] or the mesh has no faces.
    """
    low, high = keep_range
    if not 0 < low <= high <= 1:
        raise InputError(f"keep_range must satisfy 0 < low <= high <= 1, got {keep_range}.")
    if len(mesh.faces) == 0:
        raise InputError("Cannot mask a mesh without faces.")
    n_keep = max(1, int(round(rng.uniform(low, high) * len(mesh.faces))))
    order = face_walk_order(mesh, int(rng.integers(len(mesh.faces))))
    return mesh.submesh(np.sort(order[:n_keep]))

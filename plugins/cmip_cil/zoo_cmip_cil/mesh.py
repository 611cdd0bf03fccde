"""Triangle meshes and point arrays: OFF/OBJ reading (validated), normalisation, sampling, masking.

Only numpy and scipy: these functions run in data-loading workers and in the synthetic generator.
Readers check what they read (counts, finite coordinates, face indices in range) and raise
:class:`zoo.sdk.InputError` naming the file and the problem; they never return a mesh whose faces
point outside its vertices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.sdk import InputError


class MeshFileError(InputError):
    """A mesh or point file that cannot be used; ``reason`` is a short category for loader summaries."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


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


def check_mesh(mesh: Mesh, where: str) -> Mesh:
    """Check that a mesh can be sampled and rendered: faces, finite vertices, indices in range, area.

    Raises:
        MeshFileError: (an InputError) naming ``where`` and the first problem found.
    """
    if len(mesh.faces) == 0:
        raise MeshFileError(f"{where} has no faces; a mesh needs at least one triangle.", "no faces")
    if not np.isfinite(mesh.vertices).all():
        bad = int((~np.isfinite(mesh.vertices)).any(1).sum())
        raise MeshFileError(f"{where} has {bad} vertex(es) with NaN or infinite coordinates.", "non-finite coordinates")
    bad_faces = np.flatnonzero(((mesh.faces < 0) | (mesh.faces >= len(mesh.vertices))).any(1))
    if len(bad_faces):
        face = int(bad_faces[0])
        reason = "negative face index" if (mesh.faces[face] < 0).any() else "face index out of range"
        raise MeshFileError(
            f"{where}: face {face} uses vertex indices {mesh.faces[face].tolist()}, but the file has "
            f"{len(mesh.vertices)} vertices (valid indices 0..{len(mesh.vertices) - 1}).", reason,
        )
    if not mesh.face_areas().sum() > 0:
        raise MeshFileError(f"{where} has no face with positive area (every triangle is degenerate).", "zero-area mesh")
    return mesh


def rotate_x(mesh: Mesh, degrees: float) -> Mesh:
    """The mesh rotated by ``degrees`` about the x axis (−90 turns ModelNet40's z-up into y-up)."""
    if degrees == 0:
        return mesh
    return Mesh(rotate_points_x(mesh.vertices, degrees), mesh.faces)


def rotate_points_x(points: np.ndarray, degrees: float) -> np.ndarray:
    """Points ``[N, 3]`` rotated by ``degrees`` about the x axis (right-handed)."""
    t = np.deg2rad(degrees)
    c, s = np.cos(t), np.sin(t)
    rotation = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    return np.asarray(points, dtype=np.float64) @ rotation.T


def normalise_points(points: np.ndarray) -> np.ndarray:
    """Centre a point set's bounding box at the origin and scale it into the ball of radius 0.5.

    Raises:
        MeshFileError: (an InputError) if there are no points, a coordinate is not finite, or
            they all coincide.
    """
    points = np.asarray(points, dtype=np.float64)
    if len(points) == 0:
        raise MeshFileError("Cannot normalise an empty point set or mesh: it has no points.", "no points")
    if not np.isfinite(points).all():
        raise MeshFileError("Cannot normalise points with NaN or infinite coordinates.", "non-finite coordinates")
    centred = points - (points.min(0) + points.max(0)) / 2
    radius = float(np.linalg.norm(centred, axis=1).max())
    if radius <= 0:
        raise MeshFileError("Cannot normalise points that all coincide (zero extent).", "zero extent")
    return centred * (0.5 / radius)


def check_points(points: np.ndarray, where: str) -> np.ndarray:
    """The ``xyz`` columns of a point array ``[N, >=3]``, checked: at least one point, finite, not all equal.

    Raises:
        MeshFileError: (an InputError) naming ``where`` and the problem.
    """
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] < 3:
        raise MeshFileError(f"{where}: expected points [N, 3] (or more columns), got shape {points.shape}.", "wrong shape")
    if len(points) == 0:
        raise MeshFileError(f"{where} holds no points (0 rows).", "no points")
    xyz = points[:, :3].astype(np.float64)
    if not np.isfinite(xyz).all():
        bad = int((~np.isfinite(xyz)).any(1).sum())
        raise MeshFileError(f"{where}: {bad} of {len(xyz)} points have NaN or infinite coordinates.", "non-finite coordinates")
    if not (xyz.max(0) - xyz.min(0)).any():
        raise MeshFileError(f"{where}: all {len(xyz)} points coincide (zero extent).", "zero extent")
    return xyz


def normalise(mesh: Mesh) -> Mesh:
    """Centre the mesh's bounding box at the origin and scale it into the ball of radius 0.5.

    "Unit size" is read as unit *diameter*: from the spec's camera distance of 1.2 with a 60°
    field of view, such an object always lies wholly inside every view (it subtends at most
    2·asin(0.5/1.2) ≈ 49°), so no view is clipped.

    Raises:
        InputError: if the mesh has no vertices, a non-finite one, or zero extent.
    """
    return Mesh(normalise_points(mesh.vertices), mesh.faces.copy())


def _triangulate(polygons: list[list[int]]) -> np.ndarray:
    tris = [(p[0], p[i], p[i + 1]) for p in polygons for i in range(1, len(p) - 1)]
    return np.asarray(tris, dtype=np.int64).reshape(-1, 3)


def _off_counts(tokens: list[str], path: Path) -> tuple[int, int, list[str]]:
    """The vertex and face counts and the tokens after the counts line (glued header accepted)."""
    if not tokens or not tokens[0].upper().startswith("OFF"):
        raise MeshFileError(f"{path} is not an OFF file: it must start with 'OFF'.", "not an OFF file")
    glued = tokens[0][3:]
    rest = ([glued] if glued else []) + tokens[1:]  # ModelNet40's "OFF490 518 0" -> "490 518 0"
    try:
        n_vertices, n_faces = int(rest[0]), int(rest[1])
        int(rest[2])  # edge count: unused, but part of the counts line
    except (IndexError, ValueError):
        raise MeshFileError(f"{path}: the counts line must be '<vertices> <faces> <edges>' (integers).",
                            "malformed counts line") from None
    if n_vertices < 0 or n_faces < 0:
        raise MeshFileError(f"{path}: negative vertex or face count ({n_vertices}, {n_faces}).", "malformed counts line")
    return n_vertices, n_faces, rest[3:]


def _off_faces(values: list[str], n_faces: int, path: Path) -> np.ndarray:
    """Face records ``k i0 .. ik-1``: a fast path for all-triangle files, else one polygon at a time."""
    try:
        if len(values) == 4 * n_faces:
            block = np.asarray(values, dtype=np.int64).reshape(n_faces, 4)
            if (block[:, 0] == 3).all():
                return block[:, 1:]
        polygons, pos = [], 0
        for _ in range(n_faces):
            k = int(values[pos])
            if k < 3:
                raise MeshFileError(f"{path}: a face has {k} corner(s); OFF faces need at least 3.", "face with < 3 corners")
            polygons.append([int(v) for v in values[pos + 1 : pos + 1 + k]])
            if len(polygons[-1]) != k:
                raise IndexError
            pos += 1 + k
    except (IndexError, ValueError):
        raise MeshFileError(f"{path} is truncated or malformed: expected {n_faces} face records 'k i0 .. ik-1'.",
                            "truncated or malformed") from None
    return _triangulate(polygons)


def read_off(path: str | Path) -> Mesh:
    """Read and check an OFF mesh, including ModelNet40's glued header line (``OFF490 518 0``).

    Polygons with more than three corners are fan-triangulated.

    Raises:
        InputError: if the file is not OFF, is truncated, has non-finite coordinates, or a face
            index is negative or past the last vertex.
    """
    path = Path(path)
    try:
        tokens = path.read_text(encoding="ascii", errors="replace").split()
    except OSError as exc:
        raise MeshFileError(f"Cannot read {path}: {exc.strerror or exc}.", "unreadable file") from None
    n_vertices, n_faces, values = _off_counts(tokens, path)
    try:
        vertices = np.asarray(values[: 3 * n_vertices], dtype=np.float64).reshape(n_vertices, 3)
    except ValueError:
        raise MeshFileError(f"{path} is truncated or malformed: expected {n_vertices} vertices of 3 numbers.",
                            "truncated or malformed") from None
    return check_mesh(Mesh(vertices, _off_faces(values[3 * n_vertices :], n_faces, path)), str(path))


def write_off(mesh: Mesh, path: str | Path, glued_header: bool = False) -> None:
    """Write ``mesh`` as OFF; ``glued_header`` writes ModelNet40's ``OFF<v> <f> 0`` variant."""
    counts = f"{len(mesh.vertices)} {len(mesh.faces)} 0"
    lines = [f"OFF{counts}"] if glued_header else ["OFF", counts]
    lines += [f"{x:.6f} {y:.6f} {z:.6f}" for x, y, z in mesh.vertices]
    lines += [f"3 {a} {b} {c}" for a, b, c in mesh.faces]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines) + "\n", encoding="ascii")


def read_obj(path: str | Path) -> Mesh:
    """Read and check the geometry of a Wavefront OBJ (``v`` and ``f`` records; ``f a/b/c`` forms accepted).

    Raises:
        InputError: if the file is unreadable, malformed, holds no faces, or a face index is out of range.
    """
    vertices, polygons = [], []
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("v "):
                    vertices.append([float(v) for v in line.split()[1:4]])
                elif line.startswith("f "):
                    ids = [int(tok.split("/")[0]) for tok in line.split()[1:]]
                    # OBJ indices are 1-based; negative ones count back from the last vertex.
                    polygons.append([i - 1 if i > 0 else len(vertices) + i for i in ids])
    except OSError as exc:
        raise MeshFileError(f"Cannot read {path}: {exc.strerror or exc}.", "unreadable file") from None
    except ValueError:
        raise MeshFileError(f"{path} is malformed: a 'v' or 'f' record is not numeric.", "truncated or malformed") from None
    if any(len(v) != 3 for v in vertices) or any(len(p) < 3 for p in polygons):
        raise MeshFileError(f"{path} is malformed: vertices need 3 coordinates and faces at least 3 corners.",
                            "truncated or malformed")
    return check_mesh(Mesh(np.asarray(vertices).reshape(-1, 3), _triangulate(polygons)), str(path))


def read_point_file(path: str | Path) -> np.ndarray:
    """The array in a point file: ``.npy``, or ``.txt``/``.xyz`` rows ``x y z`` / ``x,y,z[,nx,ny,nz]``.

    An empty text file gives a ``[0, 3]`` array (for :func:`check_points` to report).

    Raises:
        MeshFileError: (an InputError) for an unsupported suffix or an unreadable, malformed file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(path)
        if suffix not in (".txt", ".xyz"):
            raise MeshFileError(f"Cannot read {path}: expected a point file (.npy, .txt or .xyz).", "unsupported suffix")
        text = path.read_text(encoding="ascii", errors="replace")
    except (OSError, ValueError) as exc:
        raise MeshFileError(f"Cannot read {path}: {getattr(exc, 'strerror', None) or exc}.", "unreadable file") from None
    if not text.strip():
        return np.zeros((0, 3))
    try:
        return np.loadtxt(text.splitlines(), delimiter="," if "," in text[:200] else None, ndmin=2)
    except ValueError:
        raise MeshFileError(f"{path}: every line must hold numbers 'x y z' or 'x,y,z[,nx,ny,nz]'.",
                            "malformed point file") from None


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
    raise MeshFileError(f"Unsupported mesh file {path}: expected .off or .obj.", "unsupported suffix")


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
    pre-training copies do (25–50 % of the faces kept). ``keep_range=(1, 1)`` keeps every face
    (the "without masking" setting, with the same random stream).

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

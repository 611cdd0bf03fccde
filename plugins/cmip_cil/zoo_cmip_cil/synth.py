"""A seeded synthetic shape set written in ModelNet40's raw ``.off`` layout.

Fourteen procedural classes (primitives and simple furniture with random proportions) plus the
four real meshes pyvista ships offline (airplane, ant, nut, sphere), each as a class of randomly
stretched and rotated copies. Layout: ``OUT/<class>/{train,test}/<class>_<nnnn>.off``; every third
file uses the glued ``OFF<v> <f> 0`` header that real ModelNet40 files have. Shapes are z-up, as
ModelNet40's. ``OUT/SYNTHETIC.json`` marks the folder as synthetic (runs on it are labelled so).
The folder is written atomically: a failed or interrupted run leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from zoo.sdk import InputError, atomic_output_dir, write_synthetic_marker
from zoo_cmip_cil.mesh import Mesh, normalise, write_off

#: The command that generates the set (recorded in SYNTHETIC.json and on cards).
GENERATOR = "zoo cmip-cil make-synth"

Rng = np.random.Generator


def _o3d(mesh) -> Mesh:
    return Mesh(np.asarray(mesh.vertices), np.asarray(mesh.triangles))


def _merge(*parts: tuple[Mesh, tuple[float, float, float]]) -> Mesh:
    """Concatenate parts, each translated by its offset."""
    vertices, faces, count = [], [], 0
    for mesh, offset in parts:
        vertices.append(mesh.vertices + np.asarray(offset))
        faces.append(mesh.faces + count)
        count += len(mesh.vertices)
    return Mesh(np.concatenate(vertices), np.concatenate(faces))


def _box(w: float, h: float, d: float) -> Mesh:
    import open3d as o3d

    return Mesh(_o3d(o3d.geometry.TriangleMesh.create_box(w, h, d)).vertices - [w / 2, h / 2, d / 2],
                _o3d(o3d.geometry.TriangleMesh.create_box(w, h, d)).faces)


def _cylinder(radius: float, height: float, resolution: int = 16) -> Mesh:
    import open3d as o3d

    return _o3d(o3d.geometry.TriangleMesh.create_cylinder(radius, height, resolution, 2))


def _cone(radius: float, height: float, resolution: int = 16) -> Mesh:
    import open3d as o3d

    return _o3d(o3d.geometry.TriangleMesh.create_cone(radius, height, resolution, 1))


def _ellipsoid(rng: Rng) -> Mesh:
    import open3d as o3d

    sphere = _o3d(o3d.geometry.TriangleMesh.create_sphere(1.0, 12))
    return Mesh(sphere.vertices * rng.uniform(0.5, 1.0, 3), sphere.faces)


def _torus(rng: Rng) -> Mesh:
    import open3d as o3d

    return _o3d(o3d.geometry.TriangleMesh.create_torus(1.0, rng.uniform(0.15, 0.45), 20, 10))


def _table(rng: Rng) -> Mesh:
    w, d, h, t, leg = rng.uniform(0.8, 1.6), rng.uniform(0.5, 1.0), rng.uniform(0.5, 0.9), 0.06, 0.04
    legs = [(_cylinder(leg, h, 8), (sx * (w / 2 - leg), sy * (d / 2 - leg), h / 2)) for sx in (-1, 1) for sy in (-1, 1)]
    return _merge((_box(w, d, t), (0, 0, h + t / 2)), *legs)


def _chair(rng: Rng) -> Mesh:
    w, h, back, t, leg = rng.uniform(0.4, 0.6), rng.uniform(0.35, 0.5), rng.uniform(0.4, 0.8), 0.05, 0.03
    legs = [(_cylinder(leg, h, 8), (sx * (w / 2 - leg), sy * (w / 2 - leg), h / 2)) for sx in (-1, 1) for sy in (-1, 1)]
    return _merge((_box(w, w, t), (0, 0, h)), (_box(w, t, back), (0, -w / 2, h + back / 2)), *legs)


def _lamp(rng: Rng) -> Mesh:
    pole, shade = rng.uniform(0.8, 1.4), rng.uniform(0.25, 0.45)
    return _merge((_cylinder(rng.uniform(0.2, 0.3), 0.05), (0, 0, 0.025)), (_cylinder(0.02, pole, 8), (0, 0, pole / 2)),
                  (_cone(shade, shade * rng.uniform(0.6, 1.0)), (0, 0, pole - 0.1)))


def _bottle(rng: Rng) -> Mesh:
    r, h, neck = rng.uniform(0.15, 0.3), rng.uniform(0.5, 0.9), rng.uniform(0.15, 0.3)
    return _merge((_cylinder(r, h), (0, 0, h / 2)), (_cone(r, r), (0, 0, h)), (_cylinder(r * 0.3, neck, 10), (0, 0, h + r * 0.7 + neck / 2)))


def _mug(rng: Rng) -> Mesh:
    import open3d as o3d

    r, h = rng.uniform(0.25, 0.4), rng.uniform(0.4, 0.8)
    handle = _o3d(o3d.geometry.TriangleMesh.create_torus(h / 3, 0.04, 12, 6))
    handle = Mesh(handle.vertices[:, [0, 2, 1]], handle.faces)  # stand the ring up, in the x-z plane
    return _merge((_cylinder(r, h), (0, 0, h / 2)), (handle, (r + h / 6, 0, h / 2)))


def _stool(rng: Rng) -> Mesh:
    r, h = rng.uniform(0.2, 0.35), rng.uniform(0.4, 0.8)
    legs = [(_cylinder(0.025, h, 8), (0.7 * r * np.cos(a), 0.7 * r * np.sin(a), h / 2)) for a in (0, 2.1, 4.2)]
    return _merge((_cylinder(r, 0.05), (0, 0, h)), *legs)


def _shelf(rng: Rng) -> Mesh:
    w, h, d, t, n = rng.uniform(0.6, 1.2), rng.uniform(1.0, 2.0), rng.uniform(0.25, 0.4), 0.04, int(rng.integers(2, 5))
    boards = [(_box(w, d, t), (0, 0, i * h / n)) for i in range(n + 1)]
    return _merge((_box(t, d, h), (-w / 2, 0, h / 2)), (_box(t, d, h), (w / 2, 0, h / 2)), *boards)


def _dumbbell(rng: Rng) -> Mesh:
    import open3d as o3d

    length, r = rng.uniform(0.6, 1.2), rng.uniform(0.15, 0.3)
    ball = _o3d(o3d.geometry.TriangleMesh.create_sphere(r, 10))
    return _merge((_cylinder(0.05, length, 8), (0, 0, 0)), (ball, (0, 0, length / 2)), (ball, (0, 0, -length / 2)))


#: Procedural classes: name -> generator of one random instance.
PROCEDURAL: dict[str, Callable[[Rng], Mesh]] = {
    "box": lambda rng: _box(*rng.uniform(0.3, 1.0, 3)),
    "cylinder": lambda rng: _cylinder(rng.uniform(0.2, 0.5), rng.uniform(0.5, 1.5)),
    "cone": lambda rng: _cone(rng.uniform(0.2, 0.5), rng.uniform(0.5, 1.5)),
    "pyramid": lambda rng: _cone(rng.uniform(0.3, 0.6), rng.uniform(0.4, 1.2), resolution=4),
    "ellipsoid": _ellipsoid,
    "torus": _torus,
    "table": _table,
    "chair": _chair,
    "lamp": _lamp,
    "bottle": _bottle,
    "mug": _mug,
    "stool": _stool,
    "bookshelf": _shelf,
    "dumbbell": _dumbbell,
}
PYVISTA_MESHES: tuple[str, ...] = ("airplane", "ant", "nut", "sphere")


def pyvista_mesh(name: str) -> Mesh:
    """One of the meshes pyvista ships offline, triangulated.

    Raises:
        InputError: if ``name`` is not one of :data:`PYVISTA_MESHES`.
    """
    if name not in PYVISTA_MESHES:
        raise InputError(f"Unknown pyvista mesh {name!r}; expected one of {', '.join(PYVISTA_MESHES)}.")
    from pyvista import examples

    mesh = getattr(examples, f"load_{name}")().triangulate()
    return Mesh(np.asarray(mesh.points), np.asarray(mesh.faces).reshape(-1, 4)[:, 1:])


def _random_rotation(rng: Rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def _variant(mesh: Mesh, rng: Rng) -> Mesh:
    """A randomly stretched and rotated copy (how a fixed pyvista mesh becomes a class)."""
    vertices = (mesh.vertices * rng.uniform(0.7, 1.3, 3)) @ _random_rotation(rng).T
    return Mesh(vertices, mesh.faces)


def class_names(include_pyvista: bool = True) -> list[str]:
    """The synthetic classes in label order."""
    return list(PROCEDURAL) + ([f"pv_{n}" for n in PYVISTA_MESHES] if include_pyvista else [])


def make_synthetic_modelnet(
    out: str | Path, train_per_class: int = 8, test_per_class: int = 8, seed: int = 0, include_pyvista: bool = True,
    overwrite: bool = False,
) -> list[str]:
    """Write the synthetic set to ``out`` in ModelNet40's raw layout; return the class names.

    Raises:
        InputError: if a per-class count is not positive, or ``out`` is a file or a non-empty
            folder (without ``overwrite``); nothing is written then.
    """
    if train_per_class <= 0 or test_per_class <= 0:
        raise InputError(f"Need at least one object per class and split, got {train_per_class}/{test_per_class}.")
    rng = np.random.default_rng(seed)
    names = class_names(include_pyvista)
    with atomic_output_dir(out, overwrite=overwrite) as work:
        bases = {f"pv_{n}": pyvista_mesh(n) for n in PYVISTA_MESHES} if include_pyvista else {}
        counter = 0
        for name in names:
            for split, count in (("train", train_per_class), ("test", test_per_class)):
                for index in range(count):
                    mesh = _variant(bases[name], rng) if name in bases else PROCEDURAL[name](rng)
                    number = index + 1 + (train_per_class if split == "test" else 0)
                    write_off(normalise(mesh), work / name / split / f"{name}_{number:04d}.off", glued_header=counter % 3 == 0)
                    counter += 1
        write_synthetic_marker(work, generator=GENERATOR, seed=seed, train_per_class=train_per_class,
                               test_per_class=test_per_class, include_pyvista=include_pyvista, classes=len(names))
    return names

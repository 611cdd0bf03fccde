"""Views per second of the CMIP-CIL multi-view renderer on the CPU (no GPU, no display).

Ours: the ray-casting back-end kept warm (rays of the 10 views built once) on a 5,040-face sphere
(open3d's ``create_sphere(resolution=36)``), 224x224. Baselines in the same run: the same back-end
cold (a new renderer, so the rays are rebuilt, for every object), and open3d's Filament
``OffscreenRenderer`` on Mesa llvmpipe kept warm (run in a subprocess with a time limit, because
Filament on llvmpipe was seen to hang on some meshes and views; see docs/methods/cmip-cil.md).

Run: ``.venv/bin/python benchmarks/cmip_cil_render.py [--objects 20]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("MESA_SHADER_CACHE_DIR", tempfile.mkdtemp(prefix="mesa-cache-"))


def bench_mesh():
    import numpy as np
    import open3d as o3d

    from zoo_cmip_cil.mesh import Mesh, normalise

    sphere = o3d.geometry.TriangleMesh.create_sphere(radius=1.0, resolution=36)
    return normalise(Mesh(np.asarray(sphere.vertices), np.asarray(sphere.triangles)))


def views_per_second(backend: str, objects: int, warm: bool) -> float:
    from zoo_cmip_cil.render import MultiViewRenderer, RenderConfig

    mesh = bench_mesh()
    renderer = MultiViewRenderer(RenderConfig(backend=backend))
    renderer.render(mesh)  # warm-up: rays / Filament engine and shaders
    start = time.perf_counter()
    views = 0
    for _ in range(objects):
        if not warm:
            renderer = MultiViewRenderer(RenderConfig(backend=backend))
        views += len(renderer.render(mesh))
    return views / (time.perf_counter() - start)


def filament_in_subprocess(objects: int, timeout: float) -> float | None:
    code = f"import json,sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); import cmip_cil_render as b; print('VPS=' + json.dumps(b.views_per_second('filament', {objects}, True)))"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
        # Filament prints its own start-up lines on stdout, so look for ours.
        return float(next(l for l in done.stdout.splitlines() if l.startswith("VPS="))[4:])
    except (subprocess.TimeoutExpired, ValueError, StopIteration):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=20)
    parser.add_argument("--filament-timeout", type=float, default=180)
    args = parser.parse_args()
    print(f"mesh: 5040-face sphere, 10 views of 224x224, {os.cpu_count()} CPU cores")
    warm = views_per_second("raycast", args.objects, warm=True)
    cold = views_per_second("raycast", args.objects, warm=False)
    # One object only: with more, Filament hung past the time limit here (re-adding geometry).
    filament = filament_in_subprocess(1, args.filament_timeout)
    print(f"raycast warm (ours):      {warm:8.1f} views/s")
    print(f"raycast cold per object:  {cold:8.1f} views/s   warm/cold = {warm / cold:.2f}x")
    if filament is None:
        print("filament (open3d OffscreenRenderer, llvmpipe) warm: did not finish / failed")
    else:
        print(f"filament warm (baseline): {filament:8.1f} views/s   raycast/filament = {warm / filament:.2f}x")


if __name__ == "__main__":
    main()

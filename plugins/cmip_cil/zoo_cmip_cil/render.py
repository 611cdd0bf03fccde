"""Multi-view rendering of untextured meshes on the CPU, with no GPU and no display.

Two back-ends share one camera rig and one shading model:

- ``"raycast"`` (default): open3d's Embree ray caster (``RaycastingScene``) finds the triangle hit
  by each pixel's ray, and numpy applies Lambert shading. The rays of the 10 fixed views are built
  once per renderer, so rendering an object is one BVH build plus one batched ray cast.
- ``"filament"``: open3d's ``OffscreenRenderer`` (Filament on Mesa's llvmpipe Vulkan driver). It
  works once ``libvulkan1`` and ``mesa-vulkan-drivers`` are installed, but measured 8-12x slower at
  224x224 on 2 cores (``benchmarks/cmip_cil_render.py``) and hung on some meshes and views, so it
  is kept as an alternative only.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Literal

import numpy as np

from zoo.sdk import InputError
from zoo_cmip_cil.mesh import Mesh

#: The spec's 10 fixed (elevation, azimuth) pairs, degrees.
VIEWS: tuple[tuple[float, float], ...] = (
    (0, 0), (90, 0), (180, 0), (270, 0), (225, -45), (225, 45), (315, -45), (315, 45), (0, -90), (0, 90),
)
#: Field of view, degrees: pytorch3d's FoVPerspectiveCameras default, which MVTN uses.
FOV_DEG = 60.0
BASE_COLOUR = np.array([0.75, 0.75, 0.75])
AMBIENT = 0.3
DIFFUSE = 0.7


def camera_pose(elevation: float, azimuth: float, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Camera position and up vector for a view of the origin (y up, pytorch3d's convention).

    The up vector is the derivative of the position along the elevation circle, so it stays
    defined (and continuous) at elevations of 90 and 270 degrees where a fixed y-up degenerates.
    """
    e, a = np.deg2rad(elevation), np.deg2rad(azimuth)
    eye = distance * np.array([np.cos(e) * np.sin(a), np.sin(e), np.cos(e) * np.cos(a)])
    up = np.array([-np.sin(e) * np.sin(a), np.cos(e), -np.sin(e) * np.cos(a)])
    return eye, up


def random_light(rng: np.random.Generator) -> np.ndarray:
    """A random light direction in camera coordinates (right, up, towards-camera), unit length.

    It is drawn on the camera's side of the object (towards-camera component ≥ 0.5) so that no
    view is lit only from behind; the direction is fixed for all views of one object.
    """
    while True:
        light = rng.normal(size=3)
        light /= np.linalg.norm(light)
        if light[2] >= 0.5:
            return light


@dataclass(frozen=True)
class RenderConfig:
    """What the renderer draws: image size, camera distance, views and back-end."""

    image_size: int = 224
    distance: float = 1.2
    views: tuple[tuple[float, float], ...] = VIEWS
    backend: Literal["raycast", "filament"] = "raycast"


class MultiViewRenderer:
    """Renders a mesh from fixed views; keep one per process (it is warm after the first object).

    ``render(mesh, light)`` returns ``uint8 [V, H, W, 3]`` images: a grey Lambert-shaded mesh
    (two-sided, ambient 0.3 + diffuse 0.7) on white.
    """

    def __init__(self, config: RenderConfig | None = None) -> None:
        self.config = config or RenderConfig()
        # Mesa compiles shaders into a cache under $HOME by default; keep it out of the user's home
        # unless the caller chose a folder.
        os.environ.setdefault("MESA_SHADER_CACHE_DIR", os.path.join(tempfile.gettempdir(), "zoo-mesa-cache"))
        self._poses = [camera_pose(e, a, self.config.distance) for e, a in self.config.views]
        self._rays: np.ndarray | None = None
        self._filament = None

    def render(self, mesh: Mesh, light: np.ndarray | None = None) -> np.ndarray:
        """Render every view of ``mesh`` (already normalised) lit from ``light`` (camera frame).

        Raises:
            InputError: if the mesh has no faces.
        """
        if len(mesh.faces) == 0:
            raise InputError("Cannot render a mesh without faces.")
        light = np.array([0.3, 0.5, 0.81]) if light is None else np.asarray(light, dtype=np.float64)
        light = light / np.linalg.norm(light)
        if self.config.backend == "filament":
            return self._render_filament(mesh, light)
        return self._render_raycast(mesh, light)

    def render_points(self, points: np.ndarray, radius_px: int = 1) -> np.ndarray:
        """Splat a normalised cloud ``[N, 3]`` into every view: ``uint8 [V, H, W, 3]``, nearer = darker.

        The same cameras as :meth:`render`; each point covers a ``(2r+1)²`` square, the nearest
        point wins (a z-buffer), grey levels go from 60 (nearest) to 200 (farthest) on white.
        """
        size, points = self.config.image_size, np.asarray(points, dtype=np.float64)
        focal = (size / 2) / np.tan(np.deg2rad(FOV_DEG) / 2)
        images = np.full((len(self._poses), size, size, 3), 255, dtype=np.uint8)
        offsets = np.arange(-radius_px, radius_px + 1)
        for image, (eye, up) in zip(images, self._poses):
            back = eye / np.linalg.norm(eye)
            right = np.cross(up, back)
            rel = points - eye
            depth = -(rel @ back)  # distance along the viewing direction
            u = np.round(size / 2 + focal * (rel @ right) / depth).astype(int)
            v = np.round(size / 2 - focal * (rel @ up) / depth).astype(int)
            shade = 60 + 140 * (depth - depth.min()) / max(np.ptp(depth), 1e-9)
            zbuf = np.full((size, size), np.inf)
            for i in np.argsort(depth):  # nearest first: a farther point never overwrites it
                for dv in offsets:
                    for du in offsets:
                        x, y = u[i] + du, v[i] + dv
                        if 0 <= x < size and 0 <= y < size and depth[i] < zbuf[y, x]:
                            zbuf[y, x] = depth[i]
                            image[y, x] = int(shade[i])
        return images

    # -- ray casting -------------------------------------------------------------------------
    def _view_rays(self) -> np.ndarray:
        if self._rays is None:
            import open3d as o3d

            size = self.config.image_size
            rays = [
                o3d.t.geometry.RaycastingScene.create_rays_pinhole(
                    fov_deg=FOV_DEG, center=[0.0, 0.0, 0.0], eye=eye.tolist(), up=up.tolist(),
                    width_px=size, height_px=size,
                ).numpy()[::-1, ::-1]  # open3d's grid starts bottom-right; images start top-left
                for eye, up in self._poses
            ]
            self._rays = np.stack(rays).astype(np.float32)
        return self._rays

    def _render_raycast(self, mesh: Mesh, light: np.ndarray) -> np.ndarray:
        import open3d as o3d

        scene = o3d.t.geometry.RaycastingScene()
        scene.add_triangles(
            o3d.core.Tensor(mesh.vertices.astype(np.float32)), o3d.core.Tensor(mesh.faces.astype(np.uint32))
        )
        rays = self._view_rays()
        hit = scene.cast_rays(o3d.core.Tensor(rays))
        hits = np.isfinite(hit["t_hit"].numpy())
        # Shade only the pixels that hit the mesh (usually a minority of the image).
        normals = hit["primitive_normals"].numpy()[hits]
        directions = rays[..., 3:][hits]
        # Two-sided: ModelNet40 meshes have inconsistent winding, so face every normal to the camera.
        normals[(normals * directions).sum(-1) > 0] *= -1
        view_of_pixel = np.broadcast_to(np.arange(len(rays))[:, None, None], hits.shape)[hits]
        lambert = np.clip((normals * self._lights_in_world(light)[view_of_pixel]).sum(-1), 0.0, 1.0)
        image = np.full((*hits.shape, 3), 255, dtype=np.uint8)
        image[hits] = ((AMBIENT + DIFFUSE * lambert)[:, None] * BASE_COLOUR * 255 + 0.5).astype(np.uint8)
        return image

    def _lights_in_world(self, light: np.ndarray) -> np.ndarray:
        """The camera-frame light of each view, as a world direction pointing towards the light."""
        out = []
        for eye, up in self._poses:
            back = eye / np.linalg.norm(eye)  # towards the camera
            right = np.cross(up, back)
            out.append(light[0] * right + light[1] * up + light[2] * back)
        return np.stack(out).astype(np.float32)

    # -- filament ----------------------------------------------------------------------------
    def _render_filament(self, mesh: Mesh, light: np.ndarray) -> np.ndarray:
        import open3d as o3d

        rendering = o3d.visualization.rendering
        if self._filament is None:
            size = self.config.image_size
            self._filament = rendering.OffscreenRenderer(size, size)
            self._filament.scene.set_background([1.0, 1.0, 1.0, 1.0])
            self._filament.scene.view.set_post_processing(False)  # no tone mapping: white stays white
            self._filament.scene.scene.enable_indirect_light(False)
            self._filament.scene.scene.enable_sun_light(True)
        scene = self._filament.scene
        scene.clear_geometry()
        legacy = o3d.geometry.TriangleMesh(
            o3d.utility.Vector3dVector(mesh.vertices), o3d.utility.Vector3iVector(mesh.faces.astype(np.int32))
        )
        legacy.compute_triangle_normals()
        legacy.compute_vertex_normals()
        material = rendering.MaterialRecord()
        material.shader = "defaultLit"
        material.base_color = [*BASE_COLOUR.tolist(), 1.0]
        scene.add_geometry("mesh", legacy, material)
        images = []
        for (eye, up), towards_light in zip(self._poses, self._lights_in_world(light)):
            scene.scene.set_sun_light((-towards_light).tolist(), [1.0, 1.0, 1.0], 100000)
            self._filament.setup_camera(FOV_DEG, [0.0, 0.0, 0.0], eye.tolist(), up.tolist())
            images.append(np.asarray(self._filament.render_to_image()))
        return np.stack(images)

import numpy as np
import pytest

from zoo.sdk import InputError
from zoo_cmip_cil.mesh import Mesh, normalise
from zoo_cmip_cil.render import VIEWS, MultiViewRenderer, RenderConfig, camera_pose, random_light


def _sphere(resolution: int = 24) -> Mesh:
    import open3d as o3d

    sphere = o3d.geometry.TriangleMesh.create_sphere(radius=1.0, resolution=resolution)
    return normalise(Mesh(np.asarray(sphere.vertices), np.asarray(sphere.triangles)))


def test_camera_pose_is_orthonormal_at_every_view():
    for elevation, azimuth in VIEWS:
        eye, up = camera_pose(elevation, azimuth, 1.2)
        assert np.isclose(np.linalg.norm(eye), 1.2)
        assert np.isclose(np.linalg.norm(up), 1.0)
        assert abs(np.dot(eye, up)) < 1e-9
    eye, up = camera_pose(0, 0, 1.2)
    np.testing.assert_allclose(eye, [0, 0, 1.2], atol=1e-12)
    np.testing.assert_allclose(up, [0, 1, 0], atol=1e-12)


def test_sphere_silhouette_matches_the_pinhole_projection():
    images = MultiViewRenderer().render(_sphere(), light=random_light(np.random.default_rng(0)))
    assert images.shape == (10, 224, 224, 3) and images.dtype == np.uint8
    # A sphere of radius 0.5 seen from 1.2 with a 60° field of view covers a disc of radius
    # tan(asin(0.5/1.2)) / tan(30°) of the half-image: area fraction pi r^2 / 4.
    radius = np.tan(np.arcsin(0.5 / 1.2)) / np.tan(np.deg2rad(30))
    expected = np.pi * radius**2 / 4
    foreground = (images < 255).any(-1).mean(axis=(1, 2))
    np.testing.assert_allclose(foreground, expected, atol=0.02)
    assert (images[:, 0, 0] == 255).all()  # white background


def test_lambert_shading_is_brightest_where_the_light_points():
    renderer = MultiViewRenderer()
    from_right = renderer.render(_sphere(), light=np.array([1.0, 0.0, 1.0]))[0].astype(int)
    from_left = renderer.render(_sphere(), light=np.array([-1.0, 0.0, 1.0]))[0].astype(int)
    right, left = from_right[112, 150, 0], from_right[112, 74, 0]
    assert right > left
    assert from_left[112, 74, 0] == right  # mirror-symmetric lighting on a symmetric object


def test_random_light_faces_the_camera():
    rng = np.random.default_rng(3)
    lights = np.stack([random_light(rng) for _ in range(50)])
    np.testing.assert_allclose(np.linalg.norm(lights, axis=1), 1.0)
    assert (lights[:, 2] >= 0.5).all()


def test_empty_mesh_is_rejected():
    with pytest.raises(InputError, match="without faces"):
        MultiViewRenderer().render(Mesh(np.zeros((3, 3)), np.zeros((0, 3))))


def test_image_size_is_configurable():
    images = MultiViewRenderer(RenderConfig(image_size=32, views=VIEWS[:2])).render(_sphere(8))
    assert images.shape == (2, 32, 32, 3)


@pytest.mark.slow
def test_filament_backend_draws_the_same_silhouette(tmp_path):
    """open3d's Filament back-end (Mesa llvmpipe) against the ray caster, in a subprocess with a time
    limit because Filament was seen to hang on some meshes and views here."""
    import subprocess
    import sys

    code = (
        "import numpy as np, open3d as o3d\n"
        "from zoo_cmip_cil.mesh import Mesh, normalise\n"
        "from zoo_cmip_cil.render import MultiViewRenderer, RenderConfig\n"
        "s = o3d.geometry.TriangleMesh.create_sphere(radius=1.0, resolution=24)\n"
        "m = normalise(Mesh(np.asarray(s.vertices), np.asarray(s.triangles)))\n"
        "a = MultiViewRenderer(RenderConfig(backend='filament')).render(m)\n"
        "b = MultiViewRenderer().render(m)\n"
        "fa, fb = (a < 250).any(-1), (b < 250).any(-1)\n"
        "print('IOU=%.4f' % ((fa & fb).sum() / (fa | fb).sum()))\n"
    )
    env = {**__import__("os").environ, "MESA_SHADER_CACHE_DIR": str(tmp_path / "mesa")}
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    except subprocess.TimeoutExpired:
        pytest.xfail("Filament on llvmpipe hung (known, docs/methods/cmip-cil.md); the ray caster is the default")
    iou = float(next(line for line in done.stdout.splitlines() if line.startswith("IOU="))[4:])
    assert iou > 0.95

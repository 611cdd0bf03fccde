import numpy as np
import pytest

from zoo.sdk import InputError
from zoo_cmip_cil.mesh import (
    Mesh, MeshFileError, check_points, face_walk_order, mask_contiguous, normalise, read_obj, read_off, read_point_file,
    rotate_x, sample_surface, write_off,
)

SQUARE = Mesh([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], [[0, 1, 2], [0, 2, 3]])


def _strip(n: int) -> Mesh:
    """A strip of 2n triangles along x: faces are adjacent in index order."""
    xs = np.arange(n + 1, dtype=float)
    vertices = np.concatenate([np.stack([xs, np.zeros_like(xs), np.zeros_like(xs)], 1),
                               np.stack([xs, np.ones_like(xs), np.zeros_like(xs)], 1)])
    faces = []
    for i in range(n):
        faces += [[i, i + 1, n + 1 + i], [i + 1, n + 2 + i, n + 1 + i]]
    return Mesh(vertices, faces)


def test_read_off_glued_header_and_polygons(tmp_path):
    path = tmp_path / "a.off"
    path.write_text("OFF4 1 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3\n")
    mesh = read_off(path)
    np.testing.assert_array_equal(mesh.faces, [[0, 1, 2], [0, 2, 3]])  # quad fan-triangulated
    assert mesh.vertices.shape == (4, 3)


@pytest.mark.parametrize("glued", [False, True])
def test_write_read_off_round_trip(tmp_path, glued):
    write_off(SQUARE, tmp_path / "s.off", glued_header=glued)
    assert (tmp_path / "s.off").read_text().startswith("OFF4 2 0" if glued else "OFF\n4 2 0")
    back = read_off(tmp_path / "s.off")
    np.testing.assert_allclose(back.vertices, SQUARE.vertices)
    np.testing.assert_array_equal(back.faces, SQUARE.faces)


def test_malformed_off_is_an_input_error(tmp_path):
    (tmp_path / "bad.off").write_text("OFF\n3 1 0\n0 0 0\n")
    with pytest.raises(InputError, match="truncated"):
        read_off(tmp_path / "bad.off")
    (tmp_path / "notoff.off").write_text("PLY\n")
    with pytest.raises(InputError, match="not an OFF"):
        read_off(tmp_path / "notoff.off")


def test_read_obj_with_slashes_and_negative_indices(tmp_path):
    (tmp_path / "m.obj").write_text("v 0 0 0\nv 1 0 0\nv 1 1 0\nvt 0 0\nf 1/1/1 2/1/1 3/1/1\nf -3 -1 -2\n")
    mesh = read_obj(tmp_path / "m.obj")
    np.testing.assert_array_equal(mesh.faces, [[0, 1, 2], [0, 2, 1]])


def test_normalise_fits_the_half_unit_ball():
    mesh = normalise(Mesh(SQUARE.vertices * 10 + 3, SQUARE.faces))
    radius = np.linalg.norm(mesh.vertices, axis=1)
    assert np.isclose(radius.max(), 0.5)
    np.testing.assert_allclose((mesh.vertices.min(0) + mesh.vertices.max(0)) / 2, 0, atol=1e-12)


def test_sample_surface_is_area_weighted():
    # Two triangles: areas 1 and 3 (a 1x2 triangle and a 3x2 one, far apart in x).
    mesh = Mesh([[0, 0, 0], [1, 0, 0], [0, 2, 0], [10, 0, 0], [13, 0, 0], [10, 2, 0]], [[0, 1, 2], [3, 4, 5]])
    points = sample_surface(mesh, 20000, np.random.default_rng(0))
    assert points.shape == (20000, 3) and points.dtype == np.float32
    share_second = (points[:, 0] >= 10).mean()
    assert abs(share_second - 0.75) < 0.015
    inside = points[points[:, 0] < 10]
    assert (inside[:, 0] / 1 + inside[:, 1] / 2 <= 1 + 1e-5).all()  # inside the first triangle


def test_face_walk_is_breadth_first_and_covers_separate_parts():
    strip = _strip(5)
    far = Mesh(strip.vertices + [100, 0, 0], strip.faces)
    both = Mesh(np.concatenate([strip.vertices, far.vertices]), np.concatenate([strip.faces, far.faces + len(strip.vertices)]))
    order = face_walk_order(both, 0)
    assert sorted(order.tolist()) == list(range(20))
    assert set(order[:10].tolist()) == set(range(10))  # the seed's part first, then the far part


def test_mask_keeps_a_contiguous_run_within_range():
    strip = _strip(50)  # 100 faces; the kept faces must be one run along the strip
    for seed in range(5):
        masked = mask_contiguous(strip, np.random.default_rng(seed))
        assert 25 <= len(masked.faces) <= 50
        xs = np.unique(np.round(masked.vertices[:, 0]))
        assert np.all(np.diff(xs) == 1)  # no gaps: contiguous
    with pytest.raises(InputError, match="keep_range"):
        mask_contiguous(strip, np.random.default_rng(0), (0.6, 0.5))


def test_keep_range_of_one_keeps_every_face():
    strip = _strip(10)
    whole = mask_contiguous(strip, np.random.default_rng(0), (1.0, 1.0))
    np.testing.assert_array_equal(whole.faces, strip.faces)


def test_rotate_minus_90_about_x_turns_z_up_into_y_up():
    mesh = rotate_x(Mesh([[0, 0, 1], [1, 0, 0], [0, 1, 0]], [[0, 1, 2]]), -90)
    np.testing.assert_allclose(mesh.vertices, [[0, 1, 0], [1, 0, 0], [0, 0, -1]], atol=1e-12)


def test_obj_face_index_out_of_range_is_reported(tmp_path):
    (tmp_path / "m.obj").write_text("v 0 0 0\nv 1 0 0\nv 1 1 0\nf 1 2 5\n")
    with pytest.raises(MeshFileError, match="face 0 uses vertex indices \\[0, 1, 4\\].*3 vertices") as info:
        read_obj(tmp_path / "m.obj")
    assert info.value.reason == "face index out of range"


def test_check_points_and_point_files(tmp_path):
    np.testing.assert_array_equal(check_points(np.ones((2, 6)) * [[1], [2]], "x"), [[1, 1, 1], [2, 2, 2]])
    for bad, reason in ((np.zeros((0, 3)), "no points"), (np.zeros(5), "wrong shape"),
                        (np.array([[0, np.inf, 0], [1, 1, 1]]), "non-finite coordinates"), (np.ones((3, 3)), "zero extent")):
        with pytest.raises(MeshFileError) as info:
            check_points(bad, "x")
        assert info.value.reason == reason
    (tmp_path / "a.xyz").write_text("0 0 0\n1 2 3\n")
    np.testing.assert_array_equal(read_point_file(tmp_path / "a.xyz"), [[0, 0, 0], [1, 2, 3]])
    (tmp_path / "e.txt").write_text("  \n")
    assert read_point_file(tmp_path / "e.txt").shape == (0, 3)

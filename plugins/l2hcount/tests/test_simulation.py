"""HDSM (the paper's equation on a tiny array) and GTGM (shifted points, every head counts 1)."""

from __future__ import annotations

import numpy as np
import pytest

from zoo_l2hcount.density import count_inside, density_map
from zoo_l2hcount.simulation import HighDensitySimulation, gtgm, hdsm


def test_hdsm_is_the_papers_equation_on_a_tiny_array():
    image = np.array([[2.0, 4.0, 8.0]])
    # P_L(I,1) = [0,2,4,8], P_R(I,1) = [2,4,8,0]; λ = 0.5.
    np.testing.assert_allclose(hdsm(image, 1), [[1.0, 3.0, 6.0, 4.0]])
    # λ weights the shifted copy: 0.25·[0,2,4,8] + 0.75·[2,4,8,0].
    np.testing.assert_allclose(hdsm(image, 1, lam=0.25), [[1.5, 3.5, 7.0, 2.0]])
    np.testing.assert_allclose(hdsm(image, 0), image)


def test_hdsm_vertical_and_channels():
    image = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    out = hdsm(image, 2, axis=0)
    assert out.shape == (4, 2, 3)
    np.testing.assert_allclose(out[0], 0.5 * image[0])
    np.testing.assert_allclose(out[3], 0.5 * image[1])


def test_gtgm_unions_the_points_with_their_shift():
    points = np.array([[1.0, 2.0], [5.0, 0.0]])
    np.testing.assert_allclose(gtgm(points, 3), [[1, 2], [5, 0], [4, 2], [8, 0]])
    np.testing.assert_allclose(gtgm(points, 3, axis=0), [[1, 2], [5, 0], [1, 5], [5, 3]])
    with pytest.raises(ValueError):
        gtgm(points, -1)


def test_transform_keeps_the_crop_size_and_doubles_the_heads():
    rng = np.random.default_rng(0)
    image = rng.random((32, 64, 3)).astype(np.float32)
    points = np.array([[10.0, 5.0], [30.0, 20.0], [50.0, 12.0]])
    sim = HighDensitySimulation(shift_range=(0.25, 0.25), stride=4)  # S = 16 exactly
    out, new_points, copies = sim(image, points, np.random.default_rng(1))
    assert out.shape == image.shape
    assert len(new_points) == 6
    offset = 10.0 - new_points[0, 0]  # the crop-back offset, a multiple of the stride
    assert offset % 4 == 0 and 0 <= offset <= 16
    np.testing.assert_allclose(new_points[3:, 0] - new_points[:3, 0], 16.0)
    assert copies.tolist() == [[-offset, 0], [16 - offset, 0]]  # where each copy of the crop went
    # The blended image at a column holds ½ of the scene there and ½ of the scene 16 px to the left.
    col = 40
    src = col + int(offset)
    np.testing.assert_allclose(out[:, col], 0.5 * image[:, src - 16] + 0.5 * image[:, src], rtol=1e-6)
    # GT: every head in the crop counts 1 (never λ), also the ones the crop-back cut off.
    dens = density_map(new_points, 32, 64)
    assert dens.sum() == pytest.approx(count_inside(new_points, 32, 64), abs=1e-5)


def test_shift_is_rounded_to_the_stride():
    sim = HighDensitySimulation(shift_range=(0.1, 0.9), stride=8)
    for seed in range(20):
        _, pts, _ = sim(np.zeros((8, 100, 3), np.float32), np.array([[50.0, 4.0]]), np.random.default_rng(seed))
        assert (pts[1, 0] - pts[0, 0]) % 8 == 0

"""Depth PNG → cloud → cleaning → ICP/correspondence → 6-D features, on hand-made and synthetic frames."""

import cv2
import numpy as np
import pytest

from zoo.sdk import InputError
from zoo_depth_mer.align import apply_transform, icp_onset_to_apex, nearest_correspondence, same_pixel_correspondence
from zoo_depth_mer.depth import clean_cloud, depth_to_cloud, read_depth
from zoo_depth_mer.features import PipelineConfig, pair_to_points
from zoo_depth_mer.synth import Clip, Subject, face_height, render_depth


def test_read_depth_keeps_16_bits_and_rejects_other_images(tmp_path):
    depth = np.array([[0, 1000], [65535, 7]], dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "d.png"), depth)
    assert np.array_equal(read_depth(tmp_path / "d.png"), depth)
    cv2.imwrite(str(tmp_path / "c.png"), np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(InputError, match="single-channel 16-bit"):
        read_depth(tmp_path / "c.png")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(InputError, match="could not be decoded"):
        read_depth(tmp_path / "bad.png")
    with pytest.raises(InputError, match="does not exist"):
        read_depth(tmp_path / "none.png")


def test_depth_to_cloud_pixel_grid_intrinsics_box_and_zero_drop():
    depth = np.zeros((4, 5), np.uint16)
    depth[1, 2], depth[3, 4], depth[0, 0] = 500, 600, 700
    cloud = depth_to_cloud(depth, box=[1, 1, 5, 4], depth_unit_mm=0.5)
    assert cloud.points.tolist() == [[2, 1, 250], [4, 3, 300]]  # x = u, y = v, z = depth·unit; (0,0) is outside
    assert cloud.pixels.tolist() == [[2, 1], [4, 3]]
    metric = depth_to_cloud(depth, box=[1, 1, 5, 4], intrinsics=[100, 50, 2, 1])
    assert np.allclose(metric.points[1], [(4 - 2) * 600 / 100, (3 - 1) * 600 / 50, 600])
    with pytest.raises(InputError, match="no valid"):
        depth_to_cloud(depth, box=[0, 2, 2, 3])
    with pytest.raises(InputError, match="does not overlap"):
        depth_to_cloud(depth, box=[10, 10, 20, 20])


def test_clean_cloud_window_and_sigma():
    z = np.r_[np.full(50, 600.0), 900.0, 100.0]
    cloud = depth_to_cloud(z.reshape(1, -1).astype(np.uint16))
    assert len(clean_cloud(cloud, sigma=None, window_mm=50)) == 50
    assert len(clean_cloud(cloud, sigma=3.0)) == 50  # both outliers are beyond mean ± 3σ
    with pytest.raises(InputError, match="removed every point"):
        clean_cloud(cloud, sigma=None, window_mm=1e-6) if False else clean_cloud(
            depth_to_cloud(np.array([[100, 900]], np.uint16)), sigma=None, window_mm=1)


def _surface(n=40):
    v, u = np.mgrid[0:n, 0:n].astype(float)
    return np.stack([u.ravel(), v.ravel(), (30 * np.exp(-((u - 20) ** 2 + (v - 18) ** 2) / 150)).ravel()], 1)


def test_icp_recovers_a_small_rigid_motion():
    onset = _surface()
    angle = np.deg2rad(1.0)
    truth = np.eye(4)
    truth[:3, :3] = [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    truth[:3, 3] = [0.7, -0.4, 1.2]
    apex = apply_transform(onset, truth)
    estimate = icp_onset_to_apex(onset, apex, max_distance=5.0)
    assert np.allclose(estimate, truth, atol=1e-3)
    assert np.allclose(nearest_correspondence(onset[:5] + 0.01, onset), onset[:5])


def test_same_pixel_correspondence_pairs_shared_pixels_only():
    depth0 = np.array([[10, 0, 30]], np.uint16)
    depth1 = np.array([[11, 22, 0]], np.uint16)
    keep, partners = same_pixel_correspondence(depth_to_cloud(depth0), depth_to_cloud(depth1))
    assert keep.tolist() == [True, False] and partners.tolist() == [[0, 0, 11]]
    with pytest.raises(InputError, match="share no valid pixel"):
        same_pixel_correspondence(depth_to_cloud(np.array([[1, 0]], np.uint16)), depth_to_cloud(np.array([[0, 1]], np.uint16)))


def _pair(emotion_aus, head, amplitude=1.5, seed=0):
    subject = Subject(600.0, 1.0, 18.0, 1.0)
    clip = Clip("spNO.1", "a", 0, 2, 4, "x", tuple(emotion_aus), amplitude, head)
    rng = np.random.default_rng(seed)
    return render_depth(subject, clip, 0, (112, 136), rng), render_depth(subject, clip, 2, (112, 136), rng)


def test_pair_to_points_shape_normalisation_and_motion_where_the_au_acts():
    onset, apex = _pair(["12"], (0, 0, 0, 0, 0))
    cfg = PipelineConfig(num_points=512, depth_unit_mm=0.1)
    points = pair_to_points(onset, apex, cfg)
    assert points.shape == (512, 6) and points.dtype == np.float32
    assert np.linalg.norm(points[:, :3], axis=1).max() <= 1.0 + 1e-6
    # AU12 acts at the mouth corners (lower half, away from the midline): the largest motions are there
    strongest = np.argsort(-np.abs(points[:, 5]))[:25]
    lower_sides = (points[strongest, 1] > 0.1) & (np.abs(points[strongest, 0]) > 0.1)
    assert lower_sides.mean() >= 0.6


def test_alignment_removes_head_motion():
    onset, apex = _pair([], (1.2, -0.8, 1.5, 0.0, 0.0))  # pure head motion, no AU
    aligned = pair_to_points(onset, apex, PipelineConfig(num_points=512, depth_unit_mm=0.1))
    unaligned = pair_to_points(onset, apex, PipelineConfig(num_points=512, depth_unit_mm=0.1, align=False))
    assert np.abs(aligned[:, 3:]).mean() < 0.5 * np.abs(unaligned[:, 3:]).mean()


def test_same_pixel_option_and_fewer_points_than_asked():
    onset, apex = _pair(["26"], (0, 0, 0, 0, 0))
    points = pair_to_points(onset, apex, PipelineConfig(num_points=256, depth_unit_mm=0.1, correspondence="same-pixel",
                                                        align=False))
    assert np.allclose(points[:, 3:5], 0)  # same pixel: only depth changes
    tiny = np.zeros_like(onset)
    tiny[60:63, 50:53] = 6000
    few = pair_to_points(tiny, tiny, PipelineConfig(num_points=20, clean_sigma=None, align=False))
    assert few.shape == (20, 6) and len(np.unique(few[:, :3], axis=0)) == 9  # 9 points, cycled


def test_face_height_is_a_face_like_bump():
    subject = Subject(600.0, 1.0, 18.0, 1.0)
    centre, cheek, edge = face_height(np.array([0.0, 0.5, 0.98]), np.array([0.02, 0.1, 0.0]), subject)
    assert centre > cheek > edge >= 0

"""Point ops against the reference pure-PyTorch PointNet++ algorithm and hand-computed cases."""

import importlib.util
from pathlib import Path

import pytest
import torch

from zoo.sdk import InputError
from zoo_point_ops import ops

_spec = importlib.util.spec_from_file_location("pointnet2_reference", Path(__file__).with_name("pointnet2_reference.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

DTYPES = [torch.float32, torch.float64]


def _cloud(batch, n, dtype, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(batch, n, 3, generator=gen, dtype=dtype) * 2 - 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_fps_matches_reference_for_same_start(dtype):
    xyz = _cloud(3, 700, dtype)
    start = torch.tensor([0, 17, 699])
    assert torch.equal(ops.farthest_point_sample(xyz, 128, start), ref.farthest_point_sample(xyz, 128, start))


@pytest.mark.parametrize("path", ["compiled", "torch"])
def test_fps_both_paths_match_reference_on_ties_and_duplicates(path, monkeypatch):
    # A lattice (many exactly equal distances), duplicated points and npoint = N: the order in which
    # ties are broken (first maximum) must be the reference's, on the CPU path and the torch path.
    if path == "torch":
        monkeypatch.setattr(ops, "_fps_cpu", lambda xyz, take, first: ops._fps_torch(
            torch.from_numpy(xyz), take, torch.from_numpy(first)).numpy())
    grid = torch.stack(torch.meshgrid(*[torch.arange(4.0)] * 3, indexing="ij"), -1).reshape(1, 64, 3)
    lattice = torch.cat([grid, grid[:, :16]], dim=1).repeat(2, 1, 1)  # 80 points, 16 of them twice
    start = torch.tensor([0, 70])
    assert torch.equal(ops.farthest_point_sample(lattice, 80, start), ref.farthest_point_sample(lattice, 80, start))
    depth_like = _cloud(2, 500, torch.float32, seed=7)
    depth_like[..., :2] = torch.round(depth_like[..., :2] * 20)  # pixel-grid x, y; continuous z
    assert torch.equal(ops.farthest_point_sample(depth_like, 256, 3), ref.farthest_point_sample(depth_like, 256, torch.tensor([3, 3])))


def test_fps_with_several_torch_threads_is_identical():
    # The compiled CPU loop does not use torch threads: any thread setting gives the same indices.
    xyz = _cloud(2, 600, torch.float32, seed=10)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        got = ops.farthest_point_sample(xyz, 200, 5)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(got, ref.farthest_point_sample(xyz, 200, torch.tensor([5, 5])))


def test_fps_accepts_non_contiguous_and_gradient_tensors_and_returns_int64():
    xyz = _cloud(2, 300, torch.float32, seed=8).transpose(0, 1).contiguous().transpose(0, 1).requires_grad_()
    assert not xyz.is_contiguous()
    idx = ops.farthest_point_sample(xyz, 50)
    assert idx.dtype == torch.int64 and idx.shape == (2, 50)
    assert torch.equal(idx, ref.farthest_point_sample(xyz.detach(), 50, torch.zeros(2, dtype=torch.long)))


def test_fps_half_precision_uses_the_torch_path():
    xyz = _cloud(1, 200, torch.float32, seed=9).to(torch.bfloat16)
    assert torch.equal(ops.farthest_point_sample(xyz, 32), ref.farthest_point_sample(xyz, 32, torch.zeros(1, dtype=torch.long)))


def test_fps_hand_computed_on_a_line():
    xyz = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [3, 0, 0], [7, 0, 0]]])
    assert ops.farthest_point_sample(xyz, 4).tolist() == [[0, 3, 2, 1]]
    assert ops.farthest_point_sample(xyz, 2, start=1).tolist() == [[1, 3]]


def test_fps_more_points_than_cloud_cycles_the_fps_order():
    xyz = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [3, 0, 0]]])
    assert ops.farthest_point_sample(xyz, 7).tolist() == [[0, 2, 1, 0, 2, 1, 0]]


def test_fps_rejects_bad_input():
    with pytest.raises(InputError, match=r"\[B, N, 3\]"):
        ops.farthest_point_sample(torch.rand(2, 10), 4)
    with pytest.raises(InputError, match="start"):
        ops.farthest_point_sample(torch.rand(1, 10, 3), 4, start=10)
    with pytest.raises(InputError, match="floating"):
        ops.farthest_point_sample(torch.ones(1, 10, 3, dtype=torch.long), 4)
    with pytest.raises(InputError, match="NaN or infinite"):
        ops.farthest_point_sample(torch.tensor([[[0.0, 0, 0], [float("nan"), 0, 0]]]), 2)
    with pytest.raises(InputError, match="no points"):
        ops.farthest_point_sample(torch.zeros(1, 0, 3), 2)
    with pytest.raises(InputError, match="npoint"):
        ops.farthest_point_sample(torch.zeros(1, 5, 3), 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("block", [64, 512])
def test_ball_query_matches_reference(dtype, block, monkeypatch):
    monkeypatch.setattr(ops, "BALL_BLOCK", block)  # several blocks and the early exit are exercised
    xyz = _cloud(2, 900, dtype, seed=1)
    centres = ref.index_points(xyz, ref.farthest_point_sample(xyz, 100, torch.tensor([0, 5])))
    for radius, nsample in [(0.2, 16), (0.4, 32), (0.8, 64)]:
        assert torch.equal(ops.ball_query(radius, nsample, xyz, centres),
                           ref.query_ball_point(radius, nsample, xyz, centres))


def test_ball_query_first_by_index_padded_with_first_found():
    xyz = torch.tensor([[[5.0, 0, 0], [0.1, 0, 0], [9, 0, 0], [0.05, 0, 0], [0, 0.2, 0]]])
    centre = torch.zeros(1, 1, 3)
    # inside r=0.15: indices 1 and 3 (index 4 is at 0.2); padded with the first found (1)
    assert ops.ball_query(0.15, 4, xyz, centre).tolist() == [[[1, 3, 1, 1]]]
    # nsample smaller than the ball: the first by index, not the nearest
    assert ops.ball_query(0.25, 2, xyz, centre).tolist() == [[[1, 3]]]


def test_ball_query_boundary_is_inclusive_and_empty_ball_takes_nearest():
    xyz = torch.tensor([[[0.5, 0, 0], [2.0, 0, 0]]], dtype=torch.float64)
    assert ops.ball_query(0.5, 2, xyz, torch.zeros(1, 1, 3, dtype=torch.float64)).tolist() == [[[0, 0]]]
    far_query = torch.tensor([[[1.9, 0, 0]]], dtype=torch.float64) * 10
    assert ops.ball_query(0.1, 3, xyz, far_query).tolist() == [[[1, 1, 1]]]


def test_knn_sorted_nearest_first_and_cycles_when_k_exceeds_n():
    xyz = _cloud(2, 50, torch.float64, seed=2)
    dist, idx = ops.knn(xyz, xyz, 5)
    brute = ((xyz[:, :, None] - xyz[:, None]) ** 2).sum(-1)
    want_dist, want_idx = brute.sort(dim=-1)
    assert torch.equal(idx, want_idx[..., :5])
    assert torch.allclose(dist, want_dist[..., :5], atol=1e-12)
    small = torch.tensor([[[0.0, 0, 0], [1, 0, 0]]])
    assert ops.knn(small, small, 5)[1].tolist() == [[[0, 1, 0, 1, 0], [1, 0, 1, 0, 1]]]


@pytest.mark.parametrize("dtype", DTYPES)
def test_group_matches_reference_sample_and_group(dtype):
    xyz = _cloud(2, 400, dtype, seed=3)
    feats = torch.randn(2, 400, 3, dtype=dtype)
    start = torch.tensor([3, 9])
    centres, want, fps_idx, ball_idx = ref.sample_and_group(64, 0.3, 16, xyz, feats, start)
    idx = ops.ball_query(0.3, 16, xyz, ops.gather_points(xyz, ops.farthest_point_sample(xyz, 64, start)))
    assert torch.equal(idx, ball_idx)
    assert torch.equal(ops.group(xyz, centres, idx, feats), want)
    assert torch.equal(ops.group(xyz, centres, idx), want[..., :3])


@pytest.mark.parametrize("dtype", DTYPES)
def test_three_nn_interpolation_matches_reference(dtype):
    unknown, known = _cloud(2, 300, dtype, seed=4), _cloud(2, 40, dtype, seed=5)
    feats = torch.randn(2, 40, 8, dtype=dtype)
    got = ops.three_nn_interpolate(unknown, known, feats)
    assert torch.allclose(got, ref.three_nn_interpolate(unknown, known, feats), rtol=0, atol=1e-6)
    # at a known point the interpolation returns (almost exactly) that point's feature
    assert torch.allclose(ops.three_nn_interpolate(known, known, feats), feats, atol=1e-4)


def test_three_nn_with_a_single_known_point_copies_it():
    feats = torch.tensor([[[2.0, -1.0]]])
    out = ops.three_nn_interpolate(torch.rand(1, 5, 3), torch.zeros(1, 1, 3), feats)
    assert out.tolist() == [[[2.0, -1.0]] * 5]

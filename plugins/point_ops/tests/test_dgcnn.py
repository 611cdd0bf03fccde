"""The DGCNN encoder: config, pooled width, gradients, point-order invariance, errors."""

import pytest
import torch

import zoo
from zoo.sdk import ConfigError, InputError


def _small(in_channels=6):
    return zoo.build("encoder/dgcnn", in_channels=in_channels, k=8, edge_channels=[16, 16, 32], emb_dims=64)


def test_dgcnn_config_fields_and_pooled_width():
    enc = zoo.build("encoder/dgcnn")
    assert enc.config.model_dump() == {"in_channels": 3, "k": 20, "edge_channels": [64, 64, 128, 256], "emb_dims": 1024}
    assert enc.out_channels == 2048
    assert enc.eval()(*enc.example_inputs()).shape == (2, 2048)


def test_dgcnn_uses_extra_channels_and_backpropagates():
    torch.manual_seed(0)
    enc = _small()
    points = (torch.rand(3, 200, 6) * 2 - 1).requires_grad_()
    feature = enc(points)
    assert feature.shape == (3, 128)
    feature.square().sum().backward()
    assert points.grad is not None and points.grad[..., 3:].abs().sum() > 0


def test_dgcnn_global_feature_is_invariant_to_point_order():
    torch.manual_seed(1)
    enc = _small().eval()
    points = torch.rand(2, 128, 6)
    perm = torch.randperm(128)
    with torch.no_grad():
        assert torch.allclose(enc(points), enc(points[:, perm]), atol=1e-5)


def test_dgcnn_first_graph_is_built_on_xyz_only():
    # Changing only the extra channels must not change the first layer's neighbourhoods: with the
    # extra channels' weights zeroed, the output is then unchanged.
    torch.manual_seed(2)
    enc = _small().eval()
    with torch.no_grad():
        first = enc.edge_convs[0][0].weight  # [out, 2 * in, 1, 1]: (neighbour - centre, centre)
        first[:, 3:6] = 0
        first[:, 9:12] = 0
        points = torch.rand(1, 64, 6)
        moved = points.clone()
        moved[..., 3:] = torch.rand(1, 64, 3) * 100
        assert torch.allclose(enc(points), enc(moved), atol=1e-5)


def test_dgcnn_errors():
    with pytest.raises(InputError, match=r"\[B, N, 6\]"):
        _small()(torch.rand(2, 100, 3))
    with pytest.raises(ConfigError, match="edge_channels"):
        zoo.build("encoder/dgcnn", edge_channels=[])

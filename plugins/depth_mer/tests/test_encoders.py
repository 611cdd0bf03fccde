"""The compared point encoders and the motion head: shapes, configs, gradients, invariances, errors.

DGCNN is zoo-point-ops' ``encoder/dgcnn`` (its own tests are there); here it is one of the four
networks the model must accept with the 6-channel motion points.
"""

import pytest
import torch

import zoo
from zoo.sdk import ConfigError, InputError

ENCODERS = ["encoder/pointnet2-ssg", "encoder/pointnet2-msg", "encoder/pointnet", "encoder/dgcnn"]


def _small(name, in_channels=6):
    if name == "encoder/pointnet2-msg":
        return zoo.build(name, in_channels=in_channels, npoints=[64, 16], global_mlp=[32, 64])
    if name == "encoder/pointnet2-ssg":
        return zoo.build(name, in_channels=in_channels, npoints=[64, 16])
    if name == "encoder/dgcnn":
        return zoo.build(name, in_channels=in_channels, k=8, edge_channels=[16, 16, 32], emb_dims=64)
    return zoo.build(name, in_channels=in_channels, mlp_channels=[16, 32, 64])


@pytest.mark.parametrize("name", ENCODERS)
def test_encoder_output_shape_gradient_and_out_channels(name):
    torch.manual_seed(0)
    enc = _small(name)
    points = (torch.rand(3, 200, 6) * 2 - 1).requires_grad_()
    feature = enc(points)
    assert feature.shape == (3, enc.out_channels)
    feature.square().sum().backward()
    assert points.grad is not None and points.grad[..., 3:].abs().sum() > 0  # extra channels are used


@pytest.mark.parametrize("name", ENCODERS)
def test_encoder_rejects_wrong_channel_count(name):
    with pytest.raises(InputError, match=r"\[B, N, 6\]"):
        _small(name)(torch.rand(2, 100, 3))


@pytest.mark.parametrize("name", ["encoder/pointnet", "encoder/dgcnn"])
def test_global_feature_is_invariant_to_point_order(name):
    torch.manual_seed(1)
    enc = _small(name).eval()
    points = torch.rand(2, 128, 6)
    perm = torch.randperm(128)
    with torch.no_grad():
        assert torch.allclose(enc(points), enc(points[:, perm]), atol=1e-5)


def test_default_pointnet2_settings_are_the_classifiers():
    ssg, msg = zoo.build("encoder/pointnet2-ssg"), zoo.build("encoder/pointnet2-msg")
    assert (ssg.config.npoints, ssg.config.radii, ssg.config.nsamples) == ([512, 128], [[0.2], [0.4]], [[32], [64]])
    assert msg.config.radii == [[0.1, 0.2, 0.4], [0.2, 0.4, 0.8]]
    assert msg.config.nsamples == [[16, 32, 128], [32, 64, 128]]
    assert [lvl.out_channels for lvl in msg.levels] == [320, 640, 1024]
    assert [lvl.out_channels for lvl in ssg.levels] == [128, 256, 1024]


def test_pointnet2_config_lengths_are_validated():
    with pytest.raises(ConfigError, match="one entry per"):
        zoo.build("encoder/pointnet2-ssg", npoints=[512])


def test_motion_classifier_layers_and_errors():
    head = zoo.build("head/motion-classifier", in_channels=32, num_classes=4)
    widths = [m.out_features for m in head.layers if isinstance(m, torch.nn.Linear)]
    assert widths == [512, 256, 4]
    assert [m.p for m in head.layers if isinstance(m, torch.nn.Dropout)] == [0.4, 0.4]
    assert head.eval()(torch.randn(5, 32)).shape == (5, 4)
    with pytest.raises(InputError, match=r"\[B, 32\]"):
        head(torch.randn(5, 31))


def test_motion_classifier_trains_on_a_batch_of_one():
    # The last batch of an epoch may hold one sample: BatchNorm uses its running statistics then.
    head = zoo.build("head/motion-classifier", in_channels=8, num_classes=3).train()
    out = head(torch.randn(1, 8))
    out.sum().backward()
    assert out.shape == (1, 3) and head.training and all(m.training for m in head.layers)

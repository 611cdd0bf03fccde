import math

import pytest
import torch
import torch.nn.functional as F

import zoo
from zoo.errors import InputError
from zoo.testing.conformance import check_component, conformance_names
from zoo_cmip_cil.components import IMAGENET_MEAN, IMAGENET_STD, views_to_tensor
from zoo_cmip_cil.losses import augment_points, nt_xent
from zoo_cmip_cil.model import prototype_regularisation


def test_every_component_is_listed():
    assert set(conformance_names(distribution="zoo-cmip-cil")) == {
        "model/cmip-cil", "encoder/resnet50-views", "head/projection", "head/adapter", "head/cosine-incremental",
    }


@pytest.mark.parametrize("name,overrides", [
    ("head/projection", {"in_dim": 8, "hidden_dim": 4, "out_dim": 6}),
    ("head/adapter", {"dim": 8, "bottleneck": 4}),
    ("head/cosine-incremental", {"dim": 8, "initial_classes": 3}),
    ("encoder/resnet50-views", {"backbone": "lcnet_050"}),
])
def test_part_conforms(name, overrides):
    check_component(name, **overrides)


def test_model_conforms(tiny_config):
    check_component("model/cmip-cil", classifier={"config": {"initial_classes": 2}}, **tiny_config)


def test_nt_xent_matches_the_formula():
    torch.manual_seed(0)
    a, b, tau = torch.randn(3, 4), torch.randn(3, 4), 0.5
    z = F.normalize(torch.cat([a, b]), dim=-1)
    sim = (z @ z.t() / tau).exp()
    expected = 0.0
    for i in range(6):
        positive = (i + 3) % 6
        expected += -math.log(sim[i, positive] / (sim[i].sum() - sim[i, i]))
    assert torch.isclose(nt_xent(a, b, tau), torch.tensor(expected / 6), atol=1e-5)
    identical = torch.eye(4)[:3] * 5
    assert nt_xent(identical, identical, 0.02) < 1e-3  # aligned pairs, orthogonal negatives
    with pytest.raises(ValueError, match="B >= 2"):
        nt_xent(torch.randn(1, 4), torch.randn(1, 4))


def test_augment_points_keeps_shape_and_rotates_about_the_up_axis():
    points = torch.rand(4, 256, 3) - 0.5
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    out = augment_points(points, g1, up_axis=2)
    assert out.shape == points.shape
    assert torch.equal(out, augment_points(points, g2, up_axis=2))  # seeded
    assert not torch.allclose(out, points)


def test_views_to_tensor_normalises_with_imagenet_statistics():
    views = torch.full((1, 2, 4, 4, 3), 255, dtype=torch.uint8)
    x = views_to_tensor(views)
    assert x.shape == (1, 2, 3, 4, 4)
    expected = [(1 - m) / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD)]
    assert torch.allclose(x[0, 0, :, 0, 0], torch.tensor(expected))
    with pytest.raises(InputError, match="B, V, H, W, 3"):
        views_to_tensor(torch.zeros(2, 4, 4, 3))


def test_cosine_classifier_grows_and_keeps_old_rows():
    head = zoo.build("head/cosine-incremental", dim=4, sigma=2.0)
    head.add_classes(2)
    old = head.weight.detach().clone()
    head.add_classes(3)
    assert head.num_classes == 5 and torch.equal(head.weight[:2].detach(), old)
    head.set_rows([4], torch.tensor([[1.0, 0, 0, 0]]))
    scores = head(torch.tensor([[3.0, 0, 0, 0]]))
    assert torch.isclose(scores[0, 4], torch.tensor(2.0))  # sigma * cos = 2 * 1
    with pytest.raises(InputError, match="positive"):
        head.add_classes(0)


def test_prototype_regularisation_by_hand():
    adapted = torch.tensor([[1.0, 0], [0, 1], [1, 1]])
    labels = torch.tensor([0, 0, 1])
    rows = torch.tensor([[1.0, 1], [1, 0]])
    # class 0: mean (0.5, 0.5) vs row (1, 1): cos 1 -> 0; class 1: (1, 1) vs (1, 0): 1 - 1/sqrt(2)
    expected = (0 + 1 - 1 / math.sqrt(2)) / 2
    assert torch.isclose(prototype_regularisation(adapted, labels, rows), torch.tensor(expected))

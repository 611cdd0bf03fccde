import pytest
import torch

import zoo
from zoo.sdk import InputError
from zoo_cmip_cil.components import IMAGENET_MEAN, IMAGENET_STD, views_to_tensor


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


def test_projection_head_accepts_per_view_features():
    head = zoo.build("head/projection", in_dim=6, hidden_dim=4, out_dim=3).eval()
    features = torch.randn(2, 5, 6)
    out = head(features)
    assert out.shape == (2, 5, 3)
    assert torch.allclose(out[1, 2], head(features[1, 2][None])[0], atol=1e-6)


def test_adapter_hidden_is_the_bottleneck_activation():
    adapter = zoo.build("head/adapter", dim=8, bottleneck=4)
    x = torch.randn(3, 8)
    assert adapter.hidden(x).shape == (3, 4) and (adapter.hidden(x) >= 0).all()
    assert torch.allclose(adapter(x), adapter.up(adapter.hidden(x)))

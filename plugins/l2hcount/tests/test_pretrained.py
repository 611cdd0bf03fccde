"""ImageNet weights are used only from the local cache (never downloaded); absent → random init."""

from __future__ import annotations

import pytest
import torch

import zoo


def test_no_cached_weights_means_random_init_and_a_warning(tmp_path, monkeypatch, caplog):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    encoder = zoo.build("encoder/vgg16-bn", pretrained=True, width=0.125)
    assert "no cached ImageNet weights" in caplog.text
    assert encoder(torch.rand(1, 3, 32, 32))[0].shape == (1, 32, 8, 8)


@pytest.mark.slow
def test_cached_weights_are_loaded(tmp_path, monkeypatch):
    """Writes a fake cached ``timm/vgg16_bn.tv_in1k`` (≈ 550 MB: the full classifier) and loads it."""
    import huggingface_hub.constants
    import timm
    from safetensors.torch import save_file

    snapshot = tmp_path / "models--timm--vgg16_bn.tv_in1k" / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (tmp_path / "models--timm--vgg16_bn.tv_in1k" / "refs").mkdir()
    (tmp_path / "models--timm--vgg16_bn.tv_in1k" / "refs" / "main").write_text("0" * 40)
    torch.manual_seed(3)
    reference = timm.create_model("vgg16_bn", pretrained=False)
    save_file({k: v.contiguous() for k, v in reference.state_dict().items()}, str(snapshot / "model.safetensors"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    encoder = zoo.build("encoder/vgg16-bn", pretrained=True)
    torch.testing.assert_close(encoder.body.features_0.weight, reference.features[0].weight)

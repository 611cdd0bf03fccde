"""ImageNet weights come through the Hub (``zoo.sdk.create_timm_model``) or fail loudly; never a silent random init."""

from __future__ import annotations

import json

import pytest
import torch

import zoo
from zoo.sdk import ConfigError, PretrainedWeightsUnavailableError


@pytest.fixture
def cold_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_offline_with_a_cold_cache_is_the_loud_typed_error(cold_cache):
    with pytest.raises(PretrainedWeightsUnavailableError) as info:
        zoo.build("encoder/vgg16-bn", pretrained=True)
    message = str(info.value)
    assert "timm/vgg16_bn.tv_in1k" in message and "zoo download timm/vgg16_bn.tv_in1k" in message
    assert "pretrained=False" in message


def test_the_real_recipes_ask_for_imagenet_and_the_synthetic_one_cannot(cold_cache):
    for name in ("l2hcount-sha", "l2hcount-shb2sha"):
        assert zoo.info(name)["config"]["encoder"]["config"]["pretrained"] is True
    with pytest.raises(PretrainedWeightsUnavailableError):  # the recipe's model, offline: loud, not random
        zoo.build("model/l2hcount", **{"encoder.config.pretrained": True})
    with pytest.raises(ConfigError, match="width 1.0 only"):
        zoo.build("encoder/vgg16-bn", pretrained=True, width=0.25)
    random = zoo.build("encoder/vgg16-bn", width=0.125)  # pretrained=False: random init, said explicitly
    assert random(torch.rand(1, 3, 32, 32))[0].shape == (1, 32, 8, 8)


@pytest.mark.slow
def test_imagenet_weights_load_from_a_timm_repo_on_the_local_hub(tmp_path, monkeypatch):
    """Publishes a timm-format ``timm/vgg16_bn.tv_in1k`` (random weights, ≈ 550 MB with its classifier)."""
    import huggingface_hub.constants
    import timm
    from safetensors.torch import load_file
    from timm.models import save_for_hf

    from zoo.testing import LocalHub

    torch.manual_seed(3)
    folder = tmp_path / "repo"
    save_for_hf(timm.create_model("vgg16_bn", pretrained=False), folder, safe_serialization=True)
    assert {"architecture", "num_classes", "pretrained_cfg"} <= set(json.loads((folder / "config.json").read_text()))
    served = load_file(str(folder / "model.safetensors"))
    with LocalHub(tmp_path / "hub") as hub:
        hub.add_repo("timm/vgg16_bn.tv_in1k", folder)
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        encoder = zoo.build("encoder/vgg16-bn", pretrained=True)
    torch.testing.assert_close(encoder.body.features_0.weight, served["features.0.weight"])
    torch.testing.assert_close(encoder.body.features_40.running_var, served["features.40.running_var"])
    assert encoder.body.zoo_pretrained["repo_id"] == "timm/vgg16_bn.tv_in1k"

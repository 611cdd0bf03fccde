"""The real recipes' ResNet-18 experts start from ImageNet through timm's Hub layout (``zoo.sdk.create_timm_model``)."""

from __future__ import annotations

import json

import pytest
import torch

import zoo


@pytest.mark.slow
def test_imagenet_resnet18_loads_from_a_timm_repo_on_the_local_hub(tmp_path, monkeypatch):
    """Publishes a timm-format ``timm/resnet18.tv_in1k`` (random weights, 47 MB) and builds both image experts on it."""
    import huggingface_hub.constants
    import timm
    from safetensors.torch import load_file
    from timm.models import save_for_hf

    from zoo.testing import LocalHub

    torch.manual_seed(4)
    folder = tmp_path / "repo"
    save_for_hf(timm.create_model("resnet18", pretrained=False), folder, safe_serialization=True)
    assert {"architecture", "num_classes", "pretrained_cfg"} <= set(json.loads((folder / "config.json").read_text()))
    served = load_file(str(folder / "model.safetensors"))
    with LocalHub(tmp_path / "hub") as hub:
        hub.add_repo("timm/resnet18.tv_in1k", folder)
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        structure = zoo.build("expert/structure", pretrained=True)
        texture = zoo.build("expert/dynamic-texture", pretrained=True)  # 6 input channels: timm adapts the stem
    torch.testing.assert_close(structure.backbone.layer4[1].conv2.weight, served["layer4.1.conv2.weight"])
    assert structure.backbone.zoo_pretrained["repo_id"] == "timm/resnet18.tv_in1k"
    stem = texture.backbone.conv1.weight
    assert stem.shape[1] == 6
    torch.testing.assert_close(texture.backbone.layer1[0].conv1.weight, served["layer1.0.conv1.weight"])
    torch.testing.assert_close(stem[:, :3], stem[:, 3:])  # timm repeats the RGB filters (rescaled) for 6 channels

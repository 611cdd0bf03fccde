"""The image encoder's ImageNet start for real: a timm-format repo on a local Hub, built through timm."""

import json

import pytest
import torch
from safetensors.torch import load_file

import zoo
from zoo.testing import LocalHub

#: timm's 0.5 M-parameter test ResNet: the same file layout and code path as resnet50.tv_in1k.
REPO = "timm/test_resnet.r160_in1k"


@pytest.fixture
def served(tmp_path, monkeypatch):
    import huggingface_hub.constants
    import timm
    from timm.models import save_for_hf

    torch.manual_seed(0)
    folder = tmp_path / "repo"
    save_for_hf(timm.create_model("test_resnet", pretrained=False), folder, safe_serialization=True)
    assert {"architecture", "num_classes", "pretrained_cfg"} <= set(json.loads((folder / "config.json").read_text()))
    with LocalHub() as hub:
        hub.add_repo(REPO, folder)
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        # huggingface_hub read HF_HUB_OFFLINE (set by this folder's conftest) at its import.
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        yield load_file(str(folder / "model.safetensors"))


def test_the_encoder_starts_from_the_hub_weights_through_timm(served):
    encoder = zoo.build("encoder/resnet50-views", backbone="test_resnet", weights=REPO)  # pretrained: the default
    own = encoder.backbone.state_dict()
    shared = [k for k in own if k in served]
    assert len(shared) > 10 and all(torch.equal(own[k], served[k]) for k in shared)
    assert encoder.backbone.zoo_pretrained["repo_id"] == REPO
    random = zoo.build("encoder/resnet50-views", backbone="test_resnet", weights=REPO, pretrained=False)
    assert not all(torch.equal(random.backbone.state_dict()[k], served[k]) for k in shared)

"""Pretrained backbones for real: a timm-format repo on the local Hub, built through timm, or a loud error."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import load_file

from zoo.errors import ChecksumMismatchError, ConfigError, PretrainedWeightsUnavailableError
from zoo.pretrained import PretrainedWeights, create_timm_model, find_backbone_weights, known_backbones
from zoo.weights import sha256_file

pytestmark = pytest.mark.hub
#: The issue's check used resnet18.a1_in1k; most tests use timm's own 0.5 M-parameter test ResNet
#: (same layout, same code path) so that the suite stays fast on two cores.
REPO = "timm/test_resnet.r160_in1k"
RESNET18 = "timm/resnet18.a1_in1k"


def _publish(hub_server, tmp_path_factory, repo: str) -> SimpleNamespace:
    """A model with random weights in timm's own Hub layout (save_for_hf), committed as ``repo``."""
    import timm
    from timm.models import save_for_hf

    torch.manual_seed(0)
    model = timm.create_model(repo.split("/")[1], pretrained=False)
    folder = tmp_path_factory.mktemp(repo.split("/")[1])
    save_for_hf(model, folder, safe_serialization=True)
    config = json.loads((folder / "config.json").read_text())
    assert {"architecture", "num_classes", "pretrained_cfg"} <= set(config)  # timm's file layout
    commit = hub_server.add_repo(repo, folder)
    return SimpleNamespace(folder=folder, commit=commit, sha256=sha256_file(folder / "model.safetensors"),
                           state=load_file(str(folder / "model.safetensors")))


@pytest.fixture(scope="module")
def tiny_repo(hub_server, tmp_path_factory):
    return _publish(hub_server, tmp_path_factory, REPO)


@pytest.fixture
def served(tiny_repo, hub):
    return tiny_repo


def _same_backbone(model: torch.nn.Module, state: dict, head: tuple[str, ...] = ()) -> bool:
    """Every weight the model shares with ``state`` is equal; only the ``head`` keys may differ in shape."""
    own = model.state_dict()
    shared = [k for k in own if k in state and own[k].shape == state[k].shape]
    resized = sorted(k for k in own if k in state and own[k].shape != state[k].shape)
    return len(shared) > 10 and resized == sorted(head) and all(torch.equal(own[k], state[k]) for k in shared)


@pytest.mark.slow  # ~45 MB through olah: 10-25 s on two busy cores; the tiny model covers the default run
def test_a_pinned_resnet18_loads_through_timm_from_the_local_hub(hub_server, tmp_path_factory, hub, sandbox) -> None:
    served = _publish(hub_server, tmp_path_factory, RESNET18)
    weights = PretrainedWeights(RESNET18, revision=served.commit, sha256=served.sha256)
    model = create_timm_model("resnet18", pretrained=weights, features_only=True, out_indices=(1, 2))
    own = model.state_dict()
    assert torch.equal(own["conv1.weight"], served.state["conv1.weight"])
    assert torch.equal(own["layer2.1.conv2.weight"], served.state["layer2.1.conv2.weight"])
    assert _same_backbone(model, served.state)
    assert [f.shape[1] for f in model(torch.zeros(1, 3, 64, 64))] == [64, 128]
    assert model.zoo_pretrained == {"repo_id": RESNET18, "revision": served.commit, "commit": served.commit,
                                    "sha256": served.sha256, "check": "sha256 pinned by the zoo"}
    snapshot = sandbox / "hub" / "models--timm--resnet18.a1_in1k" / "snapshots" / served.commit
    assert (snapshot / "model.safetensors").is_file() and (snapshot / "config.json").is_file()  # standard cache
    assert "state_dict" not in model.pretrained_cfg  # no second copy of the weights kept alive


def test_timm_adapts_the_weights_to_a_new_head(served) -> None:
    model = create_timm_model("test_resnet", pretrained=PretrainedWeights(REPO, served.commit, served.sha256), num_classes=7)
    assert model.get_classifier().out_features == 7
    assert _same_backbone(model, served.state, head=("fc.weight", "fc.bias"))  # timm reset only the head


def test_an_unpinned_backbone_records_the_commit_it_resolved(served) -> None:
    model = create_timm_model("test_resnet", pretrained=PretrainedWeights(REPO))
    assert _same_backbone(model, served.state)
    assert model.zoo_pretrained["revision"] == "main" and model.zoo_pretrained["commit"] == served.commit
    assert model.zoo_pretrained["sha256"] == served.sha256 and "no sha256 pinned" in model.zoo_pretrained["check"]


def test_offline_with_a_cold_cache_is_the_loud_typed_error(served, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(PretrainedWeightsUnavailableError) as info:
        create_timm_model("test_resnet", pretrained=PretrainedWeights(REPO, served.commit, served.sha256))
    message = str(info.value)
    assert f"{REPO} at revision {served.commit}" in message
    assert f"zoo download {REPO}@{served.commit}" in message and "pretrained=False" in message


def test_an_unreachable_hub_with_a_cold_cache_is_the_same_error(monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(PretrainedWeightsUnavailableError, match="unreachable"):
        create_timm_model("vgg16_bn", pretrained=PretrainedWeights.known("timm/vgg16_bn.tv_in1k"))


def test_a_wrong_pin_is_a_checksum_error_and_the_copy_is_purged(served) -> None:
    with pytest.raises(ChecksumMismatchError) as info:
        create_timm_model("test_resnet", pretrained=PretrainedWeights(REPO, served.commit, "0" * 64))
    assert "removed from the cache" in str(info.value) and not Path(info.value.path).exists()


def test_a_repository_of_another_architecture_is_refused(served) -> None:
    with pytest.raises(ConfigError, match="holds 'test_resnet', not 'vgg16_bn'"):
        create_timm_model("vgg16_bn", pretrained=PretrainedWeights(REPO, served.commit, served.sha256))


def test_pretrained_none_is_random_init_without_any_network(monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    torch.manual_seed(1)
    model = create_timm_model("resnet18", pretrained=None, num_classes=3)
    assert model.fc.weight.shape == (3, 512) and not hasattr(model, "zoo_pretrained")


def test_zoo_download_prefetches_a_backbone_for_offline_training(served, monkeypatch) -> None:
    from zoo.cli.main import build_cli

    runner = CliRunner()
    cli = build_cli()
    done = runner.invoke(cli, ["download", f"{REPO}@{served.commit}"])
    assert done.exit_code == 0, done.output
    assert f'revision = "{served.commit}" sha256 = "{served.sha256}"' in done.output
    report = json.loads(runner.invoke(cli, ["download", REPO, "--json"]).output)
    assert report["pin"] == {"repo_id": REPO, "revision": served.commit, "sha256": served.sha256}
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    verified = runner.invoke(cli, ["verify", f"{REPO}@{served.commit}", "--json"])
    assert verified.exit_code == 0 and json.loads(verified.output)["ok"] is True
    model = create_timm_model("test_resnet", pretrained=PretrainedWeights(REPO, served.commit, served.sha256))
    assert _same_backbone(model, served.state)  # from the prefetched cache


def test_the_pin_table_parses_and_names_the_backbones_the_plugins_use() -> None:
    table = known_backbones()
    assert {"timm/vgg16_bn.tv_in1k", RESNET18} <= set(table)
    assert all(w.repo_id == repo for repo, w in table.items())
    assert find_backbone_weights("timm/vgg16_bn.tv_in1k@" + "a" * 40).revision == "a" * 40
    assert find_backbone_weights("l2hcount-synth") is None
    with pytest.raises(ConfigError, match="No pinned backbone 'timm/nope'"):
        PretrainedWeights.known("timm/nope")
    with pytest.raises(ConfigError, match="sha256 must be 64 hex"):
        PretrainedWeights(REPO, "main", "abc")


def test_a_checkpoint_trained_from_pretrained_weights_loads_offline_with_a_cold_backbone_cache(
    served, sandbox, monkeypatch, tmp_path
) -> None:
    import shutil

    import zoo
    from zoo.pretrained import pretrained_weights_skipped, skip_pretrained_weights

    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    from timm_backbone_toy import register

    register()
    model = zoo.build("model/timm-toy", revision=served.commit)  # the ImageNet start, from the local Hub
    assert model.config.pretrained and model.backbone.zoo_pretrained["commit"] == served.commit
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01)  # "trained": no weight equals the pretrained one any more
    zoo.save(model, tmp_path / "ckpt")

    shutil.rmtree(sandbox / "hub")  # a cold cache, and no network
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(PretrainedWeightsUnavailableError):  # building for training still needs them
        zoo.build("model/timm-toy", revision=served.commit)
    loaded = zoo.load(str(tmp_path / "ckpt"))
    assert loaded.config.pretrained and not hasattr(loaded.backbone, "zoo_pretrained")
    assert loaded.backbone.pretrained_cfg["tag"] == "r160_in1k"  # the same timm model and tag
    own, saved = loaded.state_dict(), model.state_dict()
    assert own.keys() == saved.keys() and all(torch.equal(own[k], saved[k]) for k in own)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(x), model.eval()(x))
    assert not (sandbox / "hub").exists() or not any((sandbox / "hub").rglob("*.safetensors"))
    assert not pretrained_weights_skipped()  # only while zoo.load builds
    with skip_pretrained_weights():
        assert pretrained_weights_skipped()
    assert not pretrained_weights_skipped()

"""The Hub path with the real huggingface_hub client against olah on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import tomli_w
import torch

import zoo
from zoo.errors import ChecksumMismatchError, HubUnavailableError, WeightsNotFoundError
from zoo.hub import fetch_file
from zoo.sources import HubSource
from zoo.weights import sha256_file

pytestmark = pytest.mark.hub


@pytest.fixture
def served(hub, toy_model, tmp_path: Path):
    """The toy model saved, committed to the local Hub, and its commit."""
    folder = zoo.save(toy_model, tmp_path / "toy", card={"name": "toy-hub"})
    repo_id = f"zoo-tests/{tmp_path.name.replace('_', '-')[:40]}"
    commit = hub.add_repo(repo_id, folder)
    return SimpleNamespace(folder=folder, repo_id=repo_id, commit=commit, model=toy_model)


def _pin(write_registry, served, sha: str | None = None, name: str = "toy-hub") -> None:
    sha = sha or sha256_file(served.folder / "model.safetensors")
    write_registry(
        f'[models."{name}"]\nmodel = "model/toy-fusion"\nstatus = "published"\n'
        f'source = "hf-hub:{served.repo_id}@{served.commit}"\n'
        f'files = {{ "model.safetensors" = "sha256:{sha}" }}\n'
    )


def _assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    for key, value in a.state_dict().items():
        assert torch.equal(b.state_dict()[key], value), key


def test_save_serve_load_is_bit_identical_at_the_pinned_commit(served, write_registry, sandbox: Path) -> None:
    _pin(write_registry, served)
    loaded = zoo.load("toy-hub")
    _assert_same_weights(served.model, loaded)
    snapshot = sandbox / "hub" / f"models--{served.repo_id.replace('/', '--')}" / "snapshots" / served.commit
    assert (snapshot / "model.safetensors").exists()  # the standard HF cache, not a private one


def test_load_any_repo_holding_a_zoo_config(served) -> None:
    _assert_same_weights(served.model, zoo.load(f"hf-hub:{served.repo_id}@{served.commit}"))
    _assert_same_weights(served.model, zoo.load(f"hf-hub:{served.repo_id}@main"))


def test_a_file_that_does_not_match_its_sha256_is_removed(served, write_registry) -> None:
    _pin(write_registry, served, sha="0" * 64)
    with pytest.raises(ChecksumMismatchError) as info:
        zoo.load("toy-hub")
    assert "removed from the cache" in str(info.value)
    cached = Path(info.value.path)
    assert not cached.exists() and not cached.is_symlink()


def test_a_corrupted_cache_is_caught_removed_and_fetched_again(served, write_registry) -> None:
    _pin(write_registry, served)
    path = zoo.loading.fetch("toy-hub").files["model.safetensors"]
    blob = path.resolve()
    size = blob.stat().st_size
    blob.write_bytes(bytes(size))  # same size, wrong bytes: the Hub client would not notice
    with pytest.raises(ChecksumMismatchError):
        zoo.load("toy-hub")
    assert not blob.exists()
    _assert_same_weights(served.model, zoo.load("toy-hub"))  # fetched again, verified


def test_offline_mode_loads_from_the_cache_without_the_network(served, write_registry, monkeypatch) -> None:
    _pin(write_registry, served)
    zoo.load("toy-hub")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    _assert_same_weights(served.model, zoo.load("toy-hub"))


def test_offline_without_a_cache_names_repo_revision_and_cache(served, write_registry, monkeypatch, sandbox) -> None:
    _pin(write_registry, served)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HubUnavailableError) as info:
        zoo.load("toy-hub")
    message = str(info.value)
    assert f"{served.repo_id}@{served.commit}" in message and str(sandbox / "hub") in message
    assert "offline mode is on" in message


def test_an_unreachable_hub_names_repo_revision_and_cache(monkeypatch, sandbox) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(HubUnavailableError) as info:
        fetch_file(HubSource("org/none", "e" * 40), "config.json")
    message = str(info.value)
    assert "org/none@" + "e" * 40 in message and "unreachable" in message and str(sandbox / "hub") in message


def test_a_missing_file_and_a_missing_repo_are_told_apart(served) -> None:
    with pytest.raises(WeightsNotFoundError, match="File 'nope.safetensors' not found"):
        fetch_file(HubSource(served.repo_id, served.commit), "nope.safetensors")
    with pytest.raises(WeightsNotFoundError, match="repository 'zoo-tests/does-not-exist' not found"):
        # (olah answers EntryNotFound for an unknown repo at a commit, so ask for a branch)
        fetch_file(HubSource("zoo-tests/does-not-exist", "main"), "config.json")


def test_publish_uploads_one_commit_and_prints_an_entry_that_loads(hub, toy_model, tmp_path, monkeypatch, write_registry) -> None:
    calls = []

    def create_repo(self, repo_id, exist_ok=False, private=False, **kw):
        calls.append(("create_repo", repo_id, exist_ok))

    def upload_folder(self, *, repo_id, folder_path, commit_message=None, **kw):
        calls.append(("upload_folder", repo_id, commit_message))
        # olah serves git repositories read-only: the "upload" commits the folder there.
        return SimpleNamespace(oid=hub.add_repo(repo_id, folder_path, commit_message or "upload"))

    monkeypatch.setattr("huggingface_hub.HfApi.create_repo", create_repo)
    monkeypatch.setattr("huggingface_hub.HfApi.upload_folder", upload_folder)
    folder = zoo.save(toy_model, tmp_path / "toy", card={"name": "toy-published", "training_data": "synthetic toy"})
    entry = zoo.publish(folder, "zoo-tests/published")
    assert [c[0] for c in calls] == ["create_repo", "upload_folder"] and calls[0][2] is True
    table = entry["models"]["toy-published"]
    assert table["source"].startswith("hf-hub:zoo-tests/published@") and len(table["source"].split("@")[1]) == 40
    assert table["files"]["model.safetensors"] == "sha256:" + sha256_file(folder / "model.safetensors")
    write_registry(tomli_w.dumps(entry))
    _assert_same_weights(toy_model, zoo.load("toy-published"))


def test_load_keywords_reach_the_hub_fetch(served, tmp_path, monkeypatch) -> None:
    import zoo.hub

    own_cache = tmp_path / "my-cache"
    seen = []
    real = zoo.hub.fetch_file
    monkeypatch.setattr(zoo.hub, "fetch_file", lambda *a, **k: seen.append(k) or real(*a, **k))
    source = f"hf-hub:{served.repo_id}"
    _assert_same_weights(served.model, zoo.load(source, revision=served.commit, cache_dir=own_cache, token="hf_x"))
    assert all(k["token"] == "hf_x" and k["cache_dir"] == own_cache for k in seen)
    assert (own_cache / f"models--{served.repo_id.replace('/', '--')}" / "snapshots" / served.commit).is_dir()
    with pytest.raises(HubUnavailableError, match="local_files_only=True and the file is not in the cache"):
        zoo.load(source, revision=served.commit, local_files_only=True)  # the default cache is cold
    assert zoo.load(source, revision=served.commit, cache_dir=own_cache, local_files_only=True).zoo_source == (
        f"hf-hub:{served.repo_id}@{served.commit}")

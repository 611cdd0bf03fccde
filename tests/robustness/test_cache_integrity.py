"""Integrity of what zoo.load reads: digests on every source kind, safe purging, invalid safetensors."""

from __future__ import annotations

import json
import os
import pickle
import struct
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

import zoo
from zoo.errors import ChecksumMismatchError, CorruptWeightsError, UnsafeWeightsError
from zoo.weights import git_sha1_file, sha256_file

pytestmark = pytest.mark.hub


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(b.state_dict()[k], v) for k, v in a.state_dict().items())


def _repo_name(tmp_path: Path, tag: str) -> str:
    return f"zoo-rob/{tag}-{tmp_path.name.replace('_', '-')[-30:]}"


@pytest.fixture
def served(hub, toy_model, tmp_path: Path):
    folder = zoo.save(toy_model, tmp_path / "toy")
    repo = _repo_name(tmp_path, "toy")
    return SimpleNamespace(folder=folder, repo=repo, commit=hub.add_repo(repo, folder), model=toy_model)


def _flip_last_byte(path: Path, keep_times: bool = False) -> None:
    st = path.stat()
    with open(path, "r+b") as handle:
        handle.seek(-1, 2)
        last = handle.read(1)
        handle.seek(-1, 2)
        handle.write(bytes([last[0] ^ 0x01]))
    if keep_times:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _pin(write_registry, name: str, source: str, sha: str) -> None:
    write_registry(
        f'[models."{name}"]\nmodel = "model/toy-fusion"\nstatus = "published"\n'
        f'source = "{source}"\nfiles = {{ "model.safetensors" = "sha256:{sha}" }}\n'
    )


def test_a_direct_hub_source_is_checked_against_the_hubs_digest_on_every_load(served) -> None:
    source = f"hf-hub:{served.repo}@{served.commit}"
    assert _same(served.model, zoo.load(source))
    cached = zoo.loading.fetch(source).files["model.safetensors"]
    blob = cached.resolve()
    assert blob.name == git_sha1_file(served.folder / "model.safetensors")  # the Hub's ETag names the blob
    _flip_last_byte(blob)
    with pytest.raises(ChecksumMismatchError) as info:
        zoo.load(source)
    assert info.value.algorithm == "git-sha1" and "Hub's own digest" in str(info.value)
    assert not blob.exists() and not cached.is_symlink()  # link and blob purged
    assert _same(served.model, zoo.load(source))  # fetched again, verified


def test_a_same_size_rewrite_with_restored_mtime_is_caught_in_the_same_process(served, write_registry) -> None:
    _pin(write_registry, "toy-memo", f"hf-hub:{served.repo}@{served.commit}", sha256_file(served.folder / "model.safetensors"))
    zoo.load("toy-memo")  # verified once: the memo now knows this file
    blob = zoo.loading.fetch("toy-memo").files["model.safetensors"].resolve()
    _flip_last_byte(blob, keep_times=True)
    with pytest.raises(ChecksumMismatchError):
        zoo.load("toy-memo")


def test_a_cache_entry_linking_to_a_users_file_is_never_deleted(served, write_registry, sandbox, tmp_path) -> None:
    _pin(write_registry, "toy-link", f"hf-hub:{served.repo}@{served.commit}", sha256_file(served.folder / "model.safetensors"))
    cached = zoo.loading.fetch("toy-link").files["model.safetensors"]
    own = tmp_path / "my-own-weights.safetensors"  # a user's file, outside the cache
    own.write_bytes(b"my precious bytes")
    cached.unlink()
    cached.symlink_to(own)
    with pytest.raises(ChecksumMismatchError) as info:
        zoo.load("toy-link")
    message = str(info.value)
    assert "Nothing was deleted" in message and str(own) in message and "never deletes files it does not own" in message
    assert own.read_bytes() == b"my precious bytes" and cached.is_symlink()
    assert info.value.removed is False


def _pickle_bytes() -> bytes:
    return pickle.dumps({"weight": [1.0, 2.0]}, protocol=4)


def _torch_zip_bytes(tmp_path: Path) -> bytes:
    torch.save({"w": torch.zeros(2)}, tmp_path / "z.pt")
    return (tmp_path / "z.pt").read_bytes()


def _header(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


INVALID = {
    "pickle": (lambda tmp, good: _pickle_bytes(), UnsafeWeightsError, "it is a pickle"),
    "torch-zip": (lambda tmp, good: _torch_zip_bytes(tmp), UnsafeWeightsError, "zip archive"),
    "huge-header": (lambda tmp, good: struct.pack("<Q", 2**40) + b"{}", CorruptWeightsError, "the header claims 1099511627776 bytes"),
    "offsets-past-end": (
        lambda tmp, good: _header({"w": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}, b"\0" * 16),
        CorruptWeightsError, "past the end of the data",
    ),
    "truncated": (lambda tmp, good: good[: len(good) // 2], CorruptWeightsError, "past the end of the data"),
    "empty": (lambda tmp, good: b"", CorruptWeightsError, "truncated: 0 bytes"),
    "header-not-json": (lambda tmp, good: struct.pack("<Q", 4) + b"\xff\xfe{[", CorruptWeightsError, "not JSON"),
}


@pytest.mark.parametrize("kind", sorted(INVALID))
def test_invalid_safetensors_from_the_hub_is_typed_purged_and_refetched(kind, hub, toy_model, tmp_path, write_registry, monkeypatch) -> None:
    make, error, words = INVALID[kind]
    folder = zoo.save(toy_model, tmp_path / "bad")
    good = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(make(tmp_path, good))
    config = json.loads((folder / "config.json").read_text())
    config.pop("weights_sha256")  # the publisher's record would already catch it: test the format check
    (folder / "config.json").write_text(json.dumps(config))
    repo = _repo_name(tmp_path, kind)
    commit = hub.add_repo(repo, folder)
    _pin(write_registry, "toy-bad", f"hf-hub:{repo}@{commit}", sha256_file(folder / "model.safetensors"))
    downloads = []
    import huggingface_hub

    real = huggingface_hub.hf_hub_download
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", lambda *a, **k: downloads.append(a[1]) or real(*a, **k))
    for attempt in (1, 2):
        with pytest.raises(error) as info:
            zoo.load("toy-bad")
        message = str(info.value)
        assert words in message and "model.safetensors" in message and "removed from the cache" in message
        assert not Path(info.value.path).exists()
    assert downloads.count("model.safetensors") == 2  # purged, so the second load fetched it again


@pytest.mark.parametrize("kind", ["pickle", "truncated", "huge-header"])
def test_invalid_safetensors_in_a_local_folder_is_typed_and_left_in_place(kind, toy_model, tmp_path) -> None:
    make, error, words = INVALID[kind]
    folder = zoo.save(toy_model, tmp_path / "bad")
    bad = make(tmp_path, (folder / "model.safetensors").read_bytes())
    (folder / "model.safetensors").write_bytes(bad)
    config = json.loads((folder / "config.json").read_text())
    config.pop("weights_sha256")
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(error, match=words) as info:
        zoo.load(str(folder))
    assert "left in place" in str(info.value)
    assert (folder / "model.safetensors").read_bytes() == bad


def test_a_saved_folder_records_its_weights_and_a_changed_file_is_caught(toy_model, tmp_path) -> None:
    folder = zoo.save(toy_model, tmp_path / "toy")
    recorded = json.loads((folder / "config.json").read_text())["weights_sha256"]
    assert recorded == sha256_file(folder / "model.safetensors")
    assert _same(toy_model, zoo.load(f"local-dir:{folder}"))
    _flip_last_byte(folder / "model.safetensors")
    before = (folder / "model.safetensors").read_bytes()
    with pytest.raises(ChecksumMismatchError, match="weights_sha256 that zoo.save recorded") as info:
        zoo.load(str(folder))
    assert "left in place" in str(info.value) and (folder / "model.safetensors").read_bytes() == before

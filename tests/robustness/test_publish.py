"""zoo publish: the options of HfApi.upload_folder, and typed errors (no network, a silent Hub, a refusal)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

import zoo
from zoo.errors import HubUnavailableError, PublishError
from zoo.weights import sha256_file


@pytest.fixture
def folder(toy_model, tmp_path: Path) -> Path:
    out = zoo.save(toy_model, tmp_path / "toy", card={"name": "toy-pub", "training_data": "synthetic toy"})
    (out / "example.npy").write_bytes(b"\x93NUMPY example")
    return out


def _cli(*args: str):
    from zoo.cli.main import build_cli

    return CliRunner().invoke(build_cli(), list(args))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.fixture
def fake_api(hub, monkeypatch):
    """HfApi's write calls recorded; the upload commits the folder to the local Hub (olah is read-only)."""
    calls: list[tuple] = []

    def init(self, endpoint=None, token=None, **kw):
        calls.append(("init", endpoint, token))
        self.endpoint, self.token = endpoint, token

    monkeypatch.setattr("huggingface_hub.HfApi.__init__", init)
    monkeypatch.setattr("huggingface_hub.HfApi.create_repo",
                        lambda self, repo_id, exist_ok=False, private=False, **kw: calls.append(("create_repo", repo_id)))
    monkeypatch.setattr("huggingface_hub.HfApi.create_branch",
                        lambda self, repo_id, branch, exist_ok=False, **kw: calls.append(("create_branch", branch, exist_ok)))

    def upload_folder(self, *, repo_id, folder_path, commit_message=None, revision=None, **kw):
        calls.append(("upload_folder", repo_id, commit_message, revision))
        return SimpleNamespace(oid=hub.add_repo(repo_id, folder_path, commit_message or "upload"))

    monkeypatch.setattr("huggingface_hub.HfApi.upload_folder", upload_folder)
    return calls


@pytest.mark.hub
def test_publish_passes_token_branch_and_message_and_pins_every_file(folder, fake_api, hub) -> None:
    done = _cli("publish", str(folder), "zoo-rob/pub", "--token", "hf_write", "--revision", "v1-branch",
                "--message", "First release", "--json")
    assert done.exit_code == 0, done.output
    assert fake_api == [("init", hub.endpoint, "hf_write"), ("create_repo", "zoo-rob/pub"),
                        ("create_branch", "v1-branch", True), ("upload_folder", "zoo-rob/pub", "First release", "v1-branch")]
    entry = json.loads(done.output)["models"]["toy-pub"]
    assert set(entry["files"]) == {"config.json", "model.safetensors", "example.npy"}  # the card is not pinned
    assert entry["files"]["example.npy"] == "sha256:" + sha256_file(folder / "example.npy")
    assert len(entry["source"].split("@")[1]) == 40


def test_publish_with_no_network_is_hub_unavailable_and_uploads_nothing(folder, monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    before = _snapshot(folder)
    done = _cli("publish", str(folder), "org/toy")
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert done.output.startswith("error: Cannot publish to org/toy: the Hub at http://127.0.0.1:9 is unreachable")
    assert "Nothing was uploaded" in done.output and _snapshot(folder) == before
    with pytest.raises(HubUnavailableError):
        zoo.publish(folder, "org/toy")


def test_publish_to_a_silent_hub_fails_within_the_timeout(folder, monkeypatch) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    try:
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        monkeypatch.setenv("ZOO_HUB_TIMEOUT", "1")
        start = time.monotonic()
        with pytest.raises(HubUnavailableError, match="did not answer within 1 s"):
            zoo.publish(folder, "org/toy")
        assert time.monotonic() - start < 6
    finally:
        server.close()


@pytest.mark.hub
def test_a_refused_publish_is_a_publish_error_naming_the_fix(folder, hub, monkeypatch) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    from zoo.hub_errors import http_errors

    httpx = http_errors()
    response = httpx.Response(401, request=httpx.Request("POST", f"{hub.endpoint}/api/repos/create"))

    def refuse(self, repo_id, **kw):
        raise HfHubHTTPError("401 Client Error: Unauthorized", response=response)

    monkeypatch.setattr("huggingface_hub.HfApi.create_repo", refuse)
    with pytest.raises(PublishError, match=r"refused to publish org/toy \(HTTP 401\).*--token"):
        zoo.publish(folder, "org/toy")


def test_publish_refuses_a_folder_with_broken_weights_before_any_request(folder, monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    (folder / "model.safetensors").write_bytes(b"\x80\x04 a pickle")
    done = _cli("publish", str(folder), "org/toy")
    assert done.exit_code == 1 and "is not safetensors: it is a pickle" in done.output

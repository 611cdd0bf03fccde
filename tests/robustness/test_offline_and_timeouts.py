"""Honest offline (zero connections, counted by an audit hook) and bounded waits (a silent server)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

import zoo
from zoo.errors import ConfigError, HubUnavailableError, WeightsNotFoundError
from zoo.hub import fetch_file
from zoo.sources import HubSource
from zoo.weights import sha256_file

pytestmark = pytest.mark.hub


@pytest.fixture
def served(hub, toy_model, tmp_path: Path):
    folder = zoo.save(toy_model, tmp_path / "toy")
    repo = f"zoo-rob/net-{tmp_path.name.replace('_', '-')[-30:]}"
    return SimpleNamespace(folder=folder, repo=repo, commit=hub.add_repo(repo, folder), model=toy_model)


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A TCP server on loopback that accepts every connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


_PROBE = r"""
import json, os, sys
connects = []
def hook(event, args):
    if event == "socket.connect":
        connects.append(repr(args[1]))
sys.addaudithook(hook)
import zoo
results = {}
for label, name, env in json.loads(sys.argv[1]):
    os.environ.update(env)
    before = len(connects)
    model = zoo.load(name)
    results[label] = {"connects": connects[before:], "source": model.zoo_source}
    for key in env:
        os.environ.pop(key)
print(json.dumps(results))
"""


def test_offline_switches_and_a_cached_pin_make_zero_connections(served, write_registry, hub) -> None:
    sha = sha256_file(served.folder / "model.safetensors")
    registry = write_registry(
        f'[models."toy-net"]\nmodel = "model/toy-fusion"\nstatus = "published"\n'
        f'source = "hf-hub:{served.repo}@{served.commit}"\nfiles = {{ "model.safetensors" = "sha256:{sha}" }}\n'
    )
    zoo.load("toy-net"), zoo.load(f"hf-hub:{served.repo}@main")  # warm the cache (and refs/main)
    cases = [
        ("pinned entry, no switch", "toy-net", {}),
        ("pinned source, no switch", f"hf-hub:{served.repo}@{served.commit}", {}),
        ("ZOO_OFFLINE=1", "toy-net", {"ZOO_OFFLINE": "1"}),
        ("ZOO_OFFLINE=1, @main", f"hf-hub:{served.repo}@main", {"ZOO_OFFLINE": "1"}),
        ("HF_HUB_OFFLINE=1", "toy-net", {"HF_HUB_OFFLINE": "1"}),
    ]
    env = {**os.environ, "ZOO_REGISTRY": str(registry), "HF_ENDPOINT": hub.endpoint, "OMP_NUM_THREADS": "1"}
    env.pop("HF_HUB_DISABLE_TELEMETRY", None)  # the client's telemetry must not connect either
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(cases)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert {label: r["connects"] for label, r in results.items()} == {label: [] for label, _, _ in cases}
    assert results["ZOO_OFFLINE=1, @main"]["source"] == f"hf-hub:{served.repo}@main"


def test_a_silent_hub_fails_a_cold_load_in_under_30_s_with_default_timeouts(silent_endpoint, monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", silent_endpoint)
    start = time.monotonic()
    with pytest.raises(HubUnavailableError) as info:
        zoo.load(f"hf-hub:org/model@{'a' * 40}")
    elapsed = time.monotonic() - start
    assert elapsed < 30, elapsed
    message = str(info.value)
    assert "did not answer within 10 s (ZOO_HUB_TIMEOUT" in message and "unreachable" not in message
    assert f"org/model@{'a' * 40}" in message


def test_a_silent_hub_falls_back_to_the_cached_main_quickly(served, silent_endpoint, monkeypatch, caplog) -> None:
    zoo.load(f"hf-hub:{served.repo}@main")
    monkeypatch.setenv("HF_ENDPOINT", silent_endpoint)
    monkeypatch.setenv("ZOO_HUB_TIMEOUT", "1")
    start = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="zoo.hub"):
        model = zoo.load(f"hf-hub:{served.repo}@main")
    assert time.monotonic() - start < 8
    assert model.zoo_source == f"hf-hub:{served.repo}@main"
    assert any("using the cached copy" in r.getMessage() for r in caplog.records)


def test_a_refused_connection_is_unreachable_at_once(monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    start = time.monotonic()
    with pytest.raises(HubUnavailableError, match="is unreachable"):
        fetch_file(HubSource("org/none", "e" * 40), "config.json")
    assert time.monotonic() - start < 5


def test_a_missing_revision_or_repo_says_so_not_unreachable(served) -> None:
    for revision in ("no-such-branch", "f" * 40):
        with pytest.raises(WeightsNotFoundError) as info:
            zoo.load(f"hf-hub:{served.repo}@{revision}")
        message = str(info.value)
        assert f"Revision {revision!r} not found in {served.repo!r}" in message and "main" in message
        assert "unreachable" not in message
    with pytest.raises(WeightsNotFoundError, match="repository 'zoo-rob/never-published' not found"):
        zoo.load(f"hf-hub:zoo-rob/never-published@{'c' * 40}")
    with pytest.raises(WeightsNotFoundError, match="File 'nope.json' not found"):
        fetch_file(HubSource(served.repo, served.commit), "nope.json")


@pytest.mark.parametrize("value", ["abc", "0", "-3", "nan", "inf", "1e400"])
def test_a_malformed_timeout_setting_is_a_config_error(value, monkeypatch) -> None:
    monkeypatch.setenv("ZOO_HUB_TIMEOUT", value)
    with pytest.raises(ConfigError, match=f"ZOO_HUB_TIMEOUT={value!r} is not a positive number"):
        fetch_file(HubSource("org/none", "main"), "config.json")


@pytest.mark.parametrize("endpoint", ["not a url", "ftp://127.0.0.1:1", "http://host:abc", "http://", "127.0.0.1:8080"])
def test_a_malformed_endpoint_is_a_config_error_not_an_unreachable_hub(endpoint, monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    for call in (lambda: fetch_file(HubSource("org/none", "main"), "config.json"),
                 lambda: zoo.example_input("hf-hub:org/none@main")):
        with pytest.raises(ConfigError, match=f"HF_ENDPOINT={endpoint!r} is not a Hub URL"):
            call()


def test_an_endpoint_the_http_client_cannot_use_says_so(monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://256.1.1.1")  # parses as a URL, but no such address
    with pytest.raises(HubUnavailableError, match="is not a usable URL .*Invalid IPv4 address") as info:
        fetch_file(HubSource("org/none", "main"), "config.json")
    assert "unreachable" not in str(info.value) and "accepted the connection" not in str(info.value)

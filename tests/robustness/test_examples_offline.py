"""``zoo predict NAME --example`` goes through zoo.hub like every other fetch: offline (and a cached pin)
make zero connections (counted by an audit hook in a fresh process), a silent Hub is a bounded wait,
and offline without a cached example says what to run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import zoo
from zoo.errors import HubUnavailableError, InputError, WeightsNotFoundError
from zoo.testing import run_cli
from zoo.weights import sha256_file

pytestmark = pytest.mark.hub


@pytest.fixture
def served(hub, toy_model, tmp_path: Path, write_registry):
    """A toy checkpoint with an example input on the local Hub, and a catalog entry pinning it."""
    folder = zoo.save(toy_model, tmp_path / "toy")
    np.save(folder / "example.npy", np.linspace(-1, 1, 16).reshape(2, 8))
    repo = f"zoo-rob/example-{tmp_path.name.replace('_', '-')[-30:]}"
    commit = hub.add_repo(repo, folder)
    files = ", ".join(f'"{n}" = "sha256:{sha256_file(folder / n)}"' for n in ("model.safetensors", "example.npy"))
    registry = write_registry(
        f'[models."toy-net"]\nmodel = "model/toy-fusion"\nstatus = "published"\n'
        f'source = "hf-hub:{repo}@{commit}"\nfiles = {{ {files} }}\n'
    )
    return SimpleNamespace(folder=folder, repo=repo, commit=commit, registry=registry)


_PROBE = r"""
import contextlib, io, json, os, sys
connects = []
def hook(event, args):
    if event == "socket.connect":
        connects.append(repr(args[1]))
sys.addaudithook(hook)
from zoo.cli.main import main
results = {}
for label, argv, env in json.loads(sys.argv[1]):
    os.environ.update(env)
    before, out, err = len(connects), io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code
    results[label] = {"connects": connects[before:], "code": code, "out": out.getvalue(), "err": err.getvalue()}
    for key in env:
        os.environ.pop(key)
print(json.dumps(results))
"""


def test_predict_example_offline_makes_zero_connections(served, hub) -> None:
    main = f"hf-hub:{served.repo}@main"
    pinned = f"hf-hub:{served.repo}@{served.commit}"
    for name in ("toy-net", main):  # warm the cache: `zoo download` fetches a direct source's example too
        result = run_cli(["download", name, "--json"])
        assert result.exit_code == 0, result.output
        assert "example.npy" in json.loads(result.output)["files"], result.output
    cases = [
        ("catalog entry, ZOO_OFFLINE=1", ["predict", "toy-net", "--example", "--json"], {"ZOO_OFFLINE": "1"}),
        ("catalog entry, HF_HUB_OFFLINE=1", ["predict", "toy-net", "--example", "--json"], {"HF_HUB_OFFLINE": "1"}),
        ("catalog entry, cached pin", ["predict", "toy-net", "--example", "--json"], {}),
        ("@main, ZOO_OFFLINE=1", ["predict", main, "--example", "--json"], {"ZOO_OFFLINE": "1"}),
        ("@commit, cached pin", ["predict", pinned, "--example", "--json"], {}),
    ]
    env = {**os.environ, "ZOO_REGISTRY": str(served.registry), "HF_ENDPOINT": hub.endpoint, "OMP_NUM_THREADS": "1"}
    env.pop("HF_HUB_DISABLE_TELEMETRY", None)  # the client's telemetry must not connect either
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(cases)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert {label: (r["code"], r["connects"]) for label, r in results.items()} == {c[0]: (0, []) for c in cases}, results
    expected = zoo.predict("toy-net", [np.load(served.folder / "example.npy")])[0].outputs
    for label, result in results.items():
        (prediction,) = json.loads(result["out"])["predictions"]
        assert prediction["input"].endswith("example.npy"), label
        assert prediction["outputs"] == expected, label


def test_offline_without_a_cached_example_names_the_download(served, monkeypatch) -> None:
    source = f"hf-hub:{served.repo}@main"
    zoo.load(source)  # config and weights cached, the example not
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    with pytest.raises(HubUnavailableError) as info:
        zoo.example_input(source)
    message = str(info.value)
    assert "offline mode is on" in message and f"zoo download {source}" in message
    result = run_cli(["predict", source, "--example"])
    assert result.exit_code == 1 and result.output.startswith("error: Cannot get the example input"), result.output


def test_a_direct_source_without_an_example_or_repo_says_so(served, hub, toy_model, tmp_path) -> None:
    bare = zoo.save(toy_model, tmp_path / "bare")
    repo = f"{served.repo}-bare"
    hub.add_repo(repo, bare)
    with pytest.raises(InputError, match="ships no example input"):
        zoo.example_input(f"hf-hub:{repo}@main")
    with pytest.raises(WeightsNotFoundError, match="not found"):
        zoo.example_input("hf-hub:zoo-rob/never-published@main")


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


def test_the_example_of_a_silent_hub_is_a_bounded_wait(silent_endpoint, monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", silent_endpoint)
    monkeypatch.setenv("ZOO_HUB_TIMEOUT", "1")
    start = time.monotonic()
    with pytest.raises(HubUnavailableError, match="did not answer within 1 s"):
        zoo.example_input("hf-hub:org/model@main")
    assert time.monotonic() - start < 8


def test_a_plain_folder_path_finds_its_example_and_a_missing_folder_says_so(toy_model, tmp_path, monkeypatch) -> None:
    folder = zoo.save(toy_model, tmp_path / "plain")
    np.save(folder / "example.npy", np.ones((1, 8)))
    monkeypatch.chdir(tmp_path)
    assert zoo.example_input("./plain") == Path("plain/example.npy")
    assert zoo.example_input(str(folder)) == folder / "example.npy"
    result = run_cli(["predict", "./plain", "--example", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["predictions"][0]["input"] == "plain/example.npy"
    with pytest.raises(WeightsNotFoundError, match="is not a folder"):
        zoo.example_input("./no-such-folder")

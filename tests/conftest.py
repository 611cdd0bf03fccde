"""Shared fixtures: a sandboxed HF cache per test, a fresh plugin host, and a local Hub on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from zoo.plugins import reset_host


@pytest.fixture(autouse=True)
def sandbox(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own HF cache and token path and a freshly loaded plugin host.

    Like huggingface_hub's own conftest: no test can read a real cache or token, or leak a
    registry/catalog change into the next test.
    """
    home = tmp_path_factory.mktemp("hf-home")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_TOKEN", "hf_zoo_tests_dummy_token")
    for var in ("HF_HUB_OFFLINE", "ZOO_OFFLINE", "HF_ENDPOINT", "ZOO_REGISTRY", "ZOO_LOAD_PLUGINS", "ZOO_DISABLE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    # huggingface_hub reads HF_HUB_OFFLINE once, at its import: plugin test conftests set it for
    # their own tests (timm, transformers), and if that happened before the import the client would
    # stay offline for the core's loopback-Hub tests too. zoo reads the variable per call; make the
    # client agree with this test's environment whatever the import order was.
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    reset_host()
    yield home
    reset_host()


@pytest.fixture(scope="session")
def in_tree_distributions() -> set[str]:
    """The distribution names of the in-tree plugins (``plugins/*/pyproject.toml``): they implement
    every API the core's catalog-wide tests check; only other (third-party, test) plugins may not."""
    import tomllib

    root = Path(__file__).resolve().parents[1] / "plugins"
    return {tomllib.loads(p.read_text(encoding="utf-8"))["project"]["name"] for p in root.glob("*/pyproject.toml")}


@pytest.fixture(scope="session")
def hub_server() -> Iterator["LocalHub"]:
    """One olah server for the whole session (it starts in about a second)."""
    from zoo.testing.hub_server import LocalHub

    with LocalHub() as hub:
        yield hub


@pytest.fixture
def hub(hub_server: "LocalHub", monkeypatch: pytest.MonkeyPatch) -> "LocalHub":
    """The local Hub, with HF_ENDPOINT pointing at it for this test."""
    monkeypatch.setenv("HF_ENDPOINT", hub_server.endpoint)
    return hub_server


@pytest.fixture
def toy_model():
    """A built toy fusion model with seeded weights."""
    import torch

    import zoo

    torch.manual_seed(0)
    return zoo.build("model/toy-fusion")


@pytest.fixture
def write_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A function that writes a registry.toml for one test and points ZOO_REGISTRY at it."""
    from zoo.catalog import reset_catalog_cache

    def write(text: str, name: str = "registry.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("ZOO_REGISTRY", str(path))
        reset_catalog_cache()
        return path

    return write

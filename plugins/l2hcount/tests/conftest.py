"""Shared fixtures of the L2HCount tests: offline Hub, one torch thread, a tiny model config."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach the Hub from tests (timm, huggingface_hub)

import pytest  # noqa: E402

#: A narrow L2HCount (same modules, fewer channels) so that the tests run in seconds on a CPU.
TINY = {
    "encoder.config.width": 0.125,
    "decoder.config.dim": 32,
    "decoder.config.fine_dim": 16,
    "memory.config.slots": 16,
    "enhance.config.hidden": 8,
}


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tiny_overrides() -> dict:
    """The overrides that make the tiny model (importable module names are not, under importlib mode)."""
    return dict(TINY)


@pytest.fixture
def tiny_model():
    import torch
    import zoo

    torch.manual_seed(0)
    return zoo.build("model/l2hcount", **TINY)

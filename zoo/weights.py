"""Weights on disk: safetensors only, digests checked, strict loading with declared migrations.

Three checks stand between a file and a model, in this order:

1. its digest (:func:`verify_file`): a catalog's sha256 pin, or the Hub's own digest of a cached
   file (see :mod:`zoo.cache`);
2. its format (:func:`check_safetensors`): the header is read and validated by hand before
   safetensors parses it, so a pickle renamed ``.safetensors``, a header claiming a huge size or
   tensors whose offsets run past the end are typed errors (:class:`UnsafeWeightsError`,
   :class:`CorruptWeightsError`) naming the file and the problem, never a raw ``SafetensorError``;
3. its fit (:func:`load_weights`): every key and shape must match the built architecture.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
from pathlib import Path
from typing import Any

from zoo.errors import ChecksumMismatchError, CorruptWeightsError, UnsafeCheckpointError, UnsafeWeightsError

#: Suffixes of pickle-based checkpoints, which can run arbitrary code when loaded.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
CARD_NAME = "README.md"

#: safetensors refuses headers above 100 MB; so do we, before reading them.
MAX_HEADER_BYTES = 100_000_000
_DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8, "C64": 8,
}


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks so large weights do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def git_sha1_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """The git blob id of a file (``sha1("blob <size>\\0" + bytes)``), the Hub's ETag of a non-LFS file."""
    digest = hashlib.sha1(f"blob {os.path.getsize(path)}\0".encode())
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


_HASHERS = {"sha256": sha256_file, "git-sha1": git_sha1_file}

#: Files verified in this process. The key changes whenever the file could have been rewritten: a
#: same-size rewrite that restores the mtime still moves the ctime (which user code cannot set).
_VERIFIED: dict[tuple[str, int, int, int, int, int, str], str] = {}


def _stat_key(path: Path, algorithm: str) -> tuple[str, int, int, int, int, int, str]:
    real = path.resolve()
    st = real.stat()
    return (str(real), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, algorithm)


def verify_file(
    path: Path, expected: str, *, algorithm: str = "sha256", cache: Path | None = None, use_memo: bool = True,
    hint: str | None = None,
) -> None:
    """Check a file's digest; on a mismatch, purge it from the HF cache when it lives there.

    Args:
        path: the file (a snapshot entry of the HF cache, or a local file).
        expected: the hex digest it must have.
        algorithm: ``sha256`` or ``git-sha1``.
        cache: the HF cache folder the file was fetched into; ``None`` for a local file, which is
            never deleted.
        use_memo: skip files verified in this process and unchanged since (inode, size, mtime,
            ctime); ``zoo verify`` passes False to hash every byte.
        hint: the last sentence of the error (where ``expected`` came from, what to do).

    Raises:
        ChecksumMismatchError: if the digest differs (its message says whether the file was
            removed, or why it was left in place).
    """
    key = _stat_key(path, algorithm)
    if use_memo and _VERIFIED.get(key) == expected:
        return
    actual = _HASHERS[algorithm](path)
    if actual == expected:
        _VERIFIED[key] = actual
        return
    if cache is None:
        raise ChecksumMismatchError(str(path), expected, actual, removed=False, algorithm=algorithm, hint=hint)
    from zoo.cache import purge_cached_file

    purge = purge_cached_file(path, cache)
    raise ChecksumMismatchError(
        str(path), expected, actual, removed=purge.removed, fate=purge.note, algorithm=algorithm, hint=hint
    )


def verify_sha256(path: Path, expected: str, remove_on_mismatch: bool, use_memo: bool = True) -> None:
    """Compatibility wrapper of :func:`verify_file` (sha256; the HF cache of this process).

    Raises:
        ChecksumMismatchError: if the digest differs.
    """
    from zoo.hub import hub_cache_dir

    verify_file(path, expected, cache=hub_cache_dir() if remove_on_mismatch else None, use_memo=use_memo)


def refuse_pickle(path: str | Path) -> None:
    """Reject pickle checkpoints (by name) before anything reads them.

    Raises:
        UnsafeCheckpointError: for ``.bin/.pt/.pth/.ckpt/.pkl`` files.
    """
    if str(path).endswith(PICKLE_SUFFIXES):
        raise UnsafeCheckpointError(
            f"{path} is a pickle checkpoint, which can execute arbitrary code when loaded; the zoo "
            "loads only .safetensors. Convert a file you trust with `zoo convert --i-trust-this-file` "
            "(it loads with torch.load(..., weights_only=True))."
        )


def check_safetensors(path: str | Path) -> dict[str, Any]:
    """Validate a safetensors file's header and layout without trusting it; return the header.

    Raises:
        UnsafeWeightsError: if the file is a pickle or a zip archive (``torch.save``) in disguise.
        CorruptWeightsError: if it is truncated, its header is too large or not JSON, or a tensor's
            offsets do not match its shape or run past the end of the file.
    """
    path = Path(path)
    if path.is_dir():
        raise CorruptWeightsError(str(path), "it is a directory, not a file")
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(8)
        _refuse_disguised_pickle(path, head)
        if len(head) < 8:
            raise CorruptWeightsError(str(path), f"truncated: {size} bytes, not even the 8-byte header length")
        (header_len,) = struct.unpack("<Q", head)
        if header_len > MAX_HEADER_BYTES:
            raise CorruptWeightsError(str(path), f"the header claims {header_len} bytes (safetensors allows at most {MAX_HEADER_BYTES})")
        if 8 + header_len > size:
            raise CorruptWeightsError(str(path), f"truncated: the header claims {header_len} bytes but only {size - 8} follow")
        raw = handle.read(header_len)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptWeightsError(str(path), f"the header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise CorruptWeightsError(str(path), "the header is not a JSON object")
    _check_layout(path, header, size - 8 - header_len)
    return header


def _refuse_disguised_pickle(path: Path, head: bytes) -> None:
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise UnsafeWeightsError(str(path), f"it is a pickle (protocol {head[1]})")
    if head[:4] == b"PK\x03\x04":
        raise UnsafeWeightsError(str(path), "it is a zip archive (the torch.save format, which holds a pickle)")


def _check_layout(path: Path, header: dict[str, Any], data_len: int) -> None:
    """Each tensor's offsets: inside the data, matching shape x dtype, contiguous, covering it all."""
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
            raise CorruptWeightsError(str(path), f"tensor {name!r} has no dtype/shape/data_offsets")
        offsets, shape = info["data_offsets"], info["shape"]
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) and o >= 0 for o in offsets)
                or offsets[0] > offsets[1]):
            raise CorruptWeightsError(str(path), f"tensor {name!r} has invalid data_offsets {offsets!r}")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise CorruptWeightsError(str(path), f"tensor {name!r} has invalid shape {shape!r}")
        if offsets[1] > data_len:
            raise CorruptWeightsError(
                str(path), f"tensor {name!r} ends at byte {offsets[1]}, past the end of the data ({data_len} bytes): "
                "truncated or corrupt")
        itemsize = _DTYPE_BYTES.get(str(info["dtype"]))
        if itemsize is not None and offsets[1] - offsets[0] != math.prod(shape) * itemsize:
            raise CorruptWeightsError(
                str(path), f"tensor {name!r} ({info['dtype']} {shape}) needs {math.prod(shape) * itemsize} bytes "
                f"but its offsets span {offsets[1] - offsets[0]}")
        spans.append((offsets[0], offsets[1], name))
    end = 0
    for begin, stop, name in sorted(spans):
        if begin != end:
            raise CorruptWeightsError(str(path), f"tensor {name!r} starts at byte {begin}, expected {end} (overlap or gap)")
        end = stop
    if end != data_len:
        raise CorruptWeightsError(str(path), f"the tensors cover {end} bytes of data but the file holds {data_len}")


def save_weights(model: Any, path: Path, state: Any = None) -> None:
    """Write a module's state dict (or ``state``, e.g. one gathered from a sharded model) as
    safetensors (shared tensors are cloned; contiguous; on the CPU).

    The file gets the usual mode under the umask (safetensors itself leaves 0600).
    """
    from safetensors.torch import save_file

    from zoo.fsutil import give_usual_mode

    source = model.state_dict() if state is None else state
    state = {k: v.detach().cpu().contiguous().clone() for k, v in source.items()}
    save_file(state, str(path), metadata={"format": "pt"})
    give_usual_mode(path)


def read_weights(path: Path) -> dict[str, Any]:
    """Read a safetensors file into a CPU state dict, after :func:`check_safetensors`.

    Raises:
        UnsafeCheckpointError: if ``path`` is named like a pickle file.
        UnsafeWeightsError, CorruptWeightsError: see :func:`check_safetensors`; any error of
            safetensors itself is re-raised as ``CorruptWeightsError``.
    """
    from safetensors.torch import load_file

    refuse_pickle(path)
    check_safetensors(path)
    try:
        return load_file(str(path))
    except Exception as exc:  # SafetensorError and friends: the header passed, the content did not
        raise CorruptWeightsError(str(path), f"safetensors could not read it ({type(exc).__name__}: {exc})") from None


def check_state_fits(model: Any, state: Any) -> None:
    """Check that ``state`` has exactly the model's keys (shapes are not compared: a sharded
    model's own parameters are its shards).

    Raises:
        zoo.errors.ConfigError: naming the missing and unexpected keys.
    """
    from zoo.errors import ConfigError

    own = model.state_dict()
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    if missing or unexpected:
        more = " (and more)" if max(len(missing), len(unexpected)) > 5 else ""
        raise ConfigError(
            f"The state dict to save does not fit the {type(model).__name__}: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}{more}. Pass the model's own full state dict (under FSDP: "
            "Trainer.model_state_dict(), called on every rank)."
        )


def load_weights(model: Any, path: Path, migrate: Any = None) -> None:
    """Load safetensors weights strictly into ``model``.

    Args:
        model: the built module.
        path: a ``.safetensors`` file.
        migrate: optional callable ``state_dict -> state_dict`` (a plugin's declared migration from
            an older plugin version).

    Raises:
        UnsafeCheckpointError: if ``path`` is a pickle file (``UnsafeWeightsError`` if disguised).
        CorruptWeightsError: if the file is not valid safetensors.
        zoo.errors.ConfigError: if keys or shapes do not match the built architecture.
    """
    from zoo.errors import ConfigError

    state = read_weights(path)
    if migrate is not None:
        state = migrate(state)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong_shape = sorted(k for k in set(own) & set(state) if tuple(own[k].shape) != tuple(state[k].shape))
    if missing or unexpected or wrong_shape:
        raise ConfigError(
            f"Weights in {path} do not fit the built model: missing {missing[:5]}, unexpected "
            f"{unexpected[:5]}, wrong shape {wrong_shape[:5]}"
            f"{' (and more)' if max(len(missing), len(unexpected), len(wrong_shape)) > 5 else ''}. "
            "The config used to build the model must be the one the weights were trained with."
        )
    model.load_state_dict(state, strict=True)

"""Weights on disk: safetensors only, sha256 checks, strict loading with declared migrations."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from zoo.errors import ChecksumMismatchError, UnsafeCheckpointError

#: Suffixes of pickle-based checkpoints, which can run arbitrary code when loaded.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
CARD_NAME = "README.md"


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks so large weights do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


#: Files verified in this process, keyed by what would change if the file were rewritten.
_VERIFIED: dict[tuple[str, int, int, int], str] = {}


def _stat_key(path: Path) -> tuple[str, int, int, int]:
    real = path.resolve()
    st = real.stat()
    return (str(real), st.st_size, st.st_mtime_ns, st.st_ino)


def verify_sha256(path: Path, expected: str, remove_on_mismatch: bool, use_memo: bool = True) -> None:
    """Check a file's sha256; on mismatch optionally delete it (and its cache blob).

    A file already verified in this process and unchanged since (same inode, size and mtime) is
    not hashed again, so a warm ``zoo.load`` costs what loading by hand costs; ``zoo verify``
    passes ``use_memo=False`` to hash every byte.

    Raises:
        ChecksumMismatchError: if the digest differs.
    """
    key = _stat_key(path)
    if use_memo and _VERIFIED.get(key) == expected:
        return
    actual = sha256_file(path)
    if actual == expected:
        _VERIFIED[key] = actual
        return
    removed = False
    if remove_on_mismatch:
        removed = remove_cached_file(path)
    raise ChecksumMismatchError(str(path), expected, actual, removed)


def remove_cached_file(path: Path) -> bool:
    """Delete a file from the HF cache: the snapshot link *and* the blob it points to.

    Deleting only the symlink would leave the blob, and the Hub client would link it again on the
    next download without fetching: the bad bytes would come back.
    """
    removed = False
    target = path.resolve() if path.is_symlink() else None
    for candidate in (path, target):
        if candidate is not None and (candidate.exists() or candidate.is_symlink()):
            candidate.unlink()
            removed = True
    return removed


def refuse_pickle(path: str | Path) -> None:
    """Reject pickle checkpoints before anything reads them.

    Raises:
        UnsafeCheckpointError: for ``.bin/.pt/.pth/.ckpt/.pkl`` files.
    """
    if str(path).endswith(PICKLE_SUFFIXES):
        raise UnsafeCheckpointError(
            f"{path} is a pickle checkpoint, which can execute arbitrary code when loaded; the zoo "
            "loads only .safetensors. Convert a file you trust with safetensors.torch.save_file "
            "(load it yourself with torch.load(..., weights_only=True))."
        )


def save_weights(model: Any, path: Path) -> None:
    """Write a module's state dict as safetensors (shared tensors are cloned; contiguous)."""
    from safetensors.torch import save_file

    state = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    save_file(state, str(path), metadata={"format": "pt"})


def load_weights(model: Any, path: Path, migrate: Any = None) -> None:
    """Load safetensors weights strictly into ``model``.

    Args:
        model: the built module.
        path: a ``.safetensors`` file.
        migrate: optional callable ``state_dict -> state_dict`` (a plugin's declared migration from
            an older plugin version).

    Raises:
        UnsafeCheckpointError: if ``path`` is a pickle file.
        zoo.errors.ConfigError: if keys or shapes do not match the built architecture.
    """
    from safetensors.torch import load_file

    from zoo.errors import ConfigError

    refuse_pickle(path)
    state = load_file(str(path))
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

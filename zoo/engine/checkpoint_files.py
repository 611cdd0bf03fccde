"""A checkpoint folder's manifest: every file's size and sha256, written last, checked before use.

``manifest.json`` = ``{"format_version": N, "files": {"<relative path>": {"size": bytes,
"sha256": hex}, ...}}``. A checkpoint is usable only if its manifest parses and every file it
lists is present with that size and hash; anything else (a truncated or rewritten file, a missing
one, a flipped byte) is named in the reason :func:`verify_files` returns.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file (read in chunks)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def write_manifest(folder: Path, format_version: int) -> dict[str, Any]:
    """Hash every file under ``folder`` into ``folder/manifest.json`` (then fsync everything).

    Returns:
        The manifest written.

    Raises:
        OSError: if a file cannot be read or the manifest cannot be written.
    """
    files = {
        p.relative_to(folder).as_posix(): {"size": p.stat().st_size, "sha256": sha256_file(p)}
        for p in _files_under(folder)
    }
    manifest = {"format_version": format_version, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    for path in [*_files_under(folder), folder / MANIFEST]:
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    return manifest


def read_manifest(folder: Path) -> tuple[dict[str, Any] | None, str | None]:
    """``(manifest, None)``, or ``(None, why it is unusable)``."""
    path = folder / MANIFEST
    if not path.is_file():
        return None, f"{MANIFEST} is missing (the checkpoint is incomplete or was written without checksums)"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{MANIFEST} cannot be read as JSON ({exc})"
    files = manifest.get("files") if isinstance(manifest, dict) else None
    valid = isinstance(files, dict) and all(
        isinstance(v, dict) and isinstance(v.get("size"), int) and isinstance(v.get("sha256"), str)
        for v in files.values()
    )
    if not valid or "format_version" not in manifest:
        return None, f"{MANIFEST} does not have the expected fields (format_version, files: name -> size, sha256)"
    return manifest, None


def verify_files(folder: Path, manifest: dict[str, Any]) -> str | None:
    """``None`` if every file the manifest lists is intact, else what is wrong with the first bad one."""
    for name, expected in sorted(manifest["files"].items()):
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        size = path.stat().st_size
        if size != expected["size"]:
            return f"{name} has {size} bytes where the manifest recorded {expected['size']} (truncated or rewritten)"
        digest = sha256_file(path)
        if digest != expected["sha256"]:
            return (
                f"{name} does not match its sha256 in the manifest ({digest[:12]}... instead of "
                f"{expected['sha256'][:12]}...): the file changed after it was written"
            )
    return None

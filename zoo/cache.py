"""The standard HF cache, as the zoo reads and (carefully) edits it.

Layout (huggingface_hub's, documented in its "Manage the cache" guide)::

    <cache>/models--<org>--<name>/
        blobs/<etag>                      the bytes; named after the Hub's ETag of the file
        snapshots/<commit>/<filename>     a relative symlink to ../../blobs/<etag>
        refs/<branch>                     the commit a branch pointed to when last fetched

The Hub's ETag of an LFS file (every weights file) is its sha256; of a regular git file, its git
blob id (sha1 of ``"blob <size>\\0" + bytes``). The blob's name is therefore the Hub's own digest,
recorded by the Hub client when the file was first fetched: :func:`hub_digest` reads it back, so a
cached copy of a direct ``hf-hub:`` source can be checked on every load, offline, without any
state of the zoo's own.

Only cache-owned entries are ever removed (:func:`purge_cached_file`): the snapshot entry and the
blob inside the same repository folder. A snapshot entry that links anywhere else (a user's own
file) is refused and left untouched.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")


def repo_folder(cache: Path, repo_id: str) -> Path:
    """``<cache>/models--<org>--<name>``, the folder of one model repository."""
    return cache / ("models--" + repo_id.replace("/", "--"))


def cached_file(cache: Path, repo_id: str, revision: str, filename: str) -> Path | None:
    """The cached copy of ``filename`` at ``revision`` (a commit, or a branch via ``refs/``), or None.

    Reads the disk only: unlike ``hf_hub_download(local_files_only=True)``, which builds request
    headers (and so may contact the Hub for its agent detection), this makes no network call.
    """
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, filename, cache_dir=str(cache), revision=revision)
    return Path(found) if isinstance(found, str) and os.path.exists(found) else None


def cached_filenames(cache: Path, repo_id: str, revision: str) -> list[str] | None:
    """The files of the cached snapshot of ``revision`` (a commit, or a branch via ``refs/``), or None.

    Reads the disk only. The list holds what was fetched so far, which may be a subset of the
    repository: callers that need the full list ask the Hub (:func:`zoo.hub.list_files`).
    """
    folder = repo_folder(cache, repo_id)
    commit = revision
    ref = folder / "refs" / revision
    if not _SHA1.match(revision):
        if not os.path.abspath(ref).startswith(os.path.abspath(folder / "refs") + os.sep) or not ref.is_file():
            return None
        commit = ref.read_text(encoding="utf-8").strip()
    snapshot = folder / "snapshots" / commit
    if not _SHA1.match(commit) or not snapshot.is_dir():
        return None
    return sorted(p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file())


def write_ref(cache: Path, repo_id: str, revision: str, commit: str) -> None:
    """Record that branch/tag ``revision`` pointed at ``commit`` (so offline ``@main`` finds it)."""
    if revision == commit:
        return
    refs = repo_folder(cache, repo_id) / "refs"
    ref = refs / revision
    if not os.path.abspath(ref).startswith(os.path.abspath(refs) + os.sep):
        return  # never write outside refs/ (revisions are validated before; this is the last guard)
    ref.parent.mkdir(parents=True, exist_ok=True)
    if not ref.is_file() or ref.read_text().strip() != commit:
        # Written aside and renamed: a download killed here leaves the old ref or the new, never half.
        partial = ref.with_name(f".{ref.name}.tmp-{os.getpid()}")
        partial.write_text(commit)
        os.replace(partial, ref)


@dataclass(frozen=True)
class Digest:
    """A digest the Hub published for a file: ``algorithm`` is ``sha256`` or ``git-sha1``."""

    algorithm: str
    value: str


def digest_of_etag(etag: str | None) -> Digest | None:
    """The digest an ETag stands for (64 hex: LFS sha256; 40 hex: git blob id), else None."""
    etag = (etag or "").strip('"').lower()
    if _SHA256.match(etag):
        return Digest("sha256", etag)
    if _SHA1.match(etag):
        return Digest("git-sha1", etag)
    return None


def hub_digest(path: Path, cache: Path) -> Digest | None:
    """The Hub's digest of a cached snapshot file, read from the name of the blob it links to.

    None when the entry is not a symlink into its repository's ``blobs/`` (a cache written without
    symlinks, or a link somewhere else): then there is no recorded digest to check against.
    """
    if not path.is_symlink():
        return None
    blob = path.resolve()
    owner = _owning_repo(path, cache)
    if owner is None or blob.parent != (owner / "blobs").resolve():
        return None
    return digest_of_etag(blob.name)


def _owning_repo(path: Path, cache: Path) -> Path | None:
    """The ``models--*`` folder whose ``snapshots/`` holds ``path`` (lexically), or None."""
    entry = Path(os.path.abspath(path))
    root = Path(os.path.abspath(cache))
    try:
        parts = entry.relative_to(root).parts
    except ValueError:
        return None
    if len(parts) < 4 or parts[1] != "snapshots" or not parts[0].startswith(("models--", "datasets--", "spaces--")):
        return None
    return root / parts[0]


@dataclass(frozen=True)
class Purge:
    """What :func:`purge_cached_file` did, and the sentence for the error message."""

    removed: bool
    note: str


def purge_cached_file(path: Path, cache: Path) -> Purge:
    """Remove a bad file from the HF cache: its snapshot entry and, for a link, its blob.

    Deleting only the link would leave the blob, and the Hub client would link it again on the next
    download without fetching: the bad bytes would come back. Nothing outside the repository's own
    folder is ever deleted: an entry outside the cache, or a link whose target is not one of the
    repository's blobs (e.g. a user's own file), is left untouched and the note says so.
    """
    owner = _owning_repo(path, cache)
    if owner is None:
        return Purge(False, f"The file was left in place: it is not inside the HF cache {cache}.")
    if path.is_symlink():
        target = path.resolve()
        if target.parent != (owner / "blobs").resolve():
            return Purge(
                False,
                f"Nothing was deleted: the cache entry links to {target}, outside the repository's blobs "
                f"in {cache}, and the zoo never deletes files it does not own. Remove the link {path} "
                "yourself (or fix its target), then fetch again.",
            )
        path.unlink()
        if target.exists():
            target.unlink()
    elif path.is_file():
        path.unlink()  # a cache written without symlinks holds the bytes in the snapshot itself
    return Purge(True, "The file was removed from the cache so that no later load trusts it; the next load "
                       "or `zoo download` fetches it again.")

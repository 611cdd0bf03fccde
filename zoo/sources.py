"""Parsing of weight sources: ``hf-hub:org/repo@<revision>`` and ``local-dir:<path>``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from zoo.errors import SourceError

_COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
_REPO_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
#: A git revision the Hub accepts: a commit, a branch or tag (``v1.0``), or ``refs/pr/<n>``; no ``..``,
#: no leading or doubled ``/`` (a revision names a file under the cache's ``refs/``).
_REVISION_RE = re.compile(r"^(?!.*\.\.)(?!.*//)[A-Za-z0-9][\w.-]*(/[\w.-]+)*$")


@dataclass(frozen=True)
class HubSource:
    """A Hub repository at a revision (a 40-hex commit, or a branch/tag when asked for)."""

    repo_id: str
    revision: str

    @property
    def pinned(self) -> bool:
        return bool(_COMMIT_RE.match(self.revision))

    def __str__(self) -> str:
        return f"hf-hub:{self.repo_id}@{self.revision}"


@dataclass(frozen=True)
class LocalSource:
    """A folder on disk holding ``config.json`` and ``model.safetensors``."""

    path: Path

    def __str__(self) -> str:
        return f"local-dir:{self.path}"


Source = HubSource | LocalSource


def is_source(text: str) -> bool:
    """True if ``text`` starts with a known source prefix."""
    return text.startswith(("hf-hub:", "local-dir:"))


def check_revision(revision: str, where: str = "") -> str:
    """Return ``revision`` if it is a revision name the Hub could have.

    Raises:
        SourceError: for anything else (spaces, ``..``, a leading ``/``...).
    """
    if not _REVISION_RE.match(revision) or revision.endswith(".lock"):
        raise SourceError(
            f"Bad revision {revision!r}{' in ' + repr(where) if where else ''}; expected a 40-hex commit, a branch "
            "or tag name, or refs/pr/<n>."
        )
    return revision


def parse_source(text: str, base_dir: Path | None = None) -> Source:
    """Parse a source string.

    ``hf-hub:org/repo`` without ``@rev`` means ``@main`` (a moving branch: only for direct use;
    catalog entries must pin a commit). A relative ``local-dir:`` path is taken relative to
    ``base_dir`` (the folder of the file that declared it).

    Raises:
        SourceError: (an ``InputError``, a ``ValueError``) if the prefix, repository id or
            revision is malformed.
    """
    if text.startswith("hf-hub:"):
        body = text[len("hf-hub:"):]
        repo_id, _, revision = body.partition("@")
        if not _REPO_RE.match(repo_id):
            raise SourceError(f"Bad Hub repository {repo_id!r} in {text!r}; expected 'hf-hub:org/name@<commit>'.")
        if "@" in body and not revision:
            raise SourceError(f"{text!r} ends with '@' but names no revision; give a commit, branch or tag, or drop the '@'.")
        check_revision(revision or "main", text)
        return HubSource(repo_id, revision or "main")
    if text.startswith("local-dir:"):
        raw = text[len("local-dir:"):]
        if not raw.strip():
            raise SourceError(f"{text!r} names no folder; expected 'local-dir:<path>' (use 'local-dir:.' for this one).")
        path = local_path(raw, text)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return LocalSource(path)
    raise SourceError(f"Unknown source {text!r}; expected 'hf-hub:org/repo@<40-hex commit>' or 'local-dir:<path>'.")


def local_path(raw: str, where: str = "") -> Path:
    """A folder path as given, ``~`` expanded.

    Raises:
        SourceError: if ``~user`` names no user (or there is no home folder), or the path holds a NUL.
    """
    if "\x00" in raw:
        raise SourceError(f"Bad folder path {raw!r}{' in ' + repr(where) if where else ''}: it holds a NUL byte.")
    try:
        return Path(raw).expanduser()
    except RuntimeError as exc:  # "Could not determine home directory" for ~nouser
        raise SourceError(f"Bad folder path {raw!r}{' in ' + repr(where) if where else ''}: {exc}") from None


def check_filename(filename: str, where: str = "") -> str:
    """Return ``filename`` if it is a file path inside a repository or folder.

    A relative POSIX path without ``..``, empty or ``.`` parts, backslashes or NUL: a catalog
    entry's ``files`` can never make a fetch read or write outside the repository's cache folder
    (or the local folder).

    Raises:
        SourceError: naming the file and the rule.
    """
    parts = filename.split("/")
    if (not filename or filename.startswith("/") or "\\" in filename or "\x00" in filename
            or any(part in ("", ".", "..") for part in parts)):
        raise SourceError(
            f"Bad file name {filename!r}{' in ' + where if where else ''}: expected a relative path inside the "
            "repository or folder (no '..', no leading '/', no backslash), e.g. 'model.safetensors' or "
            "'example/onset.png'."
        )
    return filename

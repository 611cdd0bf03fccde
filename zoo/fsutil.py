"""Writers that never leave a half-written folder: build in a temporary sibling, rename at the end.

Every command that writes a folder (``make-synth``, ``train-synth``, ``zoo convert``, builders)
goes through :func:`atomic_output_dir`. A run that fails or is killed leaves either the previous
state or nothing: the temporary folder is a hidden sibling (same file system, so the final rename
is atomic) and is removed on any error, including ``KeyboardInterrupt``.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zoo.errors import InputError


def check_output_dir(out: str | Path, *, overwrite: bool = False) -> Path:
    """Check, before any work, that ``out`` may be written.

    Returns:
        ``out`` as a path.

    Raises:
        InputError: if ``out`` is a file (or a link), or a non-empty folder without ``overwrite``.
    """
    path = Path(out)
    if path.is_symlink():
        raise InputError(f"{path} is a symbolic link; give a real folder path as the output (nothing was written).")
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} is an existing file, not a folder; choose another output path (nothing was written).")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise InputError(
            f"{path} already exists and is not empty; choose another output path or pass "
            "overwrite (--overwrite) to replace it (nothing was written)."
        )
    return path


def current_umask() -> int:
    """The process's umask (read from /proc where it can be, so that it is never changed, even briefly)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: the only portable way to read it is to set it
    os.umask(mask)
    return mask


def give_usual_mode(path: str | Path) -> None:
    """Give a file a writer created privately (safetensors writes a 0600 temporary file and renames
    it) the mode any new file gets: ``0666 & ~umask``."""
    os.chmod(path, 0o666 & ~current_umask())


#: The temporary sibling :func:`atomic_output_dir` builds in: ``.<name>.tmp-<pid>-<8 hex>``.
_WORK_NAME = re.compile(r"^\.(?P<name>.+)\.tmp-\d+-[0-9a-f]{8}$")


def final_name(path: str | Path) -> str:
    """The name ``path`` will have: the output's name for an :func:`atomic_output_dir` work folder.

    Writers that record their own folder's name (a model card's "Use" snippet) call it, so that
    the temporary name never ends up in what they write.
    """
    name = Path(path).name
    match = _WORK_NAME.match(name)
    return match["name"] if match else name


@contextmanager
def atomic_output_dir(out: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``out`` when the block succeeds.

    Args:
        out: the folder to produce.
        overwrite: replace an existing non-empty ``out`` (its old content is removed only after
            the new content is complete).

    Yields:
        An empty temporary folder next to ``out``; write everything into it.

    Raises:
        InputError: before the block runs, if ``out`` is a file or a link, or a non-empty folder
            and ``overwrite`` is false.

    Example:
        >>> with atomic_output_dir(tmp / "synth") as work:          # doctest: +SKIP
        ...     (work / "data.txt").write_text("...")
    """
    path = check_output_dir(out, overwrite=overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    work = path.parent / f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"  # see _WORK_NAME
    work.mkdir()
    try:
        yield work
        _replace(work, path)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _replace(work: Path, path: Path) -> None:
    """Move ``work`` to ``path``; an existing ``path`` is set aside first and removed last."""
    if not path.exists():
        work.rename(path)
        return
    old = path.parent / f".{path.name}.old-{uuid.uuid4().hex[:8]}"
    path.rename(old)
    try:
        work.rename(path)
    except BaseException:
        old.rename(path)  # put the previous content back: the caller still has it
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def staged_output(out: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling folder whose files move into ``out`` when the block succeeds.

    For outputs added to a folder that may already hold other files (``zoo predict --out``): a
    run that fails halfway (a picture that cannot be drawn, outputs that are NaN) adds nothing to
    ``out``; on success every file is moved in (``out`` is created; a file of the same name is
    replaced), keeping its path relative to the staging folder.

    Raises:
        InputError: before the block runs, if ``out`` is a file or a link.
    """
    path = Path(out)
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise InputError(f"{path} is an existing file or link, not a folder; choose another output folder.")
    path.parent.mkdir(parents=True, exist_ok=True)
    work = path.parent / f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"  # see _WORK_NAME
    work.mkdir()
    try:
        yield work
        path.mkdir(exist_ok=True)
        for file in sorted(f for f in work.rglob("*") if f.is_file() or f.is_symlink()):
            target = path / file.relative_to(work)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(file, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)

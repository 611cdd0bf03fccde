"""Whole-or-absent single files: write a temporary sibling, rename it over the output at the end.

The folder writers use :func:`zoo.sdk.atomic_output_dir`; this is its one-file counterpart for
``zoo unimer build``'s JSONL and ``--show`` PNGs and the Uni-MER files of ``train-synth --llm
smollm2``. A run that fails, is interrupted (Ctrl-C) or is stopped with SIGTERM removes its
temporary file and leaves an existing output untouched; only SIGKILL can leave the hidden
``.<name>.tmp-<pid>-<hex>`` sibling behind, never a partial file under the output's name.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import zoo.sdk as sdk


def check_output_file(out: str | Path, *, overwrite: bool = False) -> Path:
    """Check, before any work, that the file ``out`` may be written.

    Returns:
        ``out`` as a path.

    Raises:
        InputError: if ``out`` is a link or a folder, or an existing file without ``overwrite``.
    """
    path = Path(out)
    if path.is_symlink():
        raise sdk.InputError(f"{path} is a symbolic link; give a real file path as the output (nothing was written).")
    if path.is_dir():
        raise sdk.InputError(f"{path} is a folder, not a file; choose another output path (nothing was written).")
    if path.exists() and not overwrite:
        raise sdk.InputError(f"{path} already exists; choose another output path or pass --overwrite to replace "
                             "it (nothing was written).")
    return path


def _raise_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Make SIGTERM raise ``SystemExit`` in the block (main thread only), so cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def atomic_output_file(out: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``out`` that replaces ``out`` when the block succeeds.

    Args:
        out: the file to produce (its folder is created).
        overwrite: replace an existing ``out`` (only once the new file is complete).

    Yields:
        A path that does not exist yet, on the same file system as ``out``; write the file there.

    Raises:
        InputError: before the block runs, if ``out`` is a link, a folder, or an existing file
            and ``overwrite`` is false.

    Example:
        >>> with atomic_output_file(tmp / "u.jsonl") as work:       # doctest: +SKIP
        ...     work.write_text("{}\\n")
    """
    path = check_output_file(out, overwrite=overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    work = path.parent / f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        with _sigterm_raises():
            yield work
            os.replace(work, path)
    except BaseException:
        work.unlink(missing_ok=True)
        raise

"""Shared helpers for the pictures models draw in ``render`` (and ``zoo plot``): matplotlib, Agg backend.

``render`` runs on machines without a display and may run in a server thread (``zoo serve``), so
figures are drawn with the Agg backend and closed once written. Through the SDK::

    from zoo.sdk import agg_pyplot, save_picture

    plt = agg_pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.5))
    ...
    return [save_picture(fig, out_dir / f"{stem}.png")]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def agg_pyplot() -> Any:
    """``matplotlib.pyplot`` with the Agg backend (no display needed).

    Raises:
        MissingDependencyError: if matplotlib is not installed (names the extra and the make target).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")  # must precede the pyplot import; a no-op if already Agg
        import matplotlib.pyplot as plt
    except ImportError:
        from zoo.errors import MissingDependencyError

        raise MissingDependencyError(
            "Drawing pictures needs matplotlib: pip install 'perception-zoo[torch]' (`make setup` installs it)."
        ) from None
    return plt


def save_picture(fig: Any, path: str | Path, *, dpi: int = 100) -> Path:
    """Write ``fig`` to ``path`` (PNG unless the suffix says otherwise), close it, return the path.

    The figure is closed even if writing fails, so a server drawing many pictures does not keep
    them in memory.

    Raises:
        OSError: if the file cannot be written.
    """
    plt = agg_pyplot()
    target = Path(path)
    try:
        fig.savefig(target, dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)
    return target

"""A rich progress bar for training and evaluation (rank 0 only; silent when disabled)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class ProgressDisplay:
    """One bar per epoch (or evaluation) with the latest loss and metrics beside it."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> "ProgressDisplay":
        if self.enabled:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[info]}"),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start(self, description: str, total: int, completed: int = 0) -> None:
        """Begin a new bar (an epoch or an evaluation pass)."""
        if self._progress is not None:
            self._task = self._progress.add_task(description, total=total, completed=completed, info="")

    def advance(self, values: dict[str, float] | None = None) -> None:
        """Move one step; show ``values`` (losses, metrics) if given."""
        if self._progress is None or self._task is None:
            return
        info = "  ".join(f"{k}={v:.4g}" for k, v in values.items()) if values else None
        if info is None:
            self._progress.advance(self._task)
        else:
            self._progress.update(self._task, advance=1, info=info)

    def note(self, values: dict[str, float]) -> None:
        """Show values (e.g. evaluation metrics) on the current bar without advancing."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, info="  ".join(f"{k}={v:.4g}" for k, v in values.items()))

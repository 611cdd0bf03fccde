"""Where a run's records go: the JSONL log (always the engine's own) and accelerate's trackers.

``train.trackers = ["jsonl", "tensorboard"]``: ``jsonl`` is :class:`~zoo.engine.run_log.RunLog`
(``<out_dir>/metrics.jsonl``, what ``zoo plot`` and the cards read); every other name is one of
accelerate's trackers, started through the run's ``Accelerator`` (``init_trackers``/``log``), with
its files under ``<out_dir>/tracking/<run name>/`` (TensorBoard event files there). A tracker whose
package is missing is a :class:`~zoo.errors.MissingDependencyError` before training starts.

Scalar names: step records log ``train/<loss>`` and ``train/lr``, epoch records
``epoch/train_<loss>``, evaluations ``eval/<metric>``; the x axis is the optimizer step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo.engine.run_log import RunLog
from zoo.errors import MissingDependencyError

#: accelerate's trackers write under ``<out_dir>/tracking/<run name>/``.
TRACKING_DIR = "tracking"

#: The pip package each accelerate tracker needs.
PACKAGES = {
    "tensorboard": "tensorboard", "wandb": "wandb", "mlflow": "mlflow", "comet_ml": "comet-ml", "aim": "aim",
    "clearml": "clearml", "dvclive": "dvclive", "swanlab": "swanlab", "trackio": "trackio",
}
_TAG_PREFIX = {"step": "train", "epoch": "epoch", "eval": "eval"}


def available_trackers() -> set[str]:
    """accelerate's tracker names whose packages are installed."""
    from accelerate.tracking import get_available_trackers

    return {str(t) for t in get_available_trackers()}


def accelerate_tracker_names(names: list[str]) -> list[str]:
    """The names (other than ``jsonl``) to hand to accelerate, each checked to be installed.

    Raises:
        MissingDependencyError: naming the package to install for the first missing tracker.
    """
    wanted = [n for n in names if n != "jsonl"]
    if not wanted:
        return []
    installed = available_trackers()
    for name in wanted:
        if name not in installed:
            package = PACKAGES.get(name, name)
            extra = " (or the `tracking` extra: `pip install -e '.[tracking]'`)" if name == "tensorboard" else ""
            raise MissingDependencyError(
                f"train.trackers names {name!r}, which needs the {package} package; install it with "
                f"`.venv/bin/python -m pip install {package}`{extra}, or remove {name!r} from train.trackers."
            )
    return wanted


def _hparams(config: dict[str, Any]) -> dict[str, Any]:
    # Trackers take flat scalars only (TensorBoard's hparams refuse lists and None).
    return {k: v if isinstance(v, (int, float, str, bool)) else str(v) for k, v in config.items()}


class Trackers:
    """Fans every record out to the JSONL log and the accelerate trackers (rank 0 only).

    Args:
        names: ``train.trackers``.
        out_dir: the run folder.
        enabled: ``False`` on ranks other than 0 (nothing is written).
    """

    def __init__(self, names: list[str], out_dir: str | Path, enabled: bool = True) -> None:
        self.jsonl = RunLog(out_dir, enabled=enabled and "jsonl" in names)
        self.enabled = enabled
        self._accelerator: Any = None

    @property
    def path(self) -> Path:
        """The JSONL log's path."""
        return self.jsonl.path

    def start(self, accelerator: Any, run_name: str, config: dict[str, Any]) -> None:
        """Start the accelerator's trackers (those it was built with ``log_with``) for this run."""
        if not accelerator.log_with:
            return
        accelerator.init_trackers(run_name, config=_hparams(config))
        self._accelerator = accelerator

    def write(self, kind: str, step: int, epoch: int, values: dict[str, Any]) -> None:
        """One record: a JSONL line, and the numeric values as scalars at ``step``."""
        self.jsonl.write(kind, step, epoch, values)
        if self._accelerator is None or not self.enabled:
            return
        prefix = _TAG_PREFIX.get(kind, kind)
        scalars = {
            f"{prefix}/{k}": float(v) for k, v in values.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        if scalars:
            self._accelerator.log(scalars, step=step)

    def finish(self) -> None:
        """Flush and close the trackers (the process group is left alone, unlike ``end_training``)."""
        if self._accelerator is not None:
            for tracker in self._accelerator.trackers:
                tracker.finish()
            self._accelerator.trackers = []
            self._accelerator = None

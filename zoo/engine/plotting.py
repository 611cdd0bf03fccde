"""``zoo plot RUN_DIR``: training curves from ``metrics.jsonl`` to PNG files (matplotlib, Agg).

One panel per quantity, so numbers of different scales never share an axis (MAE and MSE get a
panel each). Losses are drawn on a log axis (when positive); the per-step values are a thin line
and the epoch means markers on the same panel, labelled as such. With epoch records the x axis is
the epoch (integer ticks; steps are placed at their fraction of an epoch), else the optimizer step.

Files: ``loss.png`` (one panel per loss), ``lr.png``, ``eval.png`` (one panel per metric); a
figure is skipped when the log has nothing for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo.engine.run_log import LOG_NAME, read_log
from zoo.errors import InputError
from zoo.pictures import agg_pyplot

_SKIP = {"kind", "step", "epoch", "time"}
_EPOCH_PREFIX = "train_"


@dataclass
class Panel:
    """One quantity: its series (label → (x, y)), and whether its y axis is logarithmic."""

    title: str
    series: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    log_y: bool = False


def _scalars(record: dict[str, Any]) -> dict[str, float]:
    return {
        k: float(v) for k, v in record.items()
        if k not in _SKIP and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    }


def epoch_axis(records: list[dict[str, Any]]) -> Any:
    """A function step → epoch (fractional), from the steps at which epochs ended; None without any.

    Steps past the last finished epoch continue at the last epoch's pace.
    """
    ends = sorted({(r["epoch"], r["step"]) for r in records if r["kind"] == "epoch"})
    if not ends:
        return None
    epochs, steps = [0.0, *(float(e) for e, _ in ends)], [0.0, *(float(s) for _, s in ends)]
    pace = (steps[-1] - steps[-2]) / (epochs[-1] - epochs[-2]) or 1.0

    def to_epoch(step: float) -> float:
        if step >= steps[-1]:
            return epochs[-1] + (step - steps[-1]) / pace
        for i in range(1, len(steps)):
            if step <= steps[i]:
                span = steps[i] - steps[i - 1] or 1.0
                return epochs[i - 1] + (step - steps[i - 1]) / span * (epochs[i] - epochs[i - 1])
        return epochs[-1]  # pragma: no cover - the loop always returns

    return to_epoch


def panels(records: list[dict[str, Any]]) -> tuple[dict[str, list[Panel]], str]:
    """The panels of each figure file, and the x axis label (``epoch`` or ``optimizer step``)."""
    to_epoch = epoch_axis(records)
    x_of = (lambda r: to_epoch(r["step"])) if to_epoch else (lambda r: float(r["step"]))
    losses: dict[str, Panel] = {}
    lr: dict[str, Panel] = {}
    metrics: dict[str, Panel] = {}
    for record in records:
        x = x_of(record)
        for key, value in _scalars(record).items():
            if record["kind"] == "step":
                target, label = (lr, "per step") if key == "lr" else (losses, "per step")
            elif record["kind"] == "epoch":
                key = key.removeprefix(_EPOCH_PREFIX)
                target, label = losses, "epoch mean"
            elif record["kind"] == "eval":
                target, label = metrics, "evaluation"
            else:
                continue
            panel = target.setdefault(key, Panel(key))
            xs, ys = panel.series.setdefault(label, ([], []))
            xs.append(x)
            ys.append(value)
    for panel in losses.values():
        panel.log_y = all(y > 0 for _, ys in panel.series.values() for y in ys)
    for panel in lr.values():
        values = [y for _, ys in panel.series.values() for y in ys]
        panel.log_y = all(y > 0 for y in values) and max(values) > 10 * min(values)
    figures = {"loss.png": list(losses.values()), "lr.png": list(lr.values()), "eval.png": list(metrics.values())}
    return {k: v for k, v in figures.items() if v}, "epoch" if to_epoch else "optimizer step"


_STYLE = {
    "per step": {"linewidth": 1.0, "alpha": 0.6},
    "epoch mean": {"linestyle": "none", "marker": "o", "markersize": 5},
    "evaluation": {"marker": "s", "markersize": 4, "linewidth": 1.5},
}


def draw(figure_panels: list[Panel], x_label: str, title: str) -> Any:
    """A matplotlib figure with one axes per panel (at most three per row).

    Raises:
        MissingDependencyError: if matplotlib is not installed.
    """
    plt = agg_pyplot()
    from matplotlib.ticker import MaxNLocator
    cols = min(3, len(figure_panels))
    rows = math.ceil(len(figure_panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, panel in zip(axes.flat, figure_panels):
        for label, (xs, ys) in panel.series.items():
            style = dict(_STYLE[label])
            if label == "per step" and len(xs) < 30:
                style.update(marker=".", markersize=4)
            ax.plot(xs, ys, label=label, **style)
        if panel.log_y:
            ax.set_yscale("log")
        if x_label == "epoch":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(panel.title)
        ax.set_xlabel(x_label)
        ax.grid(alpha=0.3, which="both" if panel.log_y else "major")
        if len(panel.series) > 1:
            ax.legend(fontsize="small")
    for ax in list(axes.flat)[len(figure_panels):]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def run_figures(run_dir: str | Path) -> dict[str, Any]:
    """``{file name: matplotlib figure}`` for a run (the caller saves and closes them).

    Raises:
        InputError: if the run folder has no ``metrics.jsonl``, a line of it is not a record, or it
            has no records yet.
    """
    try:
        records = read_log(run_dir)
    except (OSError, ValueError) as exc:
        raise InputError(f"Cannot plot {run_dir}: {exc}") from None
    if not records:
        raise InputError(f"{Path(run_dir) / LOG_NAME} has no records to plot yet (is the run still starting?).")
    figure_panels, x_label = panels(records)
    if not figure_panels:
        raise InputError(f"{Path(run_dir) / LOG_NAME} has no finite values to plot (every loss, rate and metric is "
                         "missing or NaN).")
    name = Path(run_dir).resolve().name
    titles = {"loss.png": "losses", "lr.png": "learning rate", "eval.png": "evaluation"}
    return {f: draw(p, x_label, f"{name}: {titles[f]}") for f, p in figure_panels.items()}


def plot_run(run_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Draw ``loss.png``, ``lr.png`` and ``eval.png`` of a run (one panel per quantity).

    Args:
        run_dir: a run folder holding ``metrics.jsonl``.
        out_dir: where to write the PNGs (default: ``run_dir``).

    Returns:
        The files written (a figure is skipped when the log has nothing for it).

    Raises:
        InputError: if the run folder has no usable ``metrics.jsonl`` (see :func:`run_figures`), or
            ``out_dir`` is a file.
        MissingDependencyError: if matplotlib is not installed.
    """
    out = Path(out_dir or run_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is an existing file, not a folder; choose another --out (nothing was written).")
    figures = run_figures(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, fig in figures.items():
        fig.savefig(out / filename, dpi=100)  # not save_picture: a tight bbox would vary the size
        agg_pyplot().close(fig)
        written.append(out / filename)
    return written

"""``zoo plot RUN_DIR``: training curves from ``metrics.jsonl`` to PNG files (matplotlib, Agg)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from zoo.engine.run_log import read_log

_SKIP = {"kind", "step", "epoch", "time"}


def _series(records: list[dict[str, Any]], kind: str) -> dict[str, tuple[list[int], list[float]]]:
    series: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    for record in records:
        if record["kind"] != kind:
            continue
        for key, value in record.items():
            if key not in _SKIP and isinstance(value, (int, float)):
                series[key][0].append(record["step"])
                series[key][1].append(float(value))
    return dict(series)


def plot_run(run_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Draw ``loss.png`` (step and epoch losses), ``lr.png`` and ``eval.png`` (metrics vs step).

    Args:
        run_dir: a run folder holding ``metrics.jsonl``.
        out_dir: where to write the PNGs (default: ``run_dir``).

    Returns:
        The files written (a figure is skipped when the log has nothing for it).

    Raises:
        FileNotFoundError: if the run folder has no ``metrics.jsonl``.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display needed; must precede pyplot
    import matplotlib.pyplot as plt

    records = read_log(run_dir)
    out = Path(out_dir or run_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps, epochs, evals = _series(records, "step"), _series(records, "epoch"), _series(records, "eval")
    lr = {k: steps.pop(k) for k in list(steps) if k == "lr"}
    figures = {
        "loss.png": ({**steps, **epochs}, "loss"),
        "lr.png": (lr, "learning rate"),
        "eval.png": (evals, "metric"),
    }
    written = []
    for filename, (series, ylabel) in figures.items():
        if not series:
            continue
        fig, ax = plt.subplots(figsize=(7, 4))
        for name, (xs, ys) in sorted(series.items()):
            ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, markersize=3, label=name)
        ax.set_xlabel("optimizer step")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{Path(run_dir).name}: {ylabel}")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / filename, dpi=100)
        plt.close(fig)
        written.append(out / filename)
    return written

"""``zoo plot RUN``: one panel per quantity, log-scale losses, integer epochs, step vs epoch series."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from zoo.engine.plotting import epoch_axis, plot_run, run_figures
from zoo.errors import InputError

STEPS_PER_EPOCH = 20


def _write_run(folder: Path, epochs: int = 5, with_epochs: bool = True, negative_loss: bool = False) -> Path:
    """A metrics.jsonl like the trainer writes: step records every 2 steps, epoch means, evaluations."""
    records, step = [], 0
    for epoch in range(epochs):
        for _ in range(STEPS_PER_EPOCH):
            step += 1
            loss = 2 * math.exp(-step / 30) + 0.02
            if step % 2 == 0:
                records.append({"kind": "step", "step": step, "epoch": epoch, "time": 0.0, "loss": loss,
                                "ce": loss * 0.9, "aux": -loss if negative_loss else loss * 0.1, "lr": 1e-3 * 0.5 ** epoch})
        if with_epochs:
            records.append({"kind": "epoch", "step": step, "epoch": epoch + 1, "time": 0.0, "train_loss": loss})
        records.append({"kind": "eval", "step": step, "epoch": epoch + 1, "time": 0.0, "mae": 40 / (epoch + 1),
                        "mse": 2000 / (epoch + 1) ** 1.5, "per_class": [1, 2], "ok": True})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import sys

    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


def _visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def test_one_panel_per_quantity_with_mae_and_mse_apart(tmp_path) -> None:
    figures = run_figures(_write_run(tmp_path / "run"))
    assert set(figures) == {"loss.png", "lr.png", "eval.png"}
    assert [ax.get_title() for ax in _visible_axes(figures["loss.png"])] == ["loss", "ce", "aux"]
    assert [ax.get_title() for ax in _visible_axes(figures["eval.png"])] == ["mae", "mse"]  # scalars only
    assert [ax.get_title() for ax in _visible_axes(figures["lr.png"])] == ["lr"]
    mae, mse = _visible_axes(figures["eval.png"])
    assert mae.get_ylim()[1] < 100 < mse.get_ylim()[1]  # each on its own scale


def test_losses_are_on_a_log_axis_unless_they_go_negative(tmp_path) -> None:
    figures = run_figures(_write_run(tmp_path / "run"))
    assert {ax.get_yscale() for ax in _visible_axes(figures["loss.png"])} == {"log"}
    assert {ax.get_yscale() for ax in _visible_axes(figures["eval.png"])} == {"linear"}
    assert _visible_axes(figures["lr.png"])[0].get_yscale() == "log"  # lr spans 16x
    mixed = run_figures(_write_run(tmp_path / "neg", negative_loss=True))
    assert [ax.get_yscale() for ax in _visible_axes(mixed["loss.png"])] == ["log", "log", "linear"]


def test_epochs_are_integer_ticks_and_steps_sit_at_their_fraction_of_an_epoch(tmp_path) -> None:
    figures = run_figures(_write_run(tmp_path / "run"))
    loss = _visible_axes(figures["loss.png"])[0]
    assert loss.get_xlabel() == "epoch"
    ticks = [t for t in loss.get_xticks() if loss.get_xlim()[0] <= t <= loss.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    per_step, epoch_mean = loss.get_lines()
    assert (per_step.get_label(), epoch_mean.get_label()) == ("per step", "epoch mean")
    assert list(epoch_mean.get_xdata()) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert per_step.get_xdata()[0] == pytest.approx(2 / STEPS_PER_EPOCH)  # step 2 of 20
    # distinguished: the epoch means are unconnected markers, the steps a line
    assert epoch_mean.get_linestyle() == "None" and epoch_mean.get_marker() == "o"
    assert per_step.get_linestyle() == "-"
    assert [t.get_text() for t in loss.get_legend().get_texts()] == ["per step", "epoch mean"]


def test_epoch_axis_continues_past_the_last_finished_epoch() -> None:
    records = [{"kind": "epoch", "step": 10, "epoch": 1}, {"kind": "epoch", "step": 30, "epoch": 2}]
    to_epoch = epoch_axis(records)
    assert [to_epoch(s) for s in (0, 5, 10, 20, 30, 40)] == pytest.approx([0, 0.5, 1, 1.5, 2, 2.5])
    assert epoch_axis([{"kind": "step", "step": 1, "epoch": 0}]) is None


def test_without_epoch_records_the_x_axis_is_the_optimizer_step(tmp_path) -> None:
    figures = run_figures(_write_run(tmp_path / "run", with_epochs=False))
    loss = _visible_axes(figures["loss.png"])[0]
    assert loss.get_xlabel() == "optimizer step"
    assert [line.get_label() for line in loss.get_lines()] == ["per step"]
    assert loss.get_lines()[0].get_xdata()[0] == 2.0


def test_the_pngs_read_back_with_their_panels_and_markers(tmp_path) -> None:
    from matplotlib.image import imread

    written = plot_run(_write_run(tmp_path / "run"), tmp_path / "pngs")
    assert [p.name for p in written] == ["loss.png", "lr.png", "eval.png"]
    loss, eval_ = imread(written[0]), imread(written[2])
    assert loss.shape[:2] == (320, 1260) and eval_.shape[:2] == (320, 840)  # 3 panels, 2 panels (dpi 100)

    def pixels_near(image: np.ndarray, rgb: tuple[float, float, float]) -> int:
        return int((np.abs(image[..., :3] - np.array(rgb)).max(axis=-1) < 0.08).sum())

    orange, blue = np.array([1.0, 0.498, 0.055]), np.array([0.122, 0.467, 0.706])  # matplotlib's C1, C0
    assert pixels_near(loss, orange) > 100  # epoch-mean markers
    assert pixels_near(loss, 0.6 * blue + 0.4) > 100  # per-step lines (alpha 0.6 over white)
    assert pixels_near(eval_, orange) == 0  # evaluation has one series per panel


def test_zoo_plot_command(tmp_path) -> None:
    from zoo.cli.main import build_cli

    run = _write_run(tmp_path / "run")
    result = CliRunner().invoke(build_cli(), ["plot", str(run)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.split() == [str(run / f) for f in ("loss.png", "lr.png", "eval.png")]
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "metrics.jsonl").write_text("")
    result = CliRunner().invoke(build_cli(), ["plot", str(empty)], catch_exceptions=False)
    assert result.exit_code == 1 and result.output.startswith("error: ") and "no records to plot" in result.output


def test_a_run_killed_mid_write_still_plots_and_a_garbage_log_is_one_error_line(tmp_path) -> None:
    from zoo.cli.main import build_cli

    run = _write_run(tmp_path / "run")
    log = run / "metrics.jsonl"
    with open(log, "a") as handle:
        handle.write('{"kind": "step", "step": 99, "ep')  # the last write of a killed run, cut off
    written = plot_run(run)
    assert [p.name for p in written] == ["loss.png", "lr.png", "eval.png"]
    lines = log.read_text().splitlines()
    log.write_text("\n".join([lines[0], "not json", *lines[1:]]) + "\n")
    before = log.read_bytes()
    for argv, words in (
        (["plot", str(run)], "line 2: not a metrics record (JSONDecodeError"),
        (["plot", str(tmp_path)], "metrics.jsonl does not exist"),
        (["plot", str(_write_run(tmp_path / "ok")), "--out", str(log)], "is an existing file, not a folder"),
    ):
        result = CliRunner().invoke(build_cli(), argv)
        assert result.exit_code == 1 and result.output.startswith("error: "), result.output
        assert words in result.output and "Traceback" not in result.output
    assert log.read_bytes() == before
    nan_only = tmp_path / "nan"
    nan_only.mkdir()
    (nan_only / "metrics.jsonl").write_text('{"kind": "step", "step": 1, "epoch": 0, "loss": null}\n')
    with pytest.raises(InputError, match="no finite values to plot"):
        plot_run(nan_only)


def test_save_picture_writes_and_closes_the_figure(tmp_path) -> None:
    from zoo.sdk import agg_pyplot, save_picture

    plt = agg_pyplot()
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    path = save_picture(fig, tmp_path / "line.png", dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig.number)


def test_pictures_without_matplotlib_name_what_to_install(monkeypatch) -> None:
    import sys

    from zoo.errors import MissingDependencyError
    from zoo.pictures import agg_pyplot

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'perception-zoo\[torch\]'"):
        agg_pyplot()

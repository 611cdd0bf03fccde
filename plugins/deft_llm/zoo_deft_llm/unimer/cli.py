"""``zoo unimer build``: write Uni-MER JSONL for a dataset (and ``--show`` PNGs)."""

from __future__ import annotations

import json
import time

import click


def _build_one(args):
    clip, options = args
    from zoo_deft_llm.unimer.builder import build_record

    return build_record(clip, options)


@click.group("unimer")
def unimer() -> None:
    """Uni-MER: motion-driven instruction data (optical flow × AU labels, the dual constraint)."""


@unimer.command("build")
@click.option("--dataset", required=True, help="casme2, samm, smic, casme3, megc2019 (or deft-llm-synth = casme2 layout)")
@click.option("--root", required=True, type=click.Path(exists=True, file_okay=False), help="the dataset's folder")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="the JSONL file to write")
@click.option("--show", "show_dir", type=click.Path(file_okay=False), default=None, help="write a PNG per clip here")
@click.option("--flow", "flow_method", default="tvl1", type=click.Choice(["tvl1", "tvl1-full", "dis", "farneback"]))
@click.option("--size", default=128, show_default=True, help="aligned crop size (pixels)")
@click.option("--landmarks", default="none", show_default=True, type=click.Choice(["none", "dlib", "auto"]),
              help="dlib: align on 68 landmarks and measure landmark-anchored regions (research-use model); none: Haar + fixed boxes")
@click.option("--workers", default=1, show_default=True, help="processes (flow is per clip, independent)")
@click.option("--limit", default=None, type=int, help="only the first N clips")
@click.option("--min-px", default=0.2, show_default=True, help="dual constraint: least region motion (crop pixels)")
@click.option("--noise-factor", default=2.0, show_default=True, help="dual constraint: least motion as a multiple of the face's noise")
@click.option("--min-cosine", default=0.5, show_default=True, help="dual constraint: least cosine to the FACS direction")
@click.option("--overwrite", is_flag=True, help="replace an existing --out file (only once the new one is complete)")
def build(dataset: str, root: str, out_path: str, show_dir: str | None, flow_method: str, size: int, landmarks: str,
          workers: int, limit: int | None, min_px: float, noise_factor: float, min_cosine: float,
          overwrite: bool) -> None:
    """Write one Uni-MER record per labelled clip of DATASET under ROOT.

    The JSONL is written to a hidden temporary sibling and renamed to --out at the end: a build
    that fails or is interrupted leaves no partial file and never touches an existing --out, which
    is refused unless --overwrite is given (the check comes before any work). Each --show PNG is
    written the same way, so none is ever truncated under its name.
    """
    from zoo_deft_llm.facs import load_table
    from zoo_deft_llm.fileio import atomic_output_file, check_output_file
    from zoo_deft_llm.sources import list_clips
    from zoo_deft_llm.unimer.builder import BuildOptions
    from zoo_deft_llm.unimer.constraint import Thresholds
    from zoo_deft_llm.unimer.show import write_show

    out = check_output_file(out_path, overwrite=overwrite)
    clips = list_clips(dataset, root)[:limit]
    thresholds = Thresholds(min_pixels=min_px, noise_factor=noise_factor, min_cosine=min_cosine)
    options = BuildOptions(size=size, flow_method=flow_method, thresholds=thresholds, landmarks=landmarks)
    table = load_table()
    start, kept, rejected = time.perf_counter(), 0, 0
    with atomic_output_file(out, overwrite=overwrite) as work, work.open("w", encoding="utf-8") as handle:
        for record, prepared, result in _records(clips, options, workers):
            handle.write(json.dumps(record) + "\n")
            kept, rejected = kept + len(result.kept), rejected + len(result.rejected)
            if show_dir:
                write_show(show_dir, record, prepared, result, table)
    elapsed = time.perf_counter() - start
    click.echo(f"wrote {len(clips)} records to {out} ({kept} statements kept, {rejected} AUs rejected; "
               f"{len(clips) / max(elapsed, 1e-9):.1f} clips/s)")


def _records(clips, options, workers: int):
    from zoo_deft_llm.unimer.builder import build_records

    if workers <= 1:
        yield from build_records(clips, options)
        return
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(_build_one, [(clip, options) for clip in clips], chunksize=4)


@unimer.command("score")
@click.option("--unimer", "unimer_path", required=True, type=click.Path(dir_okay=False), help="a Uni-MER JSONL of a synthetic set")
@click.option("--planted", required=True, type=click.Path(), help="its planted_motion.json (or the synthetic set's folder)")
def score(unimer_path: str, planted: str) -> None:
    """Precision/recall of the AUs the dual constraint kept, against the motion planted in SYNTHETIC clips."""
    from zoo_deft_llm.datasets import read_unimer
    from zoo_deft_llm.unimer.score import read_planted, score_records

    result = score_records(read_unimer(unimer_path), read_planted(planted))
    click.echo(json.dumps(result, indent=1))

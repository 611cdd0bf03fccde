"""``zoo predict``: run any published checkpoint on files, the same JSON for every model.

The JSON (``--json``, and ``predictions.json`` in ``--out``) is
``{"model", "source", "predictions": [{"input", "task", "outputs", "files"}, ...]}``; its schema is
``docs/predict.schema.json`` (docs/cli.md). torch is imported inside the command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


def predict_document(name: str, model: Any, predictions: list[Any]) -> dict[str, Any]:
    """The ``zoo predict --json`` document for predictions of ``model`` (loaded as ``name``)."""
    source = getattr(model, "zoo_source", None)
    return {
        "model": name,
        "source": str(source) if source is not None else None,
        "predictions": [p.to_dict() for p in predictions],
    }


def _short(value: Any, limit: int = 6) -> str:
    """An output value for a terminal line: long lists are shown by their length and first values."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and len(value) > limit:
        head = ", ".join(_short(v) for v in value[:3])
        return f"[{head}, … ({len(value)} values)]"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def _echo_lines(document: dict[str, Any]) -> None:
    click.echo(f"model: {document['model']} ({document['source']})")
    for p in document["predictions"]:
        outputs = ", ".join(f"{k}: {_short(v)}" for k, v in p["outputs"].items())
        click.echo(f"- {p['input']}: {outputs}")
        for path in p["files"]:
            click.echo(f"    wrote {path}")


@click.command("predict")
@click.argument("name")
@click.argument("inputs", nargs=-1)
@click.option("--example", is_flag=True, help="Also predict on the example input the checkpoint ships.")
@click.option("--out", "out_dir", type=click.Path(), help="Folder for the pictures and predictions.json.")
@click.option("--device", help="cpu, cuda, cuda:N, mps or auto (default: cpu).")
@click.option("--dtype", help="float32, bfloat16 (bf16) or float16 (fp16) (default: the checkpoint's).")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True, help="Items per forward pass.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal, for several batches).")
@click.option("--json", "as_json", is_flag=True, help="Print the predictions as JSON (docs/cli.md).")
def predict(
    name: str,
    inputs: tuple[str, ...],
    example: bool,
    out_dir: str | None,
    device: str | None,
    dtype: str | None,
    batch_size: int,
    progress: bool | None,
    as_json: bool,
) -> None:
    """Run the checkpoint NAME on INPUT files (images, point files, clip folders) and print its predictions.

    NAME is a catalog name, hf-hub:org/repo@rev or local-dir:PATH. Every input is read and checked
    before anything is written; with --out each input gets its own picture(s).
    """
    from zoo.examples import example_input
    from zoo.predicting import predict as run_predict
    from zoo.predicting import prepare_model

    if not inputs and not example:
        raise click.UsageError("Give at least one INPUT, or --example for the checkpoint's example input.")
    model = prepare_model(name, device=device, dtype=dtype)
    paths: list[Any] = list(inputs) + ([str(example_input(name))] if example else [])
    predictions = run_predict(model, paths, batch_size=batch_size, out_dir=out_dir, progress=progress)
    document = predict_document(name, model, predictions)
    if out_dir is not None:
        (Path(out_dir) / "predictions.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if as_json:
        click.echo(json.dumps(document, indent=2))
    else:
        _echo_lines(document)


@click.command("serve")
@click.argument("names", nargs=-1)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0 exposes it to the network).")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True)
@click.option("--preview/--no-preview", default=True, help="Open on the first checkpoint's example prediction.")
def serve(names: tuple[str, ...], host: str, port: int, preview: bool) -> None:
    """A local web demo: choose a published checkpoint (NAMES, default all), upload an input or take
    its example, and see the prediction, its picture and the JSON (needs the `serve` extra)."""
    from zoo.serving import serve as run_server

    if host not in ("127.0.0.1", "localhost", "::1"):
        click.secho(f"warning: serving on {host}: anyone who can reach this machine can use the demo.", err=True)
    run_server(list(names) or None, host=host, port=port, preview=preview)


COMMANDS = (predict, serve)

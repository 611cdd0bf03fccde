"""``zoo download``, ``zoo verify``, ``zoo publish``: moving verified weights to and from the Hub."""

from __future__ import annotations

import json

import click


@click.command("download")
@click.argument("name")
def download_command(name: str) -> None:
    """Fetch a checkpoint's files into the HF cache and verify them (an explicit prefetch)."""
    from zoo.loading import fetch

    resolved = fetch(name)
    for filename, path in resolved.files.items():
        click.echo(f"{filename}: {path}")
    click.echo(f"{name}: {len(resolved.files)} files ready ({resolved.source}).")


@click.command("verify")
@click.argument("name")
def verify_command(name: str) -> None:
    """Check a checkpoint's cached or local files against their pinned sha256, offline."""
    import os

    from zoo.loading import fetch

    # Verification must never download: it judges what is already on disk.
    previous = os.environ.get("ZOO_OFFLINE")
    os.environ["ZOO_OFFLINE"] = "1"
    try:
        resolved = fetch(name, full_check=True)
    finally:
        if previous is None:
            os.environ.pop("ZOO_OFFLINE", None)
        else:
            os.environ["ZOO_OFFLINE"] = previous
    pinned = resolved.entry.files if resolved.entry else {}
    for filename in resolved.files:
        state = "sha256 ok" if filename in pinned else "present (no pinned sha256)"
        click.echo(f"{filename}: {state}")
    click.echo(f"{name}: verified.")


@click.command("publish")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.argument("repo_id")
@click.option("--name", help="Catalog name for the printed entry.")
@click.option("--private", is_flag=True, help="Create the repository as private.")
@click.option("--json", "as_json", is_flag=True, help="Print the entry as JSON instead of TOML.")
def publish_command(folder: str, repo_id: str, name: str | None, private: bool, as_json: bool) -> None:
    """Upload FOLDER (written by zoo.save / zoo train) to REPO_ID and print its catalog entry."""
    import tomli_w

    from zoo.publishing import publish

    entry = publish(folder, repo_id, name=name, private=private)
    if as_json:
        click.echo(json.dumps(entry, indent=2))
        return
    click.echo("# Add this to registry.toml:")
    click.echo(tomli_w.dumps(entry))


@click.command("convert")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False))
@click.argument("model")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--key", help="Entry of the checkpoint that holds the state dict (e.g. state_dict).")
@click.option("--i-trust-this-file", "trust", is_flag=True, help="Confirm you trust the pickle file's origin.")
def convert_command(checkpoint: str, model: str, out_dir: str, key: str | None, trust: bool) -> None:
    """Convert a legacy pickle CHECKPOINT for MODEL into a safetensors zoo folder OUT_DIR."""
    from zoo.convert import convert_pickle

    out = convert_pickle(checkpoint, model, out_dir, trust=trust, key=key)
    click.echo(f"Wrote {out} (config.json, model.safetensors, README.md); load it with local-dir:{out}")


COMMANDS = (download_command, verify_command, publish_command, convert_command)

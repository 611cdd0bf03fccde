"""``zoo download``, ``zoo verify``, ``zoo publish``, ``zoo convert``: verified weights to and from the Hub."""

from __future__ import annotations

import json
from typing import Any

import click

from zoo.errors import ZooError

_NAME_HELP = (
    "NAME is a catalog name, a source (hf-hub:org/repo@rev, local-dir:path), a folder path, or a "
    "pretrained backbone (timm/<model>.<tag>[@<commit>], as the plugins declare it)."
)


def _report(name: str, resolved: Any) -> dict[str, Any]:
    return {
        "name": name,
        "source": str(resolved.source),
        "files": {
            filename: {"path": str(path), "check": resolved.checks.get(filename, "")}
            for filename, path in resolved.files.items()
        },
    }


def _checked(name: str, revision: str | None, download: bool) -> dict[str, Any]:
    from zoo.pretrained import find_backbone_weights, prefetch_backbone

    weights = find_backbone_weights(name, revision)
    if weights is not None:
        return prefetch_backbone(weights, download=download)
    from zoo.loading import check_checkpoint

    resolved, _ = check_checkpoint(name, revision=revision, download=download)
    return _report(name, resolved)


@click.command("download", epilog=_NAME_HELP)
@click.argument("name")
@click.option("--revision", help="Hub revision for an hf-hub: source given without @rev.")
@click.option("--json", "as_json", is_flag=True, help="Print {name, source, files: {file: {path, check}}}.")
def download_command(name: str, revision: str | None, as_json: bool) -> None:
    """Fetch NAME's files into the HF cache and verify them (an explicit prefetch for offline use)."""
    report = _checked(name, revision, download=True)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for filename, info in report["files"].items():
        click.echo(f"{filename}: {info['path']} ({info['check']})")
    click.echo(f"{name}: {len(report['files'])} files ready ({report['source']}).")
    if "pin" in report:
        _echo_pin(report)


def _echo_pin(report: dict[str, Any]) -> None:
    """A backbone's resolved pin, ready to paste into zoo/backbones.toml."""
    pin = report["pin"]
    click.echo(f'Pin: [backbones."{pin["repo_id"]}"] revision = "{pin["revision"]}" sha256 = "{pin["sha256"]}"')
    third = report.get("third_party_sha256")
    if third:
        verdict = "matches" if third["matches"] else "DIFFERS from"
        click.echo(f"(the downloaded sha256 {verdict} the unverified third-party value {third['value']})")


@click.command("verify", epilog=_NAME_HELP)
@click.argument("name")
@click.option("--revision", help="Hub revision for an hf-hub: source given without @rev.")
@click.option("--json", "as_json", is_flag=True, help="Print {name, source, ok, files | error}; exit 1 if not ok.")
def verify_command(name: str, revision: str | None, as_json: bool) -> None:
    """Check NAME's cached or local files, every byte, offline (never downloads)."""
    try:
        report = _checked(name, revision, download=False)
    except ZooError as exc:
        if not as_json:
            raise
        click.echo(json.dumps({"name": name, "ok": False, "error": str(exc), "error_type": type(exc).__name__}, indent=2))
        raise SystemExit(1) from None
    if as_json:
        click.echo(json.dumps({**report, "ok": True}, indent=2))
        return
    for filename, info in report["files"].items():
        click.echo(f"{filename}: ok ({info['check']})")
    click.echo(f"{name}: verified.")


@click.command("publish")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.argument("repo_id")
@click.option("--name", help="Catalog name for the printed entry.")
@click.option("--private", is_flag=True, help="Create the repository as private.")
@click.option("--token", help="Hub token (default: the logged-in one, or HF_TOKEN).")
@click.option("--revision", help="Branch to commit to (created if missing; default main).")
@click.option("--message", "commit_message", help="Commit message (default: 'Upload <model> with zoo').")
@click.option("--json", "as_json", is_flag=True, help="Print the entry as JSON instead of TOML.")
def publish_command(folder: str, repo_id: str, name: str | None, private: bool, token: str | None,
                    revision: str | None, commit_message: str | None, as_json: bool) -> None:
    """Upload FOLDER (written by zoo.save / zoo train) to REPO_ID as one commit; print its catalog entry.

    Mirrors HfApi.upload_folder: --token, --revision (the branch), --message (the commit message).
    The printed entry pins the new commit and the sha256 of every file.
    """
    import tomli_w

    from zoo.publishing import publish

    entry = publish(folder, repo_id, name=name, private=private, token=token, revision=revision,
                    commit_message=commit_message)
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
@click.option("--overwrite", is_flag=True, help="Replace OUT_DIR if it exists and is not empty.")
def convert_command(checkpoint: str, model: str, out_dir: str, key: str | None, trust: bool, overwrite: bool) -> None:
    """Convert a legacy pickle CHECKPOINT for MODEL into a safetensors zoo folder OUT_DIR."""
    from zoo.convert import convert_pickle

    out = convert_pickle(checkpoint, model, out_dir, trust=trust, key=key, overwrite=overwrite)
    click.echo(f"Wrote {out} (config.json, model.safetensors, README.md); load it with zoo.load({str(out)!r})")


COMMANDS = (download_command, verify_command, publish_command, convert_command)

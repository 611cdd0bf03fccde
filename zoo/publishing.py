"""``zoo.publish``: upload a saved folder to the Hub as one commit and print its catalog entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo.errors import ConfigError
from zoo.saving import read_saved_config
from zoo.weights import CONFIG_NAME, WEIGHTS_NAME, refuse_pickle, sha256_file


def catalog_entry_for(folder: Path, repo_id: str, commit: str, name: str | None = None) -> dict[str, Any]:
    """The ``registry.toml`` table that pins a published folder (commit + sha256 of every file)."""
    saved = read_saved_config(folder / CONFIG_NAME)
    card = saved.card
    files = {
        p.name: f"sha256:{sha256_file(p)}"
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name in (CONFIG_NAME, WEIGHTS_NAME)
    }
    entry: dict[str, Any] = {
        "model": saved.model,
        "config": saved.config,
        "status": "published",
        "source": f"hf-hub:{repo_id}@{commit}",
        "files": files,
        "license": card.license,
        "data": card.training_data,
        "summary": card.summary,
    }
    if card.metrics:
        entry["metrics"] = [m.model_dump(exclude_defaults=True) | {"value": m.value} for m in card.metrics]
    if card.reproduce:
        entry["reproduce"] = card.reproduce
    return {"models": {name or card.name or repo_id.split("/")[-1]: entry}}


def publish(
    folder: str | Path,
    repo_id: str,
    *,
    name: str | None = None,
    token: str | None = None,
    endpoint: str | None = None,
    private: bool = False,
    commit_message: str | None = None,
) -> dict[str, Any]:
    """Upload a folder written by ``zoo.save`` and return the catalog entry that pins it.

    Args:
        folder: the saved folder (``config.json``, ``model.safetensors``, ``README.md``).
        repo_id: ``org/name`` on the Hub (created if missing).
        name: the catalog name for the entry (default: the card's name or the repo name).
        token: a Hub token (default: the logged-in one).
        endpoint: a Hub endpoint (default: ``HF_ENDPOINT`` or the public Hub).
        private: create the repository as private.
        commit_message: the commit's message.

    Returns:
        ``{"models": {name: entry}}``, ready to dump into ``registry.toml``.

    Raises:
        ConfigError: if the folder is not a saved zoo model.
        UnsafeCheckpointError: if the folder holds a pickle checkpoint.
    """
    from huggingface_hub import HfApi

    from zoo.hub import hub_endpoint

    path = Path(folder)
    if not (path / CONFIG_NAME).is_file() or not (path / WEIGHTS_NAME).is_file():
        raise ConfigError(f"{path} is not a saved zoo model: it needs {CONFIG_NAME} and {WEIGHTS_NAME} (write it with zoo.save).")
    for file in path.iterdir():
        refuse_pickle(file)
    read_saved_config(path / CONFIG_NAME)  # validate before uploading anything
    api = HfApi(endpoint=endpoint or hub_endpoint(), token=token)
    api.create_repo(repo_id, exist_ok=True, private=private)
    info = api.upload_folder(
        repo_id=repo_id,
        folder_path=str(path),
        commit_message=commit_message or f"Upload {read_saved_config(path / CONFIG_NAME).model} with zoo",
    )
    return catalog_entry_for(path, repo_id, info.oid, name)

"""``zoo.publish``: upload a saved folder to the Hub as one commit and print its catalog entry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zoo._version import __version__
from zoo.errors import ConfigError, HubUnavailableError, InputError, PublishError
from zoo.saving import read_saved_config
from zoo.weights import CARD_NAME, CONFIG_NAME, WEIGHTS_NAME, check_safetensors, refuse_pickle, sha256_file

_REPO_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def _published_files(folder: Path) -> list[Path]:
    """Every regular file of the folder, recursively (the card excepted), in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != CARD_NAME and ".git" not in p.parts)


def catalog_entry_for(folder: Path, repo_id: str, commit: str, name: str | None = None) -> dict[str, Any]:
    """The ``registry.toml`` table that pins a published folder (commit + sha256 of every file).

    Every file but the card is pinned (weights, config, metrics, the example input), so a load
    or ``zoo predict --example`` verifies each.
    """
    saved = read_saved_config(folder / CONFIG_NAME)
    card = saved.card
    files = {p.relative_to(folder).as_posix(): f"sha256:{sha256_file(p)}" for p in _published_files(folder)}
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
    revision: str | None = None,
    commit_message: str | None = None,
) -> dict[str, Any]:
    """Upload a folder written by ``zoo.save`` as one commit and return the catalog entry that pins it.

    Mirrors ``HfApi.upload_folder``.

    Args:
        folder: the saved folder (``config.json``, ``model.safetensors``, ``README.md``, ...).
        repo_id: ``org/name`` on the Hub (created if missing).
        name: the catalog name for the entry (default: the card's name or the repo name).
        token: a Hub token (default: the logged-in one).
        endpoint: a Hub endpoint (default: ``HF_ENDPOINT`` or the public Hub).
        private: create the repository as private.
        revision: the branch to commit to (created from the default branch if missing).
        commit_message: the commit's message.

    Returns:
        ``{"models": {name: entry}}``, ready to dump into ``registry.toml``; the source pins the
        new commit (whatever the branch).

    Raises:
        InputError: if ``repo_id`` is not ``org/name``, or a link in the folder points outside it.
        ConfigError: if the folder is not a saved zoo model.
        UnsafeCheckpointError: if the folder holds a pickle checkpoint.
        HubUnavailableError: if offline mode is on, the Hub cannot be reached (checked with one
            bounded request before anything is uploaded) or the upload fails on the way.
        PublishError: if the Hub refuses (not logged in, no write access, a bad repository name).
    """
    from zoo.hub import is_offline

    path = Path(folder)
    if not _REPO_RE.match(repo_id):
        raise InputError(f"{repo_id!r} is not a Hub repository id; expected 'org/name' (letters, digits, '-', '_', '.').")
    if not (path / CONFIG_NAME).is_file() or not (path / WEIGHTS_NAME).is_file():
        raise ConfigError(f"{path} is not a saved zoo model: it needs {CONFIG_NAME} and {WEIGHTS_NAME} (write it with zoo.save).")
    _refuse_outside_links(path)
    for file in path.rglob("*"):
        refuse_pickle(file)
    saved = read_saved_config(path / CONFIG_NAME)  # validate before uploading anything
    check_safetensors(path / WEIGHTS_NAME)
    from huggingface_hub import HfApi

    from zoo.hub import hub_endpoint

    endpoint = endpoint or hub_endpoint()
    if is_offline():
        raise HubUnavailableError(
            f"Cannot publish to {repo_id}: offline mode is on (HF_HUB_OFFLINE/ZOO_OFFLINE). Nothing was uploaded."
        )
    _preflight(repo_id, token, endpoint)
    api = HfApi(endpoint=endpoint, token=token, library_name="zoo", library_version=__version__)
    message = commit_message or f"Upload {saved.model} with zoo"
    with _hub_errors(repo_id, endpoint):
        api.create_repo(repo_id, exist_ok=True, private=private)
        if revision and revision != "main":
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        info = api.upload_folder(repo_id=repo_id, folder_path=str(path), commit_message=message,
                                 revision=revision)
    return catalog_entry_for(path, repo_id, info.oid, name)


def _refuse_outside_links(folder: Path) -> None:
    """A link inside the folder to a file outside it would upload that file (a user's key, /etc/...).

    Raises:
        InputError: naming the first such link (nothing is uploaded).
    """
    root = folder.resolve()
    for entry in sorted(folder.rglob("*")):
        if entry.is_symlink():
            target = entry.resolve()
            if target != root and root not in target.parents:
                raise InputError(
                    f"{entry} links to {target}, outside {folder}: publishing would upload that file. Copy the file "
                    "into the folder (or remove the link) first. Nothing was uploaded."
                )


def _preflight(repo_id: str, token: str | None, endpoint: str | None) -> None:
    """One bounded request before any upload: a Hub that cannot answer fails now, not mid-upload.

    Raises:
        HubUnavailableError: if no answer comes within the zoo's timeouts.
    """
    from huggingface_hub.utils import build_hf_headers, get_session

    from zoo.hub import endpoint_label, http_timeout
    from zoo.hub_errors import HubFailure, hub_failure
    from zoo.sources import HubSource

    url = f"{endpoint_label(endpoint).rstrip('/')}/api/models/{repo_id}/refs"
    try:
        get_session().get(url, headers=build_hf_headers(token=token, library_name="zoo", library_version=__version__),
                          timeout=http_timeout())
    except Exception as exc:
        failure = hub_failure(exc, HubSource(repo_id, "main"), "(upload)", token)
        if isinstance(failure, HubFailure) and failure.transient:
            raise HubUnavailableError(f"Cannot publish to {repo_id}: {failure.reason}. Nothing was uploaded.") from None
        raise


@contextmanager
def _hub_errors(repo_id: str, endpoint: str | None) -> Iterator[None]:
    """The Hub client's errors during create_repo/upload_folder, as typed zoo errors."""
    from huggingface_hub import errors as hub

    from zoo.hub import endpoint_label
    from zoo.hub_errors import http_errors

    transport = http_errors().TransportError
    try:
        yield
    except hub.HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (401, 403):
            raise PublishError(
                f"The Hub at {endpoint_label(endpoint)} refused to publish {repo_id} (HTTP {status}): log in with "
                "`hf auth login` or pass --token with write access to that namespace."
            ) from None
        raise PublishError(f"Publishing {repo_id} failed: {' '.join(str(exc).split())[:300]}") from None
    except (OSError, transport) as exc:
        raise HubUnavailableError(
            f"Publishing {repo_id} failed on the way: the Hub at {endpoint_label(endpoint)} stopped answering "
            f"({type(exc).__name__}). The commit was not created; run the same command again."
        ) from None
    except ValueError as exc:  # the client's validation of the repo id, branch name, ...
        raise PublishError(f"Cannot publish to {repo_id!r}: {exc}") from None

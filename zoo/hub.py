"""Fetching files of a Hub source into the standard HF cache, pinned and offline-aware.

``huggingface_hub`` reads its environment once at import, so the endpoint and offline switches are
read here at call time and passed explicitly: a test (or a user) that sets ``HF_ENDPOINT`` after
import is honoured.
"""

from __future__ import annotations

import os
from pathlib import Path

from zoo._version import __version__
from zoo.errors import HubUnavailableError, WeightsNotFoundError
from zoo.sources import HubSource

_TRUE = {"1", "true", "yes", "on"}


def is_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` or ``ZOO_OFFLINE`` asks for no network calls.

    The variables are read now; the Hub client's own switch (read once, when huggingface_hub was
    imported) counts too, since the client would refuse the network anyway.
    """
    if any(os.environ.get(var, "").lower() in _TRUE for var in ("HF_HUB_OFFLINE", "ZOO_OFFLINE")):
        return True
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def hub_endpoint() -> str | None:
    """The configured Hub endpoint (``HF_ENDPOINT``), read now rather than at import."""
    return os.environ.get("HF_ENDPOINT") or None


def hub_cache_dir() -> Path:
    """The HF cache folder the client uses (``HF_HUB_CACHE``, ``HF_HOME``/hub, or the default)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "huggingface"
    )
    return Path(home) / "hub"


def fetch_file(source: HubSource, filename: str) -> Path:
    """Download (or find in the cache) one file of a Hub repository at the source's revision.

    Raises:
        WeightsNotFoundError: if the repository, revision or file does not exist.
        HubUnavailableError: if the Hub cannot be reached (or offline mode is on) and the file
            is not in the cache; the message names the repo, revision and cache folder.
    """
    from huggingface_hub import hf_hub_download
    from huggingface_hub import errors as hub_errors

    cache = hub_cache_dir()
    where = f"{source.repo_id}@{source.revision} (file {filename!r}, cache {cache})"
    kwargs = dict(revision=source.revision, cache_dir=cache, endpoint=hub_endpoint(),
                  library_name="zoo", library_version=__version__)
    cached = _cached_pinned_file(source, filename, kwargs) if source.pinned else None
    if cached is not None:
        return cached
    offline = is_offline() or not _endpoint_reachable(hub_endpoint())
    try:
        path = hf_hub_download(source.repo_id, filename, local_files_only=offline, **kwargs)
    except hub_errors.RepositoryNotFoundError:
        raise WeightsNotFoundError(
            f"Hub repository {source.repo_id!r} not found at {hub_endpoint() or 'the default endpoint'}. "
            "Check the name, and log in (`hf auth login`) if it is private."
        ) from None
    except hub_errors.RevisionNotFoundError:
        raise WeightsNotFoundError(f"Revision {source.revision!r} not found in {source.repo_id!r}.") from None
    except hub_errors.RemoteEntryNotFoundError:
        raise WeightsNotFoundError(f"File {filename!r} not found in {source.repo_id}@{source.revision}.") from None
    except (hub_errors.LocalEntryNotFoundError, OSError) as exc:
        # LocalEntryNotFoundError: offline and not cached, or the connection failed. Any other
        # OSError here is a network failure (requests/httpx errors derive from OSError).
        mode = "offline mode is on (HF_HUB_OFFLINE/ZOO_OFFLINE)" if is_offline() else (
            f"the Hub at {hub_endpoint() or 'the default endpoint'} is unreachable")
        raise HubUnavailableError(
            f"Cannot get {where}: {mode} and the file is not in the cache. Run `zoo download` "
            f"where the Hub is reachable, or point HF_ENDPOINT at a mirror. ({type(exc).__name__})"
        ) from None
    return Path(path)


def _cached_pinned_file(source: HubSource, filename: str, kwargs: dict) -> Path | None:
    """The cached copy of a file at a pinned commit, or None.

    A pinned commit never changes, so a cached copy is final and the network is not asked at all.
    """
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(source.repo_id, filename, local_files_only=True, **kwargs))
    except LocalEntryNotFoundError:
        return None


def _endpoint_reachable(endpoint: str | None, timeout: float = 3.0) -> bool:
    """A quick TCP connect to the endpoint.

    The Hub client retries a refused connection for about 25 s before giving up; a user with no
    network (or a test) deserves the answer at once.
    """
    import socket
    from urllib.parse import urlsplit

    from huggingface_hub import constants

    parts = urlsplit(endpoint or constants.ENDPOINT)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False

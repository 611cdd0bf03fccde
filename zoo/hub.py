"""Fetching files of a Hub source into the standard HF cache: pinned, offline-aware, bounded.

What this module promises (docs/architecture.md, "What the zoo promises"):

- **No network when none is needed.** With ``HF_HUB_OFFLINE=1``/``ZOO_OFFLINE=1``, or for a pinned
  commit already in the cache, files are looked up on disk only (:func:`zoo.cache.cached_file`):
  zero connections. (``hf_hub_download(local_files_only=True)`` is not used for that, since it
  builds request headers first and the Hub client's agent detection may open a connection then.)
- **Bounded waits.** Every request the zoo makes has explicit timeouts and no retries: connect
  ``ZOO_HUB_CONNECT_TIMEOUT`` (default 5 s), each answer ``ZOO_HUB_TIMEOUT`` (default 10 s). The
  first request for a file is a metadata ``HEAD``; a Hub that accepts the connection and never
  answers costs one ``ZOO_HUB_TIMEOUT``. Only after it has answered does the Hub client transfer the
  file (each read bounded by its own ``HF_HUB_DOWNLOAD_TIMEOUT``, default 10 s).
- **Honest errors.** A repository, revision or file that does not exist is a
  :class:`WeightsNotFoundError` saying which; :class:`HubUnavailableError` says "unreachable" only
  when no answer came (see :mod:`zoo.hub_errors`).
- **A moving branch falls back to the cache.** ``@main`` asks the Hub for its current commit; when
  the Hub cannot answer and a copy is cached, that copy is used (with a warning).

``huggingface_hub`` reads its environment once at import, so the endpoint and offline switches are
read here at call time and passed explicitly: a test (or a user) that sets ``HF_ENDPOINT`` after
import is honoured.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

from zoo._version import __version__
from zoo.cache import cached_file, cached_filenames, digest_of_etag, hub_digest, write_ref
from zoo.errors import ConfigError, HubUnavailableError
from zoo.sources import HubSource, check_filename

_TRUE = {"1", "true", "yes", "on"}
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0
logger = logging.getLogger("zoo.hub")
#: The expected digest of a direct Hub source is the Hub's own (the ETag the cache blob is named after).
HUB_HINT = "The expected value is the Hub's own digest of the file (its ETag)."


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
    """The configured Hub endpoint (``HF_ENDPOINT``), read now rather than at import.

    Raises:
        ConfigError: if it is not an ``http://`` or ``https://`` URL with a host.
    """
    endpoint = os.environ.get("HF_ENDPOINT", "").strip() or None
    if endpoint is not None:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(endpoint)
            _ = parts.port  # a port that is not a number raises here
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:  # that, or a bad IPv6 literal
            ok = False
        if not ok:
            raise ConfigError(f"HF_ENDPOINT={endpoint!r} is not a Hub URL; expected http(s)://host[:port] "
                              "(e.g. https://huggingface.co or a mirror), or unset it.")
    return endpoint


def endpoint_label(endpoint: str | None = None) -> str:
    """The endpoint for messages (the public Hub when none is configured)."""
    from huggingface_hub import constants

    return endpoint or hub_endpoint() or constants.ENDPOINT


def hub_cache_dir() -> Path:
    """The HF cache folder the client uses (``HF_HUB_CACHE``, ``HF_HOME``/hub, or the default)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "huggingface"
    )
    return Path(home) / "hub"


def _seconds(var: str, default: float) -> float:
    text = os.environ.get(var, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value > 0 and math.isfinite(value)):
        raise ConfigError(f"{var}={text!r} is not a positive number of seconds (default {default:g}).")
    return value


def timeouts() -> tuple[float, float]:
    """``(connect, read)`` seconds for the zoo's Hub requests, from the environment, read now.

    Raises:
        ConfigError: if ``ZOO_HUB_CONNECT_TIMEOUT`` or ``ZOO_HUB_TIMEOUT`` is not a positive number.
    """
    return _seconds("ZOO_HUB_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT), _seconds("ZOO_HUB_TIMEOUT", DEFAULT_READ_TIMEOUT)


def http_timeout() -> Any:
    """The timeouts as the Hub client's HTTP library takes them (connect separate from read)."""
    from zoo.hub_errors import http_errors

    connect, read = timeouts()
    return http_errors().Timeout(read, connect=connect)


def fetch_file(
    source: HubSource,
    filename: str,
    *,
    token: str | bool | None = None,
    cache_dir: str | Path | None = None,
    local_files_only: bool = False,
    verify: bool = True,
) -> Path:
    """Download (or find in the cache) one file of a Hub repository at the source's revision.

    Args:
        source: repository and revision (a pinned commit, or a branch/tag).
        filename: the file in the repository.
        token: a Hub token (default: the logged-in one).
        cache_dir: the HF cache folder (default: :func:`hub_cache_dir`).
        local_files_only: use the cache only, as with ``HF_HUB_OFFLINE=1``.
        verify: check the cached copy against the Hub's own digest of it (the blob's name; see
            :mod:`zoo.cache`). Callers that check a catalog pin instead pass False.

    Returns:
        The path of the file in the cache's snapshot folder.

    Raises:
        WeightsNotFoundError: if the repository, revision or file does not exist.
        HubUnavailableError: if the Hub cannot be reached (or offline mode is on) and the file
            is not in the cache; the message names the repo, revision and cache folder.
        ChecksumMismatchError: if the cached bytes differ from the Hub's digest (the copy is
            removed from the cache; the next call fetches it again).
        ConfigError: if ``HF_ENDPOINT`` or a timeout setting is malformed.
    """
    hub_endpoint()  # a malformed HF_ENDPOINT is a ConfigError now (the Hub client fails at import on some)
    check_filename(filename, str(source))  # never a path out of the repository's cache folder
    cache = Path(cache_dir) if cache_dir is not None else hub_cache_dir()
    offline = local_files_only or is_offline()
    cached = cached_file(cache, source.repo_id, source.revision, filename)
    if cached is not None and (source.pinned or offline):
        return _checked(cached, cache, verify)  # a pinned commit never changes: no network at all
    where = f"{source.repo_id}@{source.revision} (file {filename!r}, cache {cache})"
    if offline:
        switch = "offline mode is on (HF_HUB_OFFLINE/ZOO_OFFLINE)" if is_offline() else "local_files_only=True"
        raise HubUnavailableError(
            f"Cannot get {where}: {switch} and the file is not in the cache. Run `zoo download` where the "
            "Hub is reachable, or allow the network."
        )
    from zoo.hub_errors import HubFailure, hub_failure

    try:
        meta = _metadata(source, filename, token)
    except HubFailure as failure:
        if cached is not None and failure.transient:
            logger.warning("%s; using the cached copy of %s", failure.reason, where)
            return _checked(cached, cache, verify)
        raise failure.error(where) from None
    commit = meta.commit_hash
    path = cached_file(cache, source.repo_id, commit, filename)
    if path is None:
        try:
            path = _download(source, filename, commit, cache, token)
        except Exception as exc:
            raise hub_failure(exc, source, filename, token).error(where) from None
    write_ref(cache, source.repo_id, source.revision, commit)
    expected = digest_of_etag(meta.etag)
    if verify and expected is not None:
        from zoo.weights import verify_file

        verify_file(path, expected.value, algorithm=expected.algorithm, cache=cache, hint=HUB_HINT)
        return path
    return _checked(path, cache, verify)


def list_files(
    source: HubSource,
    *,
    token: str | bool | None = None,
    cache_dir: str | Path | None = None,
    local_files_only: bool = False,
) -> list[str]:
    """The filenames of a Hub repository at the source's revision.

    Offline (or ``local_files_only``) the cached snapshot's files are listed, from disk only;
    otherwise one bounded metadata request (the zoo's timeouts, no retries) asks the Hub, and a
    moving branch whose Hub cannot answer falls back to the cached snapshot with a warning.

    Raises:
        WeightsNotFoundError: if the repository or revision does not exist.
        HubUnavailableError: if the Hub cannot be reached (or offline mode is on) and nothing of
            that revision is cached.
        ConfigError: if ``HF_ENDPOINT`` or a timeout setting is malformed.
    """
    hub_endpoint()  # (as in fetch_file)
    cache = Path(cache_dir) if cache_dir is not None else hub_cache_dir()
    cached = cached_filenames(cache, source.repo_id, source.revision)
    where = f"the file list of {source.repo_id}@{source.revision} (cache {cache})"
    if local_files_only or is_offline():
        if cached is None:
            raise HubUnavailableError(
                f"Cannot get {where}: offline mode is on (HF_HUB_OFFLINE/ZOO_OFFLINE or local_files_only) and "
                "that revision is not in the cache. Run `zoo download` where the Hub is reachable."
            )
        return cached
    from huggingface_hub import HfApi

    from zoo.hub_errors import HubFailure, hub_failure

    api = HfApi(endpoint=hub_endpoint(), token=token, library_name="zoo", library_version=__version__)
    timeout = http_timeout()  # a bad setting is its own ConfigError, not a Hub failure
    try:
        info = api.model_info(source.repo_id, revision=source.revision, timeout=timeout)
    except Exception as exc:
        failure = exc if isinstance(exc, HubFailure) else hub_failure(exc, source, "(file list)", token)
        if cached is not None and failure.transient:
            logger.warning("%s; using the cached file list of %s", failure.reason, where)
            return cached
        raise failure.error(where) from None
    return sorted(s.rfilename for s in info.siblings or ())


def _checked(path: Path, cache: Path, verify: bool) -> Path:
    """Verify a cached file against the digest its blob is named after, when there is one."""
    digest = hub_digest(path, cache) if verify else None
    if digest is not None:
        from zoo.weights import verify_file

        verify_file(path, digest.value, algorithm=digest.algorithm, cache=cache, hint=HUB_HINT)
    return path


def _metadata(source: HubSource, filename: str, token: str | bool | None) -> Any:
    """The Hub's metadata of one file (commit, ETag, size): one ``HEAD``, bounded, no retries.

    Raises:
        zoo.hub_errors.HubFailure: with the typed error to raise (or fall back from).
    """
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    from zoo.hub_errors import HubFailure, hub_failure

    endpoint, timeout = hub_endpoint(), http_timeout()
    url = hf_hub_url(source.repo_id, filename, revision=source.revision, endpoint=endpoint)
    try:
        meta = get_hf_file_metadata(
            url, token=token, timeout=timeout, endpoint=endpoint,
            library_name="zoo", library_version=__version__, retry_on_errors=False,
        )
    except Exception as exc:
        raise hub_failure(exc, source, filename, token) from None
    if not meta.commit_hash or not meta.etag:
        raise HubFailure(
            False, f"{endpoint_label(endpoint)} answered without a commit or ETag header (is HF_ENDPOINT a Hub?)"
        )
    return meta


def _download(source: HubSource, filename: str, commit: str, cache: Path, token: str | bool | None) -> Path:
    """Transfer a file at a resolved commit with the Hub client, into the standard cache."""
    from huggingface_hub import hf_hub_download

    _, read = timeouts()
    return Path(
        hf_hub_download(
            source.repo_id, filename, revision=commit, cache_dir=str(cache), endpoint=hub_endpoint(),
            token=token, etag_timeout=read, library_name="zoo", library_version=__version__,
        )
    )

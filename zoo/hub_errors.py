"""Turning the Hub client's failures into honest, typed zoo errors.

"Unreachable" is said only when no answer came (connection refused, DNS failure, timeout). When the
Hub answered with an error that does not say what is wrong (olah answers HTTP 500 for an unknown
commit and resets the connection for an unknown branch; proxies answer 5xx), one more bounded
request for the repository's refs tells a missing repository or revision from a failing server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from zoo.errors import HubUnavailableError, WeightsNotFoundError, ZooError
from zoo.sources import HubSource

_COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")


@dataclass
class HubFailure(Exception):
    """A failed Hub request, classified.

    Attributes:
        transient: True when the Hub gave no usable answer (unreachable, timeout, server error):
            a cached copy of a moving branch may then be used instead.
        reason: what happened, for messages.
        missing: True when the Hub says the repository, revision or file does not exist.
    """

    transient: bool
    reason: str
    missing: bool = False

    def error(self, where: str) -> ZooError:
        """The typed error to raise for the file described by ``where``."""
        if self.missing:
            return WeightsNotFoundError(self.reason)
        return HubUnavailableError(
            f"Cannot get {where}: {self.reason}, and the file is not in the cache. Run `zoo download` where "
            "the Hub is reachable, point HF_ENDPOINT at a mirror, or raise ZOO_HUB_TIMEOUT for a slow network."
        )


def http_errors() -> Any:
    """The HTTP library of the Hub client (its exception classes)."""
    try:
        import httpx2 as httpx
    except ImportError:  # pragma: no cover
        import httpx
    return httpx


def hub_failure(exc: BaseException, source: HubSource, filename: str, token: Any = None) -> HubFailure:
    """Classify an exception raised by a Hub request for ``filename`` of ``source``."""
    from huggingface_hub import errors as hub

    from zoo.hub import endpoint_label, timeouts

    httpx = http_errors()
    endpoint = endpoint_label()
    repo, rev = source.repo_id, source.revision
    if isinstance(exc, hub.GatedRepoError):
        return HubFailure(False, f"Hub repository {repo!r} is gated: accept its terms on the Hub and log in "
                                 "(`hf auth login`)", missing=True)
    if isinstance(exc, hub.RepositoryNotFoundError) and _refs(repo, token) in (None, _NO_ANSWER):
        # (a mirror such as olah also answers 401 for an unknown branch of a repository that exists:
        # the refs tell which)
        return HubFailure(False, _repo_missing(repo, endpoint), missing=True)
    if isinstance(exc, hub.RevisionNotFoundError):
        return HubFailure(False, f"Revision {rev!r} not found in {repo!r} at {endpoint}.", missing=True)
    if isinstance(exc, hub.OfflineModeIsEnabled):
        return HubFailure(True, "offline mode is on (the Hub client's HF_HUB_OFFLINE)")
    if isinstance(exc, hub.FileMetadataError):
        return HubFailure(True, f"{endpoint} answered without the Hub's headers ({_short(exc)}); is HF_ENDPOINT a Hub?")
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return HubFailure(False, f"the Hub endpoint {endpoint} is not a usable URL ({_short(exc)}); fix or unset "
                                 "HF_ENDPOINT")
    if isinstance(exc, httpx.TimeoutException):
        connect, read = timeouts()
        return HubFailure(True, f"the Hub at {endpoint} did not answer within {read:g} s (ZOO_HUB_TIMEOUT; "
                                f"connect {connect:g} s, ZOO_HUB_CONNECT_TIMEOUT)")
    if isinstance(exc, httpx.ConnectError) or (isinstance(exc, OSError) and not isinstance(exc, hub.HfHubHTTPError)
                                               and not isinstance(exc, httpx.HTTPError)):
        return HubFailure(True, f"the Hub at {endpoint} is unreachable ({type(exc).__name__}: {_short(exc)})")
    # The Hub answered (or accepted the connection) but did not say what is wrong: ask for the refs.
    detail = f"{type(exc).__name__}: {_short(exc)}"
    if isinstance(exc, hub.RemoteEntryNotFoundError):
        refs = _refs(repo, token)
        if refs is None:
            return HubFailure(False, _repo_missing(repo, endpoint), missing=True)
        return HubFailure(False, f"File {filename!r} not found in {repo}@{rev}.", missing=True)
    refs = _refs(repo, token)
    if refs is None:
        return HubFailure(False, _repo_missing(repo, endpoint), missing=True)
    if refs is _NO_ANSWER:
        return HubFailure(True, f"the Hub at {endpoint} accepted the connection but failed ({detail})")
    if rev in refs or any(rev == target for target in refs.values()):
        return HubFailure(True, f"the Hub at {endpoint} failed to serve {repo}@{rev} ({detail})")
    known = ", ".join(sorted(refs)) or "none"
    kind = "commit" if _COMMIT_RE.match(rev) else "branch or tag"
    return HubFailure(
        False,
        f"Revision {rev!r} not found in {repo!r} at {endpoint}: it is not a {kind} the Hub could serve "
        f"(its branches and tags: {known}; the Hub answered {detail}). Check the revision.",
        missing=True,
    )


def _repo_missing(repo: str, endpoint: str) -> str:
    return (f"Hub repository {repo!r} not found at {endpoint}. Check the name, and log in (`hf auth login`) "
            "if it is private.")


_NO_ANSWER: Any = object()


def _refs(repo_id: str, token: Any) -> dict[str, str] | None | Any:
    """``{branch or tag: commit}`` of a repository; None if it does not exist; ``_NO_ANSWER`` on failure.

    One bounded request (the zoo's timeouts), no retries.
    """
    from huggingface_hub.utils import build_hf_headers, get_session

    from zoo._version import __version__
    from zoo.hub import endpoint_label, http_timeout

    httpx = http_errors()
    url = f"{endpoint_label().rstrip('/')}/api/models/{repo_id}/refs"
    headers = build_hf_headers(token=token, library_name="zoo", library_version=__version__)
    response = None
    for _ in range(2):  # a second try only if the pooled connection was dropped (after a 5xx answer)
        try:
            response = get_session().get(url, headers=headers, timeout=http_timeout())
            break
        except httpx.TimeoutException:
            return _NO_ANSWER
        except Exception:
            continue
    if response is None:
        return _NO_ANSWER
    if response.status_code in (401, 404):
        return None
    if response.status_code != 200:
        return _NO_ANSWER
    try:
        data = response.json()
        return {ref["name"]: ref.get("targetCommit", "") for group in ("branches", "tags") for ref in data.get(group, [])}
    except Exception:
        return _NO_ANSWER


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."

"""Typed errors of the zoo core.

Every error says what was wrong, what was expected, and what to do next. Lookup errors subclass
``KeyError`` (and file errors ``FileNotFoundError``) so that callers written against the builtins
keep working.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ZooError(Exception):
    """Base class of every error the zoo raises on purpose."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


def close_matches(name: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Return up to ``limit`` candidates that look like ``name`` (for "did you mean" hints)."""
    pool = sorted(set(candidates))
    matches = difflib.get_close_matches(name, pool, n=limit, cutoff=0.5)
    if not matches:
        # A bare name often matches the part after "kind/" or a prefix of a catalog name.
        bare = name.split("/")[-1]
        matches = [c for c in pool if c.split("/")[-1].startswith(bare) or bare in c][:limit]
    return matches


class UnknownComponentError(ZooError, KeyError):
    """A name is neither a registered component nor a catalog entry."""

    def __init__(self, name: str, candidates: Iterable[str], kind: str | None = None, where: str | None = None) -> None:
        self.name = name
        self.suggestions = close_matches(name, candidates)
        where = where or (f"registered {kind}s" if kind else "registered components or catalog entries")
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(
            f"Unknown name {name!r}: not among the {where}.{hint} "
            "Run `zoo list` to see every name, or `zoo plugins` to check that the plugin "
            "providing it is installed and loaded."
        )


class AmbiguousNameError(ZooError, KeyError):
    """A bare name matches components of several kinds."""

    def __init__(self, name: str, matches: Iterable[str]) -> None:
        self.name = name
        self.matches = sorted(matches)
        super().__init__(
            f"{name!r} is ambiguous: it names {', '.join(self.matches)}. Use the full `kind/name`."
        )


class DuplicateNameError(ZooError):
    """Two distributions provide the same registry or catalog name."""

    def __init__(self, name: str, first: str, second: str) -> None:
        self.name = name
        self.providers = (first, second)
        super().__init__(
            f"{name!r} is provided by both {first} and {second}. Uninstall one, disable one with "
            "ZOO_DISABLE_PLUGINS=<plugin>, or have the plugin that should win register the name "
            "with override=True."
        )


class PluginLoadError(ZooError):
    """A plugin failed to import or to run one of its hooks."""


class ConfigError(ZooError, ValueError):
    """A component configuration or override is invalid."""


class CatalogError(ZooError, ValueError):
    """A catalog entry (registry.toml or plugin contributed) is invalid."""


class RecipeNotPublishedError(ZooError):
    """A catalog entry has no published weights yet (status ``recipe``)."""


class ChecksumMismatchError(ZooError):
    """A downloaded, cached or local file does not have the digest it was pinned or published with.

    ``expected``/``actual`` are hex digests of ``algorithm`` (``sha256`` for catalog pins and the
    Hub's LFS files, ``git-sha1`` for the Hub's regular files). ``fate`` says what happened to the
    file (removed from the cache, or left in place and why).
    """

    def __init__(
        self, path: str, expected: str, actual: str, removed: bool, fate: str | None = None,
        algorithm: str = "sha256", hint: str | None = None,
    ) -> None:
        self.path, self.expected, self.actual, self.removed, self.algorithm = path, expected, actual, removed, algorithm
        if fate is None:
            fate = (
                "The file was removed from the cache so that no later load trusts it; "
                "`zoo download` fetches it again."
                if removed
                else "The file was left in place (it is not in a cache the zoo manages)."
            )
        super().__init__(
            f"{algorithm} mismatch for {path}: expected {expected}, got {actual}. {fate} "
            + (hint or "If the catalog entry is out of date, republish and update its sha256.")
        )


class CorruptWeightsError(ZooError, ValueError):
    """A weights file is not valid safetensors (truncated, a bad header, offsets past the end).

    The message names the file and what is wrong; a copy in the HF cache is removed (like a checksum
    mismatch) so that the next load fetches it again.
    """

    def __init__(self, path: str, problem: str, fate: str = "") -> None:
        self.path, self.problem, self.fate = path, problem, fate
        super().__init__(f"{path} is not a valid safetensors file: {problem}.{' ' + fate if fate else ''}")


class HubUnavailableError(ZooError, ConnectionError):
    """The Hugging Face Hub could not be reached and the file is not in the cache."""


class PublishError(ZooError):
    """The Hub refused a publish (not logged in, no write access, a bad repository or branch name)."""


class WeightsNotFoundError(ZooError, FileNotFoundError):
    """A repository, revision or file does not exist."""


class UnsafeCheckpointError(ZooError, ValueError):
    """A checkpoint format that can execute code (pickle) was offered."""


class UnsafeWeightsError(UnsafeCheckpointError):
    """A file named ``.safetensors`` holds a pickle or a torch zip archive (code could run on load).

    Nothing unpickles it; a copy in the HF cache is removed like a checksum mismatch.
    """

    def __init__(self, path: str, problem: str, fate: str = "") -> None:
        self.path, self.problem, self.fate = path, problem, fate
        super().__init__(
            f"{path} is not safetensors: {problem}. The zoo never unpickles weights; convert a file you "
            f"trust with `zoo convert --i-trust-this-file`.{' ' + fate if fate else ''}"
        )


class MissingPluginError(ZooError, ImportError):
    """A checkpoint needs a component whose plugin is not installed."""


class PredictUnsupportedError(ZooError, NotImplementedError):
    """The model does not implement the predict API (``task``, ``processor()``, ``predict_step()``)."""


class InputError(ZooError, ValueError):
    """User input (an image, a file, a data folder) cannot be used; nothing was changed."""


class SourceError(InputError):
    """A source string (``hf-hub:org/repo@rev``, ``local-dir:path``) is malformed."""


class MissingDependencyError(ZooError, ImportError):
    """An optional package a feature needs is not installed.

    Raise it where the optional import happens, never at module import time, with a message that
    names the package, the feature that needs it and how to get it (the make target, or the
    plugin's extra), e.g. ``MissingDependencyError("open3d is needed to read .ply point clouds;
    install it with `make setup` (or `pip install open3d`)")``; chain the ``ImportError`` with
    ``from exc`` so ``ZOO_DEBUG=1`` shows it.
    """


class PretrainedWeightsUnavailableError(ZooError, ConnectionError):
    """Pretrained backbone weights a recipe asks for are neither reachable nor cached.

    The message names the repository, the pinned revision and ``zoo download``; training from
    random initialisation needs an explicit ``pretrained=False`` (or ``--from-scratch``).
    """


class DataWarning(UserWarning):
    """A dataset skipped records it could not use (one summary per dataset, naming each reason)."""

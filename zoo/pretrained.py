"""Pretrained backbones through timm's Hub layout: pinned, verified, standard HF cache, loud failure.

A plugin whose paper starts from ImageNet weights builds its backbone with
:func:`create_timm_model`::

    from zoo.sdk import PretrainedWeights, create_timm_model

    weights = PretrainedWeights.known("timm/vgg16_bn.tv_in1k")      # the pin in zoo/backbones.toml
    backbone = create_timm_model(
        "vgg16_bn", pretrained=weights if config.pretrained else None, features_only=True, out_indices=(2, 3)
    )

The repository's ``config.json`` and ``model.safetensors`` are fetched at the pinned revision
through :mod:`zoo.hub` into the standard HF cache (so ``zoo download`` can prefetch them and
``HF_HUB_OFFLINE=1`` training finds them), checked (the pin's sha256, else the Hub's own LFS
sha256), validated as safetensors, and handed to ``timm.create_model`` as its pretrained state
dict, so timm adapts them exactly as for ``pretrained=True`` (classifier reset for another
``num_classes``, ``in_chans`` adaptation, ``features_only``). When the files are neither reachable
nor cached, :class:`PretrainedWeightsUnavailableError` names the repository, the revision and the
``zoo download`` command. There is no silent fallback to random initialisation: ``pretrained=None``
is the only way to get one.

While :func:`zoo.load` builds a checkpoint's architecture (:func:`skip_pretrained_weights`), the
weights are *not* fetched: the checkpoint's own state dict replaces every one of them right after
(loaded strictly, so no key stays as built), and a checkpoint trained from ImageNet loads offline
with a cold backbone cache.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from zoo.errors import (
    ConfigError,
    CorruptWeightsError,
    HubUnavailableError,
    MissingDependencyError,
    PretrainedWeightsUnavailableError,
    UnsafeWeightsError,
    ZooError,
)
from zoo.sources import HubSource
from zoo.weights import CONFIG_NAME, WEIGHTS_NAME

_REPO_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
TABLE = Path(__file__).with_name("backbones.toml")
_SKIP_WEIGHTS: ContextVar[bool] = ContextVar("zoo_skip_pretrained_weights", default=False)


@contextmanager
def skip_pretrained_weights() -> Iterator[None]:
    """Build without fetching pretrained weights: the caller loads every weight itself, strictly.

    Inside the block :func:`create_timm_model` builds the architecture its ``pretrained`` argument
    names (the same timm model and tag, the same kwargs) with random weights and touches neither
    the Hub nor the cache. :func:`zoo.load` builds checkpoints this way; a plugin that fetches
    other pretrained weights at build time can ask :func:`pretrained_weights_skipped`.
    """
    token = _SKIP_WEIGHTS.set(True)
    try:
        yield
    finally:
        _SKIP_WEIGHTS.reset(token)


def pretrained_weights_skipped() -> bool:
    """True inside :func:`skip_pretrained_weights` (pretrained weights will be overwritten)."""
    return _SKIP_WEIGHTS.get()


@dataclass(frozen=True)
class PretrainedWeights:
    """Where a backbone's pretrained weights come from: a Hub repository in timm's layout.

    Attributes:
        repo_id: ``"timm/<model>.<tag>"`` (any repository holding ``config.json`` with
            ``architecture`` and ``model.safetensors`` works).
        revision: a 40-hex commit (pinned), or a branch (``"main"``: resolved at download; the
            resolved commit is recorded on the built model and printed by ``zoo download``).
        sha256: the sha256 of ``model.safetensors``; ``None``: only the Hub's own digest is checked.
        filename: the weights file in the repository.
    """

    repo_id: str
    revision: str = "main"
    sha256: str | None = None
    filename: str = WEIGHTS_NAME

    def __post_init__(self) -> None:
        if not _REPO_RE.match(self.repo_id):
            raise ConfigError(f"PretrainedWeights: {self.repo_id!r} is not a Hub repository id ('org/name').")
        from zoo.sources import check_revision

        try:
            check_revision(self.revision, self.repo_id)
        except ZooError as exc:
            raise ConfigError(f"PretrainedWeights: {exc}") from None
        if self.sha256 is not None:
            digest = self.sha256.removeprefix("sha256:").lower()
            if not _SHA256_RE.match(digest):
                raise ConfigError(f"PretrainedWeights({self.repo_id!r}): sha256 must be 64 hex digits, got {self.sha256!r}.")
            object.__setattr__(self, "sha256", digest)

    @property
    def source(self) -> HubSource:
        """The Hub source (repository at revision)."""
        return HubSource(self.repo_id, self.revision)

    @property
    def pinned(self) -> bool:
        """True when both the commit and the sha256 are fixed."""
        return self.source.pinned and self.sha256 is not None

    def __str__(self) -> str:
        return f"{self.repo_id}@{self.revision}"

    def describe(self) -> dict[str, Any]:
        """A JSON-able record (for cards and run provenance)."""
        return {**asdict(self), "pinned": self.pinned}

    @classmethod
    def known(cls, repo_id: str) -> PretrainedWeights:
        """The pin of ``repo_id`` in ``zoo/backbones.toml``.

        Raises:
            ConfigError: if the table has no such backbone (the message lists those it has).
        """
        table = known_backbones()
        if repo_id not in table:
            raise ConfigError(f"No pinned backbone {repo_id!r} in {TABLE}; known: {', '.join(sorted(table))}. "
                              "Construct PretrainedWeights(repo_id, revision, sha256) yourself, or add it there.")
        return table[repo_id]


def known_backbones() -> dict[str, PretrainedWeights]:
    """Every backbone pinned in ``zoo/backbones.toml`` (empty revision = ``main``, empty sha256 = none).

    Raises:
        ConfigError: if the table is malformed.
    """
    try:
        raw = tomllib.loads(TABLE.read_text(encoding="utf-8")).get("backbones", {})
        return {
            repo: PretrainedWeights(repo, revision=row.get("revision") or "main", sha256=row.get("sha256") or None)
            for repo, row in raw.items()
        }
    except (OSError, tomllib.TOMLDecodeError, AttributeError) as exc:
        raise ConfigError(f"Cannot read the backbone pins {TABLE}: {exc}") from None


def find_backbone_weights(name: str, revision: str | None = None) -> PretrainedWeights | None:
    """The backbone a ``zoo download`` NAME means, or None if NAME is not one.

    A backbone NAME is ``timm/<model>.<tag>`` or any repository pinned in ``zoo/backbones.toml``,
    optionally with ``@<revision>`` (which overrides the table's revision and drops its sha256).

    Raises:
        ConfigError: if the revision is given twice, differently.
    """
    repo, _, at = name.partition("@")
    table = known_backbones()
    if repo not in table and not (repo.startswith("timm/") and _REPO_RE.match(repo)):
        return None
    if at and revision and at != revision:
        raise ConfigError(f"{name!r} names revision {at!r} but --revision {revision!r} was given; give one.")
    weights = table.get(repo) or PretrainedWeights(repo)
    wanted = at or revision
    if wanted and wanted != weights.revision:
        weights = replace(weights, revision=wanted, sha256=None)
    return weights


@dataclass(frozen=True)
class BackboneFiles:
    """A backbone's files in the HF cache, verified, and the commit they are from."""

    weights: PretrainedWeights
    config: Path
    state: Path
    commit: str
    sha256: str
    check: str


def fetch_backbone(weights: PretrainedWeights, *, download: bool = True, full_check: bool = False) -> BackboneFiles:
    """Fetch (or find in the cache) a backbone's ``config.json`` and weights, verified.

    ``download=False`` judges only what is cached; ``full_check`` hashes every byte again even if
    this process verified the file before (``zoo verify``).

    Raises:
        PretrainedWeightsUnavailableError: neither reachable nor cached (names repo, revision and
            ``zoo download``).
        WeightsNotFoundError: the repository, revision or file does not exist.
        ChecksumMismatchError: the file differs from the pin or the Hub's digest (a cached copy is
            removed).
    """
    from zoo.hub import fetch_file, hub_cache_dir
    from zoo.weights import sha256_file, verify_file

    cache = hub_cache_dir()
    try:
        config = fetch_file(weights.source, CONFIG_NAME, local_files_only=not download)
        state = fetch_file(weights.source, weights.filename, local_files_only=not download, verify=weights.sha256 is None)
    except HubUnavailableError as exc:
        raise PretrainedWeightsUnavailableError(unavailable_message(weights, str(exc))) from None
    if weights.sha256 is not None:
        verify_file(state, weights.sha256, cache=cache, use_memo=not full_check, hint=(
            f"The expected value is the pin of {weights.repo_id} (zoo/backbones.toml or the plugin's PretrainedWeights)."))
        check = "sha256 pinned by the zoo"
    else:
        from zoo.cache import hub_digest

        digest = hub_digest(state, cache)
        if digest is not None and full_check:
            verify_file(state, digest.value, algorithm=digest.algorithm, cache=cache, use_memo=False)
        check = "the Hub's own digest (ETag) only: no sha256 pinned yet" if digest else "none (no recorded digest)"
    blob = state.resolve().name
    actual = blob if _SHA256_RE.match(blob) else sha256_file(state)
    return BackboneFiles(weights, config, state, state.parent.name, actual, check)


def unavailable_message(weights: PretrainedWeights, reason: str) -> str:
    """The text of :class:`PretrainedWeightsUnavailableError` for ``weights``."""
    return (
        f"Pretrained weights {weights.repo_id} at revision {weights.revision} are neither reachable nor cached "
        f"({reason}). Where the Hub is reachable, run `zoo download {weights.repo_id}@{weights.revision}` "
        "(it fills the standard HF cache, which offline training then uses). To train from random "
        "initialisation instead, say so explicitly: pretrained=False (or --from-scratch)."
    )


def _import_timm() -> Any:
    try:
        import timm
    except ImportError as exc:
        raise MissingDependencyError(
            "timm is needed to build pretrained backbones; install it with `make setup` (or `pip install timm`)."
        ) from exc
    return timm


def _architecture(name: str, files: BackboneFiles) -> str:
    """The timm model name to build: checked against the repository's ``config.json``.

    Raises:
        ConfigError: if the repository holds another architecture than ``name``.
    """
    try:
        config = json.loads(files.config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{files.config} (of {files.weights.repo_id}) is not a timm config.json: {exc}") from None
    arch = str(config.get("architecture", "")) if isinstance(config, dict) else ""
    if arch.split(".")[0] != name.split(".")[0]:
        raise ConfigError(
            f"{files.weights.repo_id} holds {arch or 'no architecture'!r}, not {name!r}: the pin points at the "
            "wrong repository, or the model name is wrong."
        )
    tagged = files.weights.repo_id.split("/")[-1]
    if "." not in name and tagged.startswith(name + "."):
        return tagged  # the tag's pretrained_cfg (mean/std, input size) comes with it
    return name


def _overlay(files: BackboneFiles, timm: Any) -> dict[str, Any]:
    """The repository's pretrained_cfg fields timm knows, plus the verified state dict."""
    import dataclasses

    from zoo.weights import read_weights

    raw = json.loads(files.config.read_text(encoding="utf-8"))
    known = {f.name for f in dataclasses.fields(timm.models.PretrainedCfg)}
    overlay = {k: v for k, v in dict(raw.get("pretrained_cfg") or {}).items() if k in known}
    if "num_classes" in raw:
        overlay["num_classes"] = raw["num_classes"]
    try:
        state = read_weights(files.state)
    except (CorruptWeightsError, UnsafeWeightsError) as exc:
        from zoo.cache import purge_cached_file
        from zoo.hub import hub_cache_dir

        raise type(exc)(exc.path, exc.problem, purge_cached_file(files.state, hub_cache_dir()).note) from None
    # The state dict is the only weight source: timm must not look for another.
    return {**overlay, "state_dict": state, "source": "", "file": None, "url": None, "hf_hub_id": None}


def _tagged_name(name: str, weights: PretrainedWeights, timm: Any) -> str:
    """The name :func:`_architecture` would choose, without the repository's config.json.

    The repository's tag when timm knows it (its pretrained_cfg: mean/std, input size), else ``name``.
    """
    tagged = weights.repo_id.split("/")[-1]
    if "." in name or not tagged.startswith(name + "."):
        return name
    try:
        timm.models.get_pretrained_cfg(tagged, allow_unregistered=False)
    except RuntimeError:  # a tag timm does not know: the architecture is the same
        return name
    return tagged


def create_timm_model(name: str, pretrained: PretrainedWeights | None = None, **timm_kwargs: Any) -> Any:
    """Build a timm model, with pinned pretrained weights or (``pretrained=None``) random init.

    Args:
        name: the timm architecture (``"vgg16_bn"``, ``"resnet50"``; a tag is allowed).
        pretrained: where the weights come from (:class:`PretrainedWeights`); ``None`` builds a
            randomly initialised model, the only way to get one.
        **timm_kwargs: passed to ``timm.create_model`` (``features_only``, ``out_indices``,
            ``num_classes``, ``in_chans``, ...); timm adapts the pretrained weights to them.

    Returns:
        The timm module. With weights, ``model.zoo_pretrained`` records their repository,
        the commit they came from, their sha256 and how they were checked; inside
        :func:`skip_pretrained_weights` the weights are random (and not recorded).

    Raises:
        PretrainedWeightsUnavailableError: the weights are neither reachable nor cached.
        WeightsNotFoundError: the repository or revision does not exist.
        ChecksumMismatchError, CorruptWeightsError, UnsafeWeightsError: the file is not the one
            pinned, or not valid safetensors (a cached copy is removed; the next call refetches).
        ConfigError: the repository holds another architecture.
        MissingDependencyError: timm is not installed.
    """
    timm = _import_timm()
    if pretrained is None:
        return timm.create_model(name, pretrained=False, **timm_kwargs)
    if pretrained_weights_skipped():
        return timm.create_model(_tagged_name(name, pretrained, timm), pretrained=False, **timm_kwargs)
    files = fetch_backbone(pretrained)
    model_name = _architecture(name, files)
    model = timm.create_model(model_name, pretrained=True, pretrained_cfg_overlay=_overlay(files, timm), **timm_kwargs)
    for attr in ("pretrained_cfg", "default_cfg"):
        cfg = getattr(model, attr, None)
        if isinstance(cfg, dict):
            cfg.pop("state_dict", None)  # do not keep a second copy of the weights alive
    model.zoo_pretrained = {
        "repo_id": pretrained.repo_id, "revision": pretrained.revision, "commit": files.commit,
        "sha256": files.sha256, "check": files.check,
    }
    return model


def prefetch_backbone(weights: PretrainedWeights, *, download: bool = True) -> dict[str, Any]:
    """``zoo download``/``verify`` of a backbone: the files, and the pin to paste when unpinned.

    Raises:
        The errors of :func:`fetch_backbone`.
    """
    files = fetch_backbone(weights, download=download, full_check=not download)
    hint = _hints().get(weights.repo_id)
    report: dict[str, Any] = {
        "name": str(weights),
        "source": f"hf-hub:{weights.repo_id}@{files.commit}",
        "files": {CONFIG_NAME: {"path": str(files.config), "check": "the Hub's own digest (ETag)"},
                  weights.filename: {"path": str(files.state), "check": files.check}},
        "pin": {"repo_id": weights.repo_id, "revision": files.commit, "sha256": files.sha256},
    }
    if hint:
        report["third_party_sha256"] = {"value": hint, "matches": hint == files.sha256}
    return report


def _hints() -> dict[str, str]:
    raw = tomllib.loads(TABLE.read_text(encoding="utf-8")).get("backbones", {})
    return {repo: row["hint_sha256"] for repo, row in raw.items() if row.get("hint_sha256")}

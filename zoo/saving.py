"""``zoo.save``: write a folder that ``zoo.load`` and the Hub both understand."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zoo._version import __version__
from zoo.errors import ConfigError
from zoo.modelcard import CardInfo, card_from_any, render_card
from zoo.weights import CARD_NAME, CONFIG_NAME, WEIGHTS_NAME, save_weights, sha256_file

#: Bumped when the layout of config.json changes; loaders migrate older layouts.
SCHEMA_VERSION = 1


class SavedConfig(BaseModel):
    """The ``config.json`` of a saved model."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    schema_version: int
    zoo_version: str
    model: str
    config: dict[str, Any]
    components: dict[str, str]
    card: CardInfo = CardInfo()
    #: sha256 of model.safetensors at save time: a folder loaded without a catalog pin is checked
    #: against it (absent in folders saved by zoo < 0.2, which load unverified).
    weights_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


def component_providers(model: Any) -> dict[str, str]:
    """``{registry name: distribution@version}`` for the model and every registered part in it."""
    from zoo.plugins import get_host

    registry = get_host().registry
    providers: dict[str, str] = {}
    for module in model.modules():
        name = getattr(module, "zoo_name", None)
        if name and name in registry.entries:
            providers[name] = registry.entries[name].provider
    return providers


def save(
    model: Any, out_dir: str | Path, card: CardInfo | dict[str, Any] | None = None, *, state_dict: Any = None
) -> Path:
    """Save a built model as ``config.json`` + ``model.safetensors`` + ``README.md`` (model card).

    Args:
        model: a component built by ``zoo.build``/``zoo.load`` (it carries ``zoo_name`` and
            ``config``).
        out_dir: the folder to write (created; existing files of the same names are replaced). The
            save is never half done: a new folder appears whole, and in an existing one the files
            are moved into place only once all are written (a failed or killed save leaves the
            previous files).
        card: model-card information (:class:`zoo.modelcard.CardInfo` or a dict of its fields);
            its ``name`` should be the checkpoint's catalog name (the card's "Use" snippet loads
            that name; without one it loads ``./<folder name>``, the folder seen from its parent).
        state_dict: the weights to write instead of ``model.state_dict()`` (like transformers'
            ``save_pretrained``): e.g. the full state gathered from an FSDP-sharded model by
            ``Trainer.model_state_dict()``. Its keys must be the model's.

    Returns:
        The folder written.

    Raises:
        ConfigError: if the model was not built by the zoo (no registry name or config), or the
            card has an unknown or mistyped field (the message names each, e.g. a metric row
            without ``measured_on``).
        InputError: if ``out_dir`` is an existing file or a link (nothing is written).
        ConfigError: if ``state_dict`` has other keys than the model's (nothing is written).
    """
    name = getattr(model, "zoo_name", None)
    config = getattr(model, "config", None)
    if not name or not isinstance(config, BaseModel):
        raise ConfigError(
            f"{type(model).__name__} was not built by zoo.build (no zoo_name/config); build it with "
            "zoo.build(name) so that its config can be saved beside the weights."
        )
    if state_dict is not None:
        from zoo.weights import check_state_fits

        check_state_fits(model, state_dict)
    info = card_with_model_facts(card_from_any(card), model)
    out = Path(out_dir)
    components = component_providers(model)
    load_name = info.name or folder_load_name(out)
    # Rendered before anything is written: a card error leaves no half-saved folder.
    card_text = render_card(info, name, components, load_name, predicts=implements_predict(model))
    saved = SavedConfig(
        schema_version=SCHEMA_VERSION,
        zoo_version=__version__,
        model=name,
        config=config.model_dump(mode="json"),
        components=components,
        card=info,
    )
    with _writing(out) as work:
        save_weights(model, work / WEIGHTS_NAME, state=state_dict)
        saved.weights_sha256 = sha256_file(work / WEIGHTS_NAME)
        (work / CARD_NAME).write_text(card_text, encoding="utf-8")
        (work / CONFIG_NAME).write_text(saved.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return out


@contextmanager
def _writing(out: Path) -> Iterator[Path]:
    """A save that is never half done: every file is written into a hidden sibling folder first.

    A new folder is that sibling, renamed; into an existing folder the files are moved at the end
    (``config.json`` last, so a folder whose config is there has the weights it names), other
    files in it are kept. A failure removes the sibling; a SIGKILL leaves only the hidden
    ``.<name>.tmp-<pid>-<hex>`` sibling, never a half-written ``out``.
    """
    import shutil
    import uuid

    from zoo.fsutil import check_output_dir

    fresh = not out.exists()
    if not fresh:
        check_output_dir(out, overwrite=True)  # a file or a link at `out` is refused, untouched
    work = out.parent / f".{out.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"  # fsutil's _WORK_NAME
    work.mkdir(parents=True)
    try:
        yield work
        if fresh:
            work.rename(out)
        else:
            for name in (WEIGHTS_NAME, CARD_NAME, CONFIG_NAME):
                os.replace(work / name, out / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def folder_load_name(out: Path) -> str:
    """What a card's reader passes to ``zoo.load`` for a folder saved without a catalog name.

    ``./<folder name>``: relative (an absolute path would leak the writer's layout and mean nothing
    on another machine) and the folder's final name, never the temporary sibling that
    :func:`zoo.fsutil.atomic_output_dir` writes into.
    """
    from zoo.fsutil import final_name

    return f"./{final_name(out.resolve())}"


def card_with_model_facts(info: CardInfo, model: Any) -> CardInfo:
    """The card with the model's declared task (the model class is the authority on its task)."""
    task = getattr(model, "task", None)
    return info.model_copy(update={"task": task}) if task else info


def implements_predict(model: Any) -> bool:
    """True if ``zoo.predict`` can run the model (see :func:`zoo.predicting.implements_predict`)."""
    from zoo.predicting import implements_predict as implements

    return implements(model)


#: A config.json larger than this is refused before it is read (they are a few kB).
MAX_CONFIG_BYTES = 16 * 1024 * 1024


def read_saved_config(path: Path) -> SavedConfig:
    """Read and validate a ``config.json`` written by :func:`save`.

    Raises:
        ConfigError: if the file is missing, not a file, too large, not UTF-8 JSON, misses fields,
            has a field of the wrong type (``schema_version: "abc"``) or has a newer schema. The
            message names the file and each wrong field.
    """
    raw = _read_json(path)
    if not isinstance(raw, dict) or "model" not in raw:
        raise ConfigError(f"{path} is not a zoo config.json (no 'model' key); was it saved with zoo.save?")
    version = raw.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError(
            f"{path}: schema_version must be a positive integer (this zoo writes {SCHEMA_VERSION}), got {version!r}."
        )
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"{path} has schema_version {version}, newer than this zoo ({SCHEMA_VERSION}); upgrade zoo."
        )
    try:
        return SavedConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:8])
        raise ConfigError(f"Invalid zoo config.json {path}: {problems}.") from None


def _read_json(path: Path) -> object:
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path} is {size} bytes, too large for a zoo config.json (at most {MAX_CONFIG_BYTES}).")
        return json.loads(path.read_text(encoding="utf-8"))
    except ConfigError:
        raise
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else f"{type(exc).__name__}: {exc}"
        raise ConfigError(f"Cannot read {path} as a zoo config.json: {reason}") from None

"""``zoo.predict``: one way to run any zoo model on paths or in-memory inputs.

(The module is ``zoo.predicting``, like ``zoo.saving``/``zoo.loading``: a submodule named
``zoo.predict`` would replace the ``zoo.predict`` function on the package when imported.)

Like a transformers pipeline: the model's own :class:`~zoo.processing.Processor` preprocesses, the
model's ``predict_step`` runs one forward per batch, and every model answers with the same
:class:`~zoo.prediction.Prediction` records. Inputs are all loaded (and so validated) before any
file is written; items that cannot share a tensor go to separate size buckets (the processor's
``bucket_key``); pictures get one unique file stem per input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo.devices import model_placement, move_to, resolve_device, resolve_dtype
from zoo.errors import InputError, PredictUnsupportedError, ZooError  # the error lived here: still importable
from zoo.prediction import Prediction
from zoo.processing import Processor

#: Preprocessed items are kept from validation to the forward pass up to this many bytes; past
#: it they are loaded again when their batch comes (memory stays bounded for many inputs).
KEEP_BYTES = 1 << 30


@dataclass
class _Loaded:
    key: Any
    item: Any  # None once the keep budget is spent: reloaded for its batch


def predict(
    name_or_model: Any,
    inputs: Any,
    *,
    batch_size: int = 8,
    device: str | None = None,
    dtype: Any = None,
    out_dir: str | Path | None = None,
    progress: bool | None = None,
) -> list[Prediction]:
    """Run a model on inputs and return one :class:`Prediction` per input, in input order.

    Args:
        name_or_model: a catalog name (``"l2hcount-synth"``), a source (``hf-hub:org/repo@rev``,
            ``local-dir:path``) or a model built/loaded by the zoo (moved to ``device``/``dtype``
            in place, like a pipeline does).
        inputs: a list of inputs, or one input; each is a path or an in-memory object the
            model's processor accepts (an image array, a clip's frames, a point array).
        batch_size: items per forward pass (items of different sizes never share one).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or ``"auto"`` (the best available);
            default: where the model is (``cpu`` for a name).
        dtype: ``torch.float32``/``"float32"``, ``"bfloat16"``/``"bf16"``, ``"float16"``/``"fp16"``;
            default: the model's.
        out_dir: where to draw each prediction's pictures (``<stem>*.png``, one stem per input);
            no pictures without it.
        progress: show a progress bar (default: when stderr is a terminal and there are several
            batches).

    Returns:
        The predictions; ``[p.to_dict() for p in ...]`` is the ``predictions`` array of
        ``zoo predict --json``.

    Raises:
        InputError: if an input cannot be used (nothing is written then), there are no inputs,
            ``batch_size`` < 1 or ``out_dir`` is a file.
        PredictUnsupportedError: if the model does not implement the predict API.
        ConfigError: if ``device`` or ``dtype`` is not understood.
        UnknownComponentError, RecipeNotPublishedError, HubUnavailableError, ...: from
            :func:`zoo.load` when a name is given.
    """
    model = prepare_model(name_or_model, device=device, dtype=dtype)
    processor = processor_of(model)
    items = as_input_list(inputs)
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}.")
    out = _output_dir(out_dir)
    with _progress_bar(progress, len(items), batch_size) as bar:
        loaded = load_all(processor, items, bar)
        with _staging(out) as stage:  # only now: every input was valid; a later failure adds nothing
            outputs, files = _run_batches(model, processor, items, loaded, batch_size, stage, bar)
    if out is not None:
        files = [[_moved(f, stage, out) for f in fs] for fs in files]
    return [Prediction(processor.describe(x), model.task, outputs[i], files[i]) for i, x in enumerate(items)]


@contextmanager
def _staging(out: Path | None) -> Iterator[Path | None]:
    if out is None:
        yield None
        return
    from zoo.fsutil import staged_output

    with staged_output(out) as stage:
        yield stage


def _moved(path: Path, stage: Path | None, out: Path) -> Path:
    """Where a picture drawn into the staging folder lives now (a file drawn elsewhere stays)."""
    try:
        return out / path.relative_to(stage) if stage is not None else path
    except ValueError:
        return path


def _run_batches(
    model: Any, processor: Processor, items: list[Any], loaded: list[_Loaded], batch_size: int,
    out: Path | None, bar: "_Bar",
) -> tuple[list[dict[str, Any]], list[list[Path]]]:
    """One forward per batch; each item's outputs and, with ``out``, its pictures."""
    import torch

    stems = unique_stems(items) if out is not None else []
    outputs: list[dict[str, Any]] = [{} for _ in items]
    files: list[list[Path]] = [[] for _ in items]
    device, dtype = model_placement(model)
    bar.start("predicting", len(items))
    for indices in batches(loaded, batch_size):
        chunk = [loaded[i].item if loaded[i].item is not None else processor.load(items[i]) for i in indices]
        batch = move_to(processor.collate(chunk), device, dtype)
        with torch.inference_mode():
            results = model.predict_step(batch)
        _check_outputs(model, results, len(indices), [processor.describe(items[i]) for i in indices])
        for i, item, result in zip(indices, chunk, results):
            outputs[i] = result
            if out is not None:
                files[i] = [Path(p) for p in model.render(item, result, out, stems[i])]
        bar.advance(len(indices))
    return outputs, files


def prepare_model(name_or_model: Any, *, device: str | None = None, dtype: Any = None) -> Any:
    """A model ready to predict: loaded if named, in eval mode, on ``device`` in ``dtype``.

    Raises:
        ConfigError: if ``device`` or ``dtype`` is not understood.
        PredictUnsupportedError: if the object is not a zoo model.
    """
    if isinstance(name_or_model, (str, Path)):
        import zoo

        model = zoo.load(str(name_or_model))
    else:
        model = name_or_model
    if not hasattr(model, "predict_step"):
        raise PredictUnsupportedError(
            f"{type(model).__name__} is not a zoo model; pass a catalog name, a source, or a model "
            "from zoo.load/zoo.build."
        )
    torch_device, torch_dtype = resolve_device(device), resolve_dtype(dtype)
    if torch_device is not None or torch_dtype is not None:
        model.to(device=torch_device, dtype=torch_dtype)
    return model.eval()


def implements_predict(model_or_class: Any) -> bool:
    """True if a zoo model (class or instance) declares its task and overrides ``processor()``
    and ``predict_step()``, so that :func:`predict` can run it."""
    from zoo.components import Model

    cls = model_or_class if isinstance(model_or_class, type) else type(model_or_class)
    return (
        issubclass(cls, Model) and bool(getattr(cls, "task", None))
        and cls.processor is not Model.processor and cls.predict_step is not Model.predict_step
    )


def processor_of(model: Any) -> Processor:
    """The model's processor, or a typed error naming what the model lacks.

    Raises:
        PredictUnsupportedError: if the model has no ``task`` or does not implement ``processor()``.
    """
    name = getattr(model, "zoo_name", None) or type(model).__name__
    if not getattr(model, "task", None):
        raise PredictUnsupportedError(
            f"{name} does not declare its task, so zoo.predict cannot run it; its plugin must set "
            "`task` and implement processor() and predict_step() (docs/architecture.md)."
        )
    try:
        processor = model.processor()
    except NotImplementedError:
        raise PredictUnsupportedError(
            f"{name} does not implement processor()/predict_step() yet, so zoo.predict cannot run "
            "it; update its plugin."
        ) from None
    if not isinstance(processor, Processor):
        raise PredictUnsupportedError(f"{name}.processor() returned {type(processor).__name__}, not a zoo.sdk.Processor.")
    return processor


def as_input_list(inputs: Any) -> list[Any]:
    """A list or tuple is many inputs; anything else (a path, an array, a clip dict) is one.

    Raises:
        InputError: if there are no inputs.
    """
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if not items:
        raise InputError("No inputs given: pass a path, an in-memory input, or a list of them.")
    return items


def load_all(processor: Processor, inputs: Sequence[Any], bar: "_Bar") -> list[_Loaded]:
    """Load (and so validate) every input; keep the items up to :data:`KEEP_BYTES`.

    Raises:
        InputError: for the first input that cannot be used (``load`` errors other than
            :class:`ZooError` are wrapped with the input's name).
    """
    loaded, kept = [], 0
    bar.start("reading inputs", len(inputs))
    for x in inputs:
        try:
            item = processor.load(x)
        except ZooError:
            raise
        except Exception as exc:  # a decoder's own error: name the input, keep the cause short
            raise InputError(f"{processor.describe(x)}: cannot be read ({type(exc).__name__}: {exc}).") from exc
        size = nbytes(item)
        keep = kept + size <= KEEP_BYTES
        kept += size if keep else 0
        loaded.append(_Loaded(processor.bucket_key(item), item if keep else None))
        bar.advance(1)
    return loaded


def batches(loaded: Sequence[_Loaded], batch_size: int) -> Iterator[list[int]]:
    """Indices of each batch: items grouped by bucket key (first-seen order), ``batch_size`` at most."""
    buckets: dict[Any, list[int]] = {}
    for i, entry in enumerate(loaded):
        buckets.setdefault(entry.key, []).append(i)
    for indices in buckets.values():
        for start in range(0, len(indices), batch_size):
            yield indices[start:start + batch_size]


def unique_stems(inputs: Sequence[Any]) -> list[str]:
    """One file stem per input, unique: a path's name, with parent folders added where names clash.

    ``a/img.jpg`` and ``b/img.jpg`` give ``a_img`` and ``b_img``; the same path twice gives
    ``img`` and ``img-2``; in-memory inputs are ``input-<n>`` (1-based position).
    """
    parts = [_path_parts(x, i) for i, x in enumerate(inputs)]
    depth = [1] * len(inputs)
    while True:
        stems = ["_".join(reversed(p[: d])) for p, d in zip(parts, depth)]
        # Grow a name by one parent folder while another input with a different path shares it.
        grow = [
            i for i, s in enumerate(stems)
            if depth[i] < len(parts[i]) and any(t == s and parts[j] != parts[i] for j, t in enumerate(stems))
        ]
        if not grow:
            break
        for i in grow:
            depth[i] += 1
    seen: dict[str, int] = {}
    result = []
    for stem in stems:
        seen[stem] = seen.get(stem, 0) + 1
        result.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return result


def _path_parts(input: Any, index: int) -> list[str]:
    if not isinstance(input, (str, Path)):
        return [f"input-{index + 1}"]
    path = Path(input)
    names = [path.stem or path.name, *(p.name for p in path.resolve().parents if p.name)]
    return [re.sub(r"[^\w.-]+", "-", n).strip("-") or "input" for n in names]


def nbytes(item: Any) -> int:
    """Bytes held by the tensors/arrays of an item (nested dicts, lists and tuples)."""
    if hasattr(item, "nbytes"):
        return int(item.nbytes)
    if hasattr(item, "element_size") and hasattr(item, "nelement"):
        return int(item.element_size() * item.nelement())
    if isinstance(item, dict):
        return sum(nbytes(v) for v in item.values())
    if isinstance(item, (list, tuple)):
        return sum(nbytes(v) for v in item)
    return 0


def _output_dir(out_dir: str | Path | None) -> Path | None:
    if out_dir is None:
        return None
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder for the pictures.")
    return out


def _check_outputs(model: Any, results: Any, expected: int, inputs: list[str]) -> None:
    name = getattr(model, "zoo_name", None) or type(model).__name__
    if not isinstance(results, list) or len(results) != expected or not all(isinstance(r, dict) for r in results):
        got = f"{len(results)} items" if isinstance(results, list) else type(results).__name__
        raise PredictUnsupportedError(f"{name}.predict_step must return a list of {expected} dicts (one per item), got {got}.")
    try:
        json.dumps(results)
    except (TypeError, ValueError) as exc:
        raise PredictUnsupportedError(f"{name}.predict_step returned outputs that are not plain JSON ({exc}).") from None
    bad = [x for x, r in zip(inputs, results) if not _finite(r)]
    if bad:
        raise InputError(
            f"{name} predicted NaN or infinite values for {', '.join(bad)}: check those inputs for NaN/inf "
            "values or extreme ranges (or the checkpoint: its weights may have diverged). Nothing was written."
        )


def _finite(outputs: dict[str, Any]) -> bool:
    try:
        json.dumps(outputs, allow_nan=False)
    except ValueError:
        return False
    return True


class _Bar:
    """A rich progress bar (or nothing): one bar per phase, reading inputs then predicting."""

    def __init__(self, progress: Any) -> None:
        self._progress = progress
        self._task: Any = None

    def start(self, description: str, total: int) -> None:
        if self._progress is not None:
            if self._task is not None:
                self._progress.remove_task(self._task)
            self._task = self._progress.add_task(description, total=total)

    def advance(self, steps: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, steps)


@contextmanager
def _progress_bar(progress: bool | None, count: int, batch_size: int) -> Iterator[_Bar]:
    import sys

    enabled = progress if progress is not None else (sys.stderr.isatty() and count > batch_size)
    if not enabled:
        yield _Bar(None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        yield _Bar(bar)

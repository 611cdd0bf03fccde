"""``zoo.sdk.Processor``: a model's preprocessing as an object a user can call and reuse.

The model is timm's data config + transform and transformers' processors: the settings (input
size, mean/std, frame or point sampling) are fields of the *model config*, so they travel in the
checkpoint's ``config.json`` and a Hub copy preprocesses exactly like the local one. A model returns
its processor from :meth:`zoo.Model.processor`, built from ``self.config``.

A processor turns one user input (a path, or an in-memory object: an image array, a clip's frames,
a point array) into a preprocessed *item* with :meth:`Processor.load`, and a list of items into
one batch with :meth:`Processor.collate`. Items that cannot share a tensor (images of different
sizes) say so through :meth:`Processor.bucket_key`: :func:`zoo.predict` batches only items with
equal keys together. ``load`` raises :class:`zoo.sdk.InputError` for an unusable input; ``zoo.predict``
loads every input before it writes any output, so one bad file changes nothing. It keeps the loaded
items for their batch up to a memory budget (their tensors' and arrays' bytes, or an item's own
``nbytes`` attribute) and loads the rest again when their batch comes.

This module imports nothing heavy: ``torch`` is imported only by the default ``collate``.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any


class Processor:
    """Base class of every model's processor (subclass it in the plugin's ``processor.py``).

    Subclasses implement :meth:`load`; the defaults of the other methods suit items of one shape.
    Settings are plain attributes set in ``__init__`` (copied from the model config); the default
    :meth:`to_dict` reports every public JSON-able attribute.

    Example::

        processor = model.processor()
        batch = processor(["a.jpg", "b.jpg"])      # collate([load(x) for x in inputs])
        outputs = model.predict_step(batch)         # one dict per input
    """

    def load(self, input: Any) -> Any:
        """Read and preprocess one input (a path or an in-memory object) into an item.

        Raises:
            InputError: if the input cannot be used (missing file, wrong format or shape); the
                message names the input and what was expected.
            NotImplementedError: in a subclass that does not implement it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement load()")

    def collate(self, items: list[Any]) -> Any:
        """Stack items into one batch for :meth:`zoo.Model.predict_step` (default: torch's collate).

        Raises:
            InputError: if the items cannot share a batch (a subclass that pads may never raise).
        """
        import torch

        try:
            return torch.utils.data.default_collate(items)
        except RuntimeError as exc:  # shapes differ: the processor should have bucketed them
            from zoo.errors import InputError

            raise InputError(
                f"{type(self).__name__} cannot stack these items into one batch ({exc}); give "
                "items of different shapes different bucket_key() values."
            ) from None

    def bucket_key(self, item: Any) -> Hashable:
        """Items with equal keys may share a batch (default: all items share one bucket).

        A processor whose items keep their input size returns that size here, so that
        :func:`zoo.predict` forms size buckets instead of failing to stack.
        """
        return None

    def describe(self, input: Any) -> str:
        """A short text naming the input, for a :class:`zoo.sdk.Prediction` and its JSON.

        A path is given as written; an array by its type, shape and dtype.
        """
        return describe_input(input)

    def to_dict(self) -> dict[str, Any]:
        """The processor's settings as JSON-able data (its class and every public setting)."""
        cls = type(self)
        settings = {k: v for k, v in vars(self).items() if not k.startswith("_") and _jsonable(v)}
        return {"processor": f"{cls.__module__}:{cls.__qualname__}", **settings}

    def __call__(self, inputs: Iterable[Any]) -> Any:
        """Load every input and collate them into one batch.

        Raises:
            InputError: if an input cannot be loaded or the items cannot share a batch.
        """
        return self.collate([self.load(x) for x in inputs])

    def __repr__(self) -> str:
        settings = {k: v for k, v in self.to_dict().items() if k != "processor"}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in settings.items())})"


def describe_input(input: Any) -> str:
    """A short text for an input: a path as written, an array as ``array(shape dtype)``, a dict by keys."""
    if isinstance(input, (str, Path)):
        return str(input)
    shape = getattr(input, "shape", None)
    if shape is not None:
        dtype = getattr(input, "dtype", "")
        name = "tensor" if type(input).__module__.startswith("torch") else "array"
        return f"{name}({'x'.join(str(int(s)) for s in shape)} {str(dtype).removeprefix('torch.')})"
    if isinstance(input, dict):
        return "{" + ", ".join(f"{k}: {describe_input(v)}" for k, v in input.items()) + "}"
    if isinstance(input, (list, tuple)):
        return f"{type(input).__name__}[{', '.join(describe_input(v) for v in input)}]"
    return type(input).__name__


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True

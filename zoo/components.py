"""Base classes of the component kinds (imported lazily: this module imports torch).

A component is an ``nn.Module`` built from its pydantic config. ``Model`` subclasses assemble parts
that their config names by registry name (see :func:`build_part`), and implement the steps the
engine calls: :meth:`Model.training_step` and :meth:`Model.evaluation_step`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn
from torch.utils.data import Dataset as TorchDataset

from zoo.config import ComponentConfig, PartRef


class Component(nn.Module):
    """Base of encoders, experts, memories, heads and models.

    Subclasses set ``Config`` (a :class:`ComponentConfig` subclass) and build themselves from it in
    ``__init__(self, config)``. ``zoo.build`` sets :attr:`zoo_name` to the registry name used.
    """

    kind: ClassVar[str] = "component"
    Config: ClassVar[type[ComponentConfig]] = ComponentConfig

    def __init__(self, config: ComponentConfig | None = None) -> None:
        super().__init__()
        self.config = config if config is not None else self.Config()
        self.zoo_name: str | None = None

    def example_inputs(self) -> tuple[Any, ...]:
        """A tiny input for ``forward`` (used by the conformance kit and ``zoo info``).

        Raises:
            NotImplementedError: in subclasses that do not provide one; every registered
                component should, so that ``zoo.testing`` can check it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define example_inputs()")


class Encoder(Component):
    """Maps raw inputs (images, point clouds, frames) to features.

    Contract (what assembling models read, checked by ``zoo.testing.check_component``):

    - ``out_channels``: set in ``__init__``. An ``int`` when ``forward`` returns one feature tensor
      whose channel axis (dim 1, or the last dim for token sequences) has that width, e.g.
      ``[B, out_channels]`` or ``[B, out_channels, H, W]``; a ``list[int]`` when it returns one
      feature map per scale (``out_channels[i]`` is the width of map ``i``).
    """

    kind: ClassVar[str] = "encoder"
    out_channels: int | list[int]


class Expert(Component):
    """Produces a fixed number of tokens from one view of the input.

    Contract (what assembling models read, checked by ``zoo.testing.check_component``):

    - ``tokens``: how many tokens ``forward`` returns (an ``int``, an attribute or a property);
    - ``out_dim``: the width of each token (an ``int``);
    - ``forward(...)`` returns ``[B, tokens, out_dim]``.

    A model sizes its projectors from ``out_dim`` and its prompt placeholders from ``tokens``, so
    an expert from another distribution fits any slot whose view it can read.
    """

    kind: ClassVar[str] = "expert"
    tokens: int
    out_dim: int


class Memory(Component):
    """A learned memory read by attention (e.g. L2HCount's dual-density memory).

    Contract (checked by ``zoo.testing.check_component``): ``forward(features, ...)`` returns the
    refined features with the shape of ``features`` (its first input), alone or as the first
    element of a tuple (a ``NamedTuple`` may add gate logits, attention...).
    """

    kind: ClassVar[str] = "memory"


class Head(Component):
    """Maps features to the task's output (density map, logits, prototypes...).

    Its input width is a config field the assembling model imposes through
    :func:`build_part` (``in_channels=...``), so a mismatch is a config error at build time.
    """

    kind: ClassVar[str] = "head"


class Model(Component):
    """An assembled network whose config names its parts by registry name.

    The engine calls :meth:`training_step` (a dict of named scalar losses; their sum is optimised
    unless a ``"loss"`` key is given) and :meth:`evaluation_step` (whatever the model's metric
    accumulates). ``metric`` names a metric of :mod:`zoo.metrics`.
    """

    kind: ClassVar[str] = "model"
    metric: ClassVar[str | None] = None
    #: What the model predicts, for ``zoo.predict`` and the card's ``pipeline_tag``
    #: (``crowd-counting``, ``micro-expression-recognition``, ``point-cloud-classification``).
    task: ClassVar[str | None] = None

    def training_step(self, batch: Any) -> dict[str, torch.Tensor]:
        """Named losses for one batch.

        Raises:
            NotImplementedError: if the model cannot be trained by the engine.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement training_step()")

    def evaluation_step(self, batch: Any) -> dict[str, Any]:
        """Predictions and targets for one batch, in the form the model's metric expects.

        Raises:
            NotImplementedError: if the model cannot be evaluated by the engine.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement evaluation_step()")

    def processor(self) -> Any:
        """The model's :class:`zoo.sdk.Processor`, built from ``self.config`` (used by ``zoo.predict``).

        Raises:
            NotImplementedError: if the model does not implement the predict API.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement processor()")

    def predict_step(self, batch: Any) -> list[dict[str, Any]]:
        """ONE batched forward on a collated batch; one JSON-able outputs dict per item.

        ``zoo.predict`` calls it under ``torch.inference_mode()`` with the batch's tensors on the
        model's device (floating tensors in the model's dtype).

        Raises:
            NotImplementedError: if the model does not implement the predict API.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement predict_step()")

    def render(self, item: Any, outputs: dict[str, Any], out_dir: Path, stem: str) -> list[Path]:
        """Draw the picture(s) of one prediction into ``out_dir`` as ``<stem>*.png`` (optional).

        ``item`` is what the processor's ``load`` returned for the input, ``outputs`` what
        :meth:`predict_step` returned for it; ``stem`` is unique per input. Default: no picture.
        """
        return []


class Dataset(TorchDataset):
    """A registered dataset, built from a config that holds at least its ``root`` folder."""

    kind: ClassVar[str] = "dataset"
    Config: ClassVar[type[ComponentConfig]] = ComponentConfig

    def __init__(self, config: ComponentConfig | None = None) -> None:
        self.config = config if config is not None else self.Config()
        self.zoo_name: str | None = None

    def collate(self, items: list[Any]) -> Any:
        """Batch items (default: torch's default collate)."""
        return torch.utils.data.default_collate(items)


def build_part(part: PartRef | str | None, **required: Any) -> Any:
    """Build a model's part from its reference; ``None`` (switched off) gives ``None``.

    ``required`` are config values the assembling model must impose (e.g. the channel width the
    encoder produced); a part config that names a different value is an error, not a silent
    mismatch.

    Raises:
        ConfigError: if the part's config contradicts a required value.
        UnknownComponentError: if the part's name is not registered.
    """
    if part is None:
        return None
    from zoo.errors import ConfigError
    from zoo.factory import build

    ref = PartRef(name=part) if isinstance(part, str) else part
    for key, value in required.items():
        if key in ref.config and ref.config[key] != value:
            raise ConfigError(
                f"Part {ref.name} was configured with {key}={ref.config[key]!r}, but the model "
                f"requires {key}={value!r}. Remove that override."
            )
    return build(ref.name, **{**ref.config, **required})

"""The three disentangling experts and their ablation alternatives.

Every expert reads one view of a clip from a dict of tensors — ``onset`` and ``apex`` (aligned face
crops ``[B, 3, S, S]`` in [0, 1]) and ``flow`` (onset→apex optical flow ``[B, 2, S, S]`` in pixels)
— and returns tokens ``[B, tokens, dim]``. Keeping the inputs apart (structure sees only the
neutral frame, texture only the change, motion only the flow) is the first half of the
disentanglement; the decorrelation loss in the model is the second.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import torch
import torch.nn.functional as F
from pydantic import Field, model_validator
from torch import nn

import zoo
from zoo.sdk import ConfigError

Views = dict[str, torch.Tensor]


def _example_views(size: int = 32, batch: int = 2) -> Views:
    generator = torch.Generator().manual_seed(0)
    onset = torch.rand(batch, 3, size, size, generator=generator)
    apex = (onset + 0.05 * torch.randn(batch, 3, size, size, generator=generator)).clamp(0, 1)
    flow = 0.5 * torch.randn(batch, 2, size, size, generator=generator)
    return {"onset": onset, "apex": apex, "flow": flow}


class BackboneConfig(zoo.ComponentConfig):
    """Shared config of the image experts: a timm backbone pooled to a grid of tokens.

    ``pretrained`` starts the backbone from the ImageNet weights ``weights`` (a timm repository on
    the Hugging Face Hub, pinned in the zoo's backbone table) through ``zoo.sdk.create_timm_model``:
    fetched and verified, or a loud ``PretrainedWeightsUnavailableError`` — never a silent random
    initialisation. The paper does not say; the real-data recipes set it true (docs/methods/deft-llm.md).
    """

    backbone: str = Field("resnet18", description="timm architecture")
    pretrained: bool = Field(False, description="ImageNet weights `weights` through the Hub (the real recipes set true); false: random init")
    weights: str = Field("timm/resnet18.tv_in1k", description="timm Hub repository of the ImageNet weights (pinned in zoo/backbones.toml)")
    tokens: int = Field(4, ge=1, description="pooled tokens (a square number)")
    dim: int = Field(128, ge=1, description="token width")

    @model_validator(mode="after")
    def _weights_fit_the_backbone(self) -> "BackboneConfig":
        architecture = self.weights.removeprefix("timm/").split(".")[0]
        if self.pretrained and architecture != self.backbone:
            raise ValueError(f"weights {self.weights!r} are for {architecture!r}, not backbone {self.backbone!r}; "
                             "name the backbone's ImageNet repository in `weights`, or set pretrained=false")
        return self


class _BackboneExpert(zoo.Expert, ABC):
    """timm backbone → patch features → adaptive pooling to ``tokens`` (a square grid) → linear."""

    Config = BackboneConfig
    in_chans: int = 3

    def __init__(self, config: BackboneConfig | None = None) -> None:
        super().__init__(config)
        from zoo.sdk import PretrainedWeights, create_timm_model

        side = math.isqrt(self.config.tokens)
        if side * side != self.config.tokens:
            raise ConfigError(f"tokens must be a square number (a pooled grid), got {self.config.tokens}.")
        self.grid = side
        self.tokens = self.config.tokens
        weights = PretrainedWeights.known(self.config.weights) if self.config.pretrained else None
        # timm adapts the ImageNet stem to in_chans (6 for the texture expert) as for pretrained=True.
        self.backbone = create_timm_model(self.config.backbone, pretrained=weights, num_classes=0, in_chans=self.in_chans)
        self.proj = nn.Linear(self.backbone.num_features, self.config.dim)
        self.out_dim = self.config.dim

    @abstractmethod
    def image(self, views: Views) -> torch.Tensor:
        """The image this expert looks at (each subclass chooses its view)."""

    def forward(self, views: Views) -> torch.Tensor:
        features = self.backbone.forward_features(self.image(views))  # [B, C, h, w]
        pooled = F.adaptive_avg_pool2d(features, self.grid).flatten(2).transpose(1, 2)
        return self.proj(pooled)

    def example_inputs(self) -> tuple[Any, ...]:
        return (_example_views(),)


class StructureExpert(_BackboneExpert):
    """Static facial structure from the onset (neutral) frame only."""

    def image(self, views: Views) -> torch.Tensor:
        return views["onset"]


class TextureConfig(BackboneConfig):
    """Dynamic texture: the apex−onset difference times ``magnify``, stacked with the apex frame."""

    magnify: float = 4.0


class DynamicTextureExpert(_BackboneExpert):
    """Appearance change: ``magnify · (apex − onset)`` (6 channels with the apex frame)."""

    Config = TextureConfig
    in_chans = 6

    def image(self, views: Views) -> torch.Tensor:
        # Linear (Eulerian-style) magnification of the difference: micro-expression intensity
        # changes are a few grey levels, below what a randomly initialised stem separates from noise.
        difference = self.config.magnify * (views["apex"] - views["onset"])
        return torch.cat([difference, views["apex"]], dim=1)


class RawApexExpert(_BackboneExpert):
    """Ablation: the raw apex frame, appearance and motion entangled (what DEFT-LLM argues against)."""

    def image(self, views: Views) -> torch.Tensor:
        return views["apex"]


class FlowTextureConfig(BackboneConfig):
    """Flow-only texture: the flow field (scaled) and its magnitude as a 3-channel image."""

    flow_scale: float = 1.0


class FlowTextureExpert(_BackboneExpert):
    """Ablation: a texture expert that sees only the optical flow (u, v, |flow|), no appearance."""

    Config = FlowTextureConfig

    def image(self, views: Views) -> torch.Tensor:
        flow = self.config.flow_scale * views["flow"]
        return torch.cat([flow, flow.norm(dim=1, keepdim=True)], dim=1)


class MotionConfig(zoo.ComponentConfig):
    """Motion-semantics: flow sampled in the FACS table's regions, one token per region."""

    dim: int = 128
    cells: int = 3
    num_aus: int = 0
    facs_table: str | None = None


class MotionSemanticsExpert(zoo.Expert):
    """Optical flow in AU-tied facial regions → one token per region, plus AU logits.

    The flow is taken relative to the face's median flow (a rigid-motion reference, so head motion
    does not read as an AU), pooled per region to a ``cells × cells`` grid with ``roi_align``, and
    embedded by a shared MLP plus a learned region embedding. ``au_logits`` reads all region
    tokens, which is what pushes AU semantics into them under the model's AU BCE loss.
    """

    Config = MotionConfig

    def __init__(self, config: MotionConfig | None = None) -> None:
        super().__init__(config)
        from zoo_deft_llm.facs import load_table

        table = load_table(self.config.facs_table)
        self.region_names = table.region_list
        self.register_buffer("boxes", torch.tensor([table.regions[r] for r in self.region_names]), persistent=False)
        cells, dim = self.config.cells, self.config.dim
        self.embed = nn.Sequential(nn.Linear(2 * cells * cells + 3, dim), nn.GELU(), nn.Linear(dim, dim))
        self.region_embedding = nn.Parameter(0.02 * torch.randn(len(self.region_names), dim))
        self.au_head = nn.Linear(len(self.region_names) * dim, self.config.num_aus) if self.config.num_aus else None
        self.out_dim = dim

    @property
    def tokens(self) -> int:
        return len(self.region_names)

    def region_features(self, flow: torch.Tensor, regions: torch.Tensor | None = None) -> torch.Tensor:
        """Per-region pooled relative flow ``[B, R, 2·cells² + 3]`` (grid, mean magnitude, mean vector).

        ``regions`` ``[B, R, 4]`` are per-clip boxes (fractions of the crop, e.g. anchored on the
        face's landmarks, in the table's region order); default: the table's fixed boxes.
        """
        from torchvision.ops import roi_align

        batch, _, height, width = flow.shape
        reference = flow.flatten(2).median(dim=2).values[:, :, None, None]
        relative = flow - reference
        scale = torch.tensor([width, height, width, height], dtype=flow.dtype, device=flow.device)
        if regions is not None:
            rois = list(regions.to(flow.dtype) * scale)
        else:
            rois = [self.boxes.to(flow.dtype) * scale] * batch
        cells = self.config.cells
        grid = roi_align(relative, rois, output_size=cells, aligned=True)  # [B·R, 2, c, c]
        grid = grid.view(batch, len(self.region_names), 2 * cells * cells)
        mean = grid.view(batch, len(self.region_names), 2, cells * cells).mean(-1)
        magnitude = grid.view(batch, len(self.region_names), 2, -1).norm(dim=2).mean(-1, keepdim=True)
        return torch.cat([grid, magnitude, mean], dim=-1)

    def forward(self, views: Views) -> torch.Tensor:
        return self.embed(self.region_features(views["flow"], views.get("regions"))) + self.region_embedding

    def au_logits(self, tokens: torch.Tensor) -> torch.Tensor | None:
        """Multi-label AU logits ``[B, num_aus]`` from the region tokens (None without an AU head)."""
        return None if self.au_head is None else self.au_head(tokens.flatten(1))

    def example_inputs(self) -> tuple[Any, ...]:
        return (_example_views(),)

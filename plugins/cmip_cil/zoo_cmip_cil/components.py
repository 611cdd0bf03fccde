"""CMIP-CIL's parts: the multi-view image encoder, projection heads, adapter, cosine classifier."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import zoo
from zoo.sdk import InputError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def views_to_tensor(views: torch.Tensor) -> torch.Tensor:
    """uint8 renders ``[B, V, H, W, 3]`` → normalised float ``[B, V, 3, H, W]`` (float input passes).

    Raises:
        InputError: if the shape is not 5-D.
    """
    if views.dim() != 5:
        raise InputError(f"Expected views [B, V, H, W, 3] (uint8) or [B, V, 3, H, W] (float), got {tuple(views.shape)}.")
    if views.dtype != torch.uint8:
        return views.float()
    x = views.permute(0, 1, 4, 2, 3).float() / 255.0
    mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device).view(1, 1, 3, 1, 1)
    return (x - mean) / std


def _pretrained_weights(repo_id: str) -> Any:
    """The pin of ``repo_id`` in the zoo's backbone table, else the repository at ``main``."""
    from zoo.sdk import ConfigError, PretrainedWeights

    try:
        return PretrainedWeights.known(repo_id)
    except ConfigError:  # not in the table: the Hub's own digest is checked, the commit recorded
        return PretrainedWeights(repo_id)


class MultiViewImageEncoder(zoo.Encoder):
    """A timm backbone applied to every view (shared weights), built by ``zoo.sdk.create_timm_model``.

    With ``pretrained`` (the paper's choice, the default) the ImageNet weights of ``weights``
    (default torchvision's ResNet-50, ``timm/resnet50.tv_in1k``) are fetched through the Hub into
    the HF cache and checked; ``pretrained=false`` (or ``zoo train --from-scratch``) is the only
    way to a random initialisation.

    :meth:`forward_views` gives one feature per view ``[B, V, C]``; :meth:`forward` averages them
    (view pooling on the backbone features). The model decides where views are averaged
    (``view_pooling``): before its image head (ours) or after it (the release).
    """

    class Config(zoo.ComponentConfig):
        backbone: str = Field("resnet50", description="a timm model name")
        pretrained: bool = Field(True, description="ImageNet weights through the Hub (the paper); false: random init")
        weights: str = Field("timm/resnet50.tv_in1k", description="Hub repository of the pretrained weights (timm layout)")

    def __init__(self, config: Config | None = None) -> None:
        from zoo.sdk import create_timm_model

        super().__init__(config)
        cfg = self.config
        # Raises PretrainedWeightsUnavailableError (repo, revision, `zoo download`) when the
        # weights are neither reachable nor cached: never a silent random initialisation.
        weights = _pretrained_weights(cfg.weights) if cfg.pretrained else None
        self.backbone = create_timm_model(cfg.backbone, pretrained=weights, num_classes=0)
        # Some timm models (LCNet, MobileNetV3) add a pre-logits layer after pooling: their pooled
        # output width is head_hidden_size, not num_features.
        width = getattr(self.backbone, "head_hidden_size", None) or self.backbone.num_features
        self.out_channels = int(width)

    def forward_views(self, views: torch.Tensor) -> torch.Tensor:
        """``views`` ``[B, V, H, W, 3]`` uint8 or ``[B, V, 3, H, W]`` float → ``[B, V, out_channels]``."""
        x = views_to_tensor(views)
        b, v = x.shape[:2]
        return self.backbone(x.flatten(0, 1)).view(b, v, -1)

    def forward(self, views: torch.Tensor) -> torch.Tensor:
        """View-averaged features ``[B, out_channels]``."""
        return self.forward_views(views).mean(1)

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randint(0, 256, (2, 3, 32, 32, 3), dtype=torch.uint8),)


class ProjectionHead(zoo.Head):
    """``in → hidden (BN, ReLU) → out``: the spec's point (2048→1024→512) and image (2048→512→512) heads.

    Inputs may carry extra leading dimensions (``[B, V, in]`` for per-view features): they are
    flattened for the BatchNorm and restored after.
    """

    class Config(zoo.ComponentConfig):
        in_dim: int = Field(2048, ge=1)
        hidden_dim: int = Field(1024, ge=1)
        out_dim: int = Field(512, ge=1)

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        self.net = nn.Sequential(nn.Linear(cfg.in_dim, cfg.hidden_dim, bias=False), nn.BatchNorm1d(cfg.hidden_dim),
                                 nn.ReLU(inplace=True), nn.Linear(cfg.hidden_dim, cfg.out_dim))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        lead = features.shape[:-1]
        return self.net(features.reshape(-1, features.shape[-1])).view(*lead, -1)

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(4, self.config.in_dim),)


class Adapter(zoo.Head):
    """``dim → bottleneck → ReLU → dim``, shared by the point and image embeddings (spec: 512→256→512)."""

    class Config(zoo.ComponentConfig):
        dim: int = Field(512, ge=1)
        bottleneck: int = Field(256, ge=1)

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        self.down = nn.Linear(self.config.dim, self.config.bottleneck)
        self.up = nn.Linear(self.config.bottleneck, self.config.dim)

    def hidden(self, embedding: torch.Tensor) -> torch.Tensor:
        """The bottleneck activation ``[B, bottleneck]`` (PODNet distils it)."""
        return F.relu(self.down(embedding))

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        return self.up(self.hidden(embedding))

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(4, self.config.dim),)


class CosineIncrementalClassifier(zoo.Head):
    """``σ · cos(f, w_c)`` over a class table that grows task by task (σ learnable).

    Rows are stored in one parameter that is re-created, larger, by :meth:`add_classes`, so an
    optimizer must be built after each growth (the runner builds one per task).
    """

    class Config(zoo.ComponentConfig):
        dim: int = Field(512, ge=1)
        initial_classes: int = Field(0, ge=0, description="rows present at build time (a checkpoint's class count)")
        sigma: float = Field(10.0, gt=0, description="initial scale σ (learned)")

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        self.weight = nn.Parameter(torch.empty(self.config.initial_classes, self.config.dim))
        nn.init.normal_(self.weight, std=0.02)
        self.sigma = nn.Parameter(torch.tensor(float(self.config.sigma)))

    @property
    def num_classes(self) -> int:
        return int(self.weight.shape[0])

    def add_classes(self, count: int) -> None:
        """Append ``count`` randomly initialised rows (old rows are kept).

        Raises:
            InputError: if ``count`` is not positive.
        """
        if count <= 0:
            raise InputError(f"add_classes needs a positive count, got {count}.")
        new = torch.randn(count, self.config.dim, device=self.weight.device) * 0.02
        self.weight = nn.Parameter(torch.cat([self.weight.data, new]))

    @torch.no_grad()
    def set_rows(self, class_ids: list[int], vectors: torch.Tensor) -> None:
        """Replace the rows of ``class_ids`` by ``vectors`` (prototype replacement)."""
        self.weight.data[torch.as_tensor(class_ids, device=self.weight.device)] = vectors.to(self.weight)

    def cosine(self, features: torch.Tensor) -> torch.Tensor:
        """Cosine similarity ``[B, C]`` to every class row (no scale)."""
        return F.normalize(features, dim=-1) @ F.normalize(self.weight, dim=-1).t()

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.sigma * self.cosine(features)

    def example_inputs(self) -> tuple[torch.Tensor]:
        if self.num_classes == 0:
            self.add_classes(3)
        return (torch.randn(4, self.config.dim),)

"""VGG16-BN encoder (timm, ``features_only``) returning the stride 4, 8 and 16 feature maps."""

from __future__ import annotations

import logging
import os
from typing import Any

import torch
from pydantic import Field
from torch import nn

import zoo

log = logging.getLogger(__name__)

#: VGG16's convolution widths per stage ("M" = 2x2 max-pool), as in timm's ``cfgs["vgg16"]``.
_VGG16_STAGES: list[Any] = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
#: timm's hub id of the ImageNet weights of ``vgg16_bn`` (only ever read from the local cache).
_PRETRAINED_REPO = "timm/vgg16_bn.tv_in1k"
#: Feature levels of timm's VGG: index 2, 3, 4 are the outputs at stride 4, 8, 16.
_OUT_INDICES = (2, 3, 4)
STRIDES = (4, 8, 16)


class VGG16BNEncoder(zoo.Encoder):
    """VGG16 with batch norm; outputs ``[C4, C8, C16]`` feature maps at strides 4, 8 and 16.

    ``width`` scales every convolution (1.0 is the real VGG16-BN; the synthetic checkpoint uses a
    narrower network so that it stays small). ImageNet weights are used only when ``pretrained`` is
    set, ``width == 1`` and the weights are already in the local Hugging Face cache: nothing is
    ever downloaded.
    """

    class Config(zoo.ComponentConfig):
        width: float = Field(1.0, gt=0, le=1.0, description="channel multiplier (1.0 = VGG16-BN)")
        pretrained: bool = Field(False, description="use cached ImageNet weights if present (never downloads)")
        in_chans: int = Field(3, ge=1)

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        self.body = _build_vgg(cfg.width, cfg.in_chans, cfg.pretrained)
        self.out_channels: list[int] = list(self.body.feature_info.channels())
        self.strides = STRIDES

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Return the stride 4, 8 and 16 feature maps of ``images`` ``[B, C, H, W]``."""
        return list(self.body(images))

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(1, self.config.in_chans, 64, 64),)


def _scaled_stages(width: float) -> list[Any]:
    return [v if v == "M" else max(8, int(round(v * width))) for v in _VGG16_STAGES]


def _build_vgg(width: float, in_chans: int, pretrained: bool) -> nn.Module:
    """Build timm's VGG16-BN feature extractor, optionally narrower, optionally with cached weights."""
    from timm.models import vgg as timm_vgg
    from timm.models._builder import build_model_with_cfg

    cached = _cached_pretrained_file() if pretrained and width == 1.0 else None
    if pretrained and cached is None:
        log.warning(
            "encoder/vgg16-bn: pretrained=True but no cached ImageNet weights for width=%s; "
            "using random initialisation (nothing is downloaded).",
            width,
        )
    overlay = {"file": cached, "hf_hub_id": None} if cached else None
    return build_model_with_cfg(
        timm_vgg.VGG,
        "vgg16_bn",
        cached is not None,
        model_cfg=_scaled_stages(width),
        norm_layer=nn.BatchNorm2d,
        in_chans=in_chans,
        feature_cfg=dict(flatten_sequential=True, out_indices=_OUT_INDICES),
        pretrained_filter_fn=timm_vgg._filter_fn,
        pretrained_cfg_overlay=overlay,
        features_only=True,
    )


def _cached_pretrained_file() -> str | None:
    """Path of timm's cached ``vgg16_bn`` weights, or None; never touches the network."""
    if os.environ.get("ZOO_L2HCOUNT_NO_PRETRAINED"):
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    for filename in ("model.safetensors",):  # safetensors only: never unpickle
        hit = try_to_load_from_cache(_PRETRAINED_REPO, filename)
        if isinstance(hit, str):
            return hit
    return None

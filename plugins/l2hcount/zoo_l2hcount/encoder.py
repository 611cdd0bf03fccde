"""VGG16-BN encoder (timm, ``features_only``) returning the stride 4, 8 and 16 feature maps.

ImageNet initialisation goes through ``zoo.sdk.create_timm_model`` with the pinned
``timm/vgg16_bn.tv_in1k`` weights (the standard HF cache, the zoo's checksum): the paper does not
say how its encoder starts, the field (CSRNet, MPCount) starts from ImageNet, and so do the
real-data recipes. When the weights are neither cached nor reachable the build fails loudly
(``PretrainedWeightsUnavailableError``): ``pretrained=False`` is the only way to random init.
"""

from __future__ import annotations

from typing import Any

import torch
from pydantic import Field, model_validator
from torch import nn

import zoo

#: VGG16's convolution widths per stage ("M" = 2x2 max-pool), as in timm's ``cfgs["vgg16"]``.
_VGG16_STAGES: list[Any] = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
#: The Hub repository of the ImageNet weights (pinned in the zoo's backbone table).
PRETRAINED_REPO = "timm/vgg16_bn.tv_in1k"
#: Feature levels of timm's VGG: index 2, 3, 4 are the outputs at stride 4, 8, 16.
_OUT_INDICES = (2, 3, 4)
STRIDES = (4, 8, 16)


class VGG16BNEncoderConfig(zoo.ComponentConfig):
    """``width`` scales every convolution (1.0 = VGG16-BN); ``pretrained`` = ImageNet weights."""

    width: float = Field(1.0, gt=0, le=1.0, description="channel multiplier (1.0 = VGG16-BN)")
    pretrained: bool = Field(
        False, description="ImageNet weights (timm/vgg16_bn.tv_in1k through the Hub; the recipes set true); false: random init"
    )
    in_chans: int = Field(3, ge=1)

    @model_validator(mode="after")
    def _weights_exist(self) -> "VGG16BNEncoderConfig":
        if self.pretrained and self.width != 1.0:
            raise ValueError(f"ImageNet weights exist for width 1.0 only (got width={self.width}); set pretrained=false")
        return self


class VGG16BNEncoder(zoo.Encoder):
    """VGG16 with batch norm; outputs ``[C4, C8, C16]`` feature maps at strides 4, 8 and 16.

    ``width`` scales every convolution (the synthetic checkpoint uses a narrower network so that
    it stays small; only width 1.0 has ImageNet weights).
    """

    Config = VGG16BNEncoderConfig

    def __init__(self, config: VGG16BNEncoderConfig | None = None) -> None:
        """Build the encoder (fetching the pinned ImageNet weights when ``pretrained``).

        Raises:
            zoo.sdk.PretrainedWeightsUnavailableError: ``pretrained`` and the weights are neither
                cached nor reachable (the message names the repository and ``zoo download``).
        """
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
    """timm's VGG16-BN feature extractor: through the zoo's pinned weights, or narrower and random."""
    if width == 1.0:
        from zoo.sdk import PretrainedWeights, create_timm_model

        weights = PretrainedWeights.known(PRETRAINED_REPO) if pretrained else None
        return create_timm_model("vgg16_bn", pretrained=weights, features_only=True, out_indices=_OUT_INDICES, in_chans=in_chans)
    # timm's create_model has no width knob: build its VGG class with scaled stages (random init).
    from timm.models import vgg as timm_vgg
    from timm.models._builder import build_model_with_cfg

    return build_model_with_cfg(
        timm_vgg.VGG,
        "vgg16_bn",
        False,
        model_cfg=_scaled_stages(width),
        norm_layer=nn.BatchNorm2d,
        in_chans=in_chans,
        feature_cfg=dict(flatten_sequential=True, out_indices=_OUT_INDICES),
        features_only=True,
    )

"""``model/l2hcount``: encoder → decoder (stride 8) → DDMEM → decoder (stride 4) → HFEM → density."""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from pydantic import Field

import zoo
from zoo.components import build_part
from zoo.config import OptionalPart, Part, PartRef

#: The density map's stride relative to the input image.
OUTPUT_STRIDE = 4
#: Inputs are padded to a multiple of this (the encoder's coarsest stride).
PAD_MULTIPLE = 16
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


class CountingOutput(NamedTuple):
    """Forward outputs: scaled density ``[B,1,H/4,W/4]``, head-mask logits (stride 4) and gate
    logits (stride 8); the logits are None when their module is switched off."""

    density: torch.Tensor
    mask_logits: torch.Tensor | None
    gate_logits: torch.Tensor | None


class L2HCount(zoo.Model):
    """L2HCount: crowd counting trained on low density that generalizes to high density.

    Inputs are RGB images in ``[0, 1]`` (``[B, 3, H, W]``, any size); the model normalizes with
    ImageNet statistics and pads to a multiple of 16 itself. The density map has stride 4 and is
    scaled by ``density_scale``; the count is its sum divided by ``density_scale``.
    Ablations are one-line overrides: ``memory=None``, ``enhance=None``,
    ``**{"memory.config.dual": False}`` (single memory); HDSM/GTGM are switched off in the data
    (``simulate=False`` of the dataset).
    """

    metric: ClassVar[str] = "counting"

    class Config(zoo.ComponentConfig):
        encoder: Part = PartRef(name="encoder/vgg16-bn")
        decoder: Part = PartRef(name="head/density-decoder")
        memory: OptionalPart = PartRef(name="memory/dual-density")
        enhance: OptionalPart = PartRef(name="head/hfem")
        density_scale: float = Field(100.0, gt=0, description="density maps are learned ×this")
        mask_threshold: float = Field(0.01, gt=0, description="GT density per stride-4 cell above which a pixel is 'head'")
        mask_weight: float = Field(0.1, ge=0, description="weight of the head-mask BCE (HFEM)")
        gate_weight: float = Field(0.1, ge=0, description="weight of the gate BCE (DDMEM)")
        tile_size: int = Field(1024, ge=64, description="tile side for images whose long side exceeds max_side")
        max_side: int = Field(2048, ge=64, description="images with a longer side are processed in tiles")

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        self.encoder = build_part(cfg.encoder)
        self.decoder = build_part(cfg.decoder, in_channels=list(self.encoder.out_channels))
        dim, fine_dim = self.decoder.config.dim, self.decoder.config.fine_dim
        self.memory = build_part(cfg.memory, dim=dim)
        self.enhance = build_part(cfg.enhance, channels=fine_dim)
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor, regime: torch.Tensor | None = None) -> CountingOutput:
        """Run the network on ``[B, 3, H, W]`` images in ``[0, 1]``.

        Args:
            images: RGB in ``[0, 1]``; any ``H, W`` (padded internally to a multiple of 16).
            regime: ``[B]`` LOW/HIGH labels of training crops (routes DDMEM's banks); None at inference.

        Returns:
            Scaled density of size ``ceil(H/4) × ceil(W/4)`` plus mask and gate logits.
        """
        h, w = images.shape[-2:]
        x = (images - self.mean) / self.std
        x = F.pad(x, (0, -w % PAD_MULTIPLE, 0, -h % PAD_MULTIPLE))  # zeros = the mean colour
        feats = self.encoder(x)
        coarse = self.decoder.fuse_coarse(feats)
        gate_logits = None
        if self.memory is not None:
            read = self.memory(coarse, regime)
            coarse, gate_logits = read.features, read.gate_logits
        fine = self.decoder.fuse_fine(coarse, feats)
        mask_logits = None
        if self.enhance is not None:
            fine, mask_logits = self.enhance(fine)
        oh, ow = -(-h // OUTPUT_STRIDE), -(-w // OUTPUT_STRIDE)
        density = self.decoder.density(fine)[..., :oh, :ow]
        # The gate lives at the memory's stride (8): crop it to the image's extent there.
        gh, gw = -(-h // (2 * OUTPUT_STRIDE)), -(-w // (2 * OUTPUT_STRIDE))
        return CountingOutput(density, _crop(mask_logits, oh, ow), _crop(gate_logits, gh, gw))

    def training_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Pixel L2 on the scaled density + head-mask BCE (HFEM) + gate BCE (DDMEM).

        ``batch`` holds ``image [B,3,H,W]``, ``density [B,1,H/4,W/4]`` (unscaled, sums to the
        count) and ``regime [B]`` (0 = real low-density crop, 1 = HDSM-simulated).
        """
        cfg = self.config
        out = self(batch["image"], batch["regime"])
        target = batch["density"]
        losses = {"density": F.mse_loss(out.density, target * cfg.density_scale)}
        if out.mask_logits is not None and cfg.mask_weight > 0:
            mask = (target > cfg.mask_threshold).to(target.dtype)
            losses["head_mask"] = cfg.mask_weight * F.binary_cross_entropy_with_logits(out.mask_logits, mask)
        if out.gate_logits is not None and cfg.gate_weight > 0:
            regime = batch["regime"].to(target.dtype).view(-1, 1, 1, 1).expand_as(out.gate_logits)
            losses["gate"] = cfg.gate_weight * F.binary_cross_entropy_with_logits(out.gate_logits, regime)
        return losses

    @torch.no_grad()
    def evaluation_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``{"pred_count": [B], "gt_count": [B]}`` on whole images (the ``counting`` metric).

        Each image is cropped back to its own ``size`` (when the batch has one) so that the
        padding a batch of mixed sizes needs is never counted.
        """
        images = batch["image"]
        sizes = batch.get("size")
        if sizes is not None:
            images = [image[:, : int(h), : int(w)] for image, (h, w) in zip(images, sizes.tolist())]
        counts = [self.count(image) for image in images]
        return {"pred_count": torch.stack(counts), "gt_count": batch["count"].to(torch.float32)}

    @torch.no_grad()
    def density_map(self, image: torch.Tensor) -> torch.Tensor:
        """Unscaled density ``[ceil(H/4), ceil(W/4)]`` of one ``[3, H, W]`` image; tiles large images."""
        from zoo_l2hcount.tiling import tiled_density

        return tiled_density(self, image, self.config.tile_size, self.config.max_side)

    @torch.no_grad()
    def count(self, image: torch.Tensor) -> torch.Tensor:
        """Predicted count (sum of the density) of one ``[3, H, W]`` image in ``[0, 1]``."""
        return self.density_map(image).sum()

    def predict_files(self, inputs: list[str], output_dir: str | None = None) -> dict[str, Any]:
        """Count the crowd in each image file and write a density overlay PNG per image.

        Raises:
            zoo.errors.InputError: for a missing, empty or non-image file or an unsupported bit depth.
        """
        from zoo_l2hcount.predict import predict_files

        return predict_files(self, inputs, output_dir)

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.rand(1, 3, 64, 80),)


def _crop(x: torch.Tensor | None, h: int, w: int) -> torch.Tensor | None:
    return None if x is None else x[..., :h, :w]

"""``model/l2hcount``: encoder → decoder (stride 8) → DDMEM → decoder (stride 4) → HFEM → density."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from pydantic import Field, model_validator

import zoo
from zoo.sdk import OptionalPart, Part, PartRef, build_part
from zoo_l2hcount import consistency
from zoo_l2hcount.tiling import tiled_density

#: The density map's stride relative to the input image.
OUTPUT_STRIDE = 4
#: Inputs are padded to a multiple of this (the encoder's coarsest stride).
PAD_MULTIPLE = 16
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class CountingOutput(NamedTuple):
    """Forward outputs: scaled density ``[B,1,H/4,W/4]``, head-mask logits (stride 4) and gate
    logits (stride 8) — None when their module is off — and, for the training-only consistency
    terms, the stride-4 features after HFEM and the memory's slot attention (when asked for)."""

    density: torch.Tensor
    mask_logits: torch.Tensor | None
    gate_logits: torch.Tensor | None
    features: torch.Tensor | None = None
    attention: torch.Tensor | None = None


class L2HCountConfig(zoo.ComponentConfig):
    """The network, its losses and its preprocessing (the processor's settings live here too, so
    a checkpoint's ``config.json`` preprocesses the same everywhere)."""

    encoder: Part = PartRef(name="encoder/vgg16-bn")
    decoder: Part = PartRef(name="head/density-decoder")
    memory: OptionalPart = PartRef(name="memory/dual-density")
    enhance: OptionalPart = PartRef(name="head/hfem")
    density_scale: float = Field(100.0, gt=0, description="density maps are learned ×this")
    mask_threshold: float = Field(0.01, gt=0, description="GT density per stride-4 cell above which a pixel is 'head'")
    mask_weight: float = Field(0.1, ge=0, description="weight of the head-mask BCE (HFEM)")
    gate_weight: float = Field(0.1, ge=0, description="weight of the gate BCE (DDMEM)")
    feature_consistency: float = Field(
        0.0, ge=0, description="weight of HFEM's original-vs-shifted feature consistency (0: off; needs dataset.keep_original)"
    )
    attention_consistency: float = Field(
        0.0, ge=0, description="weight of DDMEM's MPCount-style attention consistency between two photometric views (0: off)"
    )
    mean: tuple[float, float, float] = Field(IMAGENET_MEAN, description="RGB mean subtracted from [0, 1] inputs")
    std: tuple[float, float, float] = Field(IMAGENET_STD, description="RGB std inputs are divided by")
    tile_size: int = Field(1024, ge=64, description="tile side for images whose long side exceeds max_side")
    max_side: int = Field(2048, ge=64, description="images with a longer side are processed in tiles")
    max_pixels: int = Field(
        80_000_000, ge=1, description="inputs with more pixels are refused before decoding (raise it to allow larger)"
    )

    @model_validator(mode="after")
    def _terms_need_their_module(self) -> "L2HCountConfig":
        if self.feature_consistency > 0 and self.enhance is None:
            raise ValueError("feature_consistency is HFEM's term: it needs enhance (set it to 0 without HFEM)")
        if self.attention_consistency > 0 and self.memory is None:
            raise ValueError("attention_consistency is DDMEM's term: it needs memory (set it to 0 without DDMEM)")
        return self


class L2HCount(zoo.Model):
    """L2HCount: crowd counting trained on low density that generalizes to high density.

    ``forward`` takes *normalised* images (``(rgb − mean) / std``, like timm's models; any size,
    padded internally to a multiple of 16 with zeros, i.e. the mean colour); :meth:`processor`
    turns files and arrays into such batches, and the datasets' ``[0, 1]`` batches are normalised
    by ``training_step``/``evaluation_step``. The density map has stride 4 and is scaled by
    ``density_scale``; the count is its sum divided by ``density_scale``.
    Ablations are one-line overrides: ``memory=None``, ``enhance=None``,
    ``**{"memory.config.dual": False}`` (single memory); HDSM/GTGM are switched off in the data
    (``simulate=False`` of the dataset).
    """

    Config = L2HCountConfig
    metric: ClassVar[str] = "counting"
    task: ClassVar[str] = "crowd-counting"

    def __init__(self, config: L2HCountConfig | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        self.encoder = build_part(cfg.encoder)
        self.decoder = build_part(cfg.decoder, in_channels=list(self.encoder.out_channels))
        dim, fine_dim = self.decoder.config.dim, self.decoder.config.fine_dim
        self.memory = build_part(cfg.memory, dim=dim)
        self.enhance = build_part(cfg.enhance, channels=fine_dim)
        self.register_buffer("mean", torch.tensor(cfg.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(cfg.std).view(1, 3, 1, 1), persistent=False)

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """``[B, 3, H, W]`` RGB in ``[0, 1]`` → what :meth:`forward` takes."""
        return (images - self.mean.to(images.dtype)) / self.std.to(images.dtype)

    def forward(
        self, images: torch.Tensor, regime: torch.Tensor | None = None, return_attention: bool = False
    ) -> CountingOutput:
        """Run the network on normalised ``[B, 3, H, W]`` images.

        Args:
            images: normalised RGB; any ``H, W`` (zero-padded internally to a multiple of 16).
            regime: ``[B]`` LOW/HIGH labels of training crops (routes DDMEM's banks); None at inference.
            return_attention: also return the memory's slot attention (training, with ``regime``).

        Returns:
            Scaled density of size ``ceil(H/4) × ceil(W/4)``, mask and gate logits, the stride-4
            features after HFEM and (if asked for) the attention.
        """
        h, w = images.shape[-2:]
        x = F.pad(images, (0, -w % PAD_MULTIPLE, 0, -h % PAD_MULTIPLE))
        feats = self.encoder(x)
        coarse = self.decoder.fuse_coarse(feats)
        gate_logits = attention = None
        if self.memory is not None:
            read = self.memory(coarse, regime, return_attention=return_attention)
            coarse, gate_logits, attention = read.features, read.gate_logits, read.attention
        fine = self.decoder.fuse_fine(coarse, feats)
        mask_logits = None
        if self.enhance is not None:
            fine, mask_logits = self.enhance(fine)
        oh, ow = -(-h // OUTPUT_STRIDE), -(-w // OUTPUT_STRIDE)
        density = self.decoder.density(fine)[..., :oh, :ow]
        # The gate lives at the memory's stride (8): crop it to the image's extent there.
        gh, gw = -(-h // (2 * OUTPUT_STRIDE)), -(-w // (2 * OUTPUT_STRIDE))
        return CountingOutput(density, _crop(mask_logits, oh, ow), _crop(gate_logits, gh, gw), fine[..., :oh, :ow], attention)

    def training_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Pixel L2 on the scaled density + head-mask BCE (HFEM) + gate BCE (DDMEM), plus the
        optional feature-consistency (HFEM) and attention-consistency (DDMEM) terms.

        ``batch`` holds ``image [B,3,H,W]`` in ``[0, 1]``, ``density [B,1,H/4,W/4]`` (unscaled,
        sums to the count) and ``regime [B]`` (0 = real low-density crop, 1 = HDSM-simulated);
        with ``feature_consistency`` also ``original``, ``original_density`` and ``copies``
        (the dataset's ``keep_original``).

        Raises:
            zoo.sdk.ConfigError: if ``feature_consistency`` is on and the batch lacks the original crops.
        """
        cfg = self.config
        attend = cfg.attention_consistency > 0
        out = self(self.normalize(batch["image"]), batch["regime"], return_attention=attend)
        losses = self._supervised_losses(out, batch)
        if attend:
            second = self(self.normalize(consistency.photometric_view(batch["image"])), batch["regime"], return_attention=True)
            losses["density_view2"] = self._supervised_losses(second, batch)["density"]
            losses["attention_consistency"] = cfg.attention_consistency * consistency.attention_consistency(
                out.attention, second.attention
            )
        if cfg.feature_consistency > 0:
            losses["feature_consistency"] = cfg.feature_consistency * self._feature_consistency(out, batch)
        return losses

    def _supervised_losses(self, out: CountingOutput, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        cfg = self.config
        target = batch["density"]
        losses = {"density": F.mse_loss(out.density, target * cfg.density_scale)}
        if out.mask_logits is not None and cfg.mask_weight > 0:
            mask = (target > cfg.mask_threshold).to(target.dtype)
            losses["head_mask"] = cfg.mask_weight * F.binary_cross_entropy_with_logits(out.mask_logits, mask)
        if out.gate_logits is not None and cfg.gate_weight > 0:
            regime = batch["regime"].to(target.dtype).view(-1, 1, 1, 1).expand_as(out.gate_logits)
            losses["gate"] = cfg.gate_weight * F.binary_cross_entropy_with_logits(out.gate_logits, regime)
        return losses

    def _feature_consistency(self, out: CountingOutput, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        if "original" not in batch:
            raise zoo.sdk.ConfigError(
                "model.feature_consistency > 0 needs the crops before HDSM: set dataset.keep_original=true."
            )
        with torch.no_grad():  # the clear original is the target, not trained towards the blend
            target = self(self.normalize(batch["original"]), torch.zeros_like(batch["regime"])).features
        head_mask = (batch["original_density"] > self.config.mask_threshold).to(target.dtype)
        return consistency.feature_consistency(
            out.features, target, head_mask, batch["copies"], batch["regime"], OUTPUT_STRIDE
        )

    @torch.no_grad()
    def evaluation_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``{"pred_count": [B], "gt_count": [B]}`` on whole images (the ``counting`` metric).

        Each image is cropped back to its own ``size`` (when the batch has one), so the padding a
        batch of mixed sizes needs is never counted; images of one padded size share a forward.
        """
        images = batch["image"]
        sizes = batch["size"].tolist() if "size" in batch else [images.shape[-2:]] * len(images)
        crops = [self.normalize(image[None, :, : int(h), : int(w)])[0] for image, (h, w) in zip(images, sizes)]
        densities = self.densities(crops)
        counts = torch.stack([d.sum() for d in densities]).to(images.device)
        return {"pred_count": counts, "gt_count": batch["count"].to(torch.float32)}

    @torch.no_grad()
    def densities(self, images: list[torch.Tensor], progress: Any = None) -> list[torch.Tensor]:
        """Unscaled densities ``[ceil(H/4), ceil(W/4)]`` of normalised ``[3, H, W]`` images.

        Images of one padded size go through one forward pass; images longer than ``max_side``
        go through :func:`~zoo_l2hcount.tiling.tiled_density` (``progress(done, total)`` per tile).
        """
        out: list[torch.Tensor | None] = [None] * len(images)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, image in enumerate(images):
            h, w = image.shape[-2:]
            if max(h, w) > self.config.max_side:
                out[i] = tiled_density(image, self.tile_density, self.config.tile_size, OUTPUT_STRIDE, PAD_MULTIPLE, progress)
            else:
                groups.setdefault((h + -h % PAD_MULTIPLE, w + -w % PAD_MULTIPLE), []).append(i)
        for (ph, pw), members in groups.items():
            batch = torch.stack([F.pad(images[i], (0, pw - images[i].shape[-1], 0, ph - images[i].shape[-2])) for i in members])
            dens = self(batch).density[:, 0] / self.config.density_scale
            for row, i in enumerate(members):
                h, w = images[i].shape[-2:]
                out[i] = dens[row, : -(-h // OUTPUT_STRIDE), : -(-w // OUTPUT_STRIDE)]
        return out  # type: ignore[return-value]

    def tile_density(self, tile: torch.Tensor) -> torch.Tensor:
        """Unscaled density of one ``[3, h, w]`` tile: normalised floats, or ``uint8`` RGB (converted here)."""
        param = next(self.parameters())
        if tile.dtype == torch.uint8:
            tile = self.normalize(tile.to(param.device, torch.float32)[None] / 255.0)[0]
        return self(tile[None].to(param.device, param.dtype)).density[0, 0].float() / self.config.density_scale

    def processor(self) -> Any:
        """The :class:`~zoo_l2hcount.processor.CrowdProcessor` with this model's settings."""
        from zoo_l2hcount.processor import CrowdProcessor

        return CrowdProcessor.from_config(self.config)

    @torch.no_grad()
    def predict_step(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        """One batched forward over a :class:`~zoo_l2hcount.processor.CrowdProcessor` batch."""
        from zoo_l2hcount.predict import predict_step

        return predict_step(self, batch)

    def render(self, item: Any, outputs: dict[str, Any], out_dir: Path, stem: str) -> list[Path]:
        """The input and its density side by side, with a colour bar and the counts in the title."""
        from zoo_l2hcount.predict import render

        return render(item, outputs, out_dir, stem)

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(1, 3, 64, 80),)


def _crop(x: torch.Tensor | None, h: int, w: int) -> torch.Tensor | None:
    return None if x is None else x[..., :h, :w]

"""The two optional training-only terms: HFEM's feature consistency and DDMEM's attention consistency.

Both are switched off by default (weight 0) and switched on by one model override each
(``model.feature_consistency=…``, ``model.attention_consistency=…``); the ablation spec has a row
for each.

- **Feature consistency (HFEM).** An HDSM crop holds two (``2^k``) copies of the original crop,
  blended and so blurred. HFEM should give every head of either copy the features the head has in
  the clear original. For each simulated crop and each copy, the loss is ``1 − cos`` between the
  simulated crop's enhanced stride-4 features at the copy's head cells and the original crop's
  features at the same heads (the original's are a fixed target: no gradient), averaged over
  head cells.
- **Attention consistency (DDMEM, as MPCount).** A second, photometrically augmented view of every
  crop goes through the network; the density loss supervises both views, and the memory's
  attention over its slots must agree between them: ``MSE(softmax_1, softmax_2)`` (MPCount's
  ``jsd`` is this MSE).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: MPCount's second view: colour jitter with p = 0.8, a 3×3 Gaussian blur (σ = 1) with p = 0.5.
JITTER_P, BLUR_P = 0.8, 0.5
BRIGHTNESS, CONTRAST, SATURATION = 0.5, 0.2, 0.2
_LUMA = (0.299, 0.587, 0.114)


def _uniform(n: int, spread: float, like: torch.Tensor) -> torch.Tensor:
    return 1.0 + (torch.rand(n, 1, 1, 1, device=like.device, dtype=like.dtype) * 2 - 1) * spread


def photometric_view(images: torch.Tensor) -> torch.Tensor:
    """A photometrically augmented copy of ``[B, 3, H, W]`` images in ``[0, 1]`` (MPCount's view 2).

    Per image, with probability 0.8: brightness ×U(0.5, 1.5), contrast and saturation ×U(0.8, 1.2)
    (torchvision's ColorJitter factors; MPCount's hue jitter and sharpness are left out); then
    with probability 0.5 a 3×3 Gaussian blur with σ = 1. Random numbers come from torch's global
    generator, which the engine seeds, so a run is reproducible.
    """
    b = images.shape[0]
    luma = torch.tensor(_LUMA, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
    x = images * _uniform(b, BRIGHTNESS, images)
    grey_mean = (x * luma).sum(1, keepdim=True).mean(dim=(2, 3), keepdim=True)
    x = (x - grey_mean) * _uniform(b, CONTRAST, images) + grey_mean
    grey = (x * luma).sum(1, keepdim=True)
    x = ((x - grey) * _uniform(b, SATURATION, images) + grey).clamp(0, 1)
    jitter = torch.rand(b, 1, 1, 1, device=images.device) < JITTER_P
    x = torch.where(jitter, x, images)
    taps = torch.exp(-0.5 * torch.tensor([-1.0, 0.0, 1.0], device=images.device, dtype=images.dtype) ** 2)
    kernel = (taps[:, None] * taps[None, :] / taps.sum() ** 2).expand(3, 1, 3, 3).contiguous()
    blurred = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=3)
    blur = torch.rand(b, 1, 1, 1, device=images.device) < BLUR_P
    return torch.where(blur, blurred, x)


def attention_consistency(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """MPCount's attention consistency: the MSE between two views' slot attentions ``[B, H·W, slots]``."""
    return F.mse_loss(first, second)


def feature_consistency(
    simulated: torch.Tensor,
    original: torch.Tensor,
    head_mask: torch.Tensor,
    copies: torch.Tensor,
    regime: torch.Tensor,
    stride: int,
) -> torch.Tensor:
    """``1 − cos`` between each copy's heads in the simulated crop and the same heads in the original.

    Args:
        simulated: ``[B, C, h, w]`` enhanced features of the (possibly simulated) training crops.
        original: ``[B, C, h, w]`` features of the crops before HDSM (a target: detached here).
        head_mask: ``[B, 1, h, w]`` head cells of the original crops (from their GT density).
        copies: ``[B, T, 2]`` ``(dx, dy)`` pixel translation of each copy inside the simulated crop.
        regime: ``[B]``; only simulated crops (1) contribute.
        stride: the features' stride (translations are multiples of it).

    Returns:
        The mean over every head cell of every copy (0 when the batch has no simulated head).
    """
    original = original.detach()
    total = simulated.new_zeros(())
    cells = simulated.new_zeros(())
    h, w = simulated.shape[-2:]
    for b in (regime == 1).nonzero(as_tuple=True)[0].tolist():
        for dx, dy in (copies[b] // stride).tolist():
            # Original cell (y, x) appears at (y + dy, x + dx); keep the cells inside both maps.
            y0, y1, x0, x1 = max(0, -dy), min(h, h - dy), max(0, -dx), min(w, w - dx)
            if y0 >= y1 or x0 >= x1:
                continue
            target = original[b, :, y0:y1, x0:x1]
            moved = simulated[b, :, y0 + dy : y1 + dy, x0 + dx : x1 + dx]
            mask = head_mask[b, 0, y0:y1, x0:x1]
            total = total + ((1 - F.cosine_similarity(moved, target, dim=0)) * mask).sum()
            cells = cells + mask.sum()
    return total / cells.clamp(min=1)

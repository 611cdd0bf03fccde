"""Ground-truth density maps whose sum is exactly the number of heads inside the image.

Every head is a separable, truncated Gaussian ``g_y ⊗ g_x`` (the discrete kernel of
``scipy.ndimage.gaussian_filter``: ``exp(-i²/2σ²)`` for ``|i| ≤ int(4σ + 0.5)``). Each head's two
1-D profiles are renormalised over the pixels inside the image, so a head near the border keeps
its whole unit of mass (CSRNet's per-head filter with zero padding loses it). All heads are
rendered at once as one matrix product ``Gyᵀ · Gx`` (``N×H`` and ``N×W`` profile matrices), which
handles a different σ per head (geometry-adaptive kernel) at BLAS speed.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

#: scipy's default truncation of the Gaussian kernel (in σ).
TRUNCATE = 4.0
#: CSRNet's geometry-adaptive constants: σ = β × (sum of the distances to the k nearest heads).
ADAPTIVE_BETA = 0.1
ADAPTIVE_NEIGHBOURS = 3
#: Heads rendered per matrix product (bounds the profile matrices' memory).
_HEADS_PER_BLOCK = 2048

Kernel = Literal["fixed", "adaptive"]


def head_pixels(points: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer pixel ``(x, y)`` of each head and whether it lies inside the image.

    Points are 0-based with pixel centres at integers, so a head belongs to the pixel
    ``floor(p + 0.5)``; it is inside iff that pixel is.

    Returns:
        ``(pixels [N, 2] int64, inside [N] bool)``.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    pixels = np.floor(pts + 0.5).astype(np.int64)
    inside = (pixels[:, 0] >= 0) & (pixels[:, 0] < width) & (pixels[:, 1] >= 0) & (pixels[:, 1] < height)
    return pixels, inside


def count_inside(points: np.ndarray, height: int, width: int) -> int:
    """Number of heads inside an ``height × width`` image (the count a density map must sum to)."""
    return int(head_pixels(points, height, width)[1].sum())


def adaptive_sigmas(
    pixels: np.ndarray,
    beta: float = ADAPTIVE_BETA,
    neighbours: int = ADAPTIVE_NEIGHBOURS,
    fallback_sigma: float = 15.0,
    min_sigma: float | None = None,
) -> np.ndarray:
    """CSRNet's geometry-adaptive σ: ``beta`` × the sum of the distances to the 3 nearest heads.

    With fewer than ``neighbours + 1`` heads the rule is undefined (CSRNet's KD-tree returns
    infinite distances), so every head gets ``fallback_sigma``. By default σ is *not* clamped,
    as in CSRNet: in a dense crowd many heads get σ < 1 px (a near-delta kernel), and coincident
    annotations get σ = 0 (a delta, which is what ``gaussian_filter`` does with σ = 0).
    ``min_sigma`` is the optional clamp (e.g. 1.0) for those who want no sub-pixel kernels.

    Returns:
        ``[N]`` float64 σ per head.
    """
    n = len(pixels)
    if n <= neighbours:
        return np.full(n, float(fallback_sigma))
    from scipy.spatial import cKDTree

    distances, _ = cKDTree(pixels).query(pixels, k=neighbours + 1)
    sigmas = beta * distances[:, 1:].sum(axis=1)
    return sigmas if min_sigma is None else np.maximum(sigmas, min_sigma)


def gaussian_profiles(centres: np.ndarray, sigmas: np.ndarray, length: int) -> np.ndarray:
    """``[N, length]`` truncated 1-D Gaussians, each renormalised to sum 1 inside ``[0, length)``.

    Inside the image the profile equals scipy's ``gaussian_filter`` kernel (truncate 4) exactly,
    up to the renormalisation factor, which is 1 for a head farther than its radius from a border.
    σ = 0 gives a delta (radius 0), as ``gaussian_filter`` does.
    """
    axis = np.arange(length, dtype=np.float64)
    offset = axis[None, :] - centres[:, None].astype(np.float64)
    sig = sigmas[:, None].astype(np.float64)
    radius = np.floor(TRUNCATE * sig + 0.5)
    # σ = 0 has radius 0: only the centre tap survives, whatever σ is divided by here.
    profile = np.exp(-0.5 * (offset / np.where(sig > 0, sig, 1.0)) ** 2)
    profile[np.abs(offset) > radius] = 0.0
    return profile / profile.sum(axis=1, keepdims=True)


def density_map(
    points: np.ndarray,
    height: int,
    width: int,
    kernel: Kernel = "fixed",
    sigma: float = 4.0,
    fallback_sigma: float = 15.0,
    dtype: type = np.float32,
    min_sigma: float | None = None,
) -> np.ndarray:
    """Render the ``height × width`` density of ``points`` (0-based ``(x, y)``).

    Args:
        points: ``[N, 2]`` head positions; heads outside the image are ignored.
        height, width: the image size.
        kernel: ``"fixed"`` (σ = ``sigma`` for every head) or ``"adaptive"`` (CSRNet's rule,
            computed among the heads inside the image, ``fallback_sigma`` when fewer than 4).
        sigma: σ of the fixed kernel, in pixels.
        fallback_sigma: σ of the adaptive kernel when there are too few neighbours.
        dtype: output dtype (the rendering itself is float64).
        min_sigma: the adaptive kernel's optional clamp (None: CSRNet's rule, no clamp).

    Returns:
        The density map; its sum equals the number of heads inside the image.

    Raises:
        ValueError: for an unknown kernel, a non-positive σ or a negative size.
    """
    if height < 0 or width < 0:
        raise ValueError(f"Image size must be non-negative, got {height}×{width}.")
    if kernel not in ("fixed", "adaptive"):
        raise ValueError(f"kernel must be 'fixed' or 'adaptive', got {kernel!r}.")
    if sigma <= 0 or fallback_sigma <= 0 or (min_sigma is not None and min_sigma <= 0):
        raise ValueError(f"σ must be positive (sigma={sigma}, fallback_sigma={fallback_sigma}, min_sigma={min_sigma}).")
    pixels, inside = head_pixels(points, height, width)
    pixels = pixels[inside]
    out = np.zeros((height, width), dtype=np.float64)
    if len(pixels) == 0:
        return out.astype(dtype)
    if kernel == "adaptive":
        sigmas = adaptive_sigmas(pixels, fallback_sigma=fallback_sigma, min_sigma=min_sigma)
    else:
        sigmas = np.full(len(pixels), float(sigma))
    for start in range(0, len(pixels), _HEADS_PER_BLOCK):
        block = slice(start, start + _HEADS_PER_BLOCK)
        gy = gaussian_profiles(pixels[block, 1], sigmas[block], height)
        gx = gaussian_profiles(pixels[block, 0], sigmas[block], width)
        out += gy.T @ gx
    return out.astype(dtype)


def sum_pool(density: np.ndarray, stride: int) -> np.ndarray:
    """Downsample by summing ``stride × stride`` blocks (zero-padded), preserving the total mass."""
    h, w = density.shape
    padded = np.pad(density, ((0, -h % stride), (0, -w % stride)))
    ph, pw = padded.shape
    return padded.reshape(ph // stride, stride, pw // stride, stride).sum(axis=(1, 3))


def reference_density_per_head(
    pixels: np.ndarray, sigmas: np.ndarray, height: int, width: int, border_correct: bool
) -> np.ndarray:
    """CSRNet's algorithm: one ``scipy.ndimage.gaussian_filter`` over the whole image per head.

    Slow by design (the baseline of ``benchmarks/l2hcount_density.py`` and the tests' reference).
    With ``border_correct`` each head's map is divided by its own sum (the mass CSRNet's zero
    padding loses at borders is restored), which is what :func:`density_map` computes.
    """
    from scipy.ndimage import gaussian_filter

    out = np.zeros((height, width), dtype=np.float64)
    for (x, y), sig in zip(pixels, sigmas):
        delta = np.zeros((height, width), dtype=np.float64)
        delta[y, x] = 1.0
        blurred = gaussian_filter(delta, sig, mode="constant", truncate=TRUNCATE)
        out += blurred / blurred.sum() if border_correct else blurred
    return out

"""Ground-truth density maps: our vectorised renderer vs CSRNet's per-head gaussian_filter.

1000 heads on a 1024×768 image, geometry-adaptive kernel (CSRNet's algorithm: σ = 0.1 × the sum of
the distances to the 3 nearest heads; one ``scipy.ndimage.gaussian_filter`` of a delta image per
head). CSRNet's zero padding loses mass at the borders, which ours must not, so the maps are
compared (1) over the whole image against the border-corrected per-head reference (each head's
filtered map divided by its own sum) and (2) against plain CSRNet for the heads whose kernel fits
inside the image. Run: ``.venv/bin/python benchmarks/l2hcount_density.py [--heads N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from scipy.ndimage import gaussian_filter

from zoo_l2hcount.density import TRUNCATE, adaptive_sigmas, density_map, gaussian_profiles, head_pixels


def csrnet_per_head(pixels: np.ndarray, sigmas: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSRNet's loop; returns the raw map, the border-corrected map and the raw map of interior heads."""
    raw, corrected, interior = (np.zeros((h, w)) for _ in range(3))
    for (x, y), sig in zip(pixels, sigmas):
        delta = np.zeros((h, w))
        delta[y, x] = 1.0
        blurred = gaussian_filter(delta, sig, mode="constant", truncate=TRUNCATE)
        raw += blurred
        corrected += blurred / blurred.sum()
        if _fits(x, y, sig, h, w):
            interior += blurred
    return raw, corrected, interior


def _fits(x: int, y: int, sig: float, h: int, w: int) -> bool:
    r = int(TRUNCATE * sig + 0.5)
    return r <= x < w - r and r <= y < h - r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heads", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    h, w = 768, 1024
    points = np.random.default_rng(0).uniform([0, 0], [w, h], size=(args.heads, 2))
    pixels, _ = head_pixels(points, h, w)
    sigmas = adaptive_sigmas(pixels)

    ours_times, fixed_times = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        ours = density_map(points, h, w, kernel="adaptive")
        ours_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        density_map(points, h, w, kernel="fixed", sigma=4.0)
        fixed_times.append(time.perf_counter() - start)
    start = time.perf_counter()
    raw, corrected, interior = csrnet_per_head(pixels, sigmas, h, w)
    base_time = time.perf_counter() - start

    inside = np.array([_fits(x, y, s, h, w) for (x, y), s in zip(pixels, sigmas)])
    ours_interior = gaussian_profiles(pixels[inside, 1], sigmas[inside], h).T @ gaussian_profiles(pixels[inside, 0], sigmas[inside], w)
    ours_med = statistics.median(ours_times)
    print(f"heads: {args.heads} on {w}x{h}, adaptive kernel; {inside.sum()} heads' kernels fit inside the image")
    print(f"ours (adaptive), median of {args.repeats}: {ours_med * 1e3:.1f} ms; fixed σ=4: {statistics.median(fixed_times) * 1e3:.1f} ms")
    print(f"CSRNet per-head gaussian_filter: {base_time:.2f} s ({base_time / args.heads * 1e3:.1f} ms/head)")
    print(f"max |ours - border-corrected reference| over the image: {np.abs(ours - corrected).max():.2e}")
    print(f"max |ours - CSRNet| for interior heads: {np.abs(ours_interior - interior).max():.2e}")
    print(f"sums: ours {ours.astype(np.float64).sum():.6f}, CSRNet {raw.sum():.6f} (lost at borders: {args.heads - raw.sum():.4f})")
    print(f"speed-up: {base_time / ours_med:.0f}x (target >= 100x)")


if __name__ == "__main__":
    main()

"""The compiled farthest-point sampling loop (numba), imported only when FPS runs on the CPU.

Same values as the reference PointNet++ FPS: the squared distance is ``((x-cx)^2 + (y-cy)^2) +
(z-cz)^2`` in the input dtype (float32 stays float32), each point keeps the minimum over the
centres so far, and the next centre is the first index of the maximum (``torch.max``'s rule).
numba compiles without ``fastmath``, so no multiply-add is fused and every rounding is the
reference's. The kernel is serial and releases the GIL (``nogil``), so callers may split the batch
over Python threads (clouds are independent; the indices do not depend on the split) without
numba's threading layer, which is neither thread- nor fork-safe in its default ``workqueue`` form.
``cache=True`` keeps the machine code next to this file after the first compile.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def fps_kernel(planes: np.ndarray, take: int, first: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """``[B, take]`` indices of FPS over ``planes`` ``[B, 3, N]`` (C-contiguous) from ``first`` ``[B]``."""
    batch, n = planes.shape[0], planes.shape[2]
    picks = np.empty((batch, take), dtype=np.int64)
    for b in range(batch):
        x, y, z = planes[b, 0], planes[b, 1], planes[b, 2]
        distance = np.full(n, 1e10, dtype=planes.dtype)  # the reference's initial value, in the input dtype
        farthest = first[b]
        for i in range(take):
            picks[b, i] = farthest
            cx, cy, cz = x[farthest], y[farthest], z[farthest]
            best, best_index = -1.0, 0  # below any squared distance (compared exactly in float64)
            for j in range(n):
                dx, dy, dz = x[j] - cx, y[j] - cy, z[j] - cz
                d = min(distance[j], (dx * dx + dy * dy) + dz * dz)
                distance[j] = d
                if d > best:  # strict: the first maximum wins
                    best, best_index = d, j
            farthest = best_index
    return picks

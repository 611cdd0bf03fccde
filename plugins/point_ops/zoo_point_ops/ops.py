"""Point-cloud operations of PointNet++ and DGCNN: sampling, neighbourhoods, grouping, interpolation.

All functions take batched ``[B, N, 3]`` coordinates (fp32 or fp64) and return ``int64`` indices.
For the same start index they give exactly the indices of the widely used pure-PyTorch PointNet++
algorithm (``farthest_point_sample`` / ``query_ball_point`` of Pointnet_Pointnet2_pytorch): the
distances are computed with the same formulas and the same order of floating-point operations, so
that ties, maxima and a point lying on a ball's boundary are decided the same way.

Why they are faster (``benchmarks/point_ops_fps.py``, ``benchmarks/depth_mer_ops.py``):

- FPS on CPU is compiled with numba (``_fps_kernel.py``): each of its hundreds of sequential
  steps is one pass over the points instead of several array-library calls, so the loop is bound
  by the arithmetic instead of by dispatch. The arithmetic is the reference's, in the input dtype
  and order, without fused multiply-adds (GPU tensors and half precision use the reference's own
  torch expression).
- The ball query scans points in blocks and a query leaves the scan as soon as its ball is full,
  instead of sorting ``N`` indices per query.
- Queries are processed in chunks, so memory stays bounded (``B * chunk * N`` elements) instead of
  ``B * S * N``.

Fewer points than asked (documented rule, tested):
- FPS with ``npoint > N``: the first ``N`` indices are the FPS order (every point once); the rest
  repeat that order cyclically, so every point is used ``floor`` or ``ceil(npoint / N)`` times.
- Ball query: fewer than ``nsample`` points within the radius are padded with the first found
  (as in the reference); a query with no point in its ball gets its nearest point (the reference
  would return the out-of-range index ``N``).
- kNN with ``k > N``: all ``N`` points nearest first, then repeated cyclically.
- Three-NN interpolation with fewer than 3 known points uses the ones there are.
"""

from __future__ import annotations

import numpy as np
import torch

from zoo.sdk import InputError

#: Elements of one ``[B, chunk, N]`` distance block; bounds peak memory of the chunked ops
#: (4M fp32 distances + the int64 helpers ≈ 100 MB at most).
CHUNK_ELEMENTS = 1 << 22
#: Points scanned per step of the ball query; a query stops once its ball is full.
BALL_BLOCK = 512


def _check_points(name: str, xyz: torch.Tensor, channels: int | None = 3) -> None:
    if xyz.dim() != 3 or (channels is not None and xyz.shape[-1] != channels):
        want = f"[B, N, {channels}]" if channels is not None else "[B, N, C]"
        raise InputError(f"{name} must have shape {want}, got {tuple(xyz.shape)}.")
    if not xyz.is_floating_point():
        raise InputError(f"{name} must be a floating-point tensor (fp32 or fp64), got {xyz.dtype}.")
    if xyz.shape[1] == 0:
        raise InputError(f"{name} has no points (N = 0); a cloud needs at least one point.")


def _chunk_size(batch: int, n: int) -> int:
    return max(1, CHUNK_ELEMENTS // max(1, batch * n))


def _start_indices(start: int | torch.Tensor, batch: int, n: int, device: torch.device) -> torch.Tensor:
    if isinstance(start, int):
        start = torch.full((batch,), start, dtype=torch.long, device=device)
    start = start.to(device=device, dtype=torch.long).reshape(-1)
    if start.numel() != batch:
        raise InputError(f"start must be an int or hold one index per cloud ({batch}), got {start.numel()}.")
    if bool(((start < 0) | (start >= n)).any()):
        raise InputError(f"start indices must lie in [0, {n}), got {start.tolist()}.")
    return start


def farthest_point_sample(xyz: torch.Tensor, npoint: int, start: int | torch.Tensor = 0) -> torch.Tensor:
    """Farthest-point sampling: ``npoint`` indices per cloud, beginning at ``start``.

    Args:
        xyz: ``[B, N, 3]`` coordinates.
        npoint: number of indices to return (more than ``N`` cycles; see the module docstring).
        start: the first index, one int for all clouds or a ``[B]`` tensor.

    Returns:
        ``[B, npoint]`` int64 indices (on ``xyz``'s device), identical to the reference
        algorithm's for the same start.

    Raises:
        InputError: on a bad shape, dtype, empty cloud, NaN or infinite coordinates, ``npoint < 1``
            or a start out of range.
    """
    _check_points("xyz", xyz)
    if npoint < 1:
        raise InputError(f"npoint must be >= 1, got {npoint}.")
    batch, n, _ = xyz.shape
    first = _start_indices(start, batch, n, xyz.device)
    take = min(npoint, n)
    points = xyz.detach()
    on_cpu = points.device.type == "cpu" and points.dtype in (torch.float32, torch.float64)
    # numpy's check on the CPU path: a torch op would wake torch's worker threads, which then spin
    # beside the sequential loop on a small machine.
    finite = np.isfinite(points.numpy()).all() if on_cpu else bool(torch.isfinite(points).all())
    if not finite:
        raise InputError("xyz holds NaN or infinite coordinates; farthest-point sampling needs finite points.")
    if on_cpu:
        centroids = torch.from_numpy(_fps_cpu(points.numpy(), take, first.numpy()))
    else:
        centroids = _fps_torch(points, take, first)
    if npoint > n:
        centroids = centroids[:, torch.arange(npoint, device=centroids.device) % n]
    return centroids


def _fps_cpu(xyz: np.ndarray, take: int, first: np.ndarray) -> np.ndarray:
    """FPS on CPU: the reference's recurrence, compiled (numba) into one pass over the points a step.

    The loop is sequential (each centre depends on the previous ones), so in Python its cost is
    the per-call overhead of the array library, several calls per step; compiled, a step is one
    pass that subtracts, squares, takes the minimum and tracks the maximum together.
    """
    from zoo_point_ops._fps_kernel import fps_kernel

    planes = np.ascontiguousarray(np.moveaxis(xyz, 2, 1))  # [B, 3, N]: one contiguous row per axis
    first = first.astype(np.int64)
    # The clouds of a batch on as many threads as torch may use (torch.set_num_threads is the
    # user's knob); threads made per call, so nothing is left running across a fork.
    workers = min(torch.get_num_threads(), planes.shape[0])
    if workers <= 1:
        return fps_kernel(planes, take, first)
    from concurrent.futures import ThreadPoolExecutor

    bounds = np.linspace(0, planes.shape[0], workers + 1).astype(int)
    with ThreadPoolExecutor(workers) as pool:
        parts = pool.map(lambda lo, hi: fps_kernel(planes[lo:hi], take, first[lo:hi]), bounds[:-1], bounds[1:])
        return np.concatenate(list(parts))


def _fps_torch(xyz: torch.Tensor, take: int, first: torch.Tensor) -> torch.Tensor:
    """FPS with torch ops (GPU tensors, half precision): the reference's own distance expression.

    ``torch.sum`` over the coordinate axis is kept as in the reference because for half precision
    it accumulates in fp32 before rounding, which sequential half-precision additions would not.
    """
    batch, n, _ = xyz.shape
    rows = torch.arange(batch, device=xyz.device)
    distance = torch.full((batch, n), 1e10, dtype=xyz.dtype, device=xyz.device)
    centroids = torch.empty((batch, take), dtype=torch.long, device=xyz.device)
    farthest = first
    for i in range(take):
        centroids[:, i] = farthest
        dist = torch.sum((xyz - xyz[rows, farthest].unsqueeze(1)) ** 2, -1)
        torch.minimum(distance, dist, out=distance)
        farthest = distance.argmax(dim=-1)
    return centroids


def square_distance(src: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
    """Squared distances ``[B, S, N]`` by the reference's expansion ``-2ab + |a|^2 + |b|^2``.

    The expansion (not ``(a-b)^2``) is kept on purpose: it is what the reference ball query
    compares with ``r^2``, so using it decides boundary points identically.
    """
    dist = -2 * torch.matmul(src, dst.transpose(1, 2))
    dist += torch.sum(src**2, -1).unsqueeze(-1)
    dist += torch.sum(dst**2, -1).unsqueeze(1)
    return dist


def ball_query(radius: float, nsample: int, xyz: torch.Tensor, new_xyz: torch.Tensor) -> torch.Tensor:
    """Indices of the first ``nsample`` points (by index) within ``radius`` of each query.

    Points are scanned in index blocks and a query leaves the scan as soon as its ball has
    ``nsample`` members, so dense regions cost a fraction of the full ``S x N`` distance matrix
    the reference computes and sorts.

    Args:
        radius: ball radius; a point is inside when ``d^2 <= radius^2``.
        nsample: points per ball; fewer are padded with the first found (no point: the nearest).
        xyz: ``[B, N, 3]`` points.
        new_xyz: ``[B, S, 3]`` query centres.

    Returns:
        ``[B, S, nsample]`` int64 indices into ``xyz``.

    Raises:
        InputError: on bad shapes, mismatched batch or dtype, ``nsample < 1`` or ``radius <= 0``.
    """
    _check_points("xyz", xyz)
    _check_points("new_xyz", new_xyz)
    if new_xyz.shape[0] != xyz.shape[0] or new_xyz.dtype != xyz.dtype:
        raise InputError("xyz and new_xyz must have the same batch size and dtype.")
    if nsample < 1 or radius <= 0:
        raise InputError(f"nsample must be >= 1 and radius > 0, got nsample={nsample}, radius={radius}.")
    return torch.stack([_ball_query_one(radius**2, nsample, p, q) for p, q in zip(xyz, new_xyz)])


def _ball_query_one(r2: float, nsample: int, points: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    """Ball query of one cloud: ``points [N, 3]``, ``queries [S, 3]`` → ``[S, nsample]``."""
    n, s = points.shape[0], queries.shape[0]
    block = max(1, min(BALL_BLOCK, CHUNK_ELEMENTS // max(1, s)))
    found = torch.zeros((s, nsample), dtype=torch.long, device=points.device)
    count = torch.zeros(s, dtype=torch.long, device=points.device)
    active = torch.arange(s, device=points.device)
    q_sq = torch.sum(queries**2, -1)
    p_sq = torch.sum(points**2, -1)
    for n0 in range(0, n, block):
        if active.numel() == 0:
            break
        # The reference's expansion -2ab + |a|^2 + |b|^2, in its order of additions.
        dist = -2 * torch.matmul(queries[active], points[n0 : n0 + block].T)
        dist += q_sq[active].unsqueeze(1)
        dist += p_sq[n0 : n0 + block].unsqueeze(0)
        inside = ~(dist > r2)  # the reference drops d^2 > r^2; keep its exact predicate (NaN too)
        row, col = inside.nonzero(as_tuple=True)  # row-major: each row's hits in index order
        per_row = inside.sum(1)
        row_start = per_row.cumsum(0) - per_row
        slot = torch.arange(row.numel(), device=row.device) - row_start[row] + count[active[row]]
        keep = slot < nsample
        found[active[row[keep]], slot[keep]] = col[keep] + n0
        count[active] += per_row
        active = active[count[active] < nsample]
    empty = count == 0
    if bool(empty.any()):
        found[empty, 0] = square_distance(queries[empty].unsqueeze(0), points.unsqueeze(0))[0].argmin(-1)
        count = count.clamp(min=1)
    pad = torch.arange(nsample, device=points.device).unsqueeze(0) >= count.clamp(max=nsample).unsqueeze(1)
    return torch.where(pad, found[:, :1], found)


def knn(query: torch.Tensor, points: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` nearest ``points`` of each query, nearest first (any channel count ``C``).

    Args:
        query: ``[B, S, C]``.
        points: ``[B, N, C]``.
        k: neighbours per query; ``k > N`` cycles the ``N`` sorted neighbours.

    Returns:
        ``(sq_dist [B, S, k], idx [B, S, k])``.

    Raises:
        InputError: on bad shapes or ``k < 1``.
    """
    _check_points("query", query, channels=None)
    _check_points("points", points, channels=query.shape[-1])
    if k < 1:
        raise InputError(f"k must be >= 1, got {k}.")
    batch, n, _ = points.shape
    take = min(k, n)
    dists, idxs = [], []
    step = _chunk_size(batch, n)
    for s0 in range(0, query.shape[1], step):
        d, i = square_distance(query[:, s0 : s0 + step], points).topk(take, dim=-1, largest=False, sorted=True)
        dists.append(d)
        idxs.append(i)
    dist, idx = torch.cat(dists, 1), torch.cat(idxs, 1)
    if k > n:
        cycle = torch.arange(k, device=idx.device) % n
        dist, idx = dist[..., cycle], idx[..., cycle]
    return dist, idx


def gather_points(points: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Gather per-point features by index: ``points [B, N, C]``, ``idx [B, ...]`` → ``[B, ..., C]``.

    Raises:
        InputError: if the batch sizes differ.
    """
    if points.dim() != 3 or idx.shape[0] != points.shape[0]:
        raise InputError(f"points must be [B, N, C] and idx [B, ...] with the same B, got "
                         f"{tuple(points.shape)} and {tuple(idx.shape)}.")
    batch, n, channels = points.shape
    offset = (torch.arange(batch, device=idx.device) * n).view(batch, *([1] * (idx.dim() - 1)))
    flat = points.reshape(batch * n, channels)
    return flat.index_select(0, (idx + offset).reshape(-1)).view(*idx.shape, channels)


def group(
    xyz: torch.Tensor, centres: torch.Tensor, idx: torch.Tensor, features: torch.Tensor | None = None
) -> torch.Tensor:
    """PointNet++ grouping: neighbours' coordinates relative to their centre, then their features.

    Args:
        xyz: ``[B, N, 3]`` points; centres: ``[B, S, 3]``; idx: ``[B, S, K]`` neighbour indices;
        features: optional ``[B, N, C]`` per-point features.

    Returns:
        ``[B, S, K, 3 + C]`` (relative xyz first, as in the reference).

    Raises:
        InputError: if the shapes do not fit together.
    """
    if centres.shape[:2] != idx.shape[:2]:
        raise InputError(f"centres {tuple(centres.shape)} and idx {tuple(idx.shape)} disagree on [B, S].")
    grouped = gather_points(xyz, idx) - centres.unsqueeze(2)
    if features is None:
        return grouped
    return torch.cat([grouped, gather_points(features, idx)], dim=-1)


def three_nn_interpolate(unknown: torch.Tensor, known: torch.Tensor, known_features: torch.Tensor) -> torch.Tensor:
    """Inverse-distance interpolation from the 3 nearest known points (PointNet++ feature propagation).

    Args:
        unknown: ``[B, N, 3]`` where features are wanted; known: ``[B, S, 3]``;
        known_features: ``[B, S, C]``.

    Returns:
        ``[B, N, C]``; weights ``1 / (d^2 + 1e-8)`` normalised, as in the reference.

    Raises:
        InputError: on bad shapes.
    """
    _check_points("unknown", unknown)
    _check_points("known", known)
    if known_features.shape[:2] != known.shape[:2]:
        raise InputError("known_features must be [B, S, C] with the B and S of known.")
    if known.shape[1] == 1:
        return known_features.expand(-1, unknown.shape[1], -1).clone()
    dist, idx = knn(unknown, known, min(3, known.shape[1]))
    recip = 1.0 / (dist + 1e-8)
    weight = recip / recip.sum(dim=-1, keepdim=True)
    return (gather_points(known_features, idx) * weight.unsqueeze(-1)).sum(dim=2)

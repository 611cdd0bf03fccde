"""Samplers and loaders: seeded per-epoch order, resumable mid-epoch, sharded across ranks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, DistributedSampler, Sampler, Subset

from zoo.engine.distributed import DistContext


class ResumableDistributedSampler(DistributedSampler):
    """``DistributedSampler`` that can skip the samples a checkpointed run already consumed.

    The order of an epoch depends only on ``(seed, epoch)`` (torch's ``DistributedSampler``
    shuffles with its own generator), so skipping the first ``skip`` indices of this rank's
    share reproduces exactly what the interrupted run would have drawn next. With one replica
    it is an ordinary seeded shuffle, so single-process and ``torchrun`` runs share a code path.
    """

    def __init__(self, dataset: Any, context: DistContext, shuffle: bool, seed: int) -> None:
        super().__init__(
            dataset, num_replicas=context.world_size, rank=context.rank, shuffle=shuffle, seed=seed, drop_last=False
        )
        self.skip = 0

    def __iter__(self) -> Iterator[int]:
        indices = list(super().__iter__())
        return iter(indices[self.skip :])

    def __len__(self) -> int:
        return max(self.num_samples - self.skip, 0)


class ShardSampler(Sampler[int]):
    """Rank ``r`` of ``w`` takes indices ``r, r+w, ...`` in order, with no padding.

    Used for evaluation: ``DistributedSampler`` pads shards by repeating samples, which would
    count some test images twice in the metrics.
    """

    def __init__(self, length: int, context: DistContext) -> None:
        self.indices = list(range(context.rank, length, context.world_size))

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def make_loader(dataset: Any, batch_size: int, sampler: Sampler[int], num_workers: int, seed: int) -> DataLoader:
    """A DataLoader using the dataset's ``collate`` method when it has one (also through ``Subset``).

    The loader gets its own seeded generator: the workers' base seed is then drawn from it
    instead of from the global RNG, so creating the loader at a resume point does not shift the
    global random stream (which bit-exact resume relies on).
    """
    collate = getattr(dataset, "collate", None)
    inner = dataset
    while collate is None and isinstance(inner, Subset):  # a fold or split of a zoo dataset
        inner = inner.dataset
        collate = getattr(inner, "collate", None)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=num_workers,
        collate_fn=collate if callable(collate) else None,
        generator=torch.Generator().manual_seed(seed),
        persistent_workers=False,
    )


def move_to_device(batch: Any, device: torch.device) -> Any:
    """Move every tensor in a (nested) batch of dicts, lists and tuples to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: move_to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)) and not hasattr(batch, "_fields"):
        return type(batch)(move_to_device(v, device) for v in batch)
    return batch

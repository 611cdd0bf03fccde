"""Samplers and loaders: seeded per-epoch order, resumable mid-epoch, sharded across ranks.

Loader workers draw each item's randomness (augmentation) from a seed that depends only on the
run's seed, the epoch and the item's index, so with any number of workers (>= 1) an item is the
same wherever and whenever it is loaded: after a mid-epoch resume, on a machine with more cores,
or in a 2-process run. With ``num_workers=0`` items are loaded in the training process and draw
from the global random stream, which checkpoints save and restore.
"""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler, Subset, get_worker_info

from zoo.engine.distributed import DistContext

#: The most loader workers the automatic setting starts per process.
MAX_AUTO_WORKERS = 4


def cpus_per_process() -> int:
    """CPUs this process may use, divided among the processes of this node (``LOCAL_WORLD_SIZE``)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1)
    return max(available // max(local_world, 1), 1)


def resolve_num_workers(requested: int | None) -> int:
    """Loader workers for a ``num_workers`` setting: ``None`` means what this process's CPUs allow.

    ``None`` → ``min(cpus - 1, 4)`` but at least 1 (one core is the training loop's); an explicit
    number is capped at the CPUs of this process, so a recipe written for a large machine neither
    oversubscribes a small one nor makes torch warn about it. ``0`` loads in the training process.
    """
    cpus = cpus_per_process()
    if requested is None:
        return max(min(cpus - 1, MAX_AUTO_WORKERS), 1)
    return min(requested, cpus)


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


def item_seed(seed: int, epoch: int, index: int) -> int:
    """The seed of one item's randomness in a loader worker (a fixed mix of its three inputs)."""
    return (seed * 1_000_003 + epoch * 7_919 + index * 104_729 + 0x5EED) % 2**63


class _SeededIndices(Sampler[tuple[int, int]]):
    """Pairs each index of ``sampler`` with its item seed (read from the sampler's current epoch)."""

    def __init__(self, sampler: Sampler[int], seed: int) -> None:
        self.sampler, self.seed = sampler, seed

    def __iter__(self) -> Iterator[tuple[int, int]]:
        epoch = getattr(self.sampler, "epoch", 0)
        return ((index, item_seed(self.seed, epoch, index)) for index in self.sampler)

    def __len__(self) -> int:
        return len(self.sampler)


class _SeededItems(Dataset):
    """In a loader worker, seeds torch, numpy and python from the item's seed before loading it."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tuple[int, int]) -> Any:
        index, seed = key
        if get_worker_info() is not None:  # a worker's RNG is its own: reseeding disturbs nothing
            torch.default_generator.manual_seed(seed)
            random.seed(seed)
            np.random.seed(seed % 2**32)
        return self.dataset[index]


def _ignore_stop_signal(worker_id: int) -> None:
    # A scheduler's SIGTERM reaches every process of the job; a worker that dies of it would make the
    # next batch fail before the trainer can finish its step and checkpoint. Workers exit with the
    # training process anyway (torch watches the parent).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def find_collate(dataset: Any) -> Any:
    """The dataset's ``collate`` method (also through ``Subset``), or ``None``."""
    collate = getattr(dataset, "collate", None)
    inner = dataset
    while collate is None and isinstance(inner, Subset):  # a fold or split of a zoo dataset
        inner = inner.dataset
        collate = getattr(inner, "collate", None)
    return collate if callable(collate) else None


def make_loader(dataset: Any, batch_size: int, sampler: Sampler[int], num_workers: int, seed: int) -> DataLoader:
    """A DataLoader using the dataset's ``collate`` method when it has one (also through ``Subset``).

    The loader gets its own seeded generator: the workers' base seed is then drawn from it
    instead of from the global RNG, so creating the loader at a resume point does not shift the
    global random stream (which bit-exact resume relies on). With workers, items are fetched
    through :class:`_SeededItems`, so workers seed each item from ``(seed, sampler epoch, index)``.

    Workers never persist beyond one pass: they ignore SIGTERM (see :func:`_ignore_stop_signal`), so
    a worker still alive when the process exits would block multiprocessing's exit handler, which
    stops children with SIGTERM. A pass's iterator, and its workers, end with the loop over it, also
    when an exception leaves the loop (measured cost: ~50 ms per epoch to start one worker).
    """
    seeded = num_workers > 0  # in this process items draw from the global stream (saved in checkpoints)
    return DataLoader(
        _SeededItems(dataset) if seeded else dataset,
        batch_size=batch_size,
        sampler=_SeededIndices(sampler, seed) if seeded else sampler,
        num_workers=num_workers,
        collate_fn=find_collate(dataset),
        generator=torch.Generator().manual_seed(seed),
        worker_init_fn=_ignore_stop_signal if seeded else None,
        persistent_workers=False,
    )


def move_to_device(batch: Any, device: torch.device) -> Any:
    """Move every tensor in a (nested) batch of dicts, lists and tuples to ``device``.

    On the CPU the batch is returned as it is: the loader's tensors are already there.
    """
    if device.type == "cpu":
        return batch
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: move_to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)) and not hasattr(batch, "_fields"):
        return type(batch)(move_to_device(v, device) for v in batch)
    return batch

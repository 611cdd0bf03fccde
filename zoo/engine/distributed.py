"""Where a process stands (rank, world size, device) and cross-rank helpers.

accelerate joins the process group that ``torchrun`` or ``accelerate launch`` describe (gloo on
CPU, nccl on GPU; see :mod:`zoo.engine.acceleration`). A single process (plain ``python``) is world
size 1 and every helper degrades to a no-op, so the trainer has one code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    """Where this process stands: rank, world size, device."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0 logs, shows progress and writes checkpoints."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def teardown_distributed() -> None:
    """Leave the process group (if one was joined).

    All ranks meet at a barrier first: a rank that tears gloo down while a peer is still using
    the connection can abort the peer ("terminate called without an active exception").
    accelerate's process state is reset with it, so a later Trainer in this process starts afresh.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
        from accelerate.state import AcceleratorState

        AcceleratorState._reset_state(reset_partial_state=True)


def gather_objects(obj: Any, context: DistContext) -> list[Any]:
    """Every rank's ``obj`` (pickled between our own processes only), in rank order."""
    if not context.distributed:
        return [obj]
    gathered: list[Any] = [None] * context.world_size
    dist.all_gather_object(gathered, obj)
    return gathered


def gather_to_main(obj: Any, context: DistContext) -> list[Any] | None:
    """Every rank's ``obj`` on rank 0, in rank order (``None`` on the other ranks; pickled between
    our own processes only). Unlike :func:`gather_objects`, only rank 0 holds all of them."""
    if not context.distributed:
        return [obj]
    gathered: list[Any] | None = [None] * context.world_size if context.is_main else None
    dist.gather_object(obj, gathered, dst=0)
    return gathered


def mean_across_ranks(values: dict[str, float], context: DistContext) -> dict[str, float]:
    """The mean over ranks of scalar values (losses for the log; not used for metrics)."""
    if not context.distributed or not values:
        return values
    keys = sorted(values)
    tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=context.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return {k: float(v) / context.world_size for k, v in zip(keys, tensor.tolist())}


def barrier(context: DistContext) -> None:
    """Wait for every rank (no-op in a single process)."""
    if context.distributed:
        dist.barrier()

"""The one training/evaluation loop every method uses.

Methods supply ``training_step`` (named losses), ``evaluation_step`` (what their metric counts)
and ``metric`` (a name in :mod:`zoo.metrics`); the trainer supplies optimisation, scheduling,
seeding and determinism, data-parallel training under ``torchrun``, atomic checkpoints with
bit-exact mid-epoch resume, the JSONL log and the progress bar.

A model may define ``metric_options`` (a dict, e.g. ``{"num_classes": 5}``) passed to its
metric's accumulator.
"""

from __future__ import annotations

import math
import os
import random
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from zoo.engine.checkpointing import Position, load_latest_checkpoint, save_checkpoint
from zoo.engine.config import TrainConfig
from zoo.engine.data import ResumableDistributedSampler, ShardSampler, make_loader, move_to_device
from zoo.engine.distributed import gather_objects, mean_across_ranks, setup_distributed
from zoo.engine.errors import CheckpointError, TrainingError, TrainingInterrupted
from zoo.engine.progress import ProgressDisplay
from zoo.engine.run_log import RunLog

#: Called after every optimizer step with the trainer and the step's detached losses.
StepHook = Callable[["Trainer", dict[str, torch.Tensor]], None]


class _StopSignal:
    """Records SIGTERM (schedulers' preemption, torchrun's shutdown) instead of dying mid-step.

    Installed only in the main thread (``signal`` allows no other); restored when training ends.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: Any = None

    def __enter__(self) -> "_StopSignal":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)

    def _record(self, signum: int, frame: Any) -> None:
        self.received = signum


class _StepModule(nn.Module):
    """Routes DDP's ``forward`` to ``training_step`` so DDP's gradient hooks see the step."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Any) -> dict[str, torch.Tensor]:
        return self.model.training_step(batch)


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def configure_determinism() -> None:
    """Ask torch for deterministic kernels (errors on ops that have none) and fixed cuDNN choices."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


def total_loss(losses: Any) -> torch.Tensor:
    """The loss to optimise: ``losses["loss"]`` if present, else the sum of the named losses.

    Raises:
        TrainingError: if ``losses`` is not a non-empty dict of scalar tensors.
    """
    if not isinstance(losses, dict) or not losses:
        raise TrainingError(
            f"training_step() must return a non-empty dict of named losses, got {type(losses).__name__}."
        )
    for name, value in losses.items():
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            raise TrainingError(f"Loss {name!r} must be a scalar tensor, got {getattr(value, 'shape', type(value))}.")
    if "loss" in losses:
        return losses["loss"].reshape(())
    return torch.stack([v.reshape(()) for v in losses.values()]).sum()


class Trainer:
    """Train and evaluate a :class:`zoo.Model` with a :class:`TrainConfig`.

    Args:
        model: the model (moved to this process's device).
        config: a :class:`TrainConfig` or a dict of its fields.
        train_data: the training dataset (its ``collate`` is used when it has one).
        eval_data: evaluated every ``eval_every`` epochs and after the last.
        hooks: callables run after every optimizer step (after any checkpoint).
        resume: continue from the newest checkpoint in ``out_dir`` (if there is one).

    Raises:
        pydantic.ValidationError: if ``config`` is a dict with unknown or invalid fields.
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig | dict[str, Any] | None = None,
        train_data: Any = None,
        eval_data: Any = None,
        hooks: Sequence[StepHook] = (),
        resume: bool = False,
    ) -> None:
        self.config = config if isinstance(config, TrainConfig) else TrainConfig.model_validate(config or {})
        self.context = setup_distributed()
        if self.config.deterministic:
            configure_determinism()
        self.model = model.to(self.context.device)
        self.train_data, self.eval_data = train_data, eval_data
        self.hooks, self.resume = list(hooks), resume
        self.position = Position()
        self.log = RunLog(self.config.out_dir, enabled=self.context.is_main)
        # Evaluation-only trainers (``zoo eval``) need no optimizer, and may hold frozen models.
        self.optimizer = self._build_optimizer() if train_data is not None else None
        self.scheduler = self._build_scheduler() if train_data is not None else None
        self.last_eval: dict[str, float] = {}
        self._last_eval_step: int | None = None
        self._stop = _StopSignal()  # replaced by the installed one during fit()

    # -- set-up -------------------------------------------------------------------------------
    def _build_optimizer(self) -> torch.optim.Optimizer:
        params = [p for p in self.model.parameters() if p.requires_grad]
        if not params:
            raise TrainingError("The model has no trainable parameters (all have requires_grad=False).")
        cfg = self.config
        if cfg.optimizer == "sgd":
            return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)

    @property
    def steps_per_epoch(self) -> int:
        """Optimizer steps in one epoch on each rank (the sampler pads ranks to equal shares)."""
        if self.train_data is None:
            return 0
        per_rank = math.ceil(len(self.train_data) / self.context.world_size)
        return math.ceil(per_rank / self.config.batch_size)

    @property
    def total_steps(self) -> int:
        total = self.steps_per_epoch * self.config.epochs
        return min(total, self.config.max_steps) if self.config.max_steps else total

    def _build_scheduler(self) -> Any:
        if self.config.scheduler == "none" or self.train_data is None:
            return None
        return torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=max(self.total_steps, 1))

    def _step_module(self) -> nn.Module:
        module = _StepModule(self.model)
        if not self.context.distributed:
            return module
        device_ids = [self.context.device] if self.context.device.type == "cuda" else None
        return DistributedDataParallel(
            module, device_ids=device_ids, find_unused_parameters=self.config.find_unused_parameters
        )

    # -- checkpoints --------------------------------------------------------------------------
    def save_checkpoint(self) -> None:
        """Write a checkpoint of the current position (rank 0 only; atomic)."""
        if not self.context.is_main:
            return
        extra = {
            "world_size": self.context.world_size,
            "batch_size": self.config.batch_size,
            "config": self.config.model_dump(),
        }
        save_checkpoint(
            self.config.out_dir, self.model, self.optimizer, self.scheduler, self.position, extra,
            keep=self.config.keep_checkpoints,
        )

    def _restore(self) -> bool:
        loaded = load_latest_checkpoint(self.config.out_dir)
        if loaded is None:
            return False
        position = loaded.position
        same_layout = (loaded.sidecar["world_size"], loaded.sidecar["batch_size"]) == (
            self.context.world_size, self.config.batch_size,
        )
        if position.batch_in_epoch and not same_layout:
            raise CheckpointError(
                f"{loaded.path} was written mid-epoch by {loaded.sidecar['world_size']} process(es) with "
                f"batch_size={loaded.sidecar['batch_size']}; resume it with the same layout (now "
                f"{self.context.world_size} process(es), batch_size={self.config.batch_size})."
            )
        loaded.restore(self.model, self.optimizer, self.scheduler)
        self.position = position
        return True

    # -- training -----------------------------------------------------------------------------
    def _reached_max_steps(self) -> bool:
        return self.config.max_steps is not None and self.position.step >= self.config.max_steps

    def fit(self, resume: bool | None = None) -> dict[str, Any]:
        """Train for ``epochs`` (or ``max_steps``), evaluating and checkpointing on the way.

        Args:
            resume: override the constructor's ``resume``.

        Returns:
            ``{"step", "epoch", "train": last epoch's mean losses, "eval": last metrics}``.

        Raises:
            TrainingError: without training data, or if a step returns bad losses.
            CheckpointError: if the checkpoint to resume does not fit this run.
        """
        if self.train_data is None:
            raise TrainingError("Trainer.fit() needs train_data.")
        resume = self.resume if resume is None else resume
        if not (resume and self._restore()):
            seed_everything(self.config.seed)
        sampler = ResumableDistributedSampler(self.train_data, self.context, self.config.shuffle, self.config.seed)
        step_module = self._step_module()
        train_means: dict[str, float] = {}
        display = ProgressDisplay(self.config.progress and self.context.is_main)
        with display, _StopSignal() as self._stop:
            while self.position.epoch < self.config.epochs and not self._reached_max_steps():
                train_means = self._train_epoch(step_module, sampler, display)
                if self.position.batch_in_epoch < self.steps_per_epoch:
                    break  # stopped by max_steps inside the epoch
                self._end_epoch(train_means, display)
            if self.position.batch_in_epoch:
                self.save_checkpoint()
            if self.eval_data is not None and self._last_eval_step != self.position.step:
                self._evaluate_and_log(display)
        return {"step": self.position.step, "epoch": self.position.epoch, "train": train_means, "eval": self.last_eval}

    def _end_epoch(self, train_means: dict[str, float], display: ProgressDisplay) -> None:
        self.position.epoch += 1
        self.position.batch_in_epoch = 0
        if train_means:
            values = {f"train_{k}": v for k, v in train_means.items()}
            self.log.write("epoch", self.position.step, self.position.epoch, values)
        cfg = self.config
        last = self.position.epoch == cfg.epochs
        if self.eval_data is not None and (last or (cfg.eval_every and self.position.epoch % cfg.eval_every == 0)):
            self._evaluate_and_log(display)
        self.save_checkpoint()

    def _train_epoch(
        self, step_module: nn.Module, sampler: ResumableDistributedSampler, display: ProgressDisplay
    ) -> dict[str, float]:
        cfg, pos = self.config, self.position
        sampler.set_epoch(pos.epoch)
        sampler.skip = pos.batch_in_epoch * cfg.batch_size
        # The loader's generator depends on (seed, epoch) only, like the sampler's order.
        loader_seed = cfg.seed * 100_003 + pos.epoch
        loader = make_loader(self.train_data, cfg.batch_size, sampler, cfg.num_workers, seed=loader_seed)
        self.model.train()
        display.start(f"epoch {pos.epoch + 1}/{cfg.epochs}", total=self.steps_per_epoch, completed=pos.batch_in_epoch)
        sums: dict[str, torch.Tensor] = {}
        batches = 0
        for batch in loader:
            losses = self._optimise(step_module, batch)
            pos.step += 1
            pos.batch_in_epoch += 1
            batches += 1
            for name, value in losses.items():
                sums[name] = sums.get(name, 0) + value
            self._after_step(losses, display)
            if self._reached_max_steps():
                break
        # Means over the batches run in this process's session (after a resume: since the resume).
        if not batches:
            return {}
        return mean_across_ranks({k: float(v) / batches for k, v in sorted(sums.items())}, self.context)

    def _optimise(self, step_module: nn.Module, batch: Any) -> dict[str, torch.Tensor]:
        losses = step_module(move_to_device(batch, self.context.device))
        loss = total_loss(losses)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return {"loss": loss.detach(), **{k: v.detach().reshape(()) for k, v in losses.items() if k != "loss"}}

    def _after_step(self, losses: dict[str, torch.Tensor], display: ProgressDisplay) -> None:
        cfg, pos = self.config, self.position
        if pos.step % cfg.log_every == 0:
            values = mean_across_ranks({k: float(v) for k, v in losses.items()}, self.context)
            values["lr"] = float(self.optimizer.param_groups[0]["lr"])
            self.log.write("step", pos.step, pos.epoch, values)
            display.advance(values)
        else:
            display.advance()
        if cfg.checkpoint_every and pos.step % cfg.checkpoint_every == 0:
            self.save_checkpoint()
        for hook in self.hooks:
            hook(self, losses)
        self._stop_if_signalled()

    def _stop_if_signalled(self) -> None:
        received = self._stop.received is not None
        if self.context.distributed:  # every rank must stop at the same step, or collectives hang
            flag = torch.tensor([int(received)], device=self.context.device)
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
            received = bool(flag.item())
        if not received:
            return
        self.save_checkpoint()
        raise TrainingInterrupted(
            f"Training stopped by a stop signal at step {self.position.step}; a checkpoint was saved in "
            f"{self.config.out_dir}/checkpoints. Continue with resume=True (zoo train ... --resume)."
        )

    # -- evaluation ---------------------------------------------------------------------------
    def _evaluate_and_log(self, display: ProgressDisplay) -> None:
        self.last_eval = self.evaluate(self.eval_data, display=display)
        self._last_eval_step = self.position.step
        self.log.write("eval", self.position.step, self.position.epoch, dict(self.last_eval))

    def new_accumulator(self) -> Any:
        """A fresh accumulator of the model's metric (with the model's ``metric_options``).

        Raises:
            TrainingError: if the model names no metric.
        """
        from zoo.metrics import get_accumulator

        metric = getattr(self.model, "metric", None)
        if not metric:
            raise TrainingError(f"{type(self.model).__name__}.metric is not set; name a metric of zoo.metrics.")
        return get_accumulator(metric, **(getattr(self.model, "metric_options", None) or {}))

    def accumulate(self, dataset: Any, accumulator: Any = None, display: ProgressDisplay | None = None) -> Any:
        """Add the model's outputs on ``dataset`` to ``accumulator`` (all ranks' shards summed).

        Pass the same accumulator for every leave-one-subject-out fold to pool TP/FP/FN over the
        folds before computing UF1/UAR (``pooled.compute()``).

        Returns:
            The accumulator (a new one if none was given), identical on every rank.

        Raises:
            TrainingError: if the model names no metric.
        """
        accumulator = self.new_accumulator() if accumulator is None else accumulator
        shard = self.new_accumulator()
        sampler = ShardSampler(len(dataset), self.context)
        loader = make_loader(dataset, self.config.batch_size, sampler, self.config.num_workers, self.config.seed)
        was_training = self.model.training
        self.model.eval()
        if display is not None:
            display.start("eval", total=len(loader))
        with torch.no_grad():
            for batch in loader:
                shard.update(self.model.evaluation_step(move_to_device(batch, self.context.device)))
                if display is not None:
                    display.advance()
        self.model.train(was_training)
        for other in gather_objects(shard, self.context):
            accumulator.merge(other)
        return accumulator

    def evaluate(self, dataset: Any = None, display: ProgressDisplay | None = None) -> dict[str, float]:
        """Metrics of the model on ``dataset`` (default: ``eval_data``), reduced over all ranks.

        Each rank evaluates a disjoint shard; the metric accumulators' counts (e.g. TP/FP/FN) are
        summed across ranks before the metric is computed, never averaged.

        Raises:
            TrainingError: without a dataset, or if the model names no metric.
        """
        dataset = self.eval_data if dataset is None else dataset
        if dataset is None:
            raise TrainingError("evaluate() needs a dataset (pass one, or eval_data to the Trainer).")
        metrics = self.accumulate(dataset, display=display).compute()
        if display is not None:
            display.note(metrics)
        return metrics

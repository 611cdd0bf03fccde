"""The one training/evaluation loop every method uses.

Methods supply ``training_step`` (named losses), ``evaluation_step`` (what their metric counts)
and ``metric`` (a name in :mod:`zoo.metrics`); the trainer supplies optimisation, scheduling,
gradient accumulation, seeding and determinism, verified checkpoints with bit-exact mid-epoch
resume, the JSONL log and trackers, and the progress bar. Device placement, mixed precision
(autocast, fp16 loss scaling), DDP/FSDP wrapping, ``no_sync`` inside accumulation groups and
gradient clipping are accelerate's (:mod:`zoo.engine.acceleration`), or DeepSpeed's ZeRO engine's
under ``strategy="deepspeed"`` (:mod:`zoo.engine.deepspeed_zero`); ``torchrun`` and
``accelerate launch`` start the processes.

A model may define ``metric_options`` (a dict, e.g. ``{"num_classes": 5}``) passed to its
metric's accumulator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
from torch import nn

from zoo.engine import acceleration, deepspeed_zero
from zoo.engine.checkpointing import Position, TrainingState, load_latest_checkpoint, quarantine, save_checkpoint
from zoo.engine.config import TrainConfig
from zoo.engine.data import ResumableDistributedSampler, make_loader, move_to_device, resolve_num_workers
from zoo.engine.distributed import DistContext, barrier, gather_to_main, mean_across_ranks
from zoo.engine.errors import CheckpointError, TrainingError, TrainingInterrupted
from zoo.engine.progress import ProgressDisplay
from zoo.engine.stepping import (
    StepModule, StopSignal, accumulation_group, configure_determinism, seed_everything, steps_in, total_loss,
)
from zoo.engine.trackers import Trackers, accelerate_tracker_names
from zoo.engine.trainer_eval import EvaluationMixin

__all__ = ["StepHook", "Trainer", "configure_determinism", "seed_everything", "total_loss"]

#: Called after every optimizer step with the trainer and the step's detached losses.
StepHook = Callable[["Trainer", dict[str, torch.Tensor]], None]


class Trainer(EvaluationMixin):
    """Train and evaluate a :class:`zoo.Model` with a :class:`TrainConfig`.

    Args:
        model: the model (moved to this process's device; sharded under ``strategy="fsdp"``).
        config: a :class:`TrainConfig` or a dict of its fields.
        train_data: the training dataset (its ``collate`` is used when it has one).
        eval_data: evaluated every ``eval_every`` epochs and after the last.
        hooks: callables run after every optimizer step (after any checkpoint).
        resume: continue from the newest intact checkpoint in ``out_dir`` (if there is one).

    Raises:
        pydantic.ValidationError: if ``config`` is a dict with unknown or invalid fields.
        zoo.errors.ConfigError: if the precision or strategy cannot run here (see
            :func:`zoo.engine.acceleration.build_accelerator`).
        zoo.errors.MissingDependencyError: if a tracker's package is not installed.
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
        cfg = self.config
        trackers = accelerate_tracker_names(cfg.trackers) if train_data is not None else []
        self.accelerator = acceleration.build_accelerator(cfg, trackers)
        acc = self.accelerator
        self.context = DistContext(acc.process_index, acc.num_processes, acc.local_process_index, acc.device)
        if cfg.deterministic:
            configure_determinism()
        # FSDP places (and shards) a model it trains itself: a whole copy per GPU first may not fit.
        self._sharded = acceleration.is_sharded(acc) and train_data is not None
        self._deepspeed = acceleration.is_deepspeed(acc) and train_data is not None
        self.model = model if self._sharded else model.to(self.context.device)
        self.train_data, self.eval_data = train_data, eval_data
        self.hooks, self.resume = list(hooks), resume
        self.position = Position()
        self.log = Trackers(cfg.trackers, cfg.out_dir, enabled=self.context.is_main)
        self._steps = StepModule(self.model)
        # Evaluation-only trainers (``zoo eval``) need no optimizer, and may hold frozen models.
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: Any = None
        if self._deepspeed:
            # DeepSpeed takes the model and its optimizer together: it partitions the optimizer's state.
            self.optimizer = self._build_optimizer(self._steps)
            deepspeed_zero.size_buckets(acc, self._steps)
            self._wrapped, self._optimizer = acc.prepare(self._steps, self.optimizer)
            self._zero = deepspeed_zero.zero_optimizer(self._optimizer)
            self.scheduler = self._build_scheduler()
        elif train_data is not None:
            # Wrap first, then build the optimizer on the wrapped module's parameters: FSDP (version
            # 1) replaces them, and accelerate re-points an earlier optimizer only on TPUs.
            self._wrapped = acc.prepare(self._steps)
            self.optimizer = self._build_optimizer(self._wrapped)
            self._optimizer = acc.prepare(self.optimizer)
            self.scheduler = self._build_scheduler()
        else:
            self._wrapped = acc.prepare_model(self._steps, evaluation_mode=True)
        self.last_eval: dict[str, float] = {}
        self._last_eval_step: int | None = None
        self._stop = StopSignal()  # replaced by the installed one during fit()

    # -- set-up -------------------------------------------------------------------------------
    def _build_optimizer(self, module: nn.Module) -> torch.optim.Optimizer:
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise TrainingError("The model has no trainable parameters (all have requires_grad=False).")
        cfg = self.config
        if cfg.optimizer == "sgd":
            return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)

    @property
    def batches_per_epoch(self) -> int:
        """Micro-batches in one epoch on each rank (the sampler pads ranks to equal shares)."""
        if self.train_data is None:
            return 0
        per_rank = math.ceil(len(self.train_data) / self.context.world_size)
        return math.ceil(per_rank / self.config.batch_size)

    @property
    def steps_per_epoch(self) -> int:
        """Optimizer steps in one epoch (``accumulate`` micro-batches each; the last may have fewer)."""
        return steps_in(self.batches_per_epoch, self.config.accumulate)

    @property
    def total_steps(self) -> int:
        total = self.steps_per_epoch * self.config.epochs
        return min(total, self.config.max_steps) if self.config.max_steps else total

    @property
    def num_workers(self) -> int:
        """Loader workers this trainer uses (``num_workers`` resolved for this machine)."""
        return resolve_num_workers(self.config.num_workers)

    def _build_scheduler(self) -> Any:
        if self.config.scheduler == "none":
            return None
        return torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=max(self.total_steps, 1))

    # -- checkpoints --------------------------------------------------------------------------
    def model_state_dict(self) -> dict[str, torch.Tensor]:
        """The model's full state dict (gathered to rank 0 under FSDP: call it on every rank).

        A model assigned to ``trainer.model`` after training (a recipe runner publishing a bigger
        model than the one this trainer trained) was never sharded: its own state dict is returned.
        """
        if self._sharded and self.model is self._steps.model:
            return acceleration.sharded_state(self._wrapped, self.optimizer)[0]
        return self.model.state_dict()

    def _training_state(self) -> TrainingState:
        write_extra = None
        if self._sharded:
            model_state, optim_state = acceleration.sharded_state(self._wrapped, self.optimizer)
        elif self._deepspeed:
            # Every rank holds the whole model but only its partition of the optimizer: gather those.
            model_state, optim_state = self.model.state_dict(), {"state": {}, "param_groups": []}
            records = gather_to_main(deepspeed_zero.partition_record(self._zero), self.context)
            if records is not None:
                write_extra = lambda folder: deepspeed_zero.write_partitions(folder, records)  # noqa: E731
        else:
            model_state, optim_state = self.model.state_dict(), self.optimizer.state_dict()
        scaler = self.accelerator.scaler
        return TrainingState(
            model=model_state, optimizer=optim_state,
            scheduler=self.scheduler.state_dict() if self.scheduler is not None else None,
            scaler=scaler.state_dict() if scaler is not None else None, write_extra=write_extra,
        )

    def save_checkpoint(self) -> None:
        """Write a checkpoint of the current position (gathered on every rank, written by rank 0)."""
        state = self._training_state()
        if not self.context.is_main:
            return
        extra = {
            "world_size": self.context.world_size,
            "batch_size": self.config.batch_size,
            "accumulate": self.config.accumulate,
            "config": self.config.model_dump(),
        }
        save_checkpoint(self.config.out_dir, state, self.position, extra, keep=self.config.keep_checkpoints)

    def _restore(self) -> bool:
        loaded = load_latest_checkpoint(self.config.out_dir)
        if loaded is None:
            return False
        barrier(self.context)  # every rank has read its checkpoint before rank 0 moves bad ones away
        if loaded.skipped and self.context.is_main:
            quarantine([path for path, _ in loaded.skipped])
        position, sidecar = loaded.position, loaded.sidecar
        then = (sidecar["world_size"], sidecar["batch_size"], sidecar.get("accumulate", 1))
        now = (self.context.world_size, self.config.batch_size, self.config.accumulate)
        if position.batch_in_epoch and then != now:
            raise CheckpointError(
                f"{loaded.path} was written mid-epoch by {then[0]} process(es) with batch_size={then[1]}, "
                f"accumulate={then[2]}; resume it with the same layout (now {now[0]} process(es), "
                f"batch_size={now[1]}, accumulate={now[2]})."
            )
        if deepspeed_zero.has_partitions(loaded.path) != self._deepspeed:
            raise CheckpointError(
                f"{loaded.path} was written {'with' if not self._deepspeed else 'without'} DeepSpeed ZeRO partitions; "
                f"this run {'uses' if self._deepspeed else 'does not use'} them. Resume with the strategy and "
                "number of processes that wrote it (train.strategy=deepspeed needs several processes)."
            )
        if self._sharded:
            acceleration.load_sharded_state(self._wrapped, self.optimizer, loaded.model_state(), loaded.optimizer_state())
            loaded.restore_optional(self.scheduler, self.accelerator.scaler)
        elif self._deepspeed:
            loaded.restore_model(self.model)
            deepspeed_zero.load_partitions(self._zero, deepspeed_zero.read_partitions(loaded.path), self.context.rank)
            loaded.restore_optional(self.scheduler, None)
        else:
            loaded.restore(self.model, self.optimizer, self.scheduler, self.accelerator.scaler)
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
            CheckpointError: if no checkpoint to resume is intact, or the newest does not fit this run.
        """
        if self.train_data is None:
            raise TrainingError("Trainer.fit() needs train_data.")
        resume = self.resume if resume is None else resume
        if not (resume and self._restore()):
            seed_everything(self.config.seed)
        cfg = self.config
        sampler = ResumableDistributedSampler(self.train_data, self.context, cfg.shuffle, cfg.seed)
        # One loader for the whole fit (the sampler moves on); each epoch's pass starts its own workers.
        loader = make_loader(self.train_data, cfg.batch_size, sampler, self.num_workers, cfg.seed)
        train_means: dict[str, float] = {}
        display = ProgressDisplay(cfg.progress and self.context.is_main)
        self.log.start(self.accelerator, Path(cfg.out_dir).name or "run", cfg.model_dump())
        try:
            with display, StopSignal() as self._stop:
                while self.position.epoch < cfg.epochs and not self._reached_max_steps():
                    train_means = self._train_epoch(loader, sampler, display)
                    if self.position.batch_in_epoch < self.batches_per_epoch:
                        break  # stopped by max_steps inside the epoch
                    self._end_epoch(train_means, display)
                if self.position.batch_in_epoch:
                    self.save_checkpoint()
                if self.eval_data is not None and self._last_eval_step != self.position.step:
                    self._evaluate_and_log(display)
        finally:
            self.log.finish()
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

    def _train_epoch(self, loader: Any, sampler: ResumableDistributedSampler, display: ProgressDisplay) -> dict[str, float]:
        cfg, pos = self.config, self.position
        sampler.set_epoch(pos.epoch)
        sampler.skip = pos.batch_in_epoch * cfg.batch_size
        self.model.train()
        done = steps_in(pos.batch_in_epoch, cfg.accumulate)
        display.start(f"epoch {pos.epoch + 1}/{cfg.epochs}", total=self.steps_per_epoch, completed=done)
        history: list[dict[str, torch.Tensor]] = []  # every micro-batch's detached losses (this session)
        group: list[dict[str, torch.Tensor]] = []
        for batch in loader:
            size, closes = accumulation_group(pos.batch_in_epoch, self.batches_per_epoch, cfg.accumulate)
            losses = self._micro_step(batch, size, closes, first=not group)
            pos.batch_in_epoch += 1
            history.append(losses)
            group.append(losses)
            if not closes:
                continue
            self._optimizer_step()
            pos.step += 1
            step_losses = group[0] if len(group) == 1 else {k: torch.stack([g[k] for g in group]).mean() for k in group[0]}
            self._after_step(step_losses, display)
            group = []
            if self._reached_max_steps():
                break
        # Means over the micro-batches run in this process's session (after a resume: since the resume).
        if not history:
            return {}
        means = {k: float(torch.stack([h[k] for h in history]).mean()) for k in sorted(history[0])}
        return mean_across_ranks(means, self.context)

    def _micro_step(self, batch: Any, size: int, closes: bool, first: bool) -> dict[str, torch.Tensor]:
        """Forward and backward of one micro-batch; gradients sum over the group (all-reduced at its end)."""
        acc = self.accelerator
        # The raw optimizer: accelerate's wrapper inspects zero_grad's signature on every call.
        # DeepSpeed zeroes its own gradient partitions after each step.
        if first and not self._deepspeed:
            self.optimizer.zero_grad(set_to_none=True)
        # Inside a group, DDP/FSDP skip the gradient all-reduce: it runs once, on the closing batch.
        # DeepSpeed is told where the group ends instead; it reduces, clips, steps and zeroes there.
        with nullcontext() if closes or self._deepspeed else acc.no_sync(self._wrapped):
            losses = self._wrapped(move_to_device(batch, self.context.device))
            loss = total_loss(losses)
            if self._deepspeed:
                acc.sync_gradients = closes
            # accelerate (DeepSpeed, under deepspeed) divides by `accumulate`; a short last group of an
            # epoch is averaged over its own size.
            acc.backward(loss if size == self.config.accumulate else loss * (self.config.accumulate / size))
        return {"loss": loss.detach(), **{k: v.detach().reshape(()) for k, v in losses.items() if k != "loss"}}

    def _optimizer_step(self) -> None:
        self.accelerator.sync_gradients = True  # our groups decide; never a stale flag from elsewhere
        if self._deepspeed:  # DeepSpeed clipped and stepped inside the group's last backward
            if self.scheduler is not None and deepspeed_zero.step_was_applied(self.accelerator):
                self.scheduler.step()
            return
        if self.config.grad_clip is not None:
            self.accelerator.clip_grad_norm_(self._wrapped.parameters(), self.config.grad_clip)
        if self.accelerator.scaler is not None:
            self._optimizer.step()  # accelerate's fp16 step: unscale, skip on inf/nan, update the scale
            skipped = self._optimizer.step_was_skipped
        else:
            # accelerate's optimizer wrapper looks for an optional package on every step (measured
            # at ~0.6 ms, 15% of a small CPU step); without a loss scaler it adds nothing else.
            self.optimizer.step()
            skipped = False
        if self.scheduler is not None and not skipped:
            self.scheduler.step()

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

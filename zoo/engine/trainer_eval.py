"""Evaluation for :class:`~zoo.engine.trainer.Trainer`: sharded over ranks, counts summed, never averaged."""

from __future__ import annotations

from typing import Any

import torch

from zoo.engine import acceleration
from zoo.engine.data import ShardSampler, make_loader, move_to_device
from zoo.engine.distributed import gather_objects
from zoo.engine.errors import TrainingError
from zoo.engine.progress import ProgressDisplay


class EvaluationMixin:
    """``new_accumulator``, ``accumulate`` and ``evaluate`` (the Trainer supplies the attributes)."""

    model: torch.nn.Module
    config: Any
    context: Any
    accelerator: Any
    eval_data: Any
    num_workers: int
    _steps: torch.nn.Module
    _wrapped: torch.nn.Module

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
        folds before computing UF1/UAR (``pooled.compute()``). Runs under the train precision's
        autocast, like training.

        Returns:
            The accumulator (a new one if none was given), identical on every rank.

        Raises:
            TrainingError: if the model names no metric.
        """
        accumulator = self.new_accumulator() if accumulator is None else accumulator
        shard = self.new_accumulator()
        sampler = ShardSampler(len(dataset), self.context)
        loader = make_loader(dataset, self.config.batch_size, sampler, self.num_workers, self.config.seed)
        was_training = self.model.training
        self.model.eval()
        if display is not None:
            display.start("eval", total=len(loader))
        # The step module, not DDP's wrapper: ranks run unequal numbers of batches (no padding).
        with torch.no_grad(), acceleration.full_parameters(self.accelerator, self._wrapped):
            for batch in loader:
                shard.update(self._steps(move_to_device(batch, self.context.device), evaluate=True))
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

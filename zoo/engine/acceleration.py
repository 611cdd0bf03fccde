"""The engine's accelerate glue: one ``accelerate.Accelerator`` per Trainer, built from a TrainConfig.

accelerate places the model on this process's device, joins the process group ``torchrun`` /
``accelerate launch`` describe (gloo on CPU, nccl on GPU), wraps the step module in DDP or FSDP
or hands it to DeepSpeed's ZeRO (:mod:`zoo.engine.deepspeed_zero`), runs the forward under
autocast for ``bf16``/``fp16``, scales the fp16 loss (``GradScaler``), skips gradient all-reduce
on micro-batches inside an accumulation group (``no_sync``), and clips gradients the way each
strategy needs. What the engine keeps (sampling,
checkpoints, the schedule) and why is written in docs/engine.md ("Decisions").

accelerate keeps its settings in a process-wide singleton (``AcceleratorState``) that refuses a
second ``Accelerator`` with another precision; a process that trains several models (LOSO folds,
ablation variants, multi-stage recipes) with different precisions therefore resets that singleton
before building the next one. The process group (``PartialState``) is never reset.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from zoo.engine.config import TrainConfig
from zoo.engine.trackers import TRACKING_DIR
from zoo.errors import ConfigError

_MIXED = {"fp32": "no", "bf16": "bf16", "fp16": "fp16"}
# What the launcher (``accelerate launch --config_file ...``) asked for, read before any
# Accelerator of this process sets these variables itself.
_LAUNCHER = {
    "fsdp": os.environ.get("ACCELERATE_USE_FSDP", "false").lower() == "true",
    "deepspeed": os.environ.get("ACCELERATE_USE_DEEPSPEED", "false").lower() == "true",
}
#: FSDP defaults when the launcher gave none (``torchrun`` + ``train.strategy=fsdp``): shard every
#: submodule of at least this many parameters (a transformer block of a 1B+ model) on its own.
FSDP_MIN_NUM_PARAMS = 100_000_000


def _check_launcher(strategy: str) -> None:
    for name, launched in _LAUNCHER.items():
        if launched and strategy != name:
            raise ConfigError(
                f"This process was launched with an accelerate config for {name} "
                f"(ACCELERATE_USE_{name.upper()}=true) but the recipe says train.strategy={strategy!r}. "
                f"Pass train.strategy={name} or launch with a config for {strategy} (docs/accelerate/)."
            )


def _strategy_plugins(config: TrainConfig, processes: int, device: Any) -> dict[str, Any]:
    """The FSDP or DeepSpeed plugin for ``config.strategy`` (the launcher's settings first, ours otherwise).

    Raises:
        ConfigError: for FSDP over CPU processes, and DeepSpeed settings the engine refuses
            (:func:`zoo.engine.deepspeed_zero.deepspeed_plugin`).
        MissingDependencyError: for ``deepspeed`` without the deepspeed package.
    """
    # A previous Accelerator of this process may have set these; another strategy must not inherit
    # them (build_accelerator sets DeepSpeed's again when it builds a DeepSpeed plugin).
    os.environ["ACCELERATE_USE_DEEPSPEED"] = "false"
    if config.strategy != "fsdp":
        os.environ["ACCELERATE_USE_FSDP"] = "false"
    if config.strategy == "ddp":
        return {}
    if config.strategy == "fsdp":
        if processes == 1:
            return {}  # nothing to shard: one process trains as with ddp (a laptop smoke test of a recipe)
        if device.type == "cpu":
            raise ConfigError(
                f"train.strategy=fsdp needs GPUs (accelerate shards over CUDA-like devices); this run has "
                f"{processes} processes on CPUs. Use train.strategy=ddp on CPUs."
            )
        from accelerate.utils import FullyShardedDataParallelPlugin

        if _LAUNCHER["fsdp"]:
            return {"fsdp_plugin": FullyShardedDataParallelPlugin()}  # every setting from the launcher's env
        return {"fsdp_plugin": FullyShardedDataParallelPlugin(
            fsdp_version=1, auto_wrap_policy="size_based_wrap", min_num_params=FSDP_MIN_NUM_PARAMS,
            use_orig_params=True, state_dict_type="FULL_STATE_DICT", sync_module_states=True,
        )}
    if processes == 1 and not _LAUNCHER["deepspeed"]:
        return {}  # one plain process: nothing to partition (trains as with ddp)
    from zoo.engine.deepspeed_zero import deepspeed_plugin

    return {"deepspeed_plugin": deepspeed_plugin(config, processes, launched=_LAUNCHER["deepspeed"])}


_built_for: list[tuple[str, str]] = []  # (precision, strategy) of this process's last Accelerator


def _reset_if_changed(mixed: str, strategy: str, deepspeed: bool) -> None:
    from accelerate.state import AcceleratorState

    # accelerate takes a DeepSpeed plugin only in the first Accelerator of a state: each trainer's
    # own (batch sizes may differ between LOSO's final model and multi-stage recipes) needs a reset.
    if AcceleratorState._shared_state and deepspeed:
        AcceleratorState._reset_state(reset_partial_state=False)
    elif AcceleratorState._shared_state and _built_for and _built_for[-1] != (mixed, strategy):
        AcceleratorState._reset_state(reset_partial_state=False)
    elif AcceleratorState._shared_state and not _built_for and AcceleratorState().mixed_precision != mixed:
        AcceleratorState._reset_state(reset_partial_state=False)  # someone else's Accelerator came first
    _built_for[:] = [(mixed, strategy)]


def build_accelerator(config: TrainConfig, tracker_names: list[str]) -> Any:
    """An ``Accelerator`` for ``config`` (precision, strategy, DDP options, trackers).

    Args:
        config: the train config.
        tracker_names: accelerate tracker names to log to (already checked as installed).

    Returns:
        The accelerator; ``gradient_accumulation_steps`` is ``config.accumulate``.

    Raises:
        ConfigError: for fp16 without a GPU, a launcher that contradicts ``strategy``, FSDP on
            devices it cannot shard over, or DeepSpeed settings the engine refuses.
        MissingDependencyError: for ``strategy="deepspeed"`` without the deepspeed package.
    """
    import torch
    from accelerate import Accelerator
    from accelerate.state import PartialState
    from accelerate.utils import DistributedDataParallelKwargs, ProjectConfiguration

    _check_launcher(config.strategy)
    mixed = _MIXED[config.precision]
    # Without CUDA, accelerate joins a torchrun/accelerate-launch group (gloo) only when told cpu=True.
    cpu = not torch.cuda.is_available()
    state = PartialState(cpu=cpu)
    device = state.device
    # accelerate silently trains fp16 in fp32 on a CPU (no autocast, no scaler): refuse instead.
    if mixed == "fp16" and device.type == "cpu":
        raise ConfigError(
            "train.precision=fp16 needs a GPU (accelerate runs fp16 with loss scaling on CUDA devices "
            "only); on a CPU use train.precision=bf16 or fp32."
        )
    plugins = _strategy_plugins(config, state.num_processes, device)
    if "deepspeed_plugin" in plugins:
        # DeepSpeed autocasts itself (its torch_autocast mode) and accelerate takes DeepSpeed only
        # from this variable and without cpu=True; on CPUs the gloo group joined above stays.
        os.environ["ACCELERATE_USE_DEEPSPEED"] = "true"
        mixed, cpu = "no", False
    _reset_if_changed(mixed, config.strategy, deepspeed="deepspeed_plugin" in plugins)
    accelerator = Accelerator(
        cpu=cpu,
        mixed_precision=mixed,
        gradient_accumulation_steps=config.accumulate,
        kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=config.find_unused_parameters)],
        log_with=tracker_names or None,
        project_config=ProjectConfiguration(
            project_dir=config.out_dir, logging_dir=str(Path(config.out_dir) / TRACKING_DIR)
        ),
        **plugins,
    )
    return accelerator


def is_deepspeed(accelerator: Any) -> bool:
    """Whether DeepSpeed's ZeRO engine trains the model (several processes under ``strategy="deepspeed"``)."""
    return accelerator.distributed_type.value == "DEEPSPEED"


def is_sharded(accelerator: Any) -> bool:
    """Whether the model is FSDP-sharded (several processes under ``strategy="fsdp"``)."""
    return accelerator.distributed_type.value == "FSDP"


def sharded_state(wrapped: Any, optimizer: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Full model and optimizer state dicts of an FSDP module, on rank 0's CPU (a collective).

    Uses torch's ``get_state_dict`` with full, CPU-offloaded state dicts: every rank must call it;
    ranks other than 0 get empty dicts. Model keys lose the step module's ``model.`` prefix;
    optimizer state is keyed by parameter name.
    """
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    model_state, optim_state = get_state_dict(wrapped, optimizer, options=options)
    return {k.removeprefix("model."): v for k, v in model_state.items()}, optim_state


def load_sharded_state(wrapped: Any, optimizer: Any, model_state: dict[str, Any], optim_state: dict[str, Any]) -> None:
    """Load full state dicts (read by every rank) into an FSDP module and its optimizer."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_state_dict

    set_state_dict(
        wrapped, optimizer, model_state_dict={f"model.{k}": v for k, v in model_state.items()},
        optim_state_dict=optim_state, options=StateDictOptions(full_state_dict=True, strict=True),
    )


def full_parameters(accelerator: Any, wrapped: Any) -> Any:
    """A context in which an FSDP model's parameters are whole (evaluation); a no-op otherwise."""
    from contextlib import nullcontext

    if not is_sharded(accelerator):
        return nullcontext()
    from torch.distributed.fsdp import FullyShardedDataParallel

    if not isinstance(wrapped, FullyShardedDataParallel):  # an evaluation-only trainer: never sharded
        return nullcontext()
    return FullyShardedDataParallel.summon_full_params(wrapped, writeback=False)

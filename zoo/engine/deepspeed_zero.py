"""DeepSpeed ZeRO for the engine (``train.strategy = "deepspeed"``, stages 1 and 2).

Two jobs: the ``DeepSpeedPlugin`` a recipe asks for (ZeRO stage, micro-batch, accumulation,
clipping and precision all come from ``[train]``; a launcher config that says otherwise is a
``ConfigError``), and the partitioned optimizer state as pickle-free tensors + JSON inside the
engine's verified checkpoints.

Under ZeRO stages 1 and 2 every rank holds the whole model but only its own partition of the fp32
master weights and of the optimizer moments. DeepSpeed's own ``save_checkpoint`` writes those with
``torch.save`` (pickles); the engine instead gathers every rank's partition to rank 0 and stores
it as ``zero.safetensors`` (tensors, keyed ``r<rank>.…``) and ``zero.json`` (the rest), listed in
the checkpoint's sha256 manifest. Resuming hands the partitions back to DeepSpeed's own
``load_state_dict`` (``load_from_fp32_weights=True``), so the master weights come back exactly.
Partitions depend on the number of processes: a ZeRO checkpoint resumes with the same number.

Precision: ``bf16`` is DeepSpeed's ``torch_autocast`` mode (fp32 weights, autocast forward), the
same meaning ``bf16`` has under ddp and fsdp, so checkpoints and published weights stay fp32.
DeepSpeed's own ``bf16``/``fp16`` modes (16-bit weights) and ``fp16`` are refused, as are
optimizer/parameter offload and ZeRO stage 3 (parameter sharding: use ``strategy = "fsdp"``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import torch

from zoo.engine.config import TrainConfig
from zoo.engine.errors import CheckpointError
from zoo.errors import ConfigError, MissingDependencyError

ZERO_TENSORS, ZERO_SIDECAR = "zero.safetensors", "zero.json"
_AUTO = (None, "auto")
#: DeepSpeed optimizer-state keys kept as JSON (``base_optimizer_state`` and the fp32 partitions are tensors).
_PLAIN_KEYS = ("dynamic_loss_scale", "overflow", "clip_grad", "group_paddings", "param_alignment_paddings",
               "partition_count", "ds_version")


def deepspeed_plugin(config: TrainConfig, world_size: int, launched: bool) -> Any:
    """The ``DeepSpeedPlugin`` for ``config`` (the launcher's settings where it gave a config).

    Args:
        config: the train config (``strategy == "deepspeed"``).
        world_size: processes in the run (for DeepSpeed's global batch size).
        launched: whether ``accelerate launch`` gave a DeepSpeed config (read from its environment).

    Returns:
        The plugin, its ``deepspeed_config`` filled from ``config``.

    Raises:
        MissingDependencyError: if deepspeed is not installed.
        ConfigError: for fp16, a launcher config that contradicts the recipe, offload, or an
            optimizer/scheduler section (the recipe's optimizer and schedule are the engine's).
    """
    try:
        import deepspeed  # noqa: F401  (accelerate checks it too, with a less helpful error)
        from accelerate.utils import DeepSpeedPlugin
    except ImportError as exc:
        raise MissingDependencyError(
            "train.strategy=deepspeed needs the deepspeed package; install it with "
            "`DS_BUILD_OPS=0 .venv/bin/python -m pip install --no-build-isolation -c constraints.txt deepspeed` "
            "(the `deepspeed` extra of perception-zoo), or use train.strategy=fsdp."
        ) from exc
    if config.precision == "fp16":
        raise ConfigError(
            "train.precision=fp16 is not supported with train.strategy=deepspeed (DeepSpeed's fp16 keeps "
            "16-bit weights and its own loss scaler); use train.precision=bf16, or strategy=ddp/fsdp for fp16."
        )
    # DeepSpeed 0.19 calls torch's deprecated all_gather_into_tensor every step; nothing a user can change.
    warnings.filterwarnings("ignore", message=r"`torch\.distributed\.all_gather_into_tensor` is deprecated",
                            category=FutureWarning)
    plugin = DeepSpeedPlugin() if launched else DeepSpeedPlugin(zero_stage=config.zero_stage)
    _check_launcher_settings(plugin, config)
    _fill(plugin.deepspeed_config, config, world_size)
    return plugin


def _check_launcher_settings(plugin: Any, config: TrainConfig) -> None:
    if plugin.zero_stage != config.zero_stage:
        raise ConfigError(
            f"The DeepSpeed launcher config asks for ZeRO stage {plugin.zero_stage}, the recipe for "
            f"train.zero_stage={config.zero_stage}. Make them agree (stages 1 and 2; for stage 3's "
            "parameter sharding use train.strategy=fsdp)."
        )
    zero = plugin.deepspeed_config.get("zero_optimization", {})
    for part in ("offload_optimizer", "offload_param"):
        device = (zero.get(part) or {}).get("device", "none")
        if device not in ("none", None):
            raise ConfigError(
                f"DeepSpeed {part} to {device!r} is not supported by the engine (its optimizer would be "
                f"DeepSpeed's compiled CPU Adam, outside the recipe); set {part}.device to 'none'."
            )
    for section in ("optimizer", "scheduler"):
        if section in plugin.deepspeed_config:
            raise ConfigError(
                f"The DeepSpeed config has a {section!r} section; the engine builds the optimizer and "
                f"schedule from [train] (optimizer, lr, scheduler). Remove the section."
            )


def _fill(ds_config: dict[str, Any], config: TrainConfig, world_size: int) -> None:
    """Write the recipe's batch, accumulation, clipping and precision into a DeepSpeed config."""
    wanted = {
        "train_micro_batch_size_per_gpu": config.batch_size,
        "gradient_accumulation_steps": config.accumulate,
        "train_batch_size": config.batch_size * config.accumulate * world_size,
        "gradient_clipping": float(config.grad_clip or 0.0),  # 0: DeepSpeed does not clip
    }
    for key, value in wanted.items():
        given = ds_config.get(key)
        if given not in _AUTO and not _same_number(given, value):
            raise ConfigError(
                f"The DeepSpeed config sets {key}={given}, the recipe's [train] gives {value}. "
                f"Set {key} to 'auto' in the DeepSpeed config (the recipe decides)."
            )
        ds_config[key] = value
    for mode in ("fp16", "bf16"):
        if str((ds_config.get(mode) or {}).get("enabled", False)).lower() == "true":
            raise ConfigError(
                f"The DeepSpeed config enables {mode} (16-bit weights); the engine's precision is "
                f"train.precision (bf16: autocast with fp32 weights). Remove the {mode!r} section."
            )
        ds_config[mode] = {"enabled": False}
    ds_config["torch_autocast"] = {"enabled": config.precision == "bf16", "dtype": "bfloat16"}
    ds_config.setdefault("zero_optimization", {})["stage"] = config.zero_stage


def _same_number(given: Any, value: float) -> bool:
    try:
        return float(given) == float(value)
    except (TypeError, ValueError):  # e.g. a typo for "auto": not the recipe's value either
        return False


#: DeepSpeed's default reduce/all-gather bucket (elements); it allocates two such buffers per micro-step.
DEFAULT_BUCKET = 500_000_000


def size_buckets(accelerator: Any, module: torch.nn.Module) -> None:
    """Cap ZeRO's communication buckets at the model's trainable size where the config leaves them open.

    DeepSpeed allocates two buffers of its 5e8-element default (2 GB each in fp32) every micro-step,
    whatever the model; a bucket larger than every gradient together buys nothing.
    """
    zero = accelerator.state.deepspeed_plugin.deepspeed_config.setdefault("zero_optimization", {})
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    for key in ("reduce_bucket_size", "allgather_bucket_size"):
        if zero.get(key) in _AUTO:
            # DeepSpeed wants a multiple of its alignment (2 or 4 elements); 256 divides the default too.
            zero[key] = min(DEFAULT_BUCKET, -(-trainable // 256) * 256)


def zero_optimizer(prepared_optimizer: Any) -> Any:
    """DeepSpeed's ZeRO optimizer behind accelerate's optimizer wrapper.

    Raises:
        CheckpointError: if it is not a ZeRO stage 1/2 optimizer (nothing the engine can save).
    """
    inner = getattr(prepared_optimizer, "optimizer", prepared_optimizer)
    if not hasattr(inner, "single_partition_of_fp32_groups"):
        raise CheckpointError(
            f"DeepSpeed gave a {type(inner).__name__}, not the ZeRO stage 1/2 optimizer whose partitions "
            "the engine saves; train with train.zero_stage=1 or 2."
        )
    return inner


def partition_record(optimizer: Any) -> dict[str, Any]:
    """This rank's ZeRO partition: fp32 master weights, optimizer moments and scalars (CPU copies).

    Raises:
        CheckpointError: if DeepSpeed gives an elastic (non-rigid) optimizer state.
    """
    from zoo.engine.checkpointing import split_optimizer_state

    state = optimizer.state_dict()
    base = state["base_optimizer_state"]
    if not isinstance(base, dict):
        raise CheckpointError("DeepSpeed's elastic_checkpoint layout is not supported; set it to false.")
    tensors, optim_json = split_optimizer_state(base)  # keys optim.<param>.<entry>
    for index, part in enumerate(state["single_partition_of_fp32_groups"]):
        tensors[f"fp32.{index}"] = part
    scaler = {k: v for k, v in vars(state["loss_scaler"]).items() if isinstance(v, (bool, int, float, str))}
    meta = {
        "base_optimizer": optim_json, "fp32_groups": len(state["single_partition_of_fp32_groups"]),
        "zero_stage": int(state["zero_stage"]), "loss_scaler": scaler,
        **{key: state[key] for key in _PLAIN_KEYS},
    }
    return {"tensors": {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}, "meta": meta}


def write_partitions(folder: Path, records: list[dict[str, Any]]) -> None:
    """Write every rank's partition (rank order) into a checkpoint folder, before its manifest."""
    from safetensors.torch import save_file

    from zoo.fsutil import give_usual_mode

    tensors = {f"r{rank}.{k}": v for rank, record in enumerate(records) for k, v in record["tensors"].items()}
    save_file(tensors, str(folder / ZERO_TENSORS))
    give_usual_mode(folder / ZERO_TENSORS)
    (folder / ZERO_SIDECAR).write_text(json.dumps([r["meta"] for r in records], indent=1), encoding="utf-8")


def has_partitions(folder: Path) -> bool:
    """Whether a checkpoint was written under ``strategy = "deepspeed"``."""
    return (folder / ZERO_SIDECAR).is_file()


def read_partitions(folder: Path) -> list[dict[str, Any]]:
    """Every rank's partition of a (verified) checkpoint folder, in rank order.

    Raises:
        CheckpointError: if the files cannot be read or do not hold one partition per rank.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        metas = json.loads((folder / ZERO_SIDECAR).read_text(encoding="utf-8"))
        tensors = load_file(str(folder / ZERO_TENSORS))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, SafetensorError) as exc:
        raise CheckpointError(f"{folder}: its ZeRO partitions cannot be read ({type(exc).__name__}: {exc}).") from None
    if not isinstance(metas, list) or not all(isinstance(m, dict) for m in metas):
        raise CheckpointError(f"{folder}: {ZERO_SIDECAR} is not a list of per-rank records.")
    records = []
    for rank, meta in enumerate(metas):
        prefix = f"r{rank}."
        own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        if len([k for k in own if k.startswith("fp32.")]) != meta.get("fp32_groups"):
            raise CheckpointError(f"{folder}: the ZeRO partition of rank {rank} lacks fp32 master weights.")
        records.append({"tensors": own, "meta": meta})
    return records


def load_partitions(optimizer: Any, records: list[dict[str, Any]], rank: int) -> None:
    """Give DeepSpeed every rank's partition back (it takes this rank's; the model is loaded first).

    Raises:
        CheckpointError: if the partitions were written by another number of processes or stage.
    """
    from deepspeed.runtime.zero.config import ZeroStageEnum

    from zoo.engine.checkpointing import join_optimizer_state

    if len(records) != optimizer.partition_count[0] or records[rank]["meta"]["zero_stage"] != _stage(optimizer):
        raise CheckpointError(
            f"The checkpoint holds ZeRO stage {records[0]['meta']['zero_stage']} partitions of {len(records)} "
            f"process(es); this run has {optimizer.partition_count[0]} at stage {_stage(optimizer)}. Resume "
            "with the same number of processes and train.zero_stage."
        )
    state_dicts = []
    for record in records:
        meta, tensors = record["meta"], record["tensors"]
        state_dicts.append({
            "base_optimizer_state": join_optimizer_state(tensors, meta["base_optimizer"]),
            "single_partition_of_fp32_groups": [tensors[f"fp32.{i}"] for i in range(meta["fp32_groups"])],
            "zero_stage": ZeroStageEnum(meta["zero_stage"]),
            **{key: meta[key] for key in _PLAIN_KEYS},
        })
    try:
        optimizer.load_state_dict(state_dicts, load_optimizer_states=True, load_from_fp32_weights=True)
    except (RuntimeError, ValueError, KeyError, AssertionError) as exc:
        raise CheckpointError(f"The ZeRO partitions do not fit this model or optimizer ({exc}).") from None
    for key, value in records[rank]["meta"]["loss_scaler"].items():
        setattr(optimizer.loss_scaler, key, value)


def _stage(optimizer: Any) -> int:
    return 2 if optimizer.partition_gradients else 1


def step_was_applied(accelerator: Any) -> bool:
    """Whether DeepSpeed's last boundary step updated the weights (False after an overflow)."""
    engine = accelerator.deepspeed_engine_wrapped.engine
    return bool(engine.was_step_applied())



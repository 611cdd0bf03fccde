"""The training configuration (a recipe's ``[train]`` table)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: The trackers ``trackers`` may name: ``jsonl`` is the engine's own log; the others are
#: accelerate's tracker names (each needs its package installed).
TRACKER_NAMES = ("jsonl", "tensorboard", "wandb", "mlflow", "comet_ml", "aim", "clearml", "dvclive", "swanlab", "trackio")


class TrainConfig(BaseModel):
    """How to train: optimisation, schedule, precision, distribution, determinism, logging, checkpoints.

    ``batch_size`` is per process and per micro-batch: with ``torchrun --nproc_per_node N`` and
    ``accumulate = A`` one optimizer step sees ``N * A * batch_size`` samples, so a 2-process run
    with ``batch_size=4`` takes the same steps as a 1-process run with ``batch_size=8`` or with
    ``batch_size=4, accumulate=2``. ``max_steps``, ``checkpoint_every``, ``log_every``, the
    scheduler and the logged ``step`` count optimizer steps.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    epochs: int = Field(1, ge=1)
    batch_size: int = Field(8, ge=1, description="per process, per micro-batch")
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    optimizer: Literal["adamw", "sgd"] = "adamw"
    momentum: float = Field(0.9, ge=0, description="SGD only")
    scheduler: Literal["none", "cosine"] = "none"
    seed: int = 0
    deterministic: bool = False
    precision: Literal["fp32", "bf16", "fp16"] = Field(
        "fp32", description="bf16/fp16: autocast with fp32 master weights; fp16 adds loss scaling (GPU only)"
    )
    accumulate: int = Field(1, ge=1, description="micro-batches per optimizer step (gradient accumulation)")
    strategy: Literal["ddp", "fsdp", "deepspeed"] = Field(
        "ddp", description="how several processes share the work; one process: no effect"
    )
    zero_stage: Literal[1, 2] = Field(
        2, description="strategy=deepspeed: ZeRO stage (1: optimizer states partitioned; 2: and gradients)"
    )
    trackers: list[str] = Field(default_factory=lambda: ["jsonl"], description="where metrics go")
    num_workers: int | None = Field(
        None, ge=0, description="loader worker processes; None: min(CPUs per process - 1, 4), at least 1"
    )
    out_dir: str = "runs/latest"
    log_every: int = Field(10, ge=1, description="optimizer steps between step records")
    grad_clip: float | None = Field(None, gt=0, description="max global gradient norm")
    eval_every: int = Field(1, ge=0, description="epochs between evaluations; 0: only after the last")
    max_steps: int | None = Field(None, ge=1, description="stop after this many optimizer steps")
    checkpoint_every: int = Field(0, ge=0, description="optimizer steps between mid-epoch checkpoints; 0: epoch ends only")
    keep_checkpoints: int = Field(2, ge=1, description="how many verified checkpoints to keep (>= 2 leaves a fallback)")
    shuffle: bool = True
    progress: bool = True
    find_unused_parameters: bool = Field(False, description="DDP: allow parameters without gradients")

    @field_validator("trackers")
    @classmethod
    def _known_trackers(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in TRACKER_NAMES]
        if unknown:
            raise ValueError(f"unknown tracker(s) {unknown}; choose from {list(TRACKER_NAMES)}")
        if len(set(names)) != len(names):
            raise ValueError(f"trackers {names} names one tracker twice")
        return names

    @model_validator(mode="after")
    def _momentum_is_for_sgd(self) -> "TrainConfig":
        # A momentum set for AdamW would silently do nothing; refuse it instead.
        if self.optimizer != "sgd" and "momentum" in self.model_fields_set and self.momentum != 0.9:
            raise ValueError("momentum applies to optimizer='sgd' only")
        return self

"""The training configuration (a recipe's ``[train]`` table)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TrainConfig(BaseModel):
    """How to train: optimisation, schedule, determinism, logging and checkpoints.

    ``batch_size`` is per process: with ``torchrun --nproc_per_node N`` the global batch is
    ``N * batch_size`` (as with DDP in general), so a 2-process run with ``batch_size=4`` takes the
    same steps as a 1-process run with ``batch_size=8``.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    epochs: int = Field(1, ge=1)
    batch_size: int = Field(8, ge=1, description="per process")
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    optimizer: Literal["adamw", "sgd"] = "adamw"
    momentum: float = Field(0.9, ge=0, description="SGD only")
    scheduler: Literal["none", "cosine"] = "none"
    seed: int = 0
    deterministic: bool = False
    num_workers: int = Field(0, ge=0)
    out_dir: str = "runs/latest"
    log_every: int = Field(10, ge=1, description="steps between JSONL step records")
    grad_clip: float | None = Field(None, gt=0, description="max global gradient norm")
    eval_every: int = Field(1, ge=0, description="epochs between evaluations; 0: only after the last")
    max_steps: int | None = Field(None, ge=1, description="stop after this many optimizer steps")
    checkpoint_every: int = Field(0, ge=0, description="steps between mid-epoch checkpoints; 0: epoch ends only")
    keep_checkpoints: int = Field(1, ge=1, description="how many checkpoints to keep")
    shuffle: bool = True
    progress: bool = True
    find_unused_parameters: bool = Field(False, description="DDP: allow parameters without gradients")

    @model_validator(mode="after")
    def _momentum_is_for_sgd(self) -> "TrainConfig":
        # A momentum set for AdamW would silently do nothing; refuse it instead.
        if self.optimizer != "sgd" and "momentum" in self.model_fields_set and self.momentum != 0.9:
            raise ValueError("momentum applies to optimizer='sgd' only")
        return self

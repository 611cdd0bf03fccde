"""Atomic, verified, pickle-free training checkpoints: safetensors for tensors, JSON for the rest.

Layout: ``<out_dir>/checkpoints/ckpt-s<step>-e<epoch>-b<batch>/`` holding ``state.safetensors``
(model, optimizer tensors, RNG states), ``state.json`` (step, epoch, batch position in the epoch,
optimizer param groups, scheduler and loss-scaler state, python/numpy RNG scalars, the train
config) and ``manifest.json`` (every file's size and sha256, :mod:`zoo.engine.checkpoint_files`).

Atomicity: a checkpoint is written into a hidden temporary folder, hashed, flushed to disk, then
renamed into place with ``os.replace`` (atomic on POSIX); older checkpoints are pruned only after
the new one has been read back and verified. Resume takes the newest checkpoint whose files match
their manifest; a corrupt one (truncated, rewritten, missing file, flipped byte) is skipped with a
:class:`~zoo.engine.errors.CheckpointWarning` naming it and why, and :class:`CheckpointError` is
raised when none is usable. Nothing is unpickled, so a checkpoint cannot run code; under
``strategy="deepspeed"`` the ZeRO partitions are two more files of the same kinds
(:mod:`zoo.engine.deepspeed_zero`).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from zoo.engine.checkpoint_files import read_manifest, verify_files, write_manifest
from zoo.engine.errors import CheckpointError, CheckpointWarning
from zoo.fsutil import give_usual_mode

FORMAT_VERSION = 2
_PREFIX = "ckpt-"
_QUARANTINE = "corrupt-"
_TENSORS, _SIDECAR = "state.safetensors", "state.json"
_SIDECAR_KEYS = ("position", "optimizer", "scheduler", "rng", "world_size", "batch_size")


@dataclass
class Position:
    """Where training stands: optimizer steps taken, current epoch, micro-batches done in that epoch."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0


def checkpoint_dir(out_dir: str | Path) -> Path:
    return Path(out_dir) / "checkpoints"


def _rng_state() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{index}"] = state
    py_version, py_state, py_gauss = random.getstate()
    tensors["rng.python"] = torch.tensor(py_state, dtype=torch.int64)
    np_kind, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    tensors["rng.numpy"] = torch.from_numpy(np_keys.astype(np.int64))
    scalars = {"python": [py_version, py_gauss], "numpy": [np_kind, int(np_pos), int(np_has_gauss), float(np_gauss)]}
    return tensors, scalars


def _restore_rng(tensors: dict[str, torch.Tensor], scalars: dict[str, Any]) -> None:
    torch.set_rng_state(tensors["rng.torch"])
    cuda_states = [tensors[k] for k in sorted(t for t in tensors if t.startswith("rng.cuda."))]
    if cuda_states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda_states)
    py_version, py_gauss = scalars["python"]
    random.setstate((py_version, tuple(int(v) for v in tensors["rng.python"].tolist()), py_gauss))
    np_kind, np_pos, np_has_gauss, np_gauss = scalars["numpy"]
    np_keys = tensors["rng.numpy"].numpy().astype(np.uint32)
    np.random.set_state((np_kind, np_keys, np_pos, np_has_gauss, np_gauss))


def split_optimizer_state(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors (``optim.<param>.<key>``) and JSON of an optimizer state dict.

    Parameters are integers (``optimizer.state_dict()``) or dotted names (torch's full
    ``get_optimizer_state_dict`` under FSDP); the key after the last dot is the state entry.
    """
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict[str, Any]] = {}
    for param_id, values in state["state"].items():
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{param_id}.{key}"] = value
            else:
                plain.setdefault(str(param_id), {})[key] = value
    named = any(isinstance(k, str) for k in state["state"])
    return tensors, {"param_groups": state["param_groups"], "plain_state": plain, "named_params": named}


def join_optimizer_state(tensors: dict[str, torch.Tensor], sidecar: dict[str, Any]) -> dict[str, Any]:
    key_of = (lambda p: p) if sidecar.get("named_params") else int
    state: dict[Any, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("optim."):
            param_id, key = name[len("optim."):].rsplit(".", 1)
            state.setdefault(key_of(param_id), {})[key] = value
    for param_id, values in sidecar["plain_state"].items():
        state.setdefault(key_of(param_id), {}).update(values)
    return {"state": state, "param_groups": sidecar["param_groups"]}


@dataclass
class TrainingState:
    """What a checkpoint holds besides the position (gathered by the trainer, full on rank 0)."""

    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None = None
    scaler: dict[str, Any] | None = None
    write_extra: Callable[[Path], None] | None = None  # e.g. DeepSpeed's own state into a subfolder


def save_checkpoint(
    out_dir: str | Path, state: TrainingState, position: Position, extra: dict[str, Any], keep: int = 2
) -> Path:
    """Write a checkpoint atomically, verify it, then prune all but the ``keep`` newest.

    Args:
        out_dir: the run folder (checkpoints go to its ``checkpoints/``).
        state: model, optimizer, scheduler and loss-scaler state.
        position: step, epoch and batch position within the epoch.
        extra: JSON-able facts checked on resume (world size, batch size, accumulate, config).
        keep: how many checkpoints to keep.

    Returns:
        The checkpoint folder.

    Raises:
        OSError: if the folder cannot be written.
        CheckpointError: if the checkpoint read back does not match what was written.
    """
    root = checkpoint_dir(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    name = f"{_PREFIX}s{position.step:09d}-e{position.epoch:05d}-b{position.batch_in_epoch:07d}"
    final, tmp = root / name, root / f".tmp-{name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    rng_tensors, rng_scalars = _rng_state()
    optim_tensors, optim_sidecar = split_optimizer_state(state.optimizer)
    # Clone to contiguous CPU tensors: safetensors refuses shared or strided storage.
    tensors = {f"model.{k}": v.detach().cpu().contiguous().clone() for k, v in state.model.items()}
    tensors.update({k: v.detach().cpu().contiguous() for k, v in {**optim_tensors, **rng_tensors}.items()})
    save_file(tensors, str(tmp / _TENSORS))
    give_usual_mode(tmp / _TENSORS)  # safetensors leaves 0600
    sidecar = {
        "format_version": FORMAT_VERSION, "position": position.__dict__, "optimizer": optim_sidecar,
        "scheduler": state.scheduler, "scaler": state.scaler, "rng": rng_scalars, **extra,
    }
    (tmp / _SIDECAR).write_text(json.dumps(sidecar, indent=1), encoding="utf-8")
    if state.write_extra is not None:
        state.write_extra(tmp)
    manifest = write_manifest(tmp, FORMAT_VERSION)
    if final.exists():  # same position saved twice (e.g. max_steps at an epoch end): keep the first
        shutil.rmtree(tmp)
        return final
    os.replace(tmp, final)
    problem = verify_files(final, manifest)
    if problem:  # the disk did not keep what was written: keep every older checkpoint
        raise CheckpointError(f"{final} failed verification right after it was written: {problem}.")
    _prune(root, keep)
    return final


def _prune(root: Path, keep: int) -> None:
    for old in list_checkpoints(root.parent)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def list_checkpoints(out_dir: str | Path) -> list[Path]:
    """Checkpoint folders of a run, oldest first (temporary and quarantined folders are ignored)."""
    root = checkpoint_dir(out_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.name.startswith(_PREFIX) and p.is_dir())


@dataclass
class LoadedCheckpoint:
    """A verified checkpoint read back: tensors and sidecar, applied with :meth:`restore`."""

    path: Path
    tensors: dict[str, torch.Tensor]
    sidecar: dict[str, Any]
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # newer checkpoints found corrupt

    @property
    def position(self) -> Position:
        return Position(**self.sidecar["position"])

    def model_state(self) -> dict[str, torch.Tensor]:
        return {k[len("model."):]: v for k, v in self.tensors.items() if k.startswith("model.")}

    def optimizer_state(self) -> dict[str, Any]:
        return join_optimizer_state(self.tensors, self.sidecar["optimizer"])

    def restore_rng(self) -> None:
        _restore_rng(self.tensors, self.sidecar["rng"])

    def restore(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, scaler: Any = None) -> None:
        """Load model (strictly), optimizer, scheduler, loss scaler and RNG states.

        Raises:
            CheckpointError: if the model's parameters or the optimizer's groups do not match.
        """
        self.restore_model(model)
        try:
            optimizer.load_state_dict(self.optimizer_state())
        except (RuntimeError, ValueError, KeyError) as exc:
            raise CheckpointError(
                f"{self.path} does not fit this optimizer ({exc}). Resume with the same model config "
                "and train settings, or start a fresh run in another --out folder."
            ) from None
        self.restore_optional(scheduler, scaler)

    def restore_model(self, model: torch.nn.Module) -> None:
        """Load the model's weights strictly.

        Raises:
            CheckpointError: if the model's parameters do not match.
        """
        try:
            model.load_state_dict(self.model_state(), strict=True)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise CheckpointError(
                f"{self.path} does not fit this model ({exc}). Resume with the same model config "
                "and train settings, or start a fresh run in another --out folder."
            ) from None

    def restore_optional(self, scheduler: Any, scaler: Any) -> None:
        """Load the scheduler and loss-scaler states (where both sides have one) and the RNG states."""
        if scheduler is not None and self.sidecar["scheduler"] is not None:
            scheduler.load_state_dict(self.sidecar["scheduler"])
        if scaler is not None and self.sidecar.get("scaler") is not None:
            scaler.load_state_dict(self.sidecar["scaler"])
        self.restore_rng()


def _read_verified(path: Path) -> tuple[LoadedCheckpoint | None, str | None]:
    """The checkpoint at ``path`` if its manifest, files, sidecar and tensors are all sound."""
    manifest, problem = read_manifest(path)
    if manifest is not None and manifest["format_version"] != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format {manifest['format_version']}; this zoo reads format "
            f"{FORMAT_VERSION}. Resume it with the zoo version that wrote it, or start a fresh run."
        )
    problem = problem or verify_files(path, manifest)
    if problem:
        return None, problem
    try:
        sidecar = json.loads((path / _SIDECAR).read_text(encoding="utf-8"))
        tensors = load_file(str(path / _TENSORS))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, SafetensorError) as exc:
        return None, f"its state cannot be read ({type(exc).__name__}: {exc})"
    missing = [k for k in _SIDECAR_KEYS if not isinstance(sidecar, dict) or k not in sidecar]
    if missing or "rng.torch" not in tensors:
        return None, f"{_SIDECAR} lacks {missing or ['the rng.torch tensor']}"
    if set(sidecar["position"]) != set(Position().__dict__):
        return None, f"{_SIDECAR} has position {sidecar['position']!r}, not step/epoch/batch_in_epoch"
    return LoadedCheckpoint(path, tensors, sidecar), None


def load_latest_checkpoint(out_dir: str | Path) -> LoadedCheckpoint | None:
    """The newest intact checkpoint of a run, or ``None`` if it has none.

    Newer checkpoints that fail verification are skipped with one :class:`CheckpointWarning`
    naming each and why (they are listed in the result's ``skipped``).

    Raises:
        CheckpointError: if every checkpoint is corrupt, or the newest has an unknown format.
    """
    found = list_checkpoints(out_dir)
    skipped: list[tuple[Path, str]] = []
    for path in reversed(found):
        loaded, problem = _read_verified(path)
        if loaded is not None:
            if skipped:
                warnings.warn(
                    f"Resuming from {loaded.path.name}; skipped newer corrupt checkpoint(s): "
                    + "; ".join(f"{p.name}: {why}" for p, why in skipped),
                    CheckpointWarning, stacklevel=2,
                )
            loaded.skipped = skipped
            return loaded
        skipped.append((path, problem or "unknown"))
    if skipped:
        raise CheckpointError(
            f"No usable checkpoint in {checkpoint_dir(out_dir)}: "
            + "; ".join(f"{p.name}: {why}" for p, why in skipped)
            + ". Start a fresh run (without --resume, or in another --out folder)."
        )
    return None


def quarantine(paths: list[Path]) -> list[Path]:
    """Rename corrupt checkpoints to ``corrupt-<name>``: kept for inspection, never read or pruned.

    A resumed run later writes a checkpoint at the same position, which must not collide with the
    corrupt folder of that name.
    """
    moved = []
    for path in paths:
        target = path.with_name(_QUARANTINE + path.name)
        suffix = 1
        while target.exists():
            target, suffix = path.with_name(f"{_QUARANTINE}{path.name}-{suffix}"), suffix + 1
        os.replace(path, target)
        moved.append(target)
    return moved

"""Atomic, pickle-free training checkpoints: safetensors for tensors, a JSON sidecar for the rest.

Layout: ``<out_dir>/checkpoints/ckpt-s<step>-e<epoch>-b<batch>/`` holding ``state.safetensors``
(model, optimizer tensors, RNG states) and ``state.json`` (step, epoch, batch position in the
epoch, optimizer param groups, scheduler state, python/numpy RNG scalars, the train config).

Atomicity: a checkpoint is written into a hidden temporary folder, flushed to disk, then renamed
into place with ``os.replace`` (atomic on POSIX). A run killed at any moment leaves either the
complete new folder or none, and only complete folders are ever read: the latest checkpoint is
the one whose name sorts last. Nothing is unpickled, so a checkpoint cannot run code.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from zoo.engine.errors import CheckpointError

FORMAT_VERSION = 1
_PREFIX = "ckpt-"
_TENSORS, _SIDECAR = "state.safetensors", "state.json"


@dataclass
class Position:
    """Where training stands: optimizer steps taken, current epoch, batches done in that epoch."""

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


def _optimizer_split(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict[str, Any]] = {}
    for param_id, values in state["state"].items():
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{param_id}.{key}"] = value
            else:
                plain.setdefault(str(param_id), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "plain_state": plain}


def _optimizer_join(tensors: dict[str, torch.Tensor], sidecar: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("optim."):
            _, param_id, key = name.split(".", 2)
            state.setdefault(int(param_id), {})[key] = value
    for param_id, values in sidecar["plain_state"].items():
        state.setdefault(int(param_id), {}).update(values)
    return {"state": state, "param_groups": sidecar["param_groups"]}


def save_checkpoint(
    out_dir: str | Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    position: Position,
    extra: dict[str, Any],
    keep: int = 1,
) -> Path:
    """Write a checkpoint atomically and prune all but the ``keep`` newest.

    Args:
        out_dir: the run folder (checkpoints go to its ``checkpoints/``).
        model, optimizer, scheduler: what to save (``scheduler`` may be ``None``).
        position: step, epoch and batch position within the epoch.
        extra: JSON-able facts checked on resume (world size, batch size, config).
        keep: how many checkpoints to keep.

    Returns:
        The checkpoint folder.

    Raises:
        OSError: if the folder cannot be written.
    """
    root = checkpoint_dir(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    name = f"{_PREFIX}s{position.step:09d}-e{position.epoch:05d}-b{position.batch_in_epoch:07d}"
    final = root / name
    tmp = root / f".tmp-{name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    rng_tensors, rng_scalars = _rng_state()
    optim_tensors, optim_sidecar = _optimizer_split(optimizer)
    # Clone to contiguous CPU tensors: safetensors refuses shared or strided storage.
    model_tensors = {f"model.{k}": v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    state_tensors = {**optim_tensors, **rng_tensors}
    tensors = {**model_tensors, **{k: v.detach().cpu().contiguous() for k, v in state_tensors.items()}}
    save_file(tensors, str(tmp / _TENSORS))
    sidecar = {
        "format_version": FORMAT_VERSION,
        "position": position.__dict__,
        "optimizer": optim_sidecar,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng": rng_scalars,
        **extra,
    }
    (tmp / _SIDECAR).write_text(json.dumps(sidecar, indent=1), encoding="utf-8")
    _fsync_dir_files(tmp)
    if final.exists():  # same position saved twice (e.g. max_steps at an epoch end): keep the first
        shutil.rmtree(tmp)
    else:
        os.replace(tmp, final)
    _prune(root, keep)
    return final


def _fsync_dir_files(folder: Path) -> None:
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def _prune(root: Path, keep: int) -> None:
    for old in list_checkpoints(root.parent)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def list_checkpoints(out_dir: str | Path) -> list[Path]:
    """Complete checkpoint folders of a run, oldest first (temporary folders are ignored)."""
    root = checkpoint_dir(out_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.name.startswith(_PREFIX) and (p / _SIDECAR).is_file())


@dataclass
class LoadedCheckpoint:
    """A checkpoint read back: tensors and sidecar, applied with :meth:`restore`."""

    path: Path
    tensors: dict[str, torch.Tensor]
    sidecar: dict[str, Any]

    @property
    def position(self) -> Position:
        return Position(**self.sidecar["position"])

    def restore(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any) -> None:
        """Load model (strictly), optimizer, scheduler and RNG states.

        Raises:
            CheckpointError: if the model's parameters do not match the checkpoint's.
        """
        model_state = {k[len("model."):]: v for k, v in self.tensors.items() if k.startswith("model.")}
        try:
            model.load_state_dict(model_state, strict=True)
        except RuntimeError as exc:
            raise CheckpointError(
                f"{self.path} does not fit this model ({exc}). Resume with the same model config, "
                "or start a fresh run in another --out folder."
            ) from None
        optimizer.load_state_dict(_optimizer_join(self.tensors, self.sidecar["optimizer"]))
        if scheduler is not None and self.sidecar["scheduler"] is not None:
            scheduler.load_state_dict(self.sidecar["scheduler"])
        _restore_rng(self.tensors, self.sidecar["rng"])


def load_latest_checkpoint(out_dir: str | Path) -> LoadedCheckpoint | None:
    """The newest complete checkpoint of a run, or ``None`` if it has none.

    Raises:
        CheckpointError: if the newest checkpoint has an unknown format version.
    """
    found = list_checkpoints(out_dir)
    if not found:
        return None
    path = found[-1]
    sidecar = json.loads((path / _SIDECAR).read_text(encoding="utf-8"))
    if sidecar.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format {sidecar.get('format_version')}; this zoo reads format "
            f"{FORMAT_VERSION}. Resume it with the zoo version that wrote it, or start a fresh run."
        )
    return LoadedCheckpoint(path, load_file(str(path / _TENSORS)), sidecar)

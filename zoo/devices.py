"""Where a prediction runs: device and dtype names, the model's placement, moving a batch there.

``"auto"`` picks cuda, then mps, then cpu; dtype names follow transformers' ``torch_dtype`` and the
engine's precision names (``bf16``, ``fp16``). torch is imported inside the functions.
"""

from __future__ import annotations

from typing import Any

from zoo.errors import ConfigError


def model_placement(model: Any) -> tuple[Any, Any]:
    """The model's device and floating dtype (of its first parameter; cpu/None without any)."""
    import torch

    for tensor in (*model.parameters(), *model.buffers()):
        if tensor.is_floating_point():
            return tensor.device, tensor.dtype
    return torch.device("cpu"), None


def move_to(batch: Any, device: Any, dtype: Any) -> Any:
    """Move every tensor of a (nested dict/list/tuple) batch to ``device``; floats also to ``dtype``."""
    import torch

    if isinstance(batch, torch.Tensor):
        if batch.is_floating_point() and dtype is not None:
            return batch.to(device=device, dtype=dtype)
        return batch.to(device=device)
    if isinstance(batch, dict):
        return {k: move_to(v, device, dtype) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)) and not hasattr(batch, "_fields"):
        return type(batch)(move_to(v, device, dtype) for v in batch)
    return batch


_DTYPES = {
    "float32": "float32", "fp32": "float32", "float": "float32",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "fp16": "float16", "half": "float16",
    "float64": "float64", "fp64": "float64", "double": "float64",
}


def resolve_dtype(dtype: Any) -> Any:
    """A torch dtype from a torch dtype or a name (``"bf16"``, ``"float16"``, ...); None stays None.

    Raises:
        ConfigError: for a name that is not a floating dtype.
    """
    if dtype is None:
        return None
    import torch

    if isinstance(dtype, torch.dtype):
        return dtype
    name = _DTYPES.get(str(dtype).lower().removeprefix("torch."))
    if name is None:
        raise ConfigError(f"Unknown dtype {dtype!r}; expected one of {', '.join(sorted(set(_DTYPES)))}.")
    return getattr(torch, name)


def resolve_device(device: str | None) -> Any:
    """A torch device from a name; ``"auto"`` picks cuda, then mps, then cpu; None stays None.

    Raises:
        ConfigError: if the name is not a device, or names a device this machine lacks.
    """
    if device is None:
        return None
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ConfigError(f"Unknown device {device!r} ({exc}); expected cpu, cuda, cuda:N, mps or auto.") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"Device {device!r} asked for, but torch sees no CUDA GPU here; use --device cpu or auto.")
    return resolved

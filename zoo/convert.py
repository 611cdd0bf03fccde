"""Converting a legacy pickle checkpoint to a zoo folder, once, on the user's explicit word.

The zoo never loads pickle files implicitly. A researcher holding an author's ``.pth`` can convert
it here: ``torch.load(weights_only=True)`` restricts unpickling to tensors and plain containers (no
arbitrary code), the weights must fit the named architecture strictly, and the result is a normal
safetensors folder that ``zoo.load`` and ``zoo publish`` accept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo.errors import ConfigError, InputError, UnsafeCheckpointError
from zoo.fsutil import atomic_output_dir, check_output_dir


def _extract_state_dict(obj: Any, key: str | None) -> dict[str, Any]:
    import torch

    if key is not None:
        if not isinstance(obj, dict) or key not in obj:
            raise ConfigError(f"The checkpoint has no {key!r} entry; its top-level keys are {sorted(obj)[:10] if isinstance(obj, dict) else type(obj).__name__}.")
        obj = obj[key]
    elif isinstance(obj, dict) and not all(isinstance(v, torch.Tensor) for v in obj.values()):
        for candidate in ("state_dict", "model", "model_state_dict", "net"):
            if isinstance(obj.get(candidate), dict):
                obj = obj[candidate]
                break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ConfigError("Could not find a state dict of tensors in the checkpoint; name it with --key.")
    return {k.removeprefix("module."): v for k, v in obj.items()}  # DataParallel prefix


def convert_pickle(
    checkpoint: str | Path, model_name: str, out_dir: str | Path, *, trust: bool, key: str | None = None,
    overwrite: bool = False, **overrides: Any,
) -> Path:
    """Convert a pickle checkpoint into ``config.json`` + ``model.safetensors`` + model card.

    Args:
        checkpoint: the ``.pth``/``.pt``/``.bin``/``.ckpt`` file.
        model_name: the architecture to load it into (registry or catalog name).
        out_dir: the folder to write (built in a temporary sibling and renamed at the end, so a
            failure leaves nothing half-written).
        trust: must be True: the user confirms they trust where the file came from.
        key: the entry holding the state dict, if it is nested (``"state_dict"``...).
        overwrite: replace an existing non-empty ``out_dir``.
        **overrides: config overrides of the architecture.

    Raises:
        UnsafeCheckpointError: if ``trust`` is not given.
        ConfigError: if no state dict is found or it does not fit the architecture strictly.
        InputError: if ``out_dir`` is a file, or a non-empty folder without ``overwrite``, or the
            checkpoint cannot be unpickled with ``weights_only=True``.
    """
    import torch

    from zoo.factory import build
    from zoo.saving import save

    if not trust:
        raise UnsafeCheckpointError(
            f"Refusing to unpickle {checkpoint} without --i-trust-this-file: pickle files can run code. "
            "Even then only tensors and plain containers are accepted (weights_only=True)."
        )
    check_output_dir(out_dir, overwrite=overwrite)  # before reading anything
    # weights_only=True: the restricted unpickler, no arbitrary objects or code.
    try:
        obj = torch.load(str(checkpoint), map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError, a zip/EOF error, a non-tensor object refused
        raise InputError(
            f"Cannot read {checkpoint} as a torch checkpoint with weights_only=True "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). Only tensors and plain "
            "containers are accepted."
        ) from None
    state = _extract_state_dict(obj, key)
    model = build(model_name, **overrides)
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ConfigError(
            f"{checkpoint} does not fit {model_name}: missing {result.missing_keys[:5]}, unexpected "
            f"{result.unexpected_keys[:5]}. Pick the matching architecture or config overrides."
        )
    with atomic_output_dir(out_dir, overwrite=overwrite) as work:
        save(model, work, card={"notes": f"Converted from {Path(checkpoint).name} with zoo convert."})
    return Path(out_dir)

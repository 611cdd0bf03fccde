"""Device check, run by hand on a lent GPU machine (CI has none): every component on CUDA.

For every registered component: build from its default config, move it and its example input to
the GPU, run forward and backward, and check that every output tensor lives on the GPU (a tensor
created on the CPU inside ``forward`` is the usual device bug). Then every published catalog
checkpoint is loaded and run the same way. Prints one line per component and a closing
'N passed, N failed' line.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import Any

import torch

import zoo
from zoo.testing import conformance_names


def to_device(value: Any, device: torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {k: to_device(v, device) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_device(v, device) for v in value)
    return value


def tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in tensors(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in tensors(v)]
    return []


def run_on_gpu(model: torch.nn.Module, device: torch.device, train: bool) -> str:
    model = model.to(device).train(train)
    inputs = to_device(model.example_inputs(), device)
    start = time.perf_counter()
    outputs = tensors(model(*inputs))
    off_device = [tuple(t.shape) for t in outputs if t.device.type != device.type]
    if off_device:
        raise AssertionError(f"outputs on the CPU: {off_device}")
    floats = [t for t in outputs if t.is_floating_point() and t.requires_grad]
    if train and floats:
        sum(t.float().sum() for t in floats).backward()
        grads = [p.grad for p in model.parameters() if p.requires_grad and p.grad is not None]
        if grads and any(g.device.type != device.type for g in grads):
            raise AssertionError("gradients on the wrong device")
    if device.type == "cuda":
        torch.cuda.synchronize()
    return f"{(time.perf_counter() - start) * 1000:.1f} ms"


def main() -> int:
    # ZOO_CHECK_DEVICE=cpu dry-runs the script here before spending device time.
    device = torch.device(os.environ.get("ZOO_CHECK_DEVICE", "cuda"))
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"
    print(f"torch {torch.__version__}, {name}")
    passed = failed = 0
    jobs = [(name, lambda n=name: zoo.build(n), True) for name in conformance_names()]
    jobs += [(name, lambda n=name: zoo.load(n), False) for name in zoo.list(kind="checkpoint")
             if zoo.info(name)["status"] == "published"]
    for name, make, train in jobs:
        try:
            took = run_on_gpu(make(), device, train)
            print(f"ok    {name:40s} {'train' if train else 'eval '} {took}")
            passed += 1
        except Exception as exc:  # report every failure, keep going
            print(f"FAIL  {name:40s} {type(exc).__name__}: {exc}")
            traceback.print_exc(limit=3, file=sys.stdout)
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

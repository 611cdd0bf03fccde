"""One training step of the default L2HCount vs a CSRNet-style VGG16 (same batch, same optimizer).

Batch: 8 crops of 384×384 (the ``l2hcount-sha`` recipe), random images and densities, AdamW. Runs on
the GPU when there is one (step working memory = peak of ``torch.cuda.max_memory_allocated`` above what was resident
before the step: activations, gradients' transients), else on the CPU
(``--batch 2`` is kinder there). Time: median of ``--steps`` steps after 3 warm-up steps, the two
models alternated step by step. Run: ``python benchmarks/l2hcount_train_step.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import zoo  # noqa: E402
from l2hcount_forward import csrnet  # noqa: E402


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def make_steps(device: torch.device, batch: dict[str, torch.Tensor]):
    """Closures running one optimizer step of each model on ``batch``."""
    ours = zoo.build("model/l2hcount").to(device).train()
    base = csrnet().to(device).train()
    opt_ours = torch.optim.AdamW(ours.parameters(), lr=1e-4)
    opt_base = torch.optim.AdamW(base.parameters(), lr=1e-4)
    target8 = F.avg_pool2d(batch["density"], 2) * 4 * 100  # CSRNet's stride-8 map, mass kept

    def step_ours() -> None:
        loss = sum(ours.training_step(batch).values())
        opt_ours.zero_grad(set_to_none=True)
        loss.backward()
        opt_ours.step()

    def step_base() -> None:
        loss = F.mse_loss(base(batch["image"]), target8)
        opt_base.zero_grad(set_to_none=True)
        loss.backward()
        opt_base.step()

    return {"l2hcount": step_ours, "csrnet": step_base}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--crop", type=int, default=384)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True  # fixed input size: let cuDNN pick its fastest kernels
    torch.manual_seed(0)
    b, c = args.batch, args.crop
    batch = {
        "image": torch.rand(b, 3, c, c, device=device),
        "density": torch.rand(b, 1, c // 4, c // 4, device=device) * 0.01,
        "regime": torch.arange(b, device=device) % 2,
    }
    steps = make_steps(device, batch)
    times: dict[str, list[float]] = {name: [] for name in steps}
    peaks: dict[str, float] = {}
    for i in range(args.steps + 3):
        for name, step in steps.items():
            if device.type == "cuda" and i == 3:  # the step's own working memory, after warm-up
                torch.cuda.reset_peak_memory_stats()
                resident = torch.cuda.memory_allocated()
            _sync(device)
            start = time.perf_counter()
            step()
            _sync(device)
            if i >= 3:
                times[name].append(time.perf_counter() - start)
            if device.type == "cuda" and i == 3:
                peaks[name] = (torch.cuda.max_memory_allocated() - resident) / 2**30
    name = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
    print(f"device: {name}; batch {b} × {c}², AdamW; median of {args.steps} steps after 3 warm-up")
    for key, values in times.items():
        peak = f", step working memory {peaks[key]:.2f} GiB" if key in peaks else ""
        print(f"{key}: {statistics.median(values) * 1e3:.1f} ms/step{peak}")
    ratio = statistics.median(times["l2hcount"]) / statistics.median(times["csrnet"])
    print(f"step-time ratio L2HCount/CSRNet: {ratio:.2f}x")


if __name__ == "__main__":
    main()

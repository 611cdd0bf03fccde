"""Cold-process listing: `zoo list` vs `import timm; timm.list_models()`, in the same run.

Each command runs in a fresh Python process (what a user waits for at the shell), alternating
between the two so that machine noise hits both alike; the medians and their ratio are printed.
Target: zoo list ≤ 0.1× timm's time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ZOO = [str(Path(sys.executable).with_name("zoo")), "list"]
TIMM = [sys.executable, "-c", "import timm; timm.list_models()"]


def _time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if not Path(ZOO[0]).exists():
        ZOO[0] = shutil.which("zoo") or sys.exit("the zoo command is not installed")
    _time(ZOO), _time(TIMM)  # warm the OS file cache for both
    zoo_times, timm_times = [], []
    for _ in range(args.repeats):
        zoo_times.append(_time(ZOO))
        timm_times.append(_time(TIMM))
    zoo_median, timm_median = statistics.median(zoo_times), statistics.median(timm_times)
    print(f"zoo list                    median {zoo_median * 1000:8.1f} ms  ({args.repeats} cold processes)")
    print(f"timm.list_models() (import) median {timm_median * 1000:8.1f} ms")
    print(f"ratio zoo/timm: {zoo_median / timm_median:.3f}  (target <= 0.1)")


if __name__ == "__main__":
    main()

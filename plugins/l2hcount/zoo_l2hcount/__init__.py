"""L2HCount for zoo: crowd counting that generalizes from low to high crowd density.

Importing this package is light (no torch); the components live in submodules that the registry
imports when a component is built.
"""

from __future__ import annotations

from pathlib import Path

__version__ = "0.2.0"

_PACKAGE_DIR = Path(__file__).resolve().parent


def example_path() -> Path:
    """Path of the example input shipped with ``l2hcount-synth`` (a synthetic crowd of 90 heads).

    Its heads are in ``example.points.json`` beside it, which ``zoo.predict`` finds.

    Raises:
        FileNotFoundError: if the package was installed without its checkpoint folder.
    """
    path = _PACKAGE_DIR / "checkpoints" / "l2hcount-synth" / "example.jpg"
    if not path.is_file():
        raise FileNotFoundError(f"The example input {path} is missing; reinstall zoo-l2hcount.")
    return path

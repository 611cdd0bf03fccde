"""L2HCount for zoo: crowd counting that generalizes from low to high crowd density.

Importing this package is light (no torch); the components live in submodules that the registry
imports when a component is built.
"""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

_PACKAGE_DIR = Path(__file__).resolve().parent


def sample_path() -> Path:
    """Path of the embedded synthetic crowd scene used by the README demo.

    Returns:
        The path of ``samples/crowd_synth.jpg`` inside the installed package.

    Raises:
        FileNotFoundError: if the package was installed without its sample file.
    """
    path = _PACKAGE_DIR / "samples" / "crowd_synth.jpg"
    if not path.is_file():
        raise FileNotFoundError(f"The embedded sample {path} is missing; reinstall zoo-l2hcount.")
    return path


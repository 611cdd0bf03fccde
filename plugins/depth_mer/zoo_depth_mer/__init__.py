"""Depth-MER: micro-expression recognition from depth maps turned into point clouds (zoo plugin).

Importing this package is light; the networks, the depth pipeline and the data live in submodules
(``zoo_depth_mer.pointnet2``, ``.pointnet``, ``.model``, ``.depth``, ``.features``, ``.datasets``...);
the point operations and DGCNN are in ``zoo_point_ops``.
"""

from pathlib import Path

__version__ = "0.1.0"

#: The published synthetic checkpoint's folder inside the package.
CHECKPOINTS = Path(__file__).with_name("checkpoints")


def example_path() -> Path:
    """The example input of ``depth-mer-synth``: a folder with ``onset.png`` and ``apex.png``."""
    return CHECKPOINTS / "depth-mer-synth" / "example"

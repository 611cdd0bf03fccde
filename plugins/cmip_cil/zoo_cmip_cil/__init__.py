"""CMIP-CIL for the zoo: train on multi-view renders, test on point clouds, class-incrementally.

Heavy modules (torch, open3d, timm) are imported only by the submodules that need them.
"""

__version__ = "0.1.0"

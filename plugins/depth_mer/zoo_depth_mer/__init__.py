"""Depth-MER: micro-expression recognition from depth maps turned into point clouds (zoo plugin).

Importing this package is light; the networks, point ops and depth pipeline live in submodules
(``zoo_depth_mer.ops``, ``.pointnet2``, ``.dgcnn``, ``.pointnet``, ``.model``, ``.depth``...).
"""

__version__ = "0.1.0"

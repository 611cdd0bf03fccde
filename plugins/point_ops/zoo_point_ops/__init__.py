"""zoo-point-ops: point-cloud operations and the DGCNN encoder shared by the zoo's point plugins.

Depth-MER (PointNet++ on depth clouds) and CMIP-CIL (DGCNN on test point clouds) both use these;
keeping them in one small distribution that depends only on perception-zoo, torch and numpy means
neither plugin drags in the other's dependencies. Importing the package is light; the operations
are in :mod:`zoo_point_ops.ops`, the encoder in :mod:`zoo_point_ops.dgcnn`.
"""

__version__ = "0.1.0"

"""NT-Xent (normalised temperature-scaled cross-entropy) and CMIP-CIL's prototype regularisation."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F


def nt_xent(a: torch.Tensor, b: torch.Tensor, temperature: float = 0.02) -> torch.Tensor:
    """SimCLR's NT-Xent between paired embeddings ``a[i] ↔ b[i]`` (``[B, D]`` each).

    Each of the 2B embeddings has its pair as the positive and the other 2B-2 as negatives;
    the loss is the mean over all 2B anchors.

    Raises:
        ValueError: if the shapes differ or B < 2.
    """
    if a.shape != b.shape or a.shape[0] < 2:
        raise ValueError(f"nt_xent needs two [B, D] batches with B >= 2, got {tuple(a.shape)} and {tuple(b.shape)}.")
    n = a.shape[0]
    z = F.normalize(torch.cat([a, b]), dim=-1)
    logits = z @ z.t() / temperature
    logits.fill_diagonal_(float("-inf"))  # an embedding is not its own negative
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(a.device)
    return F.cross_entropy(logits, targets)


def prototype_regularisation(
    adapted: torch.Tensor, labels: torch.Tensor, rows: torch.Tensor,
    over: Literal["batch-classes", "all-rows"] = "batch-classes",
) -> torch.Tensor:
    """``1 − cos(row_c, mean adapted embedding of class c)``, rows detached.

    ``over="batch-classes"`` (ours) averages over the classes present in the batch. The release
    (``oursmethod.py``) computes ``1 − mean(cos · mask)`` over *all* rows of the classifier, rows
    without a sample in the batch counting 0: that is ``1 − Σ_c cos_c / C``, so the term shrinks
    towards 1 − (batch classes)/C as classes accumulate. ``over="all-rows"`` restores it.
    """
    classes = labels.unique()
    means = torch.stack([adapted[labels == c].mean(0) for c in classes])
    cosines = F.cosine_similarity(means, rows[classes].detach(), dim=-1)
    if over == "all-rows":
        return 1 - cosines.sum() / rows.shape[0]
    return (1 - cosines).mean()

"""DDMEM: the dual-density memory (two learned banks read by attention, fused by a per-pixel gate)."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from pydantic import Field
from torch import nn

import zoo

#: Regime labels of a training crop: a real low-density crop, or an HDSM-simulated one.
LOW, HIGH = 0, 1


class MemoryOutput(NamedTuple):
    """What a memory read returns: the features after the read and the gate's logits (or None)."""

    features: torch.Tensor
    gate_logits: torch.Tensor | None


class DualDensityMemory(zoo.Memory):
    """Two banks ``M_low``, ``M_high`` (``slots × dim``) read per pixel by ``softmax(Mᵀy/√d)``.

    In training each crop reads the bank of its regime (real low-density crops read ``M_low``,
    simulated ones ``M_high``); at inference both banks are read and fused by a learned per-pixel
    gate ``g = σ(conv(y))`` (``g`` = probability of the high-density regime), which is supervised
    with the regime during training. ``dual=False`` is the single-memory ablation (one bank, no
    gate). The read is added to the query (a residual), so the memory refines rather than
    replaces the features.
    """

    class Config(zoo.ComponentConfig):
        slots: int = Field(1024, ge=1, description="memory slots per bank")
        dim: int = Field(256, ge=1, description="feature width (imposed by the model)")
        dual: bool = Field(True, description="two banks + gate (False: one shared bank, no gate)")
        chunk_pixels: int = Field(16384, ge=1, description="pixels per attention chunk (bounds peak memory)")

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        banks = 2 if cfg.dual else 1
        # Slots are initialised like a linear layer's weights so reads start at feature scale.
        self.banks = nn.Parameter(torch.randn(banks, cfg.slots, cfg.dim) / math.sqrt(cfg.dim))
        self.gate = nn.Conv2d(cfg.dim, 1, kernel_size=1) if cfg.dual else None

    def read(self, features: torch.Tensor, bank: int) -> torch.Tensor:
        """Attention read of one bank for every pixel of ``features`` ``[B, D, H, W]``."""
        b, d, h, w = features.shape
        queries = features.flatten(2).transpose(1, 2).reshape(b * h * w, d)
        memory = self.banks[bank]
        scale = 1.0 / math.sqrt(d)
        chunks = [
            torch.softmax(chunk @ memory.t() * scale, dim=-1) @ memory
            for chunk in queries.split(self.config.chunk_pixels)
        ]
        read = torch.cat(chunks, dim=0) if chunks else queries.new_zeros(0, d)
        return read.reshape(b, h * w, d).transpose(1, 2).reshape(b, d, h, w)

    def forward(self, features: torch.Tensor, regime: torch.Tensor | None = None) -> MemoryOutput:
        """Read the memory.

        Args:
            features: ``[B, dim, H, W]`` queries.
            regime: ``[B]`` labels (``LOW``/``HIGH``) of training crops; ``None`` at inference,
                where the gate fuses both banks.

        Returns:
            The features plus the read, and the gate's logits ``[B, 1, H, W]`` (None if single).
        """
        if not self.config.dual:
            return MemoryOutput(features + self.read(features, 0), None)
        gate_logits = self.gate(features)
        if regime is not None:
            return MemoryOutput(features + self._read_by_regime(features, regime), gate_logits)
        gate = torch.sigmoid(gate_logits)
        fused = gate * self.read(features, HIGH) + (1 - gate) * self.read(features, LOW)
        return MemoryOutput(features + fused, gate_logits)

    def _read_by_regime(self, features: torch.Tensor, regime: torch.Tensor) -> torch.Tensor:
        """Each crop reads its own regime's bank (only the crops of a bank are sent to it)."""
        read = torch.zeros_like(features)
        for bank in (LOW, HIGH):
            rows = (regime == bank).nonzero(as_tuple=True)[0]
            if rows.numel():
                read = read.index_copy(0, rows, self.read(features[rows], bank))
        return read

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(2, self.config.dim, 4, 4),)

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
    """What a memory read returns: the features after the read, the gate's logits (or None) and,
    when asked for, the attention over the slots (``[B, H·W, slots]``, for MPCount's consistency)."""

    features: torch.Tensor
    gate_logits: torch.Tensor | None
    attention: torch.Tensor | None = None


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
        """Attention read of one bank for every pixel of ``features`` ``[B, D, H, W]`` (chunked)."""
        b, d, h, w = features.shape
        queries = features.flatten(2).transpose(1, 2).reshape(b * h * w, d)
        memory = self.banks[bank]
        scale = 1.0 / math.sqrt(d)
        chunks = [
            torch.softmax(chunk @ memory.t() * scale, dim=-1) @ memory
            for chunk in queries.split(self.config.chunk_pixels)
        ]
        read = torch.cat(chunks, dim=0) if chunks else queries.new_zeros(0, d)
        return _to_map(read, b, h, w)

    def attention(self, features: torch.Tensor, bank: int) -> torch.Tensor:
        """``softmax(Mᵀy/√d)`` of one bank for every pixel: ``[B, H·W, slots]`` (not chunked:
        training crops only)."""
        queries = features.flatten(2).transpose(1, 2)
        return torch.softmax(queries @ self.banks[bank].t() / math.sqrt(features.shape[1]), dim=-1)

    def forward(
        self, features: torch.Tensor, regime: torch.Tensor | None = None, return_attention: bool = False
    ) -> MemoryOutput:
        """Read the memory.

        Args:
            features: ``[B, dim, H, W]`` queries.
            regime: ``[B]`` labels (``LOW``/``HIGH``) of training crops; ``None`` at inference,
                where the gate fuses both banks.
            return_attention: also return the attention of each pixel over the slots of the bank
                it read (training only: it needs ``regime``, or ``dual=False``).

        Returns:
            The features plus the read, the gate's logits ``[B, 1, H, W]`` (None if single) and
            the attention (None unless asked for).

        Raises:
            ValueError: if the attention is asked for at inference of the dual memory (two banks
                are read there, fused by the gate: there is no single attention).
        """
        if return_attention and self.config.dual and regime is None:
            raise ValueError("the dual memory's attention is defined per training crop: pass regime.")
        if not self.config.dual:  # one bank, read by every crop
            one_bank = torch.zeros(len(features), dtype=torch.long, device=features.device)
            read, attention = self._read_banks(features, one_bank, return_attention)
            return MemoryOutput(read, None, attention)
        gate_logits = self.gate(features)
        if regime is not None:
            read, attention = self._read_banks(features, regime, return_attention)
            return MemoryOutput(read, gate_logits, attention)
        gate = torch.sigmoid(gate_logits)
        fused = gate * self.read(features, HIGH) + (1 - gate) * self.read(features, LOW)
        return MemoryOutput(features + fused, gate_logits)

    def _read_banks(
        self, features: torch.Tensor, regime: torch.Tensor, return_attention: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Each crop reads its own regime's bank (only the crops of a bank are sent to it).

        Returns:
            ``features + read`` and, if asked for, the attention ``[B, H·W, slots]``.
        """
        b, d, h, w = features.shape
        read = torch.zeros_like(features)
        attention = features.new_zeros(b, h * w, self.config.slots) if return_attention else None
        for bank in range(self.banks.shape[0]):
            rows = (regime == bank).nonzero(as_tuple=True)[0]
            if not rows.numel():
                continue
            if attention is None:
                read = read.index_copy(0, rows, self.read(features[rows], bank))
                continue
            probs = self.attention(features[rows], bank)
            attention = attention.index_copy(0, rows, probs)
            read = read.index_copy(0, rows, _to_map(probs @ self.banks[bank], len(rows), h, w))
        return features + read, attention

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(2, self.config.dim, 4, 4),)


def _to_map(rows: torch.Tensor, b: int, h: int, w: int) -> torch.Tensor:
    """``[B·H·W, D]`` (or ``[B, H·W, D]``) pixel rows back to a ``[B, D, H, W]`` map."""
    return rows.reshape(b, h * w, -1).transpose(1, 2).reshape(b, -1, h, w)

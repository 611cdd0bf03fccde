"""DGCNN point encoder (Wang et al., "Dynamic Graph CNN for Learning on Point Clouds", 2019).

Input ``[B, N, in_channels]`` (xyz first, then any extra per-point channels); output the global
feature ``[B, 2 * emb_dims]`` (max pooling ‖ average pooling), as in the classification network.
The first EdgeConv builds its kNN graph on the coordinates only (the extra channels, e.g. motion,
would otherwise distort the neighbourhoods); later layers use the learned features (dynamic graph).
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import nn

import zoo
from zoo.sdk import ConfigError, InputError
from zoo_point_ops.ops import gather_points, knn


class DGCNNEncoder(zoo.Encoder):
    """EdgeConv stack → 1x1 embedding → max ‖ avg pooled global feature."""

    class Config(zoo.ComponentConfig):
        in_channels: int = Field(3, ge=3, description="xyz + extra per-point channels")
        k: int = Field(20, ge=1, description="neighbours per point in each EdgeConv")
        edge_channels: list[int] = Field(default_factory=lambda: [64, 64, 128, 256])
        emb_dims: int = Field(1024, ge=1)

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        if not cfg.edge_channels:
            raise ConfigError("DGCNN needs at least one EdgeConv: edge_channels must not be empty.")
        convs, prev = [], cfg.in_channels
        for width in cfg.edge_channels:
            convs.append(nn.Sequential(nn.Conv2d(2 * prev, width, 1, bias=False), nn.BatchNorm2d(width),
                                       nn.LeakyReLU(0.2)))
            prev = width
        self.edge_convs = nn.ModuleList(convs)
        self.embed = nn.Sequential(nn.Conv1d(sum(cfg.edge_channels), cfg.emb_dims, 1, bias=False),
                                   nn.BatchNorm1d(cfg.emb_dims), nn.LeakyReLU(0.2))
        self.out_channels = 2 * cfg.emb_dims

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """``points [B, N, in_channels]`` → ``[B, 2 * emb_dims]``.

        Raises:
            InputError: if the channel count differs from the config.
        """
        if points.dim() != 3 or points.shape[-1] != self.config.in_channels:
            raise InputError(f"DGCNN expects [B, N, {self.config.in_channels}] points, got {tuple(points.shape)}.")
        x, outputs = points, []
        for layer, conv in enumerate(self.edge_convs):
            graph_on = x[..., :3] if layer == 0 else x
            with torch.no_grad():  # neighbour indices carry no gradient
                _, idx = knn(graph_on.detach(), graph_on.detach(), self.config.k)
            neighbours = gather_points(x, idx)  # [B, N, k, C]
            centre = x.unsqueeze(2).expand_as(neighbours)
            edge = torch.cat([neighbours - centre, centre], dim=-1).permute(0, 3, 1, 2)  # [B, 2C, N, k]
            x = conv(edge).amax(dim=-1).transpose(1, 2)  # [B, N, width]
            outputs.append(x)
        feature = self.embed(torch.cat(outputs, dim=-1).transpose(1, 2))  # [B, emb, N]
        return torch.cat([feature.amax(dim=-1), feature.mean(dim=-1)], dim=1)

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.randn(2, max(32, self.config.k + 1), self.config.in_channels),)

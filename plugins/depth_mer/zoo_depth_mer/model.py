"""``model/depth-mer``: a point encoder + the motion classifier on 6-D onset/apex motion points."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from pydantic import Field

import zoo
from zoo.components import build_part
from zoo.config import Part
from zoo.errors import InputError
from zoo_depth_mer.features import PipelineConfig, pair_to_points


class DepthMERConfig(zoo.ComponentConfig):
    """The encoder and head by registry name, the class names and the depth pipeline."""

    encoder: Part = "encoder/pointnet2-ssg"
    head: Part = "head/motion-classifier"
    in_channels: int = Field(6, ge=3, description="onset xyz + Δxyz")
    class_names: list[str] = Field(default_factory=lambda: ["negative", "positive", "surprise"], min_length=2)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)


class DepthMER(zoo.Model):
    """Depth-MER: classify a micro-expression from the motion of its depth point cloud."""

    Config = DepthMERConfig
    metric = "mer"

    def __init__(self, config: DepthMERConfig | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        self.encoder = build_part(cfg.encoder, in_channels=cfg.in_channels)
        self.head = build_part(cfg.head, in_channels=self.encoder.out_channels, num_classes=len(cfg.class_names))
        self.metric_options = {"num_classes": len(cfg.class_names)}

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """``points [B, N, in_channels]`` → logits ``[B, classes]``."""
        return self.head(self.encoder(points))

    def training_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Cross-entropy of ``batch["points"]`` against ``batch["label"]``."""
        return {"cross_entropy": F.cross_entropy(self(batch["points"]), batch["label"])}

    def evaluation_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """``{"pred", "target"}`` class indices (the ``mer`` metric contract)."""
        return {"pred": self(batch["points"]).argmax(dim=1), "target": batch["label"]}

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.rand(2, 256, self.config.in_channels) * 2 - 1,)

    def predict_files(self, inputs: list[str], output_dir: str | None = None) -> dict[str, Any]:
        """Classify onset/apex depth PNG pairs: ``[onset1, apex1, onset2, apex2, ...]``.

        Raises:
            InputError: if the inputs are not pairs or a frame cannot be read.
        """
        from zoo_depth_mer.depth import read_depth

        if not inputs or len(inputs) % 2:
            raise InputError(f"Give onset/apex depth PNGs in pairs (onset apex [onset apex ...]); got {len(inputs)} file(s).")
        self.eval()
        results = []
        for onset, apex in zip(inputs[::2], inputs[1::2]):
            points = pair_to_points(read_depth(onset), read_depth(apex), self.config.pipeline)
            with torch.no_grad():
                probs = self(torch.from_numpy(points)[None]).softmax(dim=1)[0]
            best = int(probs.argmax())
            results.append({"onset": onset, "apex": apex, "class": self.config.class_names[best], "index": best,
                            "probabilities": dict(zip(self.config.class_names, map(float, probs)))})
        out: dict[str, Any] = {"predictions": results}
        if output_dir is not None:
            path = Path(output_dir) / "depth_mer_predictions.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(results, indent=2))
            out["written"] = [str(path)]
        return out

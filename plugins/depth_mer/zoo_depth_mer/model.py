"""``model/depth-mer``: a point encoder + the motion classifier on 6-D onset/apex motion points.

Training batches come from ``dataset/casme3-depth``, which states in every batch the class names
and the depth pipeline it used and its augmentation settings. The model refuses a batch whose
classes or pipeline differ from its own config (a 4-class dataset against a 3-way head, points
computed without alignment for a model whose processor aligns) with a :class:`ConfigError` naming
both, before any step is taken, and applies the augmentation in :meth:`DepthMER.training_step`
only, never when evaluating or predicting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field

import zoo
from zoo.sdk import ConfigError, Part, build_part
from zoo_depth_mer.augment import AugmentConfig, augment_points
from zoo_depth_mer.features import PipelineConfig


class DepthMERConfig(zoo.ComponentConfig):
    """The encoder and head by registry name, the class names and the depth pipeline (= the processor)."""

    encoder: Part = "encoder/pointnet2-ssg"
    head: Part = "head/motion-classifier"
    in_channels: int = Field(6, ge=3, description="onset xyz + Δxyz")
    class_names: list[str] = Field(default_factory=lambda: ["negative", "positive", "surprise"], min_length=2)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)


class DepthMER(zoo.Model):
    """Depth-MER: classify a micro-expression from the motion of its depth point cloud."""

    Config = DepthMERConfig
    metric = "mer"
    task: ClassVar[str] = "micro-expression-recognition"

    def __init__(self, config: DepthMERConfig | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        self.encoder = build_part(cfg.encoder, in_channels=cfg.in_channels)
        self.head = build_part(cfg.head, in_channels=self.encoder.out_channels, num_classes=len(cfg.class_names))
        self.metric_options = {"num_classes": len(cfg.class_names)}

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """``points [B, N, in_channels]`` → logits ``[B, classes]``."""
        return self.head(self.encoder(points))

    def check_batch(self, batch: dict[str, Any]) -> None:
        """Refuse data prepared for another configuration (the dataset's classes or pipeline).

        Raises:
            ConfigError: naming the dataset's and the model's class names or pipeline fields.
        """
        classes = batch.get("class_names")
        if classes is not None and list(classes) != list(self.config.class_names):
            raise ConfigError(
                f"The dataset has {len(classes)} classes {list(classes)} but model/depth-mer was built for "
                f"{len(self.config.class_names)} {self.config.class_names}. Set model.class_names to the dataset's "
                "classes (the recipes depth-mer-casme3-4class and depth-mer-casme3-7class do) or change "
                "dataset.num_classes."
            )
        pipeline = batch.get("pipeline")
        if pipeline is not None:
            mine = self.config.pipeline.model_dump()
            differ = sorted(k for k in mine if pipeline.get(k) != mine[k])
            if differ:
                pairs = ", ".join(f"{k}: dataset {pipeline.get(k)!r}, model {mine[k]!r}" for k in differ)
                raise ConfigError(
                    f"The dataset computed its points with another depth pipeline than the model's ({pairs}). "
                    "The model's pipeline is its processor (what it predicts with): set the same values as "
                    "dataset.pipeline.<field> and model.pipeline.<field>."
                )

    def training_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Cross-entropy of the (augmented) ``batch["points"]`` against ``batch["label"]``.

        Raises:
            ConfigError: if the batch's classes or pipeline differ from the model's.
        """
        self.check_batch(batch)
        points = batch["points"]
        if batch.get("augment"):
            points = augment_points(points, AugmentConfig.model_validate(batch["augment"]))
        return {"cross_entropy": F.cross_entropy(self(points), batch["label"])}

    def evaluation_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """``{"pred", "target"}`` class indices (the ``mer`` metric contract); never augmented.

        Raises:
            ConfigError: if the batch's classes or pipeline differ from the model's.
        """
        self.check_batch(batch)
        return {"pred": self(batch["points"]).argmax(dim=1), "target": batch["label"]}

    def example_inputs(self) -> tuple[torch.Tensor]:
        return (torch.rand(2, 256, self.config.in_channels) * 2 - 1,)

    # -- prediction (zoo.predict) ---------------------------------------------------------------

    def processor(self) -> Any:
        """The depth-pair processor with this model's pipeline (``zoo_depth_mer.processor``)."""
        from zoo_depth_mer.processor import DepthPairProcessor

        return DepthPairProcessor(self.config.pipeline)

    def predict_step(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        """One forward over ``batch["points"]``; per item the class, its index and every probability.

        ``zoo.predict`` calls it in eval mode under ``torch.inference_mode``.
        """
        with torch.no_grad():
            probabilities = self(batch["points"]).softmax(dim=1).float().cpu()
        names = self.config.class_names
        outputs = []
        for row in probabilities:
            best = int(row.argmax())
            outputs.append({"class": names[best], "index": best,
                            "probabilities": {name: round(float(p), 6) for name, p in zip(names, row)}})
        return outputs

    def render(self, item: Any, outputs: dict[str, Any], out_dir: Path, stem: str) -> list[Path]:
        """Onset and apex depth, the sampled cloud coloured by motion magnitude, the predicted class."""
        from zoo_depth_mer.predict import render_prediction

        return [render_prediction(item, outputs, Path(out_dir) / f"{stem}.png")]

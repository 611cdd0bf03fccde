"""``model/cmip-cil``: cross-modal pre-training, then image-trained, point-tested incremental stages."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field

import zoo
from zoo.sdk import InputError, OptionalPart, Part, PartRef, build_part
from zoo_cmip_cil.augment import PointAugment, augment_points, augment_views
from zoo_cmip_cil.losses import nt_xent, prototype_regularisation


class Defects(zoo.ComponentConfig):
    """Switches that reproduce the released code's defects (all off: fixed)."""

    double_softmax: bool = Field(False, description="cross-entropy on softmax outputs")
    bn_updates_in_frozen_backbone: bool = Field(False, description="frozen backbone's BatchNorm stays in train mode")
    augment_test_points: bool = Field(False, description="test clouds get the training augmentations")


class CMIPCIL(zoo.Model):
    """Point encoder + image encoder with projection heads, a shared adapter and a cosine classifier.

    ``stage="pretrain"``: ``training_step`` returns the intra-modal (two augmented point copies)
    and cross-modal (their mean vs the view-averaged image embedding) NT-Xent losses.
    ``stage="incremental"``: encoders and heads are frozen; only the adapter and the classifier
    learn, from images (``views`` or cached ``image_embedding``); evaluation uses point clouds.
    """

    metric = "classification"
    task: ClassVar[str] = "point-cloud-classification"

    class Config(zoo.ComponentConfig):
        point_encoder: Part = PartRef(name="encoder/dgcnn")
        image_encoder: Part = PartRef(name="encoder/resnet50-views")
        point_head: Part = PartRef(name="head/projection", config={"hidden_dim": 1024})
        image_head: Part = PartRef(name="head/projection", config={"hidden_dim": 512})
        adapter: OptionalPart = PartRef(name="head/adapter")
        classifier: Part = PartRef(name="head/cosine-incremental")
        embed_dim: int = Field(512, ge=1)
        temperature: float = Field(0.02, gt=0)
        proto_reg_weight: float = Field(1.0, ge=0)
        proto_reg_over: Literal["batch-classes", "all-rows"] = Field(
            "batch-classes", description="normalisation of the prototype regulariser (release: all-rows)"
        )
        view_pooling: Literal["before-head", "after-head"] = Field(
            "before-head", description="average the views' backbone features (ours) or their embeddings (release)"
        )
        up_axis: int = Field(1, ge=0, le=2, description="axis of the augmentation's rotation (data are y-up)")
        point_augment: PointAugment = Field(default_factory=PointAugment)
        image_augment: bool = Field(False, description="ColorJitter(0.4, 0.4, 0.4) + horizontal flip on training views")
        stage: Literal["pretrain", "incremental"] = "pretrain"
        class_names: list[str] = Field(default_factory=list, description="names of the classifier's rows")
        num_points: int = Field(1024, ge=1, description="processor: points sampled from each input")
        mesh_rotate_x_deg: float = Field(-90.0, description="processor: rotation of mesh inputs about x (as in training)")
        top_k: int = Field(5, ge=1, description="predictions: how many classes are listed")
        defects: Defects = Field(default_factory=Defects)

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        self.point_encoder = build_part(cfg.point_encoder)
        self.image_encoder = build_part(cfg.image_encoder)
        self.point_head = build_part(cfg.point_head, in_dim=self.point_encoder.out_channels, out_dim=cfg.embed_dim)
        self.image_head = build_part(cfg.image_head, in_dim=self.image_encoder.out_channels, out_dim=cfg.embed_dim)
        self.adapter = build_part(cfg.adapter, dim=cfg.embed_dim)
        self.classifier = build_part(cfg.classifier, dim=cfg.embed_dim)
        if cfg.stage == "incremental":
            self.freeze_backbone()

    # -- stages ---------------------------------------------------------------------------------
    def backbone_modules(self) -> list[torch.nn.Module]:
        return [self.point_encoder, self.image_encoder, self.point_head, self.image_head]

    def freeze_backbone(self) -> None:
        """Enter the incremental stage: encoders and heads stop learning (and their BN stats freeze)."""
        self.config.stage = "incremental"
        for module in self.backbone_modules():
            module.requires_grad_(False)
        self.train(self.training)

    def train(self, mode: bool = True) -> "CMIPCIL":
        super().train(mode)
        frozen_bn = self.config.stage == "incremental" and not self.config.defects.bn_updates_in_frozen_backbone
        if frozen_bn:  # a frozen backbone must not keep updating BatchNorm running statistics
            for module in self.backbone_modules():
                module.eval()
        return self

    # -- embeddings -----------------------------------------------------------------------------
    def embed_points(self, points: torch.Tensor) -> torch.Tensor:
        """Point clouds ``[B, N, 3]`` → projected embeddings ``[B, embed_dim]`` (before the adapter)."""
        return self.point_head(self.point_encoder(points))

    def embed_views(self, views: torch.Tensor) -> torch.Tensor:
        """Renders ``[B, V, H, W, 3]`` → one projected embedding per object ``[B, embed_dim]``.

        ``view_pooling="before-head"`` averages the backbone features, then projects;
        ``"after-head"`` projects every view and averages the embeddings (the release).
        """
        if self.config.view_pooling == "before-head":
            return self.image_head(self.image_encoder(views))
        return self.image_head(self.image_encoder.forward_views(views)).mean(1)

    def adapt(self, embedding: torch.Tensor) -> torch.Tensor:
        return embedding if self.adapter is None else self.adapter(embedding)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """Class scores ``[B, C]`` of point clouds ``[B, N, 3]`` (the cross-modal inference path)."""
        return self.classifier(self.adapt(self.embed_points(points)))

    def _augment(self, points: torch.Tensor) -> torch.Tensor:
        return augment_points(points, self.config.point_augment, self.config.up_axis)

    # -- engine steps ---------------------------------------------------------------------------
    def training_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        if self.config.stage == "pretrain":
            return self._pretrain_losses(batch)
        return self._incremental_losses(batch)

    def _pretrain_losses(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        points = batch["points"]
        first, second = self.embed_points(self._augment(points)), self.embed_points(self._augment(points))
        image = self.image_embedding(batch)
        tau = self.config.temperature
        return {"intra": nt_xent(first, second, tau), "cross": nt_xent((first + second) / 2, image, tau)}

    def image_embedding(self, batch: dict[str, Any]) -> torch.Tensor:
        """Image embedding of a batch: cached ``image_embedding`` if present, else from ``views``.

        In training mode the views get the image augmentation when ``image_augment`` is on; with
        the BN defect on, the batch's ``points`` also pass through the point encoder (output
        unused), as the release's joint forward moves that encoder's BatchNorm statistics too.
        """
        if "image_embedding" in batch:
            return batch["image_embedding"]
        views = batch["views"]
        if self.training and self.config.image_augment:
            views = augment_views(views)
        if self.training and self.config.defects.bn_updates_in_frozen_backbone and "points" in batch:
            with torch.no_grad():
                self.embed_points(batch["points"])
        return self.embed_views(views)

    def _incremental_losses(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        adapted = self.adapt(self.image_embedding(batch))
        labels = torch.as_tensor(batch["label"], device=adapted.device)
        logits = self.classifier(adapted)
        losses = {"ce": classification_loss(logits, labels, self.config.defects.double_softmax)}
        if self.config.proto_reg_weight > 0:
            losses["proto"] = self.config.proto_reg_weight * prototype_regularisation(
                adapted, labels, self.classifier.weight, self.config.proto_reg_over
            )
        return losses

    def evaluation_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        points = batch["points"]
        if self.config.defects.augment_test_points:
            points = self._augment(points)
        return {"pred": self(points).argmax(-1), "target": torch.as_tensor(batch["label"])}

    # -- prototypes -----------------------------------------------------------------------------
    @torch.no_grad()
    def replace_prototypes(self, class_ids: list[int], embeddings: torch.Tensor, labels: torch.Tensor) -> None:
        """Set each class's row to the mean adapted image embedding of its samples.

        Raises:
            InputError: if a class has no sample among ``labels``.
        """
        adapted = self.adapt(embeddings.to(self.classifier.weight.device))
        labels = labels.to(adapted.device)
        rows = []
        for cls in class_ids:
            mask = labels == cls
            if not mask.any():
                raise InputError(f"Cannot build the prototype of class {cls}: it has no training sample.")
            rows.append(adapted[mask].mean(0))
        self.classifier.set_rows(class_ids, torch.stack(rows))

    # -- prediction (zoo.predict) ---------------------------------------------------------------
    def processor(self) -> Any:
        """Point sampling and normalisation of ``zoo.predict`` inputs (settings from this config)."""
        from zoo_cmip_cil.processor import PointCloudProcessor

        cfg = self.config
        return PointCloudProcessor(num_points=cfg.num_points, mesh_rotate_x_deg=cfg.mesh_rotate_x_deg)

    def predict_step(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        """One forward over ``batch["points"]`` ``[B, N, 3]``: each item's class, probability and top-k.

        Raises:
            InputError: if the classifier has no classes yet.
        """
        if self.classifier.num_classes == 0:
            raise InputError("This model has no classes yet: run an incremental stage or load a checkpoint.")
        probs = self(batch["points"]).float().softmax(-1).cpu()
        top = probs.topk(min(self.config.top_k, probs.shape[1]), dim=-1)
        names = self.config.class_names
        outputs = []
        for scores, rows in zip(top.values.tolist(), top.indices.tolist()):
            ranked = [{"label": names[r] if r < len(names) else str(r), "index": r, "probability": s}
                      for r, s in zip(rows, scores)]
            outputs.append({"label": ranked[0]["label"], "index": rows[0], "probability": scores[0], "top_k": ranked})
        return outputs

    def render(self, item: Any, outputs: dict[str, Any], out_dir: Path, stem: str) -> list[Path]:
        """The rendered views of the input and its point cloud, titled with the class and the top-k."""
        from zoo_cmip_cil.predict import draw_prediction

        return [draw_prediction(item, outputs, Path(out_dir) / f"{stem}.png")]

    def example_inputs(self) -> tuple[torch.Tensor]:
        if self.classifier.num_classes == 0:
            self.classifier.add_classes(2)
        return (torch.rand(2, 64, 3) - 0.5,)


def classification_loss(logits: torch.Tensor, labels: torch.Tensor, double_softmax: bool = False) -> torch.Tensor:
    """Cross-entropy on ``logits``; with ``double_softmax`` on their softmax (the release's defect)."""
    return F.cross_entropy(logits.softmax(-1) if double_softmax else logits, labels)

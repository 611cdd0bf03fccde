"""``model/cmip-cil``: cross-modal pre-training, then image-trained, point-tested incremental stages."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field

import zoo
from zoo.components import build_part
from zoo.config import OptionalPart, Part, PartRef
from zoo.errors import InputError
from zoo_cmip_cil.losses import augment_points, nt_xent


class Defects(zoo.ComponentConfig):
    """Switches that reproduce the released code's defects (all off: fixed)."""

    double_softmax: bool = Field(False, description="cross-entropy on softmax outputs")
    bn_updates_in_frozen_backbone: bool = Field(False, description="frozen backbone's BatchNorm stays in train mode")
    augment_test_points: bool = Field(False, description="test clouds get the training augmentations")
    pretrain_class_subset: int | None = Field(None, ge=1, description="pre-train on only the first N classes (runner)")


class CMIPCIL(zoo.Model):
    """Point encoder + image encoder with projection heads, a shared adapter and a cosine classifier.

    ``stage="pretrain"``: ``training_step`` returns the intra-modal (two augmented point copies)
    and cross-modal (their mean vs the view-averaged image embedding) NT-Xent losses.
    ``stage="incremental"``: encoders and heads are frozen; only the adapter and the classifier
    learn, from images (``views`` or cached ``image_embedding``); evaluation uses point clouds.
    """

    metric = "classification"

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
        up_axis: int = Field(2, ge=0, le=2, description="axis of the augmentation's rotation (ModelNet40: z)")
        stage: Literal["pretrain", "incremental"] = "pretrain"
        class_names: list[str] = Field(default_factory=list, description="names of the classifier's rows")
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
        """Renders ``[B, V, H, W, 3]`` → projected, view-averaged embeddings ``[B, embed_dim]``."""
        return self.image_head(self.image_encoder(views))

    def adapt(self, embedding: torch.Tensor) -> torch.Tensor:
        return embedding if self.adapter is None else self.adapter(embedding)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """Class scores ``[B, C]`` of point clouds ``[B, N, 3]`` (the cross-modal inference path)."""
        return self.classifier(self.adapt(self.embed_points(points)))

    # -- engine steps ---------------------------------------------------------------------------
    def training_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        if self.config.stage == "pretrain":
            return self._pretrain_losses(batch)
        return self._incremental_losses(batch)

    def _pretrain_losses(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        points = batch["points"]
        first = self.embed_points(augment_points(points, up_axis=self.config.up_axis))
        second = self.embed_points(augment_points(points, up_axis=self.config.up_axis))
        image = self.embed_views(batch["views"])
        tau = self.config.temperature
        return {"intra": nt_xent(first, second, tau), "cross": nt_xent((first + second) / 2, image, tau)}

    def image_embedding(self, batch: dict[str, Any]) -> torch.Tensor:
        """Frozen image embedding of a batch: cached ``image_embedding`` if present, else from ``views``."""
        if "image_embedding" in batch:
            return batch["image_embedding"]
        return self.embed_views(batch["views"])

    def _incremental_losses(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        adapted = self.adapt(self.image_embedding(batch))
        labels = torch.as_tensor(batch["label"], device=adapted.device)
        logits = self.classifier(adapted)
        if self.config.defects.double_softmax:  # the released code's CE on probabilities
            logits = logits.softmax(dim=-1)
        losses = {"ce": F.cross_entropy(logits, labels)}
        if self.config.proto_reg_weight > 0:
            losses["proto"] = self.config.proto_reg_weight * prototype_regularisation(
                adapted, labels, self.classifier.weight
            )
        return losses

    def evaluation_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        points = batch["points"]
        if self.config.defects.augment_test_points:
            points = augment_points(points, up_axis=self.config.up_axis)
        return {"pred": self(points).argmax(-1), "target": torch.as_tensor(batch["label"])}

    # -- prototypes -----------------------------------------------------------------------------
    @torch.no_grad()
    def replace_prototypes(self, class_ids: list[int], embeddings: torch.Tensor, labels: torch.Tensor) -> None:
        """Set each class's row to the mean adapted image embedding of its training samples.

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

    # -- files ----------------------------------------------------------------------------------
    @torch.no_grad()
    def predict_files(self, inputs: list[str], output_dir: str | None = None) -> dict[str, Any]:
        """Classify point clouds (``.npy``/``.txt``/``.xyz``) or meshes (``.off``/``.obj``, 1024 points sampled).

        Raises:
            InputError: if a file has an unsupported suffix or the classifier has no classes.
        """
        if self.classifier.num_classes == 0:
            raise InputError("This model has no classes yet: run an incremental stage or load a checkpoint.")
        self.eval()
        results = {}
        for path in inputs:
            points = torch.from_numpy(load_points(path)).unsqueeze(0).to(self.classifier.weight.device)
            probs = self(points).softmax(-1)[0].cpu()
            index = int(probs.argmax())
            name = self.config.class_names[index] if index < len(self.config.class_names) else str(index)
            results[path] = {"class": name, "index": index, "probability": float(probs[index])}
        return results

    def example_inputs(self) -> tuple[torch.Tensor]:
        if self.classifier.num_classes == 0:
            self.classifier.add_classes(2)
        return (torch.rand(2, 64, 3) - 0.5,)


def prototype_regularisation(adapted: torch.Tensor, labels: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """Mean over the batch's classes of ``1 − cos(row_c (detached), mean adapted embedding of c)``."""
    classes = labels.unique()
    means = torch.stack([adapted[labels == c].mean(0) for c in classes])
    return (1 - F.cosine_similarity(means, rows[classes].detach(), dim=-1)).mean()


def load_points(path: str, num_points: int = 1024, seed: int = 0) -> np.ndarray:
    """A normalised ``[num_points, 3]`` cloud from a point file or a mesh.

    Raises:
        InputError: for an unsupported suffix or an unreadable file.
    """
    from zoo_cmip_cil.mesh import normalise_points, read_mesh, sample_surface

    suffix, rng = Path(path).suffix.lower(), np.random.default_rng(seed)
    if suffix in (".off", ".obj"):
        cloud = sample_surface(read_mesh(path), num_points, rng)
    elif suffix == ".npy":
        cloud = np.load(path)[:, :3]
    elif suffix in (".txt", ".xyz"):
        cloud = np.loadtxt(path, delimiter="," if "," in Path(path).read_text()[:200] else None)[:, :3]
    else:
        raise InputError(f"Cannot read {path}: expected .off, .obj, .npy, .txt or .xyz.")
    cloud = cloud[rng.choice(len(cloud), num_points, replace=len(cloud) < num_points)]
    return normalise_points(cloud).astype(np.float32)

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import zoo
from zoo.errors import InputError
from zoo_cmip_cil.mesh import Mesh, write_off


def _batch(b=4, n=32, size=16):
    torch.manual_seed(0)
    return {"points": torch.rand(b, n, 3) - 0.5,
            "views": torch.randint(0, 256, (b, 2, size, size, 3), dtype=torch.uint8),
            "label": torch.tensor([0, 1, 1, 0])[:b]}


def _bn_means(module):
    return [m.running_mean.clone() for m in module.modules() if isinstance(m, torch.nn.BatchNorm1d)]


def test_point_encoder_is_depth_mer_dgcnn_by_name(tiny_config):
    model = zoo.build("model/cmip-cil", **tiny_config)
    assert model.point_encoder.zoo_name == "encoder/dgcnn"
    assert type(model.point_encoder).__module__ == "zoo_depth_mer.dgcnn"
    assert model.point_head.config.in_dim == 32 and model.image_head.config.in_dim == 1280


def test_pretrain_losses_train_both_encoders(tiny_config):
    model = zoo.build("model/cmip-cil", **tiny_config)
    losses = model.training_step(_batch())
    assert set(losses) == {"intra", "cross"} and all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert model.point_encoder.embed[0].weight.grad.abs().sum() > 0
    assert next(model.image_encoder.parameters()).grad is not None


def test_incremental_stage_freezes_backbone_and_its_batchnorm(tiny_config):
    model = zoo.build("model/cmip-cil", **tiny_config)
    model.freeze_backbone()
    model.classifier.add_classes(2)
    model.train()
    before = _bn_means(model.image_head)
    losses = model.training_step(_batch())
    assert set(losses) == {"ce", "proto"}
    assert all(torch.equal(a, b) for a, b in zip(before, _bn_means(model.image_head)))
    trainable = {n.split(".")[0] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"adapter", "classifier"}


def test_bn_defect_switch_lets_frozen_statistics_move(tiny_config):
    model = zoo.build("model/cmip-cil", defects={"bn_updates_in_frozen_backbone": True}, **tiny_config)
    model.freeze_backbone()
    model.classifier.add_classes(2)
    model.train()
    before = _bn_means(model.image_head)
    model.training_step(_batch())
    assert not all(torch.equal(a, b) for a, b in zip(before, _bn_means(model.image_head)))


def test_double_softmax_switch(tiny_config):
    batch = {"image_embedding": torch.randn(4, 16), "label": torch.tensor([0, 1, 1, 0])}
    fixed = zoo.build("model/cmip-cil", stage="incremental", proto_reg_weight=0.0, **tiny_config)
    fixed.classifier.add_classes(2)
    defect = zoo.build("model/cmip-cil", stage="incremental", proto_reg_weight=0.0,
                       defects={"double_softmax": True}, **tiny_config)
    defect.classifier.add_classes(2)
    defect.load_state_dict(fixed.state_dict())
    logits = fixed.classifier(fixed.adapt(batch["image_embedding"]))
    assert torch.isclose(fixed.training_step(batch)["ce"], F.cross_entropy(logits, batch["label"]))
    assert torch.isclose(defect.training_step(batch)["ce"], F.cross_entropy(logits.softmax(-1), batch["label"]))


def test_augment_test_points_switch(tiny_config):
    batch = _batch()
    model = zoo.build("model/cmip-cil", classifier={"config": {"initial_classes": 3}}, **tiny_config).eval()
    with torch.no_grad():
        scores = model(batch["points"])
        assert torch.equal(model.evaluation_step(batch)["pred"], scores.argmax(-1))
        model.config.defects.augment_test_points = True
        torch.manual_seed(3)
        augmented = model.evaluation_step(batch)
    assert augmented["target"].tolist() == [0, 1, 1, 0]


def test_replace_prototypes_uses_mean_adapted_embedding(tiny_config):
    model = zoo.build("model/cmip-cil", **{**tiny_config, "adapter": None})
    model.classifier.add_classes(2)
    embeddings, labels = torch.randn(6, 16), torch.tensor([0, 0, 1, 1, 1, 0])
    model.replace_prototypes([0, 1], embeddings, labels)
    assert torch.allclose(model.classifier.weight[1], embeddings[labels == 1].mean(0))
    with pytest.raises(InputError, match="no training sample"):
        model.replace_prototypes([0], embeddings, torch.ones(6, dtype=torch.long))


def test_predict_files_reads_meshes_and_clouds(tmp_path, tiny_config):
    model = zoo.build("model/cmip-cil", classifier={"config": {"initial_classes": 2}}, class_names=["a", "b"],
                      **tiny_config)
    box = Mesh([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 1]], [[0, 1, 2], [0, 2, 3], [0, 1, 3]])
    write_off(box, tmp_path / "box.off")
    np.save(tmp_path / "cloud.npy", np.random.default_rng(0).normal(size=(500, 3)))
    out = model.predict_files([str(tmp_path / "box.off"), str(tmp_path / "cloud.npy")])
    assert {r["class"] for r in out.values()} <= {"a", "b"}
    assert all(0 <= r["probability"] <= 1 for r in out.values())
    with pytest.raises(InputError, match="expected .off"):
        model.predict_files([str(tmp_path / "x.png")])


def test_default_model_has_the_spec_dimensions():
    model = zoo.build("model/cmip-cil")
    assert model.image_encoder.config.backbone == "resnet50" and model.image_encoder.out_channels == 2048
    assert model.point_encoder.out_channels == 2048 and model.point_encoder.config.k == 20
    assert (model.point_head.config.in_dim, model.point_head.config.hidden_dim, model.point_head.config.out_dim) == (2048, 1024, 512)
    assert (model.image_head.config.in_dim, model.image_head.config.hidden_dim, model.image_head.config.out_dim) == (2048, 512, 512)
    assert (model.adapter.config.dim, model.adapter.config.bottleneck) == (512, 256)
    assert model.config.temperature == 0.02 and not any(model.config.defects.model_dump().values())

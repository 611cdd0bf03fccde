"""model/cmip-cil: stages, losses, the release's switches and defects, prototypes."""

import math

import pytest
import torch
import torch.nn.functional as F

import zoo
from zoo.sdk import InputError, PretrainedWeightsUnavailableError
from zoo_cmip_cil.augment import PointAugment, augment_points, augment_views
from zoo_cmip_cil.losses import nt_xent, prototype_regularisation


def _batch(b=4, n=32, size=16):
    torch.manual_seed(0)
    return {"points": torch.rand(b, n, 3) - 0.5,
            "views": torch.randint(0, 256, (b, 2, size, size, 3), dtype=torch.uint8),
            "label": torch.tensor([0, 1, 1, 0])[:b]}


def _bn_means(module):
    return [m.running_mean.clone() for m in module.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def test_point_encoder_is_dgcnn_by_registry_name(tiny_config):
    model = zoo.build("model/cmip-cil", **tiny_config)
    assert model.point_encoder.zoo_name == "encoder/dgcnn"
    assert model.point_head.config.in_dim == 32 and model.image_head.config.in_dim == 1280


def test_pretrain_losses_train_both_encoders(tiny_config):
    model = zoo.build("model/cmip-cil", **tiny_config)
    losses = model.training_step(_batch())
    assert set(losses) == {"intra", "cross"} and all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.point_encoder.parameters())
    assert next(model.image_encoder.parameters()).grad is not None


def test_view_pooling_before_or_after_the_head(tiny_config):
    views = _batch()["views"]
    ours = zoo.build("model/cmip-cil", **tiny_config).eval()
    release = zoo.build("model/cmip-cil", view_pooling="after-head", **tiny_config).eval()
    release.load_state_dict(ours.state_dict())
    with torch.no_grad():
        per_view = ours.image_encoder.forward_views(views)
        assert torch.allclose(ours.embed_views(views), ours.image_head(per_view.mean(1)), atol=1e-6)
        assert torch.allclose(release.embed_views(views), ours.image_head(per_view).mean(1), atol=1e-6)


def test_incremental_stage_freezes_backbone_and_its_batchnorm(tiny_config):
    model = zoo.build("model/cmip-cil", **tiny_config)
    model.freeze_backbone()
    model.classifier.add_classes(2)
    model.train()
    before = _bn_means(model)
    losses = model.training_step(_batch())
    assert set(losses) == {"ce", "proto"}
    assert all(torch.equal(a, b) for a, b in zip(before, _bn_means(model)))
    trainable = {n.split(".")[0] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"adapter", "classifier"}


def test_bn_defect_moves_the_statistics_of_both_frozen_encoders(tiny_config):
    model = zoo.build("model/cmip-cil", defects={"bn_updates_in_frozen_backbone": True}, **tiny_config)
    model.freeze_backbone()
    model.classifier.add_classes(2)
    model.train()
    image_before, point_before = _bn_means(model.image_head), _bn_means(model.point_encoder)
    model.training_step(_batch())  # the release's joint forward passes the points too
    assert not all(torch.equal(a, b) for a, b in zip(image_before, _bn_means(model.image_head)))
    assert not all(torch.equal(a, b) for a, b in zip(point_before, _bn_means(model.point_encoder)))


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
        plain = model.evaluation_step(batch)
        assert torch.equal(plain["pred"], model(batch["points"]).argmax(-1))
        model.config.defects.augment_test_points = True
        calls = []
        original = model._augment
        model._augment = lambda points: calls.append(1) or original(points)
        model.evaluation_step(batch)
    assert calls == [1]


def test_image_augmentation_only_while_training(tiny_config, monkeypatch):
    import zoo_cmip_cil.model as module

    seen = []
    monkeypatch.setattr(module, "augment_views", lambda views: seen.append(views.shape) or views)
    model = zoo.build("model/cmip-cil", image_augment=True, **tiny_config)
    model.training_step(_batch())
    model.eval()
    model.image_embedding(_batch())
    assert len(seen) == 1


def test_default_model_has_the_spec_dimensions_and_asks_for_imagenet(tiny_config):
    model = zoo.build("model/cmip-cil", image_encoder={"name": "encoder/resnet50-views", "config": {"pretrained": False}})
    assert model.image_encoder.config.backbone == "resnet50" and model.image_encoder.out_channels == 2048
    assert model.point_encoder.out_channels == 2048 and model.point_encoder.config.k == 20
    assert (model.point_head.config.in_dim, model.point_head.config.hidden_dim, model.point_head.config.out_dim) == (2048, 1024, 512)
    assert (model.image_head.config.in_dim, model.image_head.config.hidden_dim, model.image_head.config.out_dim) == (2048, 512, 512)
    assert (model.adapter.config.dim, model.adapter.config.bottleneck) == (512, 256)
    assert model.config.temperature == 0.02 and not any(model.config.defects.model_dump().values())
    assert model.classifier.config.sigma == 10.0 and model.config.up_axis == 1


def test_pretrained_image_encoder_is_a_loud_error_offline_with_a_cold_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(PretrainedWeightsUnavailableError, match="timm/resnet50.tv_in1k.*zoo download"):
        zoo.build("encoder/resnet50-views")


def test_nt_xent_matches_the_formula():
    torch.manual_seed(0)
    a, b, tau = torch.randn(3, 4), torch.randn(3, 4), 0.5
    z = F.normalize(torch.cat([a, b]), dim=-1)
    sim = (z @ z.t() / tau).exp()
    expected = 0.0
    for i in range(6):
        positive = (i + 3) % 6
        expected += -math.log(sim[i, positive] / (sim[i].sum() - sim[i, i]))
    assert torch.isclose(nt_xent(a, b, tau), torch.tensor(expected / 6), atol=1e-5)
    identical = torch.eye(4)[:3] * 5
    assert nt_xent(identical, identical, 0.02) < 1e-3  # aligned pairs, orthogonal negatives
    with pytest.raises(ValueError, match="B >= 2"):
        nt_xent(torch.randn(1, 4), torch.randn(1, 4))


def test_prototype_regularisation_by_hand_both_normalisations():
    adapted = torch.tensor([[1.0, 0], [0, 1], [1, 1]])
    labels = torch.tensor([0, 0, 1])
    rows = torch.tensor([[1.0, 1], [1, 0], [0, 1], [1, 1]])  # 4 rows, 2 classes in the batch
    # class 0: mean (0.5, 0.5) vs row (1, 1): cos 1; class 1: (1, 1) vs (1, 0): cos 1/sqrt(2)
    cosines = 1 + 1 / math.sqrt(2)
    assert torch.isclose(prototype_regularisation(adapted, labels, rows), torch.tensor(1 - cosines / 2))
    assert torch.isclose(prototype_regularisation(adapted, labels, rows, "all-rows"), torch.tensor(1 - cosines / 4))


def test_augment_points_rotates_about_the_up_axis_and_translates_by_the_box():
    points = torch.rand(4, 256, 3) - 0.5
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    out = augment_points(points, generator=g1)
    assert out.shape == points.shape and not torch.allclose(out, points)
    assert torch.equal(out, augment_points(points, generator=g2))  # seeded
    flat = torch.zeros(1, 64, 3)
    flat[0, :, 0] = torch.linspace(-1, 1, 64)  # extent 2 along x, 0 elsewhere
    relative = augment_points(flat, PointAugment(translate=0.5, translate_relative=True), up_axis=0,
                              generator=torch.Generator().manual_seed(1))
    # Rotation about x keeps the extent (2 along x, 0 along y, z): the shift is bounded by 0.5 x extent.
    centre = (relative.amax(1) + relative.amin(1)) / 2
    assert abs(centre[0, 1]) < 0.06 and abs(centre[0, 2]) < 0.06  # no extent there: jitter only


def test_augment_views_keeps_shape_and_dtype_and_is_seeded():
    views = torch.randint(0, 256, (2, 3, 8, 8, 3), dtype=torch.uint8)
    a = augment_views(views, torch.Generator().manual_seed(0))
    assert a.shape == views.shape and a.dtype == torch.uint8
    assert torch.equal(a, augment_views(views, torch.Generator().manual_seed(0)))
    grey = torch.full((1, 1, 4, 4, 3), 128, dtype=torch.uint8)  # no saturation, no contrast to change
    assert (augment_views(grey, torch.Generator().manual_seed(3)).float().std() < 1)


def test_replace_prototypes_uses_mean_adapted_embedding(tiny_config):
    model = zoo.build("model/cmip-cil", **{**tiny_config, "adapter": None})
    model.classifier.add_classes(2)
    embeddings, labels = torch.randn(6, 16), torch.tensor([0, 0, 1, 1, 1, 0])
    model.replace_prototypes([0, 1], embeddings, labels)
    assert torch.allclose(model.classifier.weight[1], embeddings[labels == 1].mean(0))
    with pytest.raises(InputError, match="no training sample"):
        model.replace_prototypes([0], embeddings, torch.ones(6, dtype=torch.long))

"""model/depth-mer: the MER step contract, training-only augmentation, and refusing mismatched data."""

import pytest
import torch

import zoo
from zoo.sdk import ConfigError
from zoo_depth_mer.augment import AugmentConfig, augment_points


SMALL_SSG = {"name": "encoder/pointnet2-ssg", "config": {"npoints": [32, 8], "nsamples": [[8], [8]],
                                                         "mlps": [[[16]], [[32]]], "global_mlp": [32]}}
PIPELINE = {"num_points": 128, "depth_unit_mm": 0.1}  # as conftest's dataset fixture


def _model(**config):
    torch.manual_seed(0)
    return zoo.build("model/depth-mer", **{"encoder": SMALL_SSG, "pipeline": PIPELINE, **config})


def test_steps_follow_the_mer_contract_and_the_loss_decreases():
    model = _model(class_names=["a", "b", "c", "d"])
    assert model.metric == "mer" and model.metric_options == {"num_classes": 4}
    assert model.task == "micro-expression-recognition"
    batch = {"points": torch.rand(6, 64, 6) * 2 - 1, "label": torch.tensor([0, 1, 2, 3, 0, 1])}
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = model.training_step(batch)["cross_entropy"]
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    out = model.eval().evaluation_step(batch)
    assert out["pred"].dtype == torch.long and out["pred"].shape == (6,) and torch.equal(out["target"], batch["label"])


def test_augmentation_is_applied_in_training_steps_only(dataset):
    model = _model(class_names=list(dataset.classes)).eval()  # eval: dropout/BN fixed, so only augmentation varies
    batch = dataset.collate([dataset[i] for i in range(4)])
    seen = []
    model.forward = lambda points, _orig=model.forward: (seen.append(points.clone()), _orig(points))[1]
    torch.manual_seed(1)
    model.training_step(batch)
    model.evaluation_step(batch)
    model.training_step({**batch, "augment": None})
    assert not torch.allclose(seen[0], batch["points"])  # training: transformed
    assert torch.equal(seen[1], batch["points"]) and torch.equal(seen[2], batch["points"])  # evaluation, augment off


def test_augment_points_rotates_scales_and_shifts_xyz_and_rotates_motion_alike():
    points = torch.tensor([[[1.0, 0.0, 0.5, 0.0, 1.0, 0.2]]])
    cfg = AugmentConfig(rotation_deg=90, scale=(2.0, 2.0), shift=0.0)
    gen = torch.Generator().manual_seed(0)
    out = augment_points(points, cfg, generator=gen)
    angle = (torch.rand(1, generator=torch.Generator().manual_seed(0)) * 2 - 1) * torch.pi / 2
    c, s = torch.cos(angle).item(), torch.sin(angle).item()
    assert torch.allclose(out[0, 0, :3], torch.tensor([2 * c, 2 * s, 1.0]), atol=1e-6)  # R·diag(2)·(1, 0, .5)
    assert torch.allclose(out[0, 0, 3:], torch.tensor([-2 * s, 2 * c, 0.4]), atol=1e-6)  # Δ: same linear map, no shift
    assert torch.equal(augment_points(points, AugmentConfig(enabled=False)), points)
    with pytest.raises(ValueError, match="scale"):
        AugmentConfig(scale=(1.1, 0.9))


def test_a_dataset_with_other_classes_is_refused_with_the_fix(dataset):
    model = _model()  # 3 classes
    batch = dataset.collate([dataset[0], dataset[1]])  # the 7-class setting
    with pytest.raises(ConfigError, match=r"7 classes .* built for 3 .*depth-mer-casme3-7class"):
        model.training_step(batch)
    with pytest.raises(ConfigError, match="7 classes"):
        model.evaluation_step(batch)


def test_points_from_another_pipeline_are_refused_naming_the_fields(dataset):
    model = _model(class_names=list(dataset.classes), pipeline={**PIPELINE, "align": False})
    with pytest.raises(ConfigError, match=r"align: dataset True, model False.*dataset.pipeline.<field> and model.pipeline.<field>"):
        model.training_step(dataset.collate([dataset[0], dataset[1]]))


def test_encoder_swap_is_one_override():
    model = zoo.build("model/depth-mer", encoder={"name": "encoder/dgcnn", "config": {"k": 4, "edge_channels": [8], "emb_dims": 16}})
    assert model.encoder.out_channels == 32 and model.head.config.in_channels == 32
    assert model(torch.rand(2, 20, 6)).shape == (2, 3)

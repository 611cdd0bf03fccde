"""Model: forward shapes, the ablation overrides, losses, DDMEM routing, evaluation and tiling."""

from __future__ import annotations

import pytest
import torch

import zoo
from zoo.sdk import ConfigError


@pytest.mark.parametrize("size", [(64, 64), (50, 77), (17, 33)])
def test_forward_shapes_for_any_size(tiny_model, size):
    h, w = size
    out = tiny_model.eval()(torch.rand(2, 3, h, w))
    assert out.density.shape == (2, 1, -(-h // 4), -(-w // 4))
    assert out.mask_logits.shape == out.density.shape
    assert out.gate_logits.shape == (2, 1, -(-h // 8), -(-w // 8))
    assert (out.density >= 0).all()


def test_default_config_is_vgg16_bn_with_1024_slots_of_256():
    model = zoo.build("model/l2hcount")
    assert model.encoder.out_channels == [256, 512, 512]
    assert tuple(model.memory.banks.shape) == (2, 1024, 256)
    assert model.enhance.config.channels == model.decoder.config.fine_dim


@pytest.mark.parametrize(
    "override, memory, dual, enhance",
    [
        ({"memory": None}, False, None, True),
        ({"enhance": None}, True, True, False),
        ({"memory.config.dual": False}, True, False, True),
        ({"memory": None, "enhance": None}, False, None, False),
    ],
    ids=["no memory", "no HFEM", "single memory", "neither"],
)
def test_ablation_overrides_build_and_run(tiny_overrides, override, memory, dual, enhance):
    model = zoo.build("model/l2hcount", **{**tiny_overrides, **override})
    assert (model.memory is not None) == memory
    assert (model.enhance is not None) == enhance
    if memory:
        assert model.memory.config.dual is dual
        assert model.memory.banks.shape[0] == (2 if dual else 1)
    batch = _batch()
    losses = model.training_step(batch)
    assert ("gate" in losses) == bool(dual)
    assert ("head_mask" in losses) == enhance
    sum(losses.values()).backward()


def test_part_cannot_contradict_what_the_model_imposes(tiny_overrides):
    with pytest.raises(ConfigError, match="dim"):
        zoo.build("model/l2hcount", **{**tiny_overrides, "memory.config.dim": 7})


def _batch(regime=(0, 1)) -> dict[str, torch.Tensor]:
    density = torch.zeros(len(regime), 1, 8, 8)
    density[:, 0, 3, 4] = 1.0
    return {
        "image": torch.rand(len(regime), 3, 32, 32),
        "density": density,
        "count": torch.ones(len(regime)),
        "regime": torch.tensor(regime),
    }


def test_training_losses_are_the_documented_terms(tiny_model):
    batch = _batch()
    losses = tiny_model.training_step(batch)
    assert set(losses) == {"density", "head_mask", "gate"}
    out = tiny_model(tiny_model.normalize(batch["image"]), batch["regime"])
    expected = torch.nn.functional.mse_loss(out.density, batch["density"] * tiny_model.config.density_scale)
    assert losses["density"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert all(torch.isfinite(v) for v in losses.values())


def test_low_crops_train_only_the_low_bank(tiny_model):
    losses = tiny_model.training_step(_batch(regime=(0, 0)))
    sum(losses.values()).backward()
    grad = tiny_model.memory.banks.grad
    assert grad[0].abs().sum() > 0 and grad[1].abs().sum() == 0


def test_inference_fuses_both_banks_by_the_gate(tiny_model):
    memory = tiny_model.memory.eval()
    feats = torch.randn(1, memory.config.dim, 3, 3)
    out = memory(feats)
    gate = torch.sigmoid(memory.gate(feats))
    expected = feats + gate * memory.read(feats, 1) + (1 - gate) * memory.read(feats, 0)
    torch.testing.assert_close(out.features, expected)


def test_evaluation_step_counts_whole_images(tiny_model):
    tiny_model.eval()
    batch = _batch()
    out = tiny_model.evaluation_step(batch)
    assert set(out) == {"pred_count", "gt_count"} and out["pred_count"].shape == (2,)
    direct = tiny_model(tiny_model.normalize(batch["image"][:1])).density.sum() / tiny_model.config.density_scale
    assert out["pred_count"][0].item() == pytest.approx(direct.item(), rel=1e-5)


def _local_density(tile: torch.Tensor) -> torch.Tensor:
    """A stand-in for the model whose density at a stride-4 cell depends only on that cell's pixels."""
    h, w = tile.shape[-2:]
    padded = torch.nn.functional.pad(tile.float(), (0, -w % 4, 0, -h % 4))
    return torch.nn.functional.avg_pool2d(padded[None], 4)[0].sum(0)


def test_tiles_partition_the_density_map():
    from zoo_l2hcount.tiling import tiled_density

    image = torch.rand(3, 230, 301)
    whole = _local_density(image)
    calls = []
    tiled = tiled_density(image, _local_density, tile_size=64, stride=4, multiple=16, progress=lambda d, t: calls.append((d, t)))
    assert whole.shape == tiled.shape == (58, 76)
    torch.testing.assert_close(tiled, whole)
    assert calls[-1] == (20, 20) and len(calls) == 20  # 4 rows × 5 columns of 64-px tiles


def test_padding_of_mixed_sizes_is_not_counted(tiny_model):
    tiny_model.eval()
    small = torch.rand(3, 40, 28)
    batch = {"image": torch.nn.functional.pad(small, (0, 36, 0, 24))[None], "count": torch.ones(1),
             "size": torch.tensor([[40, 28]])}
    alone = tiny_model(tiny_model.normalize(small[None])).density.sum() / tiny_model.config.density_scale
    assert tiny_model.evaluation_step(batch)["pred_count"][0].item() == pytest.approx(alone.item(), rel=1e-5)


def test_tiling_covers_the_image_exactly_once(tiny_model):
    tiny_model.eval()
    image = tiny_model.normalize(torch.rand(1, 3, 100, 140))[0]
    (whole,) = tiny_model.densities([image])
    tiny_model.config.max_side, tiny_model.config.tile_size = 64, 64
    (tiled,) = tiny_model.densities([image])
    assert tiled.shape == whole.shape == (25, 35)
    # Tiles see 64 px of context, not the whole image: close but not bit-identical to one pass.
    assert tiled.sum().item() == pytest.approx(whole.sum().item(), rel=0.25)


def test_batched_densities_equal_one_image_at_a_time(tiny_model):
    tiny_model.eval()
    images = [tiny_model.normalize(torch.rand(1, 3, h, w))[0] for h, w in ((40, 30), (33, 47), (48, 32), (40, 30))]
    together = tiny_model.densities(images)
    for image, dens in zip(images, together):
        (alone,) = tiny_model.densities([image])
        torch.testing.assert_close(dens, alone)

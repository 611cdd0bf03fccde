"""The two optional terms: HFEM's feature consistency (original vs shifted) and DDMEM's attention
consistency (two photometric views, as MPCount)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import zoo
from zoo.sdk import ConfigError
from zoo_l2hcount import consistency
from zoo_l2hcount.simulation import HighDensitySimulation


def test_copies_say_where_the_original_is_inside_the_simulated_crop():
    rng = np.random.default_rng(3)
    image = rng.random((32, 64, 3)).astype(np.float32)
    for seed in range(5):
        sim, _, copies = HighDensitySimulation(vertical=True, repeats=1)(image, np.zeros((0, 2)), np.random.default_rng(seed))
        assert copies.shape == (2, 2) and (copies % 4 == 0).all()
        expected = np.zeros_like(image)
        for dx, dy in copies:  # each copy: original pixel (x, y) at (x + dx, y + dy), weight λ = 1/2
            ys, xs = np.mgrid[0:32, 0:64]
            sy, sx = ys - dy, xs - dx
            ok = (sy >= 0) & (sy < 32) & (sx >= 0) & (sx < 64)
            expected[ok] += 0.5 * image[sy[ok], sx[ok]]
        np.testing.assert_allclose(sim, expected, atol=1e-6)


def test_two_repeats_give_four_copies():
    sim = HighDensitySimulation(repeats=2)
    _, points, copies = sim(np.zeros((16, 64, 3), np.float32), np.array([[10.0, 5.0]]), np.random.default_rng(0))
    assert copies.shape == (4, 2) and len(points) == 4
    np.testing.assert_allclose(points, np.array([[10.0, 5.0]]) + copies)  # each head moves with its copy


def _features(seed: int = 0) -> torch.Tensor:
    return torch.randn(2, 6, 8, 10, generator=torch.Generator().manual_seed(seed))


def test_feature_consistency_is_zero_when_each_copy_holds_the_original_features():
    original = _features()
    mask = torch.zeros(2, 1, 8, 10)
    mask[1, 0, 2:5, 1:4] = 1  # heads of item 1 (the simulated one)
    copies = torch.tensor([[[0, 0], [0, 0]], [[8, 4], [0, 0]]])  # item 1: one copy moved by (2, 1) cells
    simulated = original.clone()
    simulated[1, :, 3:6, 3:6] = original[1, :, 2:5, 1:4]  # the first copy's heads, where they moved
    regime = torch.tensor([0, 1])
    loss = consistency.feature_consistency(simulated, original, mask, copies[:, :1], regime, stride=4)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)
    # The second copy (not moved) sits where the blend holds other features: a positive loss.
    both = consistency.feature_consistency(simulated, original, mask, copies, regime, stride=4)
    assert both.item() > 0.1
    # Item 0 is not simulated: its features never count, whatever they are.
    noisy = simulated.clone()
    noisy[0] = torch.randn_like(noisy[0])
    assert consistency.feature_consistency(noisy, original, mask, copies[:, :1], regime, 4).item() == pytest.approx(0.0, abs=1e-6)


def test_feature_consistency_trains_only_the_simulated_side():
    original = _features().requires_grad_(True)
    simulated = _features(1).requires_grad_(True)
    mask = torch.ones(2, 1, 8, 10)
    loss = consistency.feature_consistency(simulated, original, mask, torch.zeros(2, 2, 2, dtype=torch.long), torch.tensor([1, 1]), 4)
    loss.backward()
    assert original.grad is None and simulated.grad.abs().sum() > 0


def test_photometric_view_is_seeded_in_range_and_different():
    images = torch.rand(4, 3, 16, 16)
    torch.manual_seed(0)
    first = consistency.photometric_view(images)
    torch.manual_seed(0)
    again = consistency.photometric_view(images)
    torch.testing.assert_close(first, again)
    assert first.shape == images.shape and first.min() >= 0 and first.max() <= 1
    assert (first - images).abs().mean() > 0.01


def _batch(regime=(0, 1)):
    density = torch.zeros(len(regime), 1, 8, 8)
    density[:, 0, 3, 4] = 1.0
    return {"image": torch.rand(len(regime), 3, 32, 32), "density": density, "count": torch.ones(len(regime)),
            "regime": torch.tensor(regime)}


def test_attention_consistency_term_is_mpcounts_mse_of_the_two_views(tiny_overrides, monkeypatch):
    model = zoo.build("model/l2hcount", **tiny_overrides, attention_consistency=10.0)
    losses = model.training_step(_batch())
    assert {"density", "density_view2", "attention_consistency", "head_mask", "gate"} <= set(losses)
    sum(losses.values()).backward()
    assert model.memory.banks.grad.abs().sum() > 0
    # Two identical views agree exactly: the term vanishes (it measures only the views' difference).
    monkeypatch.setattr(consistency, "photometric_view", lambda images: images.clone())
    assert model.training_step(_batch())["attention_consistency"].item() == pytest.approx(0.0, abs=1e-9)


def test_feature_consistency_runs_on_dataset_batches(tiny_overrides, tmp_path):
    from zoo_l2hcount.synth import make_synthetic_shanghaitech

    make_synthetic_shanghaitech(tmp_path / "d", train=2, test=0, seed=1)
    data = zoo.build("dataset/shanghaitech", root=str(tmp_path / "d"), crop_size=64, simulate_prob=1.0, keep_original=True)
    batch = data.collate([data[0], data[1]])
    assert batch["original"].shape == batch["image"].shape and batch["copies"].shape == (2, 2, 2)
    model = zoo.build("model/l2hcount", **tiny_overrides, feature_consistency=0.1)
    losses = model.training_step(batch)
    assert losses["feature_consistency"].item() > 0
    sum(losses.values()).backward()
    without = {k: v for k, v in batch.items() if k not in ("original", "original_density", "copies")}
    with pytest.raises(ConfigError, match="keep_original"):
        model.training_step(without)


def test_each_term_needs_its_module(tiny_overrides):
    with pytest.raises(ConfigError, match="HFEM"):
        zoo.build("model/l2hcount", **tiny_overrides, enhance=None, feature_consistency=0.1)
    with pytest.raises(ConfigError, match="DDMEM"):
        zoo.build("model/l2hcount", **tiny_overrides, memory=None, attention_consistency=1.0)

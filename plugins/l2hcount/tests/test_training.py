"""Training really learns (one batch overfitted), and the real-data recipe trains through the engine."""

from __future__ import annotations

import torch

import zoo


def test_one_batch_is_overfitted(tiny_model, tmp_path):
    from zoo_l2hcount.synth import make_synthetic_shanghaitech

    make_synthetic_shanghaitech(tmp_path, train=2, test=0, seed=4)
    data = zoo.build("dataset/shanghaitech", root=str(tmp_path), split="train", crop_size=64, simulate_prob=0.5)
    torch.manual_seed(0)
    batch = data.collate([data[0], data[1], data[0], data[1]])
    optimizer = torch.optim.AdamW(tiny_model.parameters(), lr=3e-3)
    tiny_model.train()
    first = None
    for _ in range(40):
        losses = tiny_model.training_step(batch)
        loss = sum(losses.values())
        first = float(loss.detach()) if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss.detach()) < 0.5 * first


def test_sha_recipe_trains_and_evaluates_with_the_engine(tiny_overrides, tmp_path):
    from zoo.sdk import run_recipe
    from zoo_l2hcount.synth import make_synthetic_shanghaitech

    make_synthetic_shanghaitech(tmp_path / "data", train=4, test=2, seed=5)
    model_overrides = [f"model.{k}={v}" for k, v in tiny_overrides.items()]
    overrides = [*model_overrides, "model.encoder.config.pretrained=false", "dataset.crop_size=64",
                 "train.batch_size=2", "train.epochs=1", "train.progress=false", "train.num_workers=0"]
    result = run_recipe("l2hcount-sha", data=str(tmp_path / "data"), out=str(tmp_path / "run"), overrides=overrides)
    assert result.recipe.dataset.config["subset"] == "low"  # protocol (b): the low half of train
    assert set(result.summary["eval"]) >= {"mae", "mse"}
    assert (result.publish_dir / "model.safetensors").is_file()


def test_the_synthetic_recipe_is_deterministic_on_one_machine(tmp_path):
    """Same seed, same data: bit-identical weights and metrics (seeded crops, loader order, kernels)."""
    from safetensors.torch import load_file

    from zoo.sdk import run_recipe
    from zoo_l2hcount.synth import make_synthetic_shanghaitech

    make_synthetic_shanghaitech(tmp_path / "data", train=4, test=2, seed=2)
    overrides = ["train.max_steps=3", "dataset.repeats=6", "train.checkpoint_every=0"]
    runs = [run_recipe("l2hcount-synth", data=str(tmp_path / "data"), out=str(tmp_path / f"run{i}"), overrides=overrides)
            for i in range(2)]
    first, second = (load_file(str(r.publish_dir / "model.safetensors")) for r in runs)
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
    assert runs[0].summary["eval"] == runs[1].summary["eval"]
    torch.manual_seed(0)  # the recipe's seed: the same initial weights, which training changed
    initial = zoo.build("model/l2hcount", **zoo.info("l2hcount-synth")["config"]).state_dict()
    assert not torch.equal(first["encoder.body.features_0.weight"], initial["encoder.body.features_0.weight"])

"""The single-process Trainer on a toy classifier (seconds each)."""

import json

import pytest
import torch
from pydantic import ValidationError
from toys import ToyClassifier, ToyData, build_toy

from zoo.engine import TrainConfig, Trainer, TrainingError
from zoo.engine.checkpointing import list_checkpoints
from zoo.engine.trainer import total_loss


def _config(tmp_path, **overrides):
    return TrainConfig(**{"epochs": 2, "batch_size": 8, "lr": 0.05, "out_dir": str(tmp_path), "progress": False, **overrides})


def test_fit_learns_uses_collate_and_logs(tmp_path):
    train, test = ToyData(), ToyData(seed=0)
    # num_workers=0: collate runs in this process, where its call count can be read.
    config = _config(tmp_path, epochs=4, log_every=2, num_workers=0)
    trainer = Trainer(build_toy(), config, train_data=train, eval_data=test)
    before = trainer.evaluate()["accuracy"]
    result = trainer.fit()
    assert result["step"] == 16 and result["epoch"] == 4  # 32 samples / 8 per batch * 4 epochs
    assert result["eval"]["accuracy"] >= 0.9 > before
    assert set(result["train"]) == {"loss", "ce", "l2"}
    assert train.collate_calls == 16
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds.count("step") == 8 and kinds.count("epoch") == 4 and kinds.count("eval") == 4
    step = next(r for r in records if r["kind"] == "step")
    assert step["loss"] == pytest.approx(step["ce"] + step["l2"], rel=1e-5)
    assert [r["epoch"] for r in records if r["kind"] == "epoch"] == [1, 2, 3, 4]
    assert [p.name for p in list_checkpoints(tmp_path)] == ["ckpt-s000000012-e00003-b0000000", "ckpt-s000000016-e00004-b0000000"]


def test_evaluate_matches_a_manual_count(tmp_path):
    model, data = build_toy(seed=3), ToyData(size=20, seed=5)
    with torch.no_grad():
        expected = (model(data.x).argmax(1) == data.y).float().mean().item()
    assert Trainer(model, _config(tmp_path, batch_size=6)).evaluate(data)["accuracy"] == pytest.approx(expected)


def test_same_seed_gives_identical_weights(tmp_path):
    def run(folder):
        trainer = Trainer(build_toy(dropout=0.3), _config(folder, seed=11), train_data=ToyData(noise=0.1))
        trainer.fit()
        return trainer.model.state_dict()

    first, second = run(tmp_path / "a"), run(tmp_path / "b")
    assert all(torch.equal(first[k].cpu(), second[k].cpu()) for k in first)


def test_max_steps_stops_mid_epoch_and_cosine_reaches_zero(tmp_path):
    trainer = Trainer(build_toy(), _config(tmp_path, epochs=3, max_steps=6, scheduler="cosine"), train_data=ToyData())
    result = trainer.fit()
    assert (result["step"], result["epoch"], trainer.position.batch_in_epoch) == (6, 1, 2)
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)


def test_sgd_with_momentum_and_grad_clip(tmp_path):
    trainer = Trainer(build_toy(), _config(tmp_path, optimizer="sgd", momentum=0.5, grad_clip=0.1), train_data=ToyData())
    assert isinstance(trainer.optimizer, torch.optim.SGD)
    assert trainer.optimizer.param_groups[0]["momentum"] == 0.5
    trainer.fit()


def test_train_config_is_strict():
    with pytest.raises(ValidationError, match="extra"):
        TrainConfig(epoch=3)
    with pytest.raises(ValidationError, match="sgd"):
        TrainConfig(optimizer="adamw", momentum=0.5)
    with pytest.raises(ValidationError):
        TrainConfig(scheduler="step")


def test_total_loss_sums_unless_loss_key():
    a, b = torch.tensor(1.5), torch.tensor(2.0)
    assert total_loss({"a": a, "b": b}).item() == pytest.approx(3.5)
    assert total_loss({"loss": b, "a": a}).item() == pytest.approx(2.0)
    with pytest.raises(TrainingError, match="non-empty dict"):
        total_loss(a)
    with pytest.raises(TrainingError, match="scalar"):
        total_loss({"a": torch.ones(3)})


def test_evaluate_without_metric_or_data_fails_clearly(tmp_path):
    class NoMetric(ToyClassifier):
        metric = None

    trainer = Trainer(NoMetric(), _config(tmp_path))
    with pytest.raises(TrainingError, match="needs a dataset"):
        trainer.evaluate()
    with pytest.raises(TrainingError, match="metric is not set"):
        trainer.evaluate(ToyData())
    with pytest.raises(TrainingError, match="train_data"):
        trainer.fit()


def test_loso_folds_pool_counts_through_one_accumulator(tmp_path):
    """Train one model per held-out subject on Subsets; pooled UF1 equals UF1 of all test predictions."""
    from torch.utils.data import Subset

    from zoo.metrics import loso_mer_metrics
    from zoo.protocols import loso_splits

    data = ToyData(size=18, seed=4)
    subjects = [f"s{i % 3}" for i in range(18)]
    pooled, fold_outputs = None, []
    for fold in loso_splits(subjects):
        model = build_toy(seed=1)
        model.metric = "mer"
        trainer = Trainer(model, _config(tmp_path / str(fold.subject), epochs=1), train_data=Subset(data, fold.train))
        trainer.fit()
        pooled = trainer.accumulate(Subset(data, fold.test), pooled)  # Subset: the dataset's collate is found
        with torch.no_grad():
            fold_outputs.append((model(data.x[fold.test].to(trainer.context.device)).argmax(1).cpu(), data.y[fold.test]))
    assert pooled.confusion.sum() == 18
    assert pooled.compute() == pytest.approx(loso_mer_metrics(fold_outputs))


def test_progress_bar_shows_losses_and_metrics(tmp_path, capsys):
    trainer = Trainer(build_toy(), _config(tmp_path, epochs=1, progress=True, log_every=1), train_data=ToyData(), eval_data=ToyData())
    trainer.fit()
    shown = capsys.readouterr().err
    assert "epoch 1/1" in shown and "loss=" in shown and "lr=" in shown
    assert f"accuracy={trainer.last_eval['accuracy']:.4g}" in shown


def test_read_log_keeps_the_last_record_of_a_repeated_step(tmp_path):
    from zoo.engine.run_log import RunLog, read_log

    log = RunLog(tmp_path)
    log.write("step", 2, 0, {"loss": 1.0})
    log.write("step", 4, 0, {"loss": 0.5, "nan": float("nan")})
    log.write("step", 4, 0, {"loss": 0.4})  # the same step again, after a resume from step 2
    records = read_log(tmp_path)
    assert [(r["step"], r["loss"]) for r in records] == [(2, 1.0), (4, 0.4)]
    assert json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[1])["nan"] is None

"""Gradient accumulation, bf16 autocast, the strategy and precision checks, loader workers (CPU)."""

import json
import os
import signal
import warnings

import pytest
import torch
from toys import ToyData, build_toy

from zoo.engine import TrainConfig, Trainer, TrainingInterrupted
from zoo.engine import acceleration
from zoo.engine.checkpointing import load_latest_checkpoint
from zoo.engine.data import resolve_num_workers
from zoo.errors import ConfigError
from zoo.testing.toys import ToyMLP, ToyMLPConfig


def _config(folder, **overrides):
    base = {"epochs": 2, "batch_size": 8, "lr": 0.05, "out_dir": str(folder), "progress": False, "num_workers": 0,
            "scheduler": "cosine", "log_every": 1, "seed": 3}
    return TrainConfig(**{**base, **overrides})


def _train(folder, size=32, **overrides):
    trainer = Trainer(build_toy(seed=2), _config(folder, **overrides), train_data=ToyData(size=size, seed=1))
    result = trainer.fit()
    steps = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    return trainer, result, [r for r in steps if r["kind"] == "step"]


@pytest.mark.parametrize("size", [32, 36])  # 36: each epoch ends with a short group (one micro-batch of 4)
def test_accumulating_two_batches_of_4_equals_one_batch_of_8(tmp_path, size):
    big, big_result, big_steps = _train(tmp_path / "b8", size=size, batch_size=8)
    acc, acc_result, acc_steps = _train(tmp_path / "b4x2", size=size, batch_size=4, accumulate=2)
    # Steps, the schedule and the log count optimizer steps, not micro-batches.
    assert acc_result["step"] == big_result["step"] == 2 * -(-size // 8)
    assert [r["step"] for r in acc_steps] == [r["step"] for r in big_steps] == list(range(1, acc_result["step"] + 1))
    assert [r["lr"] for r in acc_steps] == pytest.approx([r["lr"] for r in big_steps], abs=1e-12)
    assert acc.optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)  # cosine over optimizer steps
    # The logged loss of a step is the mean over its micro-batches: the big batch's mean.
    assert [r["loss"] for r in acc_steps] == pytest.approx([r["loss"] for r in big_steps], rel=1e-5)
    for key, value in big.model.state_dict().items():
        torch.testing.assert_close(acc.model.state_dict()[key], value, rtol=1e-5, atol=1e-6)


def test_accumulation_changes_the_result(tmp_path):
    # The equivalence above is not vacuous: 4 steps of 4 samples end elsewhere than 2 steps of 8.
    small, _, _ = _train(tmp_path / "b4", batch_size=4)
    big, _, _ = _train(tmp_path / "b8", batch_size=8)
    assert not torch.allclose(small.model.hidden.weight, big.model.hidden.weight, atol=1e-3)


class DtypeProbe(ToyMLP):
    """Records the dtype of the first layer's output in each training and evaluation step."""

    seen: list

    def training_step(self, batch):
        self.seen.append(("train", self.hidden(batch["x"]).dtype))
        return super().training_step(batch)

    def evaluation_step(self, batch):
        self.seen.append(("eval", self.hidden(batch["x"]).dtype))
        return super().evaluation_step(batch)


def _probe(seed=2):
    torch.manual_seed(seed)
    model = DtypeProbe(ToyMLPConfig(hidden=32))
    model.seen = []
    return model


def test_bf16_autocasts_steps_and_keeps_fp32_weights_and_loss_curve(tmp_path):
    curves = {}
    for precision in ("fp32", "bf16"):
        model = _probe()
        config = _config(tmp_path / precision, precision=precision, epochs=4, batch_size=4)
        trainer = Trainer(model, config, train_data=ToyData(size=32, seed=1), eval_data=ToyData(size=12, seed=1))
        result = trainer.fit()
        log = [json.loads(line) for line in (tmp_path / precision / "metrics.jsonl").read_text().splitlines()]
        curves[precision] = [r["loss"] for r in log if r["kind"] == "step"]
        expected = torch.bfloat16 if precision == "bf16" else torch.float32
        assert {dtype for _, dtype in model.seen} == {expected}
        assert {kind for kind, _ in model.seen} == {"train", "eval"}
        assert all(p.dtype == torch.float32 for p in model.parameters())  # master weights stay fp32
        inputs = torch.zeros(2, 4, device=trainer.context.device)
        assert model(inputs).dtype == torch.float32  # the model's own forward is not autocast
        assert result["eval"]["accuracy"] >= 0.75  # learned (3 classes: chance is 1/3)
    # Stated tolerance: bf16 keeps 8 bits of mantissa (~0.4% per rounding); on this toy every step's
    # loss stays within 0.03 + 3% of the fp32 loss over 32 steps.
    assert len(curves["bf16"]) == len(curves["fp32"]) == 32
    for step, (low, full) in enumerate(zip(curves["bf16"], curves["fp32"]), 1):
        assert abs(low - full) <= 0.03 + 0.03 * full, (step, low, full)
    assert curves["bf16"] != curves["fp32"]  # bf16 really ran


def test_fp16_on_cpu_and_a_contradicting_launcher_are_refused(tmp_path, monkeypatch):
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="fp16 needs a GPU"):
            Trainer(build_toy(), _config(tmp_path, precision="fp16"), train_data=ToyData())
    monkeypatch.setitem(acceleration._LAUNCHER, "fsdp", True)
    with pytest.raises(ConfigError, match="launched with an accelerate config for fsdp.*train.strategy='ddp'"):
        Trainer(build_toy(), _config(tmp_path), train_data=ToyData())


def test_fsdp_in_one_process_trains_like_ddp_and_precisions_alternate_in_one_process(tmp_path):
    # One process has nothing to shard: strategy=fsdp then trains exactly as ddp, so a recipe meant
    # for a cluster can be smoke-tested on a laptop. Alternating precisions needs no restart.
    runs = {}
    for name, fields in [("ddp", {}), ("bf16", {"precision": "bf16"}), ("fsdp", {"strategy": "fsdp"})]:
        trainer = Trainer(build_toy(seed=2), _config(tmp_path / name, **fields), train_data=ToyData(size=16, seed=1))
        trainer.fit()
        runs[name] = trainer.model.state_dict()
    assert all(torch.equal(runs["ddp"][k], runs["fsdp"][k]) for k in runs["ddp"])
    assert not all(torch.equal(runs["ddp"][k], runs["bf16"][k]) for k in runs["ddp"])


def test_sigterm_inside_an_accumulation_group_stops_at_its_end_and_resumes_bit_identically(tmp_path):
    def reference():
        trainer = Trainer(build_toy(seed=2, dropout=0.3), _config(tmp_path / "ref", batch_size=4, accumulate=3),
                          train_data=ToyData(size=32, seed=1, noise=0.1))
        trainer.fit()
        return trainer.model.state_dict()

    model = build_toy(seed=2, dropout=0.3)
    inner, micro = model.training_step, [0]

    def training_step(batch):  # SIGTERM during micro-batch 5, the middle of step 2's group (4, 5, 6)
        micro[0] += 1
        if micro[0] == 5:
            os.kill(os.getpid(), signal.SIGTERM)
        return inner(batch)

    model.training_step = training_step
    config = _config(tmp_path / "run", batch_size=4, accumulate=3)
    with pytest.raises(TrainingInterrupted, match="at step 2"):
        Trainer(model, config, train_data=ToyData(size=32, seed=1, noise=0.1)).fit()
    position = load_latest_checkpoint(tmp_path / "run").position
    assert (position.step, position.batch_in_epoch) == (2, 6)  # the group's end, not micro-batch 5
    resumed = Trainer(build_toy(seed=7, dropout=0.3), config, train_data=ToyData(size=32, seed=1, noise=0.1), resume=True)
    resumed.fit()
    expected = reference()
    assert all(torch.equal(expected[k], v) for k, v in resumed.model.state_dict().items())


def test_num_workers_default_follows_the_machine(monkeypatch):
    for cpus, local_world, expected in [(2, "1", 1), (1, "1", 1), (16, "1", 4), (6, "1", 4), (16, "4", 3), (2, "2", 1)]:
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid, n=cpus: set(range(n)))
        monkeypatch.setenv("LOCAL_WORLD_SIZE", local_world)
        assert resolve_num_workers(None) == expected, (cpus, local_world)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    assert (resolve_num_workers(8), resolve_num_workers(1), resolve_num_workers(0)) == (2, 1, 0)


def test_default_workers_train_without_warnings_and_worker_count_does_not_change_results(tmp_path, monkeypatch):
    runs = []
    for workers in (None, 2):
        config = _config(tmp_path / str(workers), num_workers=workers, epochs=2)
        trainer = Trainer(build_toy(seed=2), config, train_data=ToyData(size=24, seed=1, noise=0.5))
        assert trainer.num_workers >= 1
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. torch's "suggested max number of worker" warning
            trainer.fit()
        runs.append(trainer.model.state_dict())
    # Augmentation (noise) is seeded per item from (seed, epoch, index), not per worker.
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])

"""Interrupted runs resume to bit-identical weights (deterministic mode, same seed)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from run_toy import DATA, RUN
from safetensors.torch import load_file
from toys import ToyData, build_toy

from zoo.engine import CheckpointError, CheckpointWarning, TrainConfig, Trainer
from zoo.engine.checkpointing import list_checkpoints, load_latest_checkpoint

HERE = Path(__file__).parent
REPO = HERE.parent.parent


class Interrupt(Exception):
    """Raised by a step hook to kill a run mid-epoch."""


@pytest.fixture(autouse=True)
def _restore_determinism():
    yield
    torch.use_deterministic_algorithms(False)


def _uninterrupted(folder: Path, batch_size: int = 8, **settings: object) -> dict[str, torch.Tensor]:
    torch.set_num_threads(1)
    config = TrainConfig(**{**RUN, "batch_size": batch_size, "out_dir": str(folder), **settings})
    trainer = Trainer(build_toy(dropout=0.3), config, train_data=ToyData(**DATA))
    trainer.fit()
    return trainer.model.state_dict()


def _assert_bit_identical(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key].cpu(), b[key].cpu()), key


def test_resume_after_an_exception_mid_epoch_is_bit_identical(tmp_path):
    reference = _uninterrupted(tmp_path / "reference")

    def crash_at_step_7(trainer, losses):  # epoch 1 spans steps 6..10 (5 batches of <= 8 of 36)
        if trainer.position.step == 7:
            raise Interrupt

    config = TrainConfig(**{**RUN, "batch_size": 8, "out_dir": str(tmp_path / "run")})
    with pytest.raises(Interrupt):
        Trainer(build_toy(dropout=0.3), config, train_data=ToyData(**DATA), hooks=[crash_at_step_7]).fit()
    position = load_latest_checkpoint(tmp_path / "run").position
    assert (position.step, position.epoch, position.batch_in_epoch) == (6, 1, 1)
    torch.manual_seed(1234)  # scramble the global RNG: resume must restore it
    resumed = Trainer(build_toy(seed=99, dropout=0.3), config, train_data=ToyData(**DATA), resume=True)
    assert resumed.fit()["step"] == 15
    _assert_bit_identical(reference, resumed.model.state_dict())


def test_resumed_bf16_run_is_bit_identical_to_an_uninterrupted_one(tmp_path):
    reference = _uninterrupted(tmp_path / "reference", precision="bf16")
    assert not all(torch.equal(reference[k], v) for k, v in _uninterrupted(tmp_path / "fp32").items())

    def crash_at_step_8(trainer, losses):
        if trainer.position.step == 8:
            raise Interrupt

    config = TrainConfig(**{**RUN, "batch_size": 8, "precision": "bf16", "out_dir": str(tmp_path / "run")})
    with pytest.raises(Interrupt):
        Trainer(build_toy(dropout=0.3), config, train_data=ToyData(**DATA), hooks=[crash_at_step_8]).fit()
    assert load_latest_checkpoint(tmp_path / "run").position.step == 8
    resumed = Trainer(build_toy(seed=99, dropout=0.3), config, train_data=ToyData(**DATA), resume=True)
    resumed.fit()
    _assert_bit_identical(reference, resumed.model.state_dict())


def test_run_killed_mid_accumulation_resumes_at_a_group_start_to_identical_weights(tmp_path):
    # batch 4, accumulate 2: 9 micro-batches per epoch in groups 2,2,2,2,1 (5 steps); checkpoints every 2 steps.
    out = tmp_path / "killed"
    command = [sys.executable, str(HERE / "run_toy.py"), str(out), "--batch-size", "4", "--accumulate", "2"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([*command, "--micro-sleep", "0.05"], stdout=subprocess.PIPE, text=True, env=env)
    for line in process.stdout:
        if line.strip() == "micro 12":  # epoch 1: forward of the first micro-batch of step 7's group (12, 13)
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    position = load_latest_checkpoint(out).position
    # The newest checkpoint sits at the group boundary before it: step 6, 2 micro-batches into epoch 1.
    assert (position.step, position.epoch, position.batch_in_epoch) == (6, 1, 2)
    subprocess.run([*command, "--resume"], check=True, env=env, timeout=120, capture_output=True)
    reference = _uninterrupted(tmp_path / "reference", batch_size=4, accumulate=2)
    _assert_bit_identical(reference, load_file(str(out / "final-rank0.safetensors")))


@pytest.mark.slow  # the same kill and resume as the accumulation test above, with accumulate=1
def test_run_killed_by_sigkill_resumes_to_identical_weights(tmp_path):
    out = tmp_path / "killed"
    command = [sys.executable, str(HERE / "run_toy.py"), str(out), "--sleep", "0.05"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    for line in process.stdout:
        if line.strip() == "step 8":  # mid epoch 1, after the checkpoint at step 8 may or may not be done
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not (out / "final-rank0.safetensors").exists()
    assert list_checkpoints(out), "no checkpoint was written before the kill"
    subprocess.run([*command[:3], "--resume"], check=True, env=env, timeout=120, capture_output=True)
    _assert_bit_identical(_uninterrupted(tmp_path / "reference"), load_file(str(out / "final-rank0.safetensors")))


# A real process: it must also exit (loader workers ignore SIGTERM and must not block the exit).
def test_sigterm_saves_a_checkpoint_at_that_step_and_resume_is_bit_identical(tmp_path):
    out = tmp_path / "terminated"
    command = [sys.executable, str(HERE / "run_toy.py"), str(out), "--sleep", "0.05"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for line in process.stdout:
        if line.strip() == "step 7":  # no periodic checkpoint at 7 (checkpoint_every=2)
            process.send_signal(signal.SIGTERM)
            break
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1 and "TrainingInterrupted" in stderr and "resume=True" in stderr
    position = load_latest_checkpoint(out).position
    assert position.step >= 7 and position.batch_in_epoch == position.step - 5  # epoch 1 began after step 5
    subprocess.run([*command[:3], "--resume"], check=True, env=env, timeout=120, capture_output=True)
    _assert_bit_identical(_uninterrupted(tmp_path / "reference"), load_file(str(out / "final-rank0.safetensors")))


def test_incomplete_checkpoints_are_ignored(tmp_path):
    _uninterrupted(tmp_path)
    complete = list_checkpoints(tmp_path)[-1]
    (tmp_path / "checkpoints" / ".tmp-ckpt-s000000099-e00009-b0000000-1").mkdir()  # a write in progress: not listed
    assert load_latest_checkpoint(tmp_path).path == complete
    (tmp_path / "checkpoints" / "ckpt-s000000099-e00009-b0000000").mkdir()  # no manifest: never written by us
    with pytest.warns(CheckpointWarning, match="ckpt-s000000099-e00009-b0000000: manifest.json is missing"):
        assert load_latest_checkpoint(tmp_path).path == complete


def test_mid_epoch_resume_with_another_batch_size_is_refused(tmp_path):
    def stop(trainer, losses):
        if trainer.position.step == 3:
            raise Interrupt

    config = TrainConfig(**{**RUN, "batch_size": 8, "out_dir": str(tmp_path)})
    with pytest.raises(Interrupt):
        Trainer(build_toy(), config, train_data=ToyData(**DATA), hooks=[stop]).fit()
    other = config.model_copy(update={"batch_size": 4})
    with pytest.raises(CheckpointError, match="batch_size=8"):
        Trainer(build_toy(), other, train_data=ToyData(**DATA)).fit(resume=True)


def test_checkpoint_holds_no_pickle(tmp_path):
    _uninterrupted(tmp_path)
    files = sorted(p.name for p in list_checkpoints(tmp_path)[-1].iterdir())
    assert files == ["manifest.json", "state.json", "state.safetensors"]
    tensors = load_file(str(list_checkpoints(tmp_path)[-1] / "state.safetensors"))
    assert "rng.torch" in tensors and any(k.startswith("optim.") for k in tensors)

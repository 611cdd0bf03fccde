"""Corrupt checkpoints (issue 10): detected by the manifest's sha256, skipped with a warning, never a raw error."""

import json
import shutil

import pytest
import torch
from toys import ToyData, build_toy

from zoo.engine import CheckpointError, CheckpointWarning, TrainConfig, Trainer
from zoo.engine import checkpointing
from zoo.engine.checkpoint_files import write_manifest
from zoo.engine.checkpointing import list_checkpoints, load_latest_checkpoint

# 36 samples / 8 = 5 steps per epoch, checkpoints every 2 steps, all kept: s2, s4, s5 (epoch end), s6, ...
RUN = dict(epochs=2, batch_size=8, lr=0.05, seed=5, checkpoint_every=2, keep_checkpoints=10, progress=False, deterministic=True,
           num_workers=0, scheduler="cosine")


@pytest.fixture(autouse=True)
def _restore_determinism():
    yield
    torch.use_deterministic_algorithms(False)


def _train(folder, stop_at=None, resume=False):
    class Stop(Exception):
        pass

    def stop(trainer, losses):
        if trainer.position.step == stop_at:
            raise Stop

    trainer = Trainer(build_toy(dropout=0.3), TrainConfig(**RUN, out_dir=str(folder)),
                      train_data=ToyData(size=36, noise=0.1), hooks=[stop] if stop_at else [])
    try:
        trainer.fit(resume=resume)
    except Stop:
        pass
    return trainer


def _flip_byte(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


CORRUPTIONS = {
    "truncated state.safetensors": lambda c: (c / "state.safetensors").write_bytes((c / "state.safetensors").read_bytes()[:100]),
    "broken state.json": lambda c: (c / "state.json").write_text('{"position": ', encoding="utf-8"),
    "missing state.json": lambda c: (c / "state.json").unlink(),
    "missing state.safetensors": lambda c: (c / "state.safetensors").unlink(),
    "flipped byte in state.safetensors": lambda c: _flip_byte(c / "state.safetensors", (c / "state.safetensors").stat().st_size // 2),
    "flipped byte in state.json": lambda c: _flip_byte(c / "state.json", 10),
    "broken manifest.json": lambda c: (c / "manifest.json").write_text("[", encoding="utf-8"),
    "manifest.json without files": lambda c: (c / "manifest.json").write_text('{"format_version": 2}', encoding="utf-8"),
    "missing manifest.json": lambda c: (c / "manifest.json").unlink(),
}
REASONS = {
    "truncated state.safetensors": "state.safetensors has 100 bytes where the manifest recorded",
    "broken state.json": "state.json has 13 bytes where the manifest recorded",
    "missing state.json": "state.json is missing",
    "missing state.safetensors": "state.safetensors is missing",
    "flipped byte in state.safetensors": "state.safetensors does not match its sha256",
    "flipped byte in state.json": "state.json does not match its sha256",
    "broken manifest.json": "manifest.json cannot be read as JSON",
    "manifest.json without files": "manifest.json does not have the expected fields",
    "missing manifest.json": "manifest.json is missing",
}


@pytest.fixture(scope="module")
def run_with_checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    _train(folder, stop_at=7)
    names = [p.name for p in list_checkpoints(folder)]
    assert names == ["ckpt-s000000002-e00000-b0000002", "ckpt-s000000004-e00000-b0000004",
                     "ckpt-s000000005-e00001-b0000000", "ckpt-s000000006-e00001-b0000001"]
    return folder


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_corrupt_newest_checkpoint_is_skipped_with_a_warning_naming_it(run_with_checkpoints, tmp_path, case):
    run = tmp_path / "run"
    shutil.copytree(run_with_checkpoints, run)
    newest = list_checkpoints(run)[-1]
    CORRUPTIONS[case](newest)
    with pytest.warns(CheckpointWarning, match=rf"skipped newer corrupt checkpoint\(s\): {newest.name}: ") as caught:
        loaded = load_latest_checkpoint(run)
    assert REASONS[case] in str(caught[0].message)
    assert loaded.path.name == "ckpt-s000000005-e00001-b0000000" and loaded.position.step == 5
    assert [p.name for p, _ in loaded.skipped] == [newest.name]


def test_resume_falls_back_quarantines_the_corrupt_one_and_ends_bit_identical(run_with_checkpoints, tmp_path):
    reference = _train(tmp_path / "reference").model.state_dict()
    run = tmp_path / "run"
    shutil.copytree(run_with_checkpoints, run)
    newest = list_checkpoints(run)[-1]
    CORRUPTIONS["flipped byte in state.safetensors"](newest)
    with pytest.warns(CheckpointWarning, match=newest.name):
        resumed = _train(run, resume=True)
    assert all(torch.equal(reference[k], v) for k, v in resumed.model.state_dict().items())
    # Moved aside (not deleted, not pruned, not read again); the resumed run rewrote step 6 afresh.
    assert (run / "checkpoints" / f"corrupt-{newest.name}").is_dir()
    assert newest.is_dir() and load_latest_checkpoint(run).position.step == 10


def test_no_good_checkpoint_is_a_checkpoint_error_listing_each(run_with_checkpoints, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(run_with_checkpoints, run)
    for checkpoint, case in zip(list_checkpoints(run), ["missing state.json", "broken state.json",
                                                        "truncated state.safetensors", "flipped byte in state.json"]):
        CORRUPTIONS[case](checkpoint)
    with pytest.raises(CheckpointError, match="No usable checkpoint") as caught:
        _train(run, resume=True)
    message = str(caught.value)
    for checkpoint in list_checkpoints(run):
        assert checkpoint.name in message
    assert "state.json is missing" in message and "Start a fresh run" in message


def test_consistent_manifest_over_a_broken_sidecar_is_reported_not_a_key_error(run_with_checkpoints, tmp_path):
    # Someone rewrote state.json (and the manifest to match): the fields are checked, never a KeyError.
    run = tmp_path / "run"
    shutil.copytree(run_with_checkpoints, run)
    newest = list_checkpoints(run)[-1]
    sidecar = json.loads((newest / "state.json").read_text())
    del sidecar["position"]
    (newest / "state.json").write_text(json.dumps(sidecar))
    write_manifest(newest, checkpointing.FORMAT_VERSION)
    with pytest.warns(CheckpointWarning, match=r"state.json lacks \['position'\]"):
        assert load_latest_checkpoint(run).position.step == 5


def test_a_checkpoint_of_another_format_is_refused_not_skipped(run_with_checkpoints, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(run_with_checkpoints, run)
    newest = list_checkpoints(run)[-1]
    write_manifest(newest, 99)
    with pytest.raises(CheckpointError, match="format 99; this zoo reads format 2"):
        load_latest_checkpoint(run)


def test_older_checkpoints_are_pruned_only_after_the_new_one_verifies(tmp_path, monkeypatch):
    config = TrainConfig(**{**RUN, "keep_checkpoints": 1, "out_dir": str(tmp_path), "epochs": 1})
    Trainer(build_toy(), config, train_data=ToyData(size=36)).fit()
    assert [p.name for p in list_checkpoints(tmp_path)] == ["ckpt-s000000005-e00001-b0000000"]
    real = checkpointing.verify_files
    monkeypatch.setattr(checkpointing, "verify_files", lambda folder, manifest: (
        "state.json is missing" if folder.name.startswith("ckpt-s000000006") else real(folder, manifest)))
    with pytest.raises(CheckpointError, match="failed verification right after it was written"):
        Trainer(build_toy(), config.model_copy(update={"epochs": 2}), train_data=ToyData(size=36)).fit(resume=True)
    # The old checkpoint is still there: the run can still resume from it.
    assert "ckpt-s000000005-e00001-b0000000" in [p.name for p in list_checkpoints(tmp_path)]

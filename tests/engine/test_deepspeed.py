"""train.strategy = "deepspeed": DeepSpeed ZeRO 1/2 over 2 gloo processes (DeepSpeed's CPU accelerator).

The runs are real DeepSpeed engines (stage 1 or 2 optimizer, partitioned fp32 master weights and
moments); each torchrun takes about 8 s here. What is checked: the same weights as DDP / one
process, partitions stored pickle-free that add up to the model, bit-exact resume after SIGKILL
in fp32 and bf16, and the settings the engine refuses.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import torch
from run_toy import DATA, RUN
from safetensors.torch import load_file
from toys import ToyData, build_toy

from zoo.engine import CheckpointError, CheckpointWarning, TrainConfig, Trainer
from zoo.engine import acceleration, deepspeed_zero
from zoo.engine.checkpointing import list_checkpoints, load_latest_checkpoint
from zoo.errors import ConfigError, MissingDependencyError

pytest.importorskip("deepspeed", reason="the deepspeed extra is not installed")

HERE = Path(__file__).parent
REPO = HERE.parent.parent
ENV = {
    **os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    "OMP_NUM_THREADS": "1",
}
needs_two_devices = pytest.mark.skipif(
    torch.cuda.is_available() and torch.cuda.device_count() < 2, reason="2 processes need 2 GPUs under nccl"
)


@pytest.fixture(autouse=True)
def _restore_determinism():
    yield
    torch.use_deterministic_algorithms(False)


def _command(out: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
            str(HERE / "run_toy.py"), str(out), "--strategy", "deepspeed", *options]


def _run(out: Path, *options: str) -> None:
    done = subprocess.run(_command(out, *options), env=ENV, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-6000:]


def _kill_with_children(pid: int) -> None:
    launcher = psutil.Process(pid)
    for process in [*launcher.children(recursive=True), launcher]:
        process.send_signal(signal.SIGKILL)


def _weights(out: Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    return load_file(str(out / "final-rank0.safetensors")), load_file(str(out / "final-rank1.safetensors"))


@needs_two_devices
def test_zero2_trains_like_one_process_and_stores_partitions_that_add_up_to_the_model(tmp_path):
    out = tmp_path / "zero2"
    _run(out, "--batch-size", "2", "--accumulate", "2", "--dropout", "0", "--noise", "0", "--grad-clip", "0.05")
    rank0, rank1 = _weights(out)
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)  # ZeRO 1/2 keep whole replicas in sync

    # The same global batch (2 processes x 2 micro-batches x 2) as one process with batch 8, with the
    # same clipping (DeepSpeed clips the global gradient norm itself, from train.grad_clip).
    torch.set_num_threads(1)
    single = {}
    for clip in (0.05, None):
        config = TrainConfig(**{**RUN, "batch_size": 8, "grad_clip": clip, "out_dir": str(tmp_path / f"one-{clip}")})
        trainer = Trainer(build_toy(dropout=0.0), config, train_data=ToyData(**{**DATA, "noise": 0.0}))
        trainer.fit()
        single[clip] = trainer.model.state_dict()
    for key, value in single[0.05].items():
        torch.testing.assert_close(rank0[key], value, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(single[None]["hidden.weight"], single[0.05]["hidden.weight"], atol=1e-3)  # it clipped

    # The last checkpoint: its ZeRO files are in the manifest, and the two ranks' fp32 master
    # partitions, laid end to end, are the model's parameters flattened in order (fp32 = exact).
    final = list_checkpoints(out)[-1]
    manifest = json.loads((final / "manifest.json").read_text())
    assert {"zero.safetensors", "zero.json"} <= set(json.dumps(manifest).split('"'))
    records = deepspeed_zero.read_partitions(final)
    assert [r["meta"]["zero_stage"] for r in records] == [2, 2]
    flat = torch.cat([records[0]["tensors"]["fp32.0"], records[1]["tensors"]["fp32.0"]])
    model = build_toy(dropout=0.0)
    model.load_state_dict(rank0)
    assert torch.equal(flat, torch.cat([p.detach().reshape(-1) for p in model.parameters()]))
    # Adam's moments are partitioned the same way, the last rank's share padded to equal length.
    moments = [r["tensors"]["optim.0.exp_avg"].numel() for r in records]
    padding = sum(r["meta"]["group_paddings"][0] for r in records)
    assert moments[0] == moments[1] and sum(moments) == flat.numel() + padding
    # safetensors and JSON only: no pickle (protocol 2+ starts with 0x80) nor torch.save's zip ("PK").
    assert sorted(f.name for f in final.iterdir()) == ["manifest.json", "state.json", "state.safetensors", "zero.json", "zero.safetensors"]
    assert not any(f.read_bytes()[:2] == b"PK" or f.read_bytes()[:1] == b"\x80" for f in final.iterdir())

    # The checkpoint needs the layout that wrote it: one process (no partitions) refuses it.
    with pytest.raises(CheckpointError, match="written with DeepSpeed ZeRO partitions"):
        Trainer(build_toy(dropout=0.0), TrainConfig(**{**RUN, "out_dir": str(out)}), train_data=ToyData(**DATA)).fit(resume=True)


@needs_two_devices
@pytest.mark.parametrize("precision, stage", [("fp32", 2), ("bf16", 1)])
def test_zero_run_killed_by_sigkill_resumes_to_identical_weights(tmp_path, precision, stage):
    options = ("--precision", precision, "--zero-stage", str(stage), "--batch-size", "4")
    _run(tmp_path / "reference", *options)

    out = tmp_path / "killed"
    process = subprocess.Popen(
        _command(out, *options, "--sleep", "0.05"), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, env=ENV,
    )
    for line in process.stdout:
        if line.strip() == "step 7":  # mid epoch 1 (5 steps per epoch), after the checkpoint at step 6
            _kill_with_children(process.pid)  # torchrun puts its ranks in their own sessions
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    time.sleep(1)  # a rank that outlived the kill would write its final weights by now
    assert not (out / "final-rank0.safetensors").exists() and not (out / "final-rank1.safetensors").exists()
    assert list_checkpoints(out), "no checkpoint was written before the kill"
    _run(out, *options, "--resume")
    for resumed, reference in zip(_weights(out), _weights(tmp_path / "reference")):
        assert resumed.keys() == reference.keys()
        assert all(torch.equal(resumed[k], reference[k]) for k in reference), precision


@needs_two_devices
def test_a_corrupt_partition_file_falls_back_to_the_older_checkpoint(tmp_path):
    out = tmp_path / "run"
    _run(out, "--batch-size", "4", "--epochs", "1")
    older, newest = list_checkpoints(out)[-2:]
    data = bytearray((newest / "zero.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (newest / "zero.safetensors").write_bytes(bytes(data))
    with pytest.warns(CheckpointWarning, match="zero.safetensors"):
        assert load_latest_checkpoint(out).path == older
    # A sidecar of another shape (its manifest rewritten to match) is a CheckpointError, not a traceback.
    (older / "zero.json").write_text('{"rank": 0}')
    with pytest.raises(CheckpointError, match="not a list of per-rank records"):
        deepspeed_zero.read_partitions(older)
    (older / "zero.json").write_text(json.dumps([{"fp32_groups": 2}]))
    with pytest.raises(CheckpointError, match="rank 0 lacks fp32 master weights"):
        deepspeed_zero.read_partitions(older)


# -- the settings, without processes ----------------------------------------------------------
def _plugin(launched: bool = False, **train: object):
    return deepspeed_zero.deepspeed_plugin(TrainConfig(strategy="deepspeed", **train), world_size=2, launched=launched)


def test_the_plugin_takes_batch_accumulation_clipping_stage_and_precision_from_the_recipe():
    config = _plugin(batch_size=3, accumulate=4, grad_clip=0.5, zero_stage=1, precision="bf16").deepspeed_config
    assert (config["train_micro_batch_size_per_gpu"], config["gradient_accumulation_steps"]) == (3, 4)
    assert config["train_batch_size"] == 3 * 4 * 2
    assert config["gradient_clipping"] == 0.5 and config["zero_optimization"]["stage"] == 1
    # bf16 means autocast with fp32 weights, as under ddp/fsdp; DeepSpeed's 16-bit-weight modes stay off.
    assert config["torch_autocast"] == {"enabled": True, "dtype": "bfloat16"}
    assert config["bf16"] == {"enabled": False} and config["fp16"] == {"enabled": False}
    assert _plugin().deepspeed_config["torch_autocast"]["enabled"] is False
    assert _plugin().deepspeed_config["gradient_clipping"] == 0.0  # grad_clip=None: DeepSpeed does not clip


def test_fp16_offload_stage_contradictions_and_foreign_optimizers_are_refused(monkeypatch):
    with pytest.raises(ConfigError, match="fp16 is not supported with train.strategy=deepspeed"):
        _plugin(precision="fp16")
    with pytest.raises(ValueError, match="zero_stage"):
        TrainConfig(strategy="deepspeed", zero_stage=3)  # stage 3 shards parameters: that is fsdp's job
    monkeypatch.setenv("ACCELERATE_DEEPSPEED_ZERO_STAGE", "3")
    with pytest.raises(ConfigError, match="ZeRO stage 3.*train.zero_stage=2.*fsdp"):
        _plugin(launched=True)
    monkeypatch.setenv("ACCELERATE_DEEPSPEED_ZERO_STAGE", "2")
    monkeypatch.setenv("ACCELERATE_DEEPSPEED_OFFLOAD_OPTIMIZER_DEVICE", "cpu")
    with pytest.raises(ConfigError, match="offload_optimizer to 'cpu' is not supported"):
        _plugin(launched=True)


def test_a_launcher_config_file_that_disagrees_with_the_recipe_is_refused(tmp_path, monkeypatch):
    config_file = tmp_path / "ds.json"
    config_file.write_text(json.dumps({"train_micro_batch_size_per_gpu": 16, "zero_optimization": {"stage": 2}}))
    monkeypatch.setenv("ACCELERATE_DEEPSPEED_CONFIG_FILE", str(config_file))
    with pytest.raises(ConfigError, match="train_micro_batch_size_per_gpu=16.*gives 8.*'auto'"):
        _plugin(launched=True)
    config_file.write_text(json.dumps({"gradient_accumulation_steps": "atuo", "zero_optimization": {"stage": 2}}))
    with pytest.raises(ConfigError, match="gradient_accumulation_steps=atuo"):
        _plugin(launched=True)
    config_file.write_text(json.dumps({"optimizer": {"type": "Adam"}, "zero_optimization": {"stage": 2}}))
    with pytest.raises(ConfigError, match="'optimizer' section"):
        _plugin(launched=True)
    config_file.write_text(json.dumps({"train_micro_batch_size_per_gpu": "auto", "zero_optimization": {"stage": 2}}))
    assert _plugin(launched=True).deepspeed_config["train_micro_batch_size_per_gpu"] == 8


def test_without_deepspeed_installed_the_error_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "deepspeed", None)  # import deepspeed -> ImportError
    with pytest.raises(MissingDependencyError, match="needs the deepspeed package.*pip install"):
        _plugin()


def test_one_plain_process_trains_a_deepspeed_recipe_as_with_ddp(tmp_path):
    config = TrainConfig(**{**RUN, "strategy": "deepspeed", "epochs": 1, "out_dir": str(tmp_path / "one")})
    trainer = Trainer(build_toy(dropout=0.0), config, train_data=ToyData(**DATA))
    assert not acceleration.is_deepspeed(trainer.accelerator)
    trainer.fit()
    assert not deepspeed_zero.has_partitions(list_checkpoints(tmp_path / "one")[-1])


_TWO_TRAINERS = """
import sys
sys.path.insert(0, {here!r})
from toys import ToyData, build_toy
from zoo.engine import TrainConfig, Trainer
from zoo.engine.distributed import teardown_distributed
for index, batch_size in enumerate([2, 4]):
    config = TrainConfig(epochs=1, batch_size=batch_size, strategy="deepspeed", out_dir={out!r} + str(index), progress=False)
    trainer = Trainer(build_toy(dropout=0.0), config, train_data=ToyData(size=36))
    settings = trainer.accelerator.state.deepspeed_plugin.deepspeed_config
    steps = trainer.fit()["step"]
    sys.stdout.write(f"run {{index}} {{settings['train_micro_batch_size_per_gpu']}} {{settings['train_batch_size']}} {{steps}}\\n")
teardown_distributed()
"""


@needs_two_devices
def test_each_trainer_of_a_process_gets_its_own_deepspeed_settings(tmp_path):
    # LOSO folds + the final model, or multi-stage recipes, build several trainers per process;
    # accelerate would keep the first one's DeepSpeed plugin (or refuse the second).
    script = tmp_path / "two_trainers.py"
    script.write_text(_TWO_TRAINERS.format(here=str(HERE), out=str(tmp_path / "run")))
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(script)]
    done = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-4000:]
    lines = sorted(line for line in done.stdout.splitlines() if line.startswith("run "))
    # 36 samples over 2 ranks: 9 micro-batches of 2 per rank, then 5 of 4 (the last one short).
    assert lines == ["run 0 2 4 9", "run 0 2 4 9", "run 1 4 8 5", "run 1 4 8 5"]


@needs_two_devices
def test_partitions_of_another_zero_stage_are_refused_on_resume(tmp_path):
    out = tmp_path / "run"
    _run(out, "--batch-size", "4", "--epochs", "1", "--zero-stage", "2")
    done = subprocess.run(_command(out, "--batch-size", "4", "--epochs", "2", "--zero-stage", "1", "--resume"),
                          env=ENV, capture_output=True, text=True, timeout=240)
    assert done.returncode != 0
    assert "ZeRO stage 2 partitions of 2 process(es); this run has 2 at stage 1" in done.stderr

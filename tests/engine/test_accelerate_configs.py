"""The shipped accelerate launch configs parse with accelerate's own launcher, and the engine reads them."""

import importlib
from pathlib import Path

import pytest

from zoo.engine import acceleration

CONFIGS = Path(__file__).resolve().parents[2] / "docs" / "accelerate"
EXPECTED = {  # name: (distributed type, processes, machines)
    "one_gpu.yaml": ("NO", 1, 1),
    "multi_gpu.yaml": ("MULTI_GPU", 8, 1),
    "multi_node.yaml": ("MULTI_GPU", 16, 2),
    "fsdp.yaml": ("FSDP", 8, 1),
    "fsdp_multi_node.yaml": ("FSDP", 16, 2),
    "deepspeed.yaml": ("DEEPSPEED", 8, 1),
    "deepspeed_multi_node.yaml": ("DEEPSPEED", 16, 2),
}


def test_every_shipped_config_is_listed():
    assert sorted(p.name for p in CONFIGS.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_config_parses_with_accelerate_launch(name):
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils.launch import prepare_multi_gpu_env

    args = launch_command_parser().parse_args(["--config_file", str(CONFIGS / name), "-m", "zoo.cli.main", "train", "r"])
    args = _validate_launch_command(args)[0]
    kind, processes, machines = EXPECTED[name]
    assert (args.num_processes, args.num_machines, args.module) == (processes, machines, True)
    assert args.mixed_precision == "no"  # precision is the recipe's train.precision
    if kind == "NO":
        return
    if kind == "DEEPSPEED":
        return _check_deepspeed_launch(args)
    env = prepare_multi_gpu_env(args)
    assert env.get("ACCELERATE_USE_FSDP", "false") == ("true" if kind == "FSDP" else "false")
    if kind == "FSDP":
        assert env["FSDP_STATE_DICT_TYPE"] == "FULL_STATE_DICT" and env["FSDP_USE_ORIG_PARAMS"] == "true"
        assert env["FSDP_TRANSFORMER_CLS_TO_WRAP"] == "LlamaDecoderLayer"


def test_the_engine_sees_an_fsdp_launcher_and_holds_the_recipe_to_it(monkeypatch):
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    try:
        reloaded = importlib.reload(acceleration)
        assert reloaded._LAUNCHER == {"fsdp": True, "deepspeed": False}
        from zoo.engine import TrainConfig
        from zoo.errors import ConfigError

        with pytest.raises(ConfigError, match="launched with an accelerate config for fsdp"):
            reloaded._check_launcher(TrainConfig().strategy)
        reloaded._check_launcher(TrainConfig(strategy="fsdp").strategy)
    finally:
        monkeypatch.delenv("ACCELERATE_USE_FSDP")
        importlib.reload(acceleration)


def _check_deepspeed_launch(args):
    """accelerate's DeepSpeed launcher environment gives the engine ZeRO 2 with the recipe's batch settings."""
    pytest.importorskip("deepspeed", reason="the deepspeed extra is not installed")
    from accelerate.utils.launch import prepare_deepspeed_cmd_env

    from zoo.engine import TrainConfig
    from zoo.engine.deepspeed_zero import deepspeed_plugin

    args.deepspeed_fields_from_accelerate_config = "zero_stage,offload_optimizer_device,offload_param_device"
    if args.num_machines > 1:  # "standard": accelerate runs torchrun on each node, not DeepSpeed's pdsh runner
        assert args.deepspeed_multinode_launcher == "standard"
    env = {k: v for k, v in prepare_deepspeed_cmd_env(args)[1].items() if k.startswith("ACCELERATE_")}
    assert env["ACCELERATE_USE_DEEPSPEED"] == "true" and env["ACCELERATE_DEEPSPEED_ZERO_STAGE"] == "2"
    patch = pytest.MonkeyPatch()
    try:
        for key, value in env.items():
            patch.setenv(key, value)
        recipe = TrainConfig(strategy="deepspeed", batch_size=2, accumulate=8, precision="bf16")
        config = deepspeed_plugin(recipe, world_size=8, launched=True).deepspeed_config
    finally:
        patch.undo()
    assert (config["gradient_accumulation_steps"], config["train_batch_size"]) == (8, 2 * 8 * 8)
    assert config["zero_optimization"]["stage"] == 2 and config["torch_autocast"]["enabled"] is True

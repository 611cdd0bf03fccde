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

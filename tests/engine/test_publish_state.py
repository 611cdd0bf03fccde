"""The publish folder holds ``Trainer.model_state_dict()`` (under FSDP: the full weights gathered on every
rank), never the module's own, possibly sharded, state; on CPU the gathering is simulated."""

import pytest
import torch
from safetensors.torch import load_file
from toys import write_toy_recipe

from zoo.engine.distributed import DistContext
from zoo.engine.runner import run_recipe
from zoo.engine.trainer import Trainer
from zoo.errors import ConfigError


@pytest.fixture
def gathered(toys, monkeypatch):
    """Trainer.model_state_dict stands in for FSDP's gathering: the module's state + 1 (each call:
    the rank and the module's own state, recorded)."""
    calls = []

    def model_state_dict(self):
        own = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        calls.append((self.context.rank, own))
        return {k: v + 1 for k, v in own.items()}

    monkeypatch.setattr(Trainer, "model_state_dict", model_state_dict)
    return calls


def test_publish_writes_the_gathered_state_not_the_modules_own(gathered, tmp_path):
    import zoo

    recipe = write_toy_recipe(tmp_path)
    result = run_recipe(str(recipe), data=str(tmp_path), out=str(tmp_path / "run"))
    [(rank, own)] = gathered
    saved = load_file(str(result.publish_dir / "model.safetensors"))
    assert rank == 0 and saved.keys() == own.keys()
    assert all(torch.equal(saved[k], own[k] + 1) for k in saved)  # the gathered state, not the module's
    loaded = zoo.load(str(result.publish_dir)).state_dict()  # and the folder loads it (weights_sha256 of it)
    assert all(torch.equal(loaded[k], saved[k]) for k in saved)


def test_every_rank_gathers_and_only_rank_0_writes(gathered, tmp_path, monkeypatch):
    recipe = write_toy_recipe(tmp_path)
    monkeypatch.setattr(DistContext, "is_main", property(lambda self: False))  # this process is rank 1
    result = run_recipe(str(recipe), data=str(tmp_path), out=str(tmp_path / "run"))
    assert [rank for rank, _ in gathered] == [0] and result.publish_dir is None  # it joined the collective, wrote nothing
    assert not (tmp_path / "run" / "publish").exists() and not (tmp_path / "run" / "summary.json").exists()


def test_save_refuses_a_state_dict_with_other_keys(tmp_path, toy_model):
    import zoo

    state = dict(toy_model.state_dict())
    extra = next(iter(state))
    state.pop(extra)
    state["not.a.key"] = torch.zeros(1)
    with pytest.raises(ConfigError, match=rf"missing \['{extra}'\], unexpected \['not.a.key'\].*Trainer.model_state_dict"):
        zoo.save(toy_model, tmp_path / "x", state_dict=state)
    assert not (tmp_path / "x").exists()


def test_a_model_assigned_after_training_is_published_whole_not_the_sharded_one(tmp_path, monkeypatch):
    # cmip-cil's runner trains parts of a model per task, then hands the whole model to the last
    # trainer to publish: under FSDP the gather must not return the trained (sharded) part instead.
    from toys import ToyData, build_toy

    from zoo.engine import TrainConfig, acceleration

    trainer = Trainer(build_toy(), TrainConfig(out_dir=str(tmp_path / "run"), progress=False), train_data=ToyData())
    gathered = {"gathered": torch.ones(1)}
    monkeypatch.setattr(acceleration, "sharded_state", lambda wrapped, optimizer: (gathered, {}))
    trainer._sharded = True  # as under FSDP over several GPUs
    assert trainer.model_state_dict() is gathered
    whole = build_toy()
    trainer.model = whole
    state = trainer.model_state_dict()
    assert state.keys() == whole.state_dict().keys()
    assert all(torch.equal(state[k], v) for k, v in whole.state_dict().items())

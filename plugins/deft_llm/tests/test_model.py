"""DEFT-LLM model: experts' shapes, placeholders, hybrid objective, both readings, ablations."""

from __future__ import annotations

import pytest
import torch

import zoo
from zoo.sdk import ConfigError, PretrainedWeightsUnavailableError, WeightsNotFoundError

from zoo_deft_llm.experts import MotionConfig, MotionSemanticsExpert
from zoo_deft_llm.model import decorrelation_loss

SMALL = {"backbone": "test_resnet", "tokens": 4, "dim": 16}


@pytest.mark.parametrize("name", ["expert/structure", "expert/dynamic-texture", "expert/raw-apex", "expert/flow-texture"])
def test_image_experts_give_pooled_tokens(name):
    expert = zoo.build(name, **SMALL)
    tokens = expert(*expert.example_inputs())
    assert tokens.shape == (2, 4, 16)


def test_texture_expert_sees_only_the_change():
    expert = zoo.build("expert/dynamic-texture", **SMALL, magnify=3.0)
    views = expert.example_inputs()[0]
    image = expert.image(views)
    assert image.shape[1] == 6
    torch.testing.assert_close(image[:, :3], 3.0 * (views["apex"] - views["onset"]))


def test_structure_expert_ignores_apex_and_flow():
    expert = zoo.build("expert/structure", **SMALL).eval()
    views = expert.example_inputs()[0]
    changed = {**views, "apex": torch.rand_like(views["apex"]), "flow": 5 * torch.randn_like(views["flow"])}
    torch.testing.assert_close(expert(views), expert(changed))


def test_motion_expert_is_invariant_to_rigid_translation():
    expert = MotionSemanticsExpert(MotionConfig(dim=16, num_aus=3)).eval()
    views = expert.example_inputs()[0]
    shifted = {**views, "flow": views["flow"] + torch.tensor([2.0, -1.0])[None, :, None, None]}
    tokens = expert(views)
    assert tokens.shape == (2, expert.tokens, 16) and expert.tokens == 17
    torch.testing.assert_close(tokens, expert(shifted), atol=1e-4, rtol=1e-4)
    assert expert.au_logits(tokens).shape == (2, 3)


def test_motion_region_feature_reads_a_local_upward_flow():
    expert = MotionSemanticsExpert(MotionConfig(dim=8, cells=1)).eval()
    flow = torch.zeros(1, 2, 64, 64)
    x0, y0, x1, y1 = (expert.boxes[expert.region_names.index("chin")] * 64).round().int().tolist()
    flow[0, 1, y0:y1, x0:x1] = -1.5  # the chin moves up by 1.5 px
    features = expert.region_features(flow)
    chin = features[0, expert.region_names.index("chin")]
    forehead = features[0, expert.region_names.index("brow_inner_l")]
    assert chin[1].item() == pytest.approx(-1.5, abs=0.2)  # grid value of v (cells=1)
    assert forehead.abs().max().item() < 1e-6


def test_decorrelation_loss_values():
    torch.manual_seed(0)
    a = torch.randn(256, 8)
    assert decorrelation_loss([a, a.clone()]).item() == pytest.approx(1 / 8, rel=0.05)  # only the diagonal is 1
    assert decorrelation_loss([a, torch.randn(256, 8)]).item() < 0.02
    assert decorrelation_loss([a]).item() == 0.0


def test_training_step_has_the_four_terms_and_backpropagates(tiny_model):
    batch = tiny_model.example_inputs()[0]
    losses = tiny_model.training_step(batch)
    assert set(losses) == {"lm", "emotion", "au", "decorrelation", "loss"}
    torch.testing.assert_close(losses["loss"], sum(v for k, v in losses.items() if k != "loss"))
    losses["loss"].backward()
    assert tiny_model.emotion_head[1].weight.grad is not None
    assert tiny_model.projectors["motion"][0].weight.grad is not None
    tiny_model.zero_grad()


def test_lora_freezes_the_base_llm(tiny_model):
    names = [n for n, p in tiny_model.llm.named_parameters() if p.requires_grad]
    assert names and all("lora_" in n for n in names)


def test_evaluation_scores_both_readings(tiny_model):
    batch = tiny_model.example_inputs()[0]
    out = tiny_model.evaluation_step(batch)
    assert out["pred"].shape == (2,) and out["target"].tolist() == [0, 1]
    assert out["pred_generated"].shape == (2,) and len(out["answers"]) == 2
    assert tiny_model.generated_labels(["Caption: x. Emotion: surprise. Reasoning: y", "junk"]).tolist() == [1, -1]


def test_placeholders_match_expert_tokens(tiny_model):
    counts = tiny_model.tokens_per_expert()
    assert counts == {"structure": 4, "texture": 4, "motion": 17}
    ids = torch.tensor([tiny_model.llm.prompt_ids("hi", counts)])
    embedded = tiny_model.llm.embed(ids, {"motion": torch.ones(1, 17, tiny_model.llm.hidden_size),
                                          "structure": torch.zeros(1, 4, tiny_model.llm.hidden_size),
                                          "texture": torch.zeros(1, 4, tiny_model.llm.hidden_size)})
    motion_rows = ids[0] == tiny_model.llm.placeholder_ids["motion"]
    assert torch.all(embedded[0, motion_rows] == 1)
    with pytest.raises(ConfigError, match="placeholders"):
        tiny_model.llm.embed(ids, {"motion": torch.ones(1, 3, tiny_model.llm.hidden_size)})


def test_ablation_swaps_and_drops_experts():
    model = zoo.build("model/deft-llm", experts={"structure": None, "texture": {"name": "expert/raw-apex", "config": SMALL},
                                                 "motion": None}, image_size=32)
    assert list(model.experts) == ["texture"]
    assert type(model.experts["texture"]).__name__ == "RawApexExpert"
    losses = model.training_step(model.example_inputs()[0])
    assert "au" not in losses and "decorrelation" not in losses


def test_imagenet_experts_come_through_the_hub_or_fail_loudly(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(PretrainedWeightsUnavailableError) as info:  # a cold cache offline: never a silent random init
        zoo.build("expert/structure", pretrained=True)
    assert "timm/resnet18.tv_in1k" in str(info.value) and "zoo download timm/resnet18.tv_in1k" in str(info.value)
    with pytest.raises(ConfigError, match="are for 'resnet18', not backbone 'test_resnet'"):
        zoo.build("expert/dynamic-texture", backbone="test_resnet", pretrained=True)
    for name in ("deft-llm-casme2", "deft-llm-megc2019", "deft-llm-casme2-to-samm"):
        experts = zoo.info(name)["config"]["experts"]
        assert experts["structure"]["config"]["pretrained"] is experts["texture"]["config"]["pretrained"] is True
    synthetic = zoo.info("deft-llm-synth")["config"]["experts"]
    assert "pretrained" not in synthetic["structure"]["config"]  # test_resnet has no ImageNet weights: random init


def test_missing_real_llm_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsNotFoundError, match="`hf download Qwen/Qwen2.5-0.5B-Instruct` .*HF_HUB_OFFLINE"):
        zoo.build("model/deft-llm", llm={"pretrained": "Qwen/Qwen2.5-0.5B-Instruct", "tokenizer": None})


def test_a_local_pretrained_llm_folder_loads_with_its_own_tokenizer(tmp_path):
    """The real-LLM path (AutoModelForCausalLM/AutoTokenizer from a folder), with a tiny Qwen2 saved here."""
    from transformers import AutoModelForCausalLM, Qwen2Config

    from zoo_deft_llm.tokenizer import builtin_corpus, train_tokenizer

    tokenizer = train_tokenizer(builtin_corpus())
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=True)
    AutoModelForCausalLM.from_config(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    model = zoo.build("model/deft-llm", llm={"pretrained": str(tmp_path), "tokenizer": None},
                      experts={"structure": None, "texture": None, "motion": {"config": {"dim": 8}}}, image_size=32)
    assert model.llm.hidden_size == 32 and model.llm.lm.base_model.model.config.model_type == "qwen2"
    losses = model.training_step(model.example_inputs()[0])
    losses["loss"].backward()
    lora = [p for n, p in model.llm.named_parameters() if "lora_B" in n]
    assert lora and all(p.grad is not None for p in lora)

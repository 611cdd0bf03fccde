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
from typing import Literal

import torch
from torch import nn

import zoo
from zoo.errors import ConfigError, WeightsNotFoundError

PLACEHOLDERS = {"structure": "<|structure|>", "texture": "<|texture|>", "motion": "<|motion|>"}
PACKAGE_DIR = Path(__file__).resolve().parent


class LLMSpec(zoo.ComponentConfig):
    """Which causal LM, which tokenizer, and how it is tuned.

    ``pretrained`` names a Hugging Face model id or a local folder (weights must be in the HF cache:
    nothing is downloaded at build time); ``None`` builds a tiny randomly initialised ``arch``.
    ``tokenizer`` is ``"builtin"`` (trained here on the instruction text), ``"package:<dir>"`` (a
    folder inside this plugin, e.g. a committed checkpoint), a path, or ``None`` = the LLM's own.
    """

    pretrained: str | None = None
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


def _resolve_path(spec: str) -> str:
    if spec.startswith("package:"):
        return str(PACKAGE_DIR / spec.removeprefix("package:"))
    return spec


def load_tokenizer(spec: LLMSpec):
    """The tokenizer the spec names, with the expert placeholders added as special tokens.

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
        try:
            tokenizer = AutoTokenizer.from_pretrained(_resolve_path(source), local_files_only=True)
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
    return WeightsNotFoundError(
        f"The LLM {name!r} is not in the Hugging Face cache ({cache}) and the zoo never downloads "
        f"LLM weights at build time ({type(exc).__name__}: {exc}). On a machine with internet run "
        f"`huggingface-cli download {name}` (or point HF_HOME / HF_HUB_CACHE at a cache that has it), "
        "then build again with HF_HUB_OFFLINE=1; or set llm.pretrained to a local folder."
    )


def _build_causal_lm(spec: LLMSpec, vocab_size: int, pad_id: int) -> nn.Module:
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

    if spec.pretrained is not None:
        try:
            return AutoModelForCausalLM.from_pretrained(_resolve_path(spec.pretrained), local_files_only=True)
        except OSError as exc:
            raise _missing_weights(spec.pretrained, exc) from None
    config_cls = LlamaConfig if spec.arch == "llama" else Qwen2Config
    config = config_cls(
        vocab_size=vocab_size, hidden_size=spec.hidden, intermediate_size=spec.intermediate,
        num_hidden_layers=spec.layers, num_attention_heads=spec.heads, num_key_value_heads=spec.heads,
        max_position_embeddings=512, pad_token_id=pad_id, tie_word_embeddings=True,
    )
    return AutoModelForCausalLM.from_config(config)


class LLMWrapper(nn.Module):
    """A causal LM plus its tokenizer, with placeholders for expert tokens and optional LoRA."""

    def __init__(self, spec: LLMSpec) -> None:
        super().__init__()
        self.spec = spec
        self.tokenizer = load_tokenizer(spec)
        lm = _build_causal_lm(spec, len(self.tokenizer), self.tokenizer.pad_token_id)
        if lm.get_input_embeddings().num_embeddings < len(self.tokenizer):
            lm.resize_token_embeddings(len(self.tokenizer))
        # transformers renamed ``past_key_values`` to ``cache`` (5.x); speak whichever this one knows.
        self._cache_arg = "cache" if "cache" in inspect.signature(type(lm).forward).parameters else "past_key_values"
        self.lm = self._apply_tuning(lm)
        self.placeholder_ids = {k: self.tokenizer.convert_tokens_to_ids(v) for k, v in PLACEHOLDERS.items()}

    @property
    def hidden_size(self) -> int:
        return self.lm.get_input_embeddings().embedding_dim

    def _apply_tuning(self, lm: nn.Module) -> nn.Module:
        if self.spec.tuning == "full":
            return lm
        for parameter in lm.parameters():
            parameter.requires_grad_(False)
        if self.spec.tuning == "frozen":
            return lm
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            r=self.spec.lora_r, lora_alpha=self.spec.lora_alpha, lora_dropout=self.spec.lora_dropout,
            target_modules=list(self.spec.lora_targets), task_type="CAUSAL_LM",
        )
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

"""A small byte-level BPE tokenizer trained here (``tokenizers``) for the tiny synthetic LLM.

The real recipes use the instruct LLM's own tokenizer and chat template; the synthetic checkpoint
has no pretrained LLM, so it trains a tokenizer on the instruction text in about a second and gives
it a ChatML-style chat template, so that the code path (``apply_chat_template``) is the same.
"""

from __future__ import annotations

from collections.abc import Iterable

from zoo_deft_llm.unimer.templates import PROTOTYPES, TEMPLATES, format_answer, reasoning_for

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<|pad|>", "<|im_start|>", "<|im_end|>"]


def builtin_corpus() -> list[str]:
    """Text covering the templates, region phrases, AU codes and emotions (deterministic)."""
    from zoo_deft_llm.facs import load_table

    table = load_table()
    lines = [t for group in TEMPLATES.values() for t in group]
    moves = ["up", "down", "inward", "outward", "up and outward", "down and inward"]
    for region in table.region_list:
        for move in moves:
            lines.append(f"the {table.readable(region)} moves {move}")
    for au, name in table.au_names.items():
        lines.append(f"AU{au} ({name}) LAU{au} RAU{au}")
    for emotion in PROTOTYPES:
        lines.append(format_answer("the left mouth corner moves up and outward (AU12).", emotion, reasoning_for(emotion, ["AU12"])))
        lines.append(reasoning_for(emotion, []))
        lines.append("no significant local motion beyond the rigid head motion; no action unit is confirmed.")
    return lines


def train_tokenizer(texts: Iterable[str], vocab_size: int = 800):
    """Train a byte-level BPE tokenizer on ``texts`` and wrap it for ``transformers``.

    Returns:
        A ``PreTrainedTokenizerFast`` with pad/eos tokens and a chat template.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(texts), trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<|pad|>", eos_token="<|im_end|>", bos_token=None
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped

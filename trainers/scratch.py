"""Build a tiny random-init Llama model and a byte-level BPE tokenizer, saved as an ordinary HF model dir.

Tests and the quickstart load the result with `from_pretrained`, the same code path a hub model takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

BOS, EOS, PAD = "<|bos|>", "<|end|>", "<|pad|>"
ROLE_TOKENS = ("<|system|>", "<|user|>", "<|assistant|>")

# Each turn is `<|role|>\n{content}`; an assistant turn ends with EOS, so a tuned model learns to stop.
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] }}"
    "{% if m['role'] == 'assistant' %}{{ '" + EOS + "' }}{% endif %}{{ '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


@dataclass(frozen=True)
class ScratchModel:
    """Size of a tiny Llama built from scratch, and of its BPE vocabulary."""

    vocab_size: int = 512
    """BPE vocabulary size, special tokens included."""
    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 384
    max_positions: int = 512
    seed: int | None = None
    """Seed of the random initial weights; None draws them from torch's global generator, which the run's
    `seed_everything` has seeded, so runs with different seeds start from different weights."""


def train_tokenizer(texts: Iterable[str], vocab_size: int, *, bos: str | None = BOS, eos: str = EOS,
                    pad: str | None = PAD, extra: Iterable[str] = ROLE_TOKENS,
                    chat_template: str | None = CHAT_TEMPLATE, add_bos: bool = False) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on `texts`, with these special tokens and chat template.

    The defaults are the scratch model's own; tests pass others to build tokenizers in the style of a model
    family (ChatML, Llama-3 headers, Gemma turns, ...). `add_bos` puts BOS before every encoded text, as the
    tokenizers of base Llama, Gemma and Mistral do.
    """
    tok = Tokenizer(models.BPE())
    # Digits are split one by one (as in Llama 1), so arithmetic is learned digit-wise, not per number.
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    specials = list(dict.fromkeys(t for t in (pad, bos, eos, *extra) if t is not None))
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    if add_bos:
        assert bos is not None, "add_bos needs a BOS token"
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tok.token_to_id(bos))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos, pad_token=pad)
    fast.chat_template = chat_template
    return fast


def build_model(tokenizer: PreTrainedTokenizerFast, size: ScratchModel) -> LlamaForCausalLM:
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=size.hidden_size,
        intermediate_size=size.intermediate_size,
        num_hidden_layers=size.num_layers,
        num_attention_heads=size.num_heads,
        num_key_value_heads=size.num_heads,
        max_position_embeddings=size.max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    if size.seed is not None:
        torch.manual_seed(size.seed)
    return LlamaForCausalLM(config)


def save_scratch_model(out_dir: str | Path, texts: Iterable[str], size: ScratchModel) -> Path:
    """Train the tokenizer on `texts`, build the model and save both to `out_dir`."""
    out = Path(out_dir)
    tokenizer = train_tokenizer(texts, size.vocab_size)
    model = build_model(tokenizer, size)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out

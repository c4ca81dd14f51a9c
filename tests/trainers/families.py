"""Tiny random-init models of the families users tune, saved as ordinary HF model dirs.

Each has a BPE tokenizer with the family's special tokens and its style of chat template (our own Jinja text,
written after the family's published layout), or none, as a base model has. `reply` is what the labels of an
assistant turn must decode to, written out per family rather than derived from the template, so the label
tests check the template handling against an independent expectation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import (
    AutoModelForCausalLM,
    GemmaConfig,
    GPTNeoXConfig,
    LlamaConfig,
    MistralConfig,
    Phi3Config,
    Qwen2Config,
)

from trainers.scratch import train_tokenizer

CHATML = ("{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}"
          "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
LLAMA3 = ("{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n'"
          " + m['content'] + '<|eot_id|>' }}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}")
GEMMA = ("{{ bos_token }}{% for m in messages %}{{ '<start_of_turn>' + ('model' if m['role'] == 'assistant' "
         "else m['role']) + '\\n' + m['content'] + '<end_of_turn>\\n' }}{% endfor %}"
         "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}")
MISTRAL = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}{{ '[INST] ' + m['content'] + "
           "' [/INST]' }}{% elif m['role'] == 'assistant' %}{{ ' ' + m['content'] + eos_token }}{% endif %}"
           "{% endfor %}")
PHI3 = ("{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + '<|end|>\\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}")

# num_key_value_heads is set because Qwen2 and Mistral default to more key/value heads than 2 query heads allow.
SIZE = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
        "num_key_value_heads": 2, "max_position_embeddings": 256}


@dataclass(frozen=True)
class Family:
    """A model family's tiny stand-in: its config class, special tokens and chat template."""

    name: str
    config: type
    eos: str
    bos: str | None = None
    pad: str | None = None
    extra: tuple[str, ...] = ()
    template: str | None = None
    add_bos: bool = False
    reply: str = "{}"
    """What an assistant turn's labels decode to, `{}` standing for the reply's text."""
    config_args: dict = field(default_factory=dict)


FAMILIES = {f.name: f for f in [
    Family("llama", LlamaConfig, eos="<|eot_id|>", bos="<|begin_of_text|>",
           extra=("<|start_header_id|>", "<|end_header_id|>"), template=LLAMA3, add_bos=True, reply="{}<|eot_id|>"),
    Family("llama-base", LlamaConfig, eos="<|end_of_text|>", bos="<|begin_of_text|>", add_bos=True,
           reply="{}<|end_of_text|>"),
    Family("qwen2", Qwen2Config, eos="<|im_end|>", pad="<|endoftext|>", extra=("<|im_start|>",), template=CHATML,
           reply="{}<|im_end|>"),
    Family("gpt_neox", GPTNeoXConfig, eos="<|endoftext|>", bos="<|endoftext|>", reply="{}<|endoftext|>"),
    Family("gemma", GemmaConfig, eos="<eos>", bos="<bos>", pad="<pad>", extra=("<start_of_turn>", "<end_of_turn>"),
           template=GEMMA, add_bos=True, reply="{}<end_of_turn>\n<eos>", config_args={"head_dim": 16}),
    Family("mistral", MistralConfig, eos="</s>", bos="<s>", extra=("[INST]", "[/INST]"), template=MISTRAL,
           add_bos=True, reply=" {}</s>"),
    Family("phi3", Phi3Config, eos="<|end|>", bos="<s>", pad="<|endoftext|>",
           extra=("<|user|>", "<|assistant|>", "<|system|>"), template=PHI3, reply="{}<|end|>"),
]}


def save_family_model(family: Family, out: Path, texts: list[str], seed: int = 0) -> Path:
    """Train the family-style tokenizer on `texts`, build the tiny model, save both to `out`."""
    tokenizer = train_tokenizer(texts, 320, bos=family.bos, eos=family.eos, pad=family.pad, extra=family.extra,
                                chat_template=family.template, add_bos=family.add_bos)
    ids = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
           "pad_token_id": tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id}
    config = family.config(vocab_size=len(tokenizer), **SIZE, **ids, **family.config_args)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def chatml_qwen2(out: Path, standards: list[str], max_positions: int = 1024) -> Path:
    """A random-init Qwen2 (a few thousand parameters) whose tokenizer has a ChatML template, like Qwen's.

    Its weights are large (initializer_range 0.5), so its answers differ from prompt to prompt: tests that
    compare records between the probe, `probes.evaluate` and `probes.sweep` then compare something.
    """
    from transformers import Qwen2ForCausalLM

    from mathcamps.generate import generate_problems

    texts = [f"{p.statement}\n{p.solution}" for p in generate_problems(standards, 30, seed=0, followups=False)]
    tokenizer = train_tokenizer(texts, 320)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tokenizer.eos_token = "<|im_end|>"
    tokenizer.chat_template = CHATML
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=max_positions,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         tie_word_embeddings=True, initializer_range=0.5)
    torch.manual_seed(0)
    Qwen2ForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


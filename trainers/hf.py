"""Load HF causal LMs and tokenizers from a hub id or a local directory, with one-line errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

# For training base models, whose tokenizer has no chat template: plain markers, and the EOS after each reply so
# a tuned model learns to stop. Set only by `use_training_template`, which says so; never by loading. A model
# whose tokenizer puts BOS before every text (base Llama, Gemma, Mistral) was pretrained with it there, so its
# conversations start with BOS too: `DEFAULT_CHAT_TEMPLATE_BOS`.
DEFAULT_CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ m['content'] + '\\n\\n' }}"
    "{% elif m['role'] == 'user' %}{{ '### Question:\\n' + m['content'] + '\\n\\n' }}"
    "{% else %}{{ '### Answer:\\n' + m['content'] + eos_token + '\\n\\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '### Answer:\\n' }}{% endif %}"
)
DEFAULT_CHAT_TEMPLATE_BOS = "{{ bos_token }}" + DEFAULT_CHAT_TEMPLATE
TorchDtype = Literal["auto", "float32", "bfloat16", "float16"]


def is_training_template(template: str | None) -> bool:
    """Whether `template` is one `use_training_template` sets (so the model has no chat template of its own)."""
    return template in (DEFAULT_CHAT_TEMPLATE, DEFAULT_CHAT_TEMPLATE_BOS)


class ModelNotFound(ValueError):
    """A model name that is neither a local HF model directory nor a hub model that could be reached."""


def _looks_local(name: str) -> bool:
    return name.startswith((".", "/", "~")) or Path(name).exists() or name.count("/") > 1


def _not_found(name: str, revision: str | None, error: Exception) -> ModelNotFound:
    if _looks_local(name):
        return ModelNotFound(f"model directory {name!r} does not exist or holds no HF model")
    at = f" at revision {revision!r}" if revision else ""
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return ModelNotFound(f"could not load hub model {name!r}{at}: {reason}")


def load_tokenizer(name: str, revision: str | None = None, trust_remote_code: bool = False) -> PreTrainedTokenizerBase:
    """The model's tokenizer as it was saved (its chat template, or none), with a pad token."""
    try:
        tokenizer = AutoTokenizer.from_pretrained(name, revision=revision, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as error:
        raise _not_found(name, revision, error) from None
    if tokenizer.pad_token is None:
        # Base models often ship without a pad token; padding positions are masked out anyway.
        tokenizer.pad_token = tokenizer.eos_token
    if tokenizer.eos_token is None:
        raise ValueError(f"tokenizer of {name!r} has no EOS token, so a tuned model could not learn to stop")
    return tokenizer


def adds_bos(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Whether the tokenizer puts its BOS token before a plain text, as the model saw every text in pretraining."""
    bos = tokenizer.bos_token_id
    return bos is not None and tokenizer("1")["input_ids"][:1] == [bos]


def use_training_template(tokenizer: PreTrainedTokenizerBase, name: str) -> bool:
    """Give a tokenizer without a chat template `DEFAULT_CHAT_TEMPLATE` (`DEFAULT_CHAT_TEMPLATE_BOS` when it adds
    BOS), to lay out training conversations, and say so; returns whether it did. A probe with `prompt: auto`
    still treats such a model as a base model (`is_training_template`)."""
    if tokenizer.chat_template is not None:
        return False
    bos = adds_bos(tokenizer)
    tokenizer.chat_template = DEFAULT_CHAT_TEMPLATE_BOS if bos else DEFAULT_CHAT_TEMPLATE
    # Imported here: training has lightning loaded already, and evaluation (which loads models through this
    # module) would otherwise wait 1.3 s for it at start-up.
    from lightning.pytorch.utilities import rank_zero_info

    rank_zero_info(f"{name} has no chat template of its own: training conversations use trainers.hf."
                   f"DEFAULT_CHAT_TEMPLATE{'_BOS' if bos else ''} (### Question: / ### Answer: markers"
                   f"{', after BOS' if bos else ''})")
    return True


def load_model(name: str, revision: str | None = None, load_in_4bit: bool = False,
               torch_dtype: TorchDtype | None = None, attn_implementation: str | None = None,
               trust_remote_code: bool = False) -> PreTrainedModel:
    """The model in `torch_dtype` (by default the default dtype: float32, or that of a Lightning `*-true`
    precision; "auto": the checkpoint's own), or 4-bit for QLoRA, with the attention kernel asked for."""
    kwargs: dict = {}
    if load_in_4bit:
        kwargs = {"quantization_config": qlora_config(), "device_map": {"": torch.cuda.current_device()}}
    if attn_implementation is not None:
        kwargs["attn_implementation"] = attn_implementation
    dtype = torch.get_default_dtype() if torch_dtype is None else torch_dtype
    if isinstance(dtype, str) and dtype != "auto":
        dtype = getattr(torch, dtype)
    try:
        return AutoModelForCausalLM.from_pretrained(name, revision=revision, dtype=dtype,
                                                    trust_remote_code=trust_remote_code, **kwargs)
    except (OSError, ValueError) as error:
        raise _not_found(name, revision, error) from None


def qlora_config():
    """NF4 4-bit weights with bf16 compute (QLoRA); needs a CUDA GPU and bitsandbytes."""
    if not torch.cuda.is_available():
        raise RuntimeError("model.load_in_4bit (QLoRA) needs a CUDA GPU; none is available here")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise RuntimeError("model.load_in_4bit (QLoRA) needs bitsandbytes: pip install 'mathcamps[qlora]'") from None
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16)


@contextlib.contextmanager
def eval_mode(model: torch.nn.Module) -> Iterator[None]:
    """`model` in eval mode (no dropout) inside the block, and back in the mode it was in afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)

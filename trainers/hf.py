"""Load HF causal LMs and tokenizers from a hub id or a local directory, with one-line errors."""

from __future__ import annotations

from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase


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


def load_tokenizer(name: str, revision: str | None = None) -> PreTrainedTokenizerBase:
    try:
        tokenizer = AutoTokenizer.from_pretrained(name, revision=revision)
    except (OSError, ValueError) as error:
        raise _not_found(name, revision, error) from None
    if tokenizer.pad_token is None:
        # Base models often ship without a pad token; padding positions are masked out anyway.
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(name: str, revision: str | None = None) -> PreTrainedModel:
    try:
        return AutoModelForCausalLM.from_pretrained(name, revision=revision)
    except (OSError, ValueError) as error:
        raise _not_found(name, revision, error) from None

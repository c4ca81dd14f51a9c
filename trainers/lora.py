"""LoRA adapters (peft) on an HF causal LM: settings, per-architecture target modules, and checked targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from transformers import PreTrainedModel

# The attention projections of each architecture: the usual LoRA targets (as in the LoRA and QLoRA papers'
# attention-only setting). An architecture not listed needs `lora.target_modules` set explicitly.
DEFAULT_TARGETS: dict[str, list[str]] = {
    "llama": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "mistral": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "qwen2": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "qwen3": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "olmo": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "olmo2": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "gemma": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "gemma2": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "phi3": ["qkv_proj", "o_proj"],
    "gpt_neox": ["query_key_value", "dense"],
    "gpt2": ["c_attn", "c_proj"],
}


@dataclass(frozen=True)
class LoraSettings:
    """LoRA adapter settings, used when `finetuning: lora`."""

    r: int = 16
    """Rank of the low-rank update."""
    alpha: int = 32
    """Scale numerator: the update is multiplied by alpha / r."""
    dropout: float = 0.05
    """Dropout on the adapter's input."""
    target_modules: list[str] | Literal["all-linear"] | None = None
    """Names (last component) of the linear layers to adapt, or "all-linear" for every linear layer but the
    output head (as QLoRA's paper does); by default the attention projections of the model's architecture
    (llama/qwen2/olmo: q,k,v,o_proj; gpt_neox: query_key_value, dense)."""

    def __post_init__(self) -> None:
        if self.r < 1:
            raise ValueError(f"model.lora.r must be >= 1, got {self.r}")
        if self.alpha <= 0:
            raise ValueError(f"model.lora.alpha must be > 0, got {self.alpha}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"model.lora.dropout must be in [0, 1), got {self.dropout}")
        if isinstance(self.target_modules, str) and self.target_modules != "all-linear":
            raise ValueError(f"model.lora.target_modules must be a list of names or 'all-linear', "
                             f"got {self.target_modules!r}")
        if self.target_modules is not None and not self.target_modules:
            raise ValueError("model.lora.target_modules must name at least one module, got []")


def linear_module_names(model: torch.nn.Module) -> list[str]:
    """The distinct last-component names of the model's linear layers (the modules LoRA can adapt)."""
    kinds = ("Linear4bit", "Linear8bitLt", "Conv1D")  # bitsandbytes' quantised linears, GPT-2's Conv1D
    names = {name.rsplit(".", 1)[-1] for name, module in model.named_modules()
             if isinstance(module, torch.nn.Linear) or type(module).__name__ in kinds}
    return sorted(names)


def target_modules(model: PreTrainedModel, settings: LoraSettings) -> list[str]:
    """The modules to adapt: the settings' own, or the architecture's default; each checked to exist."""
    model_type = getattr(model.config, "model_type", "?")
    if settings.target_modules == "all-linear":
        head = model.get_output_embeddings()
        heads = {name.rsplit(".", 1)[-1] for name, module in model.named_modules() if module is head}
        return [name for name in linear_module_names(model) if name not in heads]
    if settings.target_modules is not None:
        targets = list(settings.target_modules)
    elif model_type in DEFAULT_TARGETS:
        targets = DEFAULT_TARGETS[model_type]
    else:
        raise ValueError(f"no default LoRA targets for model type {model_type!r}; set model.lora.target_modules "
                         f"to some of its linear modules: {linear_module_names(model)}")
    existing = linear_module_names(model)
    missing = [t for t in targets if t not in existing]
    if missing:
        raise ValueError(f"model.lora.target_modules {missing} not found in the {model_type} model; "
                         f"its linear modules are: {existing}")
    return targets


def apply_lora(model: PreTrainedModel, settings: LoraSettings) -> torch.nn.Module:
    """The model wrapped in a peft LoRA adapter; only the adapter's weights are trainable."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                        target_modules=target_modules(model, settings), task_type="CAUSAL_LM")
    return get_peft_model(model, config)

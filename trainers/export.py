"""HF-format exports of a training state: the full model, or a LoRA adapter and optionally the merged model.

Exports are written from a state dict (the one Lightning is checkpointing), not from the live parameters,
so they are the same under strategies whose live parameters are sharded but whose checkpoint is gathered.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

STATE_FILE = "trainer_state.json"
"""Written beside each export: its step, as HF's Trainer writes it (`{"global_step": N, ...}`), so that sweeps
read a checkpoint's step from the checkpoint and never from its folder's name."""
_LORA = re.compile(r"^(?P<stem>.+)\.lora_(?P<ab>[AB])\.(?P<adapter>[^.]+)\.weight$")


def is_peft(model: torch.nn.Module) -> bool:
    return hasattr(model, "peft_config")


def is_quantized(model: torch.nn.Module) -> bool:
    """Whether the (peft-wrapped) model's base weights are bitsandbytes-quantised (4- or 8-bit)."""
    base = model.get_base_model() if is_peft(model) else model
    config = getattr(getattr(base, "config", None), "quantization_config", None)
    return bool(getattr(base, "is_loaded_in_4bit", False) or getattr(base, "is_loaded_in_8bit", False)
                or getattr(base, "hf_quantizer", None) is not None or config is not None)


def merged_state_dict(peft_model: torch.nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The base model's state dict with each LoRA update folded in: W + (B @ A) * alpha / r.

    `state` holds the peft model's keys (`base_model.model.<base key>` with `.base_layer.` around adapted
    layers). Done on the tensors so that no second copy of the model is built.
    """
    if is_quantized(peft_model):
        raise ValueError("a merged export of a 4-bit (QLoRA) model is refused: its base weights are packed 4-bit "
                         "values, to which a dense LoRA update cannot be added. Export the adapter (export_merged: "
                         "false), then merge it into the unquantised base model: AutoPeftModelForCausalLM."
                         "from_pretrained(adapter_dir, dtype=torch.bfloat16).merge_and_unload()")
    adapter = getattr(peft_model, "active_adapter", "default")
    config = peft_model.peft_config[adapter]
    if getattr(config, "use_rslora", False) or getattr(config, "use_dora", False):
        raise ValueError("merged export supports plain LoRA only (not rsLoRA or DoRA)")
    lora: dict[str, dict[str, torch.Tensor]] = {}
    merged: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        match = _LORA.match(key)
        if match:
            if match["adapter"] == adapter:
                lora.setdefault(match["stem"], {})[match["ab"]] = tensor
            continue
        merged[key] = tensor
    for stem, ab in lora.items():
        name = stem.rsplit(".", 1)[-1]
        r = config.rank_pattern.get(name, config.r) if config.rank_pattern else config.r
        alpha = config.alpha_pattern.get(name, config.lora_alpha) if config.alpha_pattern else config.lora_alpha
        base_key = f"{stem}.base_layer.weight"
        weight = merged[base_key]
        delta = (ab["B"].float() @ ab["A"].float()) * (alpha / r)  # (out, r) @ (r, in) -> (out, in)
        if getattr(config, "fan_in_fan_out", False):
            delta = delta.T
        merged[base_key] = (weight.float() + delta).to(weight.dtype)
    prefix = "base_model.model."
    return {k.removeprefix(prefix).replace(".base_layer.", "."): v for k, v in merged.items()}


def export_hf(model: torch.nn.Module, state: dict[str, torch.Tensor], out_dir: str | Path,
              tokenizer: PreTrainedTokenizerBase | None, merged: bool = False, step: int | None = None,
              tokens_seen: int | None = None) -> Path:
    """Write `model` with weights `state` as an HF model directory that `from_pretrained` loads.

    A peft model writes its adapter (loadable with `AutoPeftModelForCausalLM.from_pretrained`, or
    `AutoModelForCausalLM.from_pretrained` with peft installed) and, if `merged`, the merged model under
    `merged/`. The tokenizer, with the chat template trained with, goes beside each, and, when `step` is given,
    `trainer_state.json` with the step and the tokens seen (`merged/` reads the one of the folder above).
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in state.items()}
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # one bar per export would clutter the training log
    # Written beside `out` under a hidden name, then renamed: a kill or a full disk never leaves a partial export
    # under the name that sweeps and `from_pretrained` look for.
    temp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        _write(model, state, temp, tokenizer, merged)
        if step is not None:
            state_text = json.dumps({"global_step": step, "num_input_tokens_seen": tokens_seen})
            (temp / STATE_FILE).write_text(state_text + "\n")
        _replace_dir(temp, out)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    return out


def _replace_dir(new: Path, out: Path) -> None:
    """Put the folder `new` at `out`, replacing what was there (an export of the same step, rewritten)."""
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        new.rename(out)
        shutil.rmtree(old)
    else:
        new.rename(out)


def _write(model: torch.nn.Module, state: dict[str, torch.Tensor], out: Path,
           tokenizer: PreTrainedTokenizerBase | None, merged: bool) -> None:
    if is_peft(model):
        model.save_pretrained(out, state_dict=state)
        if merged:
            base: PreTrainedModel = model.get_base_model()
            base.save_pretrained(out / "merged", state_dict=merged_state_dict(model, state))
            if tokenizer is not None:
                tokenizer.save_pretrained(out / "merged")
    else:
        if merged:
            raise ValueError("model.export_merged applies to LoRA fine-tuning only")
        model.save_pretrained(out, state_dict=state)
    if tokenizer is not None:
        tokenizer.save_pretrained(out)

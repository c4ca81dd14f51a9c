"""The LightningModule for instruction tuning a causal LM; the model itself is an HF `PreTrainedModel`.

It stays thin: the model is built in `configure_model` (full fine-tuning or a peft LoRA adapter), the loss is
the HF model's own (mean over the assistant's tokens), and the optimiser is AdamW with linear warm-up then
cosine decay. Gradient accumulation, clipping and precision are the Trainer's (`accumulate_grad_batches`,
`gradient_clip_val`, `precision`). Each checkpoint also writes an HF export to `<log_dir>/hf/step-N/`.
"""

from __future__ import annotations

import math
import random
import time
from pathlib import Path
from typing import Literal

import lightning as L
import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_warn

from trainers.export import export_hf
from trainers.hf import TorchDtype, eval_mode, load_model
from trainers.lora import LoraSettings, apply_lora
from trainers.scratch import ScratchModel

NUM_TOKENS = "num_tokens"  # batch key: non-padding tokens in the batch (not a model input)
IGNORE = -100  # label of a position that takes no loss


class PackingUnsupported(ValueError):
    """The model attends across packed samples: it does not read restarting `position_ids` as new sequences."""


def check_packed_attention(model: torch.nn.Module, device: torch.device) -> None:
    """Raise `PackingUnsupported` unless `model` keeps attention within each sample of a packed row.

    A sample's logits must not change when another sample precedes it in the row (positions restarting at 0).
    The change that attending across the boundary makes is the yardstick, so the test fits any dtype and scale.
    """
    vocab = model.get_input_embeddings().num_embeddings
    first, second = torch.randint(vocab, (2, 8), generator=torch.Generator().manual_seed(0)).to(device)
    positions = torch.arange(8, device=device)

    @torch.no_grad()
    def logits(ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:  # of the last 8 positions: the second sample
        return model(input_ids=ids[None], position_ids=pos[None], use_cache=False).logits[0, -8:].float()

    with eval_mode(model):  # no dropout: the three runs must differ only by what they attend to
        alone = logits(second, positions)
        packed = logits(torch.cat([first, second]), torch.cat([positions, positions]))
        crossing = logits(torch.cat([first, second]), torch.arange(16, device=device))
    if (packed - alone).abs().max() > 0.1 * (crossing - alone).abs().max():
        raise PackingUnsupported(
            f"{type(model).__name__} attends across packed samples (it ignores restarting position_ids); "
            "set data.packing: false and data.padding_free: false")


class InstructionTuning(L.LightningModule):
    """Fine-tunes a causal LM, fully or with LoRA, with the loss on the assistant's replies."""

    def __init__(
        self,
        model: str,
        revision: str | None = None,
        scratch: ScratchModel | None = None,
        finetuning: Literal["full", "lora"] = "full",
        lora: LoraSettings | None = None,
        load_in_4bit: bool = False,
        torch_dtype: TorchDtype | None = None,
        attn_implementation: str | None = None,
        trust_remote_code: bool = False,
        gradient_checkpointing: bool = False,
        learning_rate: float = 3e-4,
        weight_decay: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999),
        warmup_steps: int = 50,
        min_lr_ratio: float = 0.1,
        export_hf: bool = True,
        export_merged: bool = False,
    ) -> None:
        """
        Args:
            model: hub id (e.g. "EleutherAI/pythia-160m") or local HF model directory.
            revision: hub revision (branch, tag or commit) of `model`.
            scratch: when set, build a tiny random-init Llama of this size and its tokenizer into the
                directory `model` first (unless it already exists), then load it like any other model.
            finetuning: "full" trains every weight; "lora" trains a peft LoRA adapter (settings in `lora`).
            lora: LoRA settings when `finetuning: lora`; by default r=16, alpha=32, dropout=0.05 on the
                architecture's attention projections.
            load_in_4bit: QLoRA: load the frozen base model in 4-bit NF4 (needs CUDA and bitsandbytes, and
                `finetuning: lora`).
            torch_dtype: dtype the weights load in: "float32", "bfloat16", "float16", or "auto" (the checkpoint's
                own). By default the default dtype: float32, or that of a `*-true` trainer precision. Leave it
                unset with a `*-mixed` precision, which keeps float32 weights and computes in half precision.
            attn_implementation: the attention kernel, as transformers names it: "eager", "sdpa",
                "flash_attention_2" (needs flash-attn and a half-precision dtype), ...; by default the model's.
            trust_remote_code: run the model repository's own modelling and tokenizer code (models whose
                architecture transformers does not ship); read that code first.
            gradient_checkpointing: recompute activations in the backward pass, trading compute for memory.
            learning_rate: peak AdamW learning rate, reached after `warmup_steps`, then cosine-decayed.
            weight_decay: AdamW weight decay.
            betas: AdamW betas.
            warmup_steps: linear warm-up steps.
            min_lr_ratio: the cosine decays to `learning_rate * min_lr_ratio` at the last step.
            export_hf: at every checkpoint, write an HF-format model (or adapter) to `<log_dir>/hf/step-N/`.
            export_merged: with LoRA, also write the merged model to `<log_dir>/hf/step-N/merged/`.
        """
        super().__init__()
        if learning_rate <= 0:
            raise ValueError(f"model.learning_rate must be > 0, got {learning_rate}")
        if warmup_steps < 0:
            raise ValueError(f"model.warmup_steps must be >= 0, got {warmup_steps}")
        if not 0 <= min_lr_ratio <= 1:
            raise ValueError(f"model.min_lr_ratio must be in [0, 1], got {min_lr_ratio}")
        if finetuning == "full" and lora is not None:
            raise ValueError("model.lora is set but model.finetuning is 'full'; set finetuning: lora")
        if load_in_4bit and finetuning != "lora":
            raise ValueError(f"model.load_in_4bit (QLoRA) needs finetuning: lora, got {finetuning!r}")
        if export_merged and finetuning != "lora":
            raise ValueError(f"model.export_merged applies to finetuning: lora, got {finetuning!r}")
        if export_merged and load_in_4bit:
            raise ValueError("model.export_merged cannot fold LoRA into 4-bit (load_in_4bit) weights; export the "
                             "adapter and merge it into the unquantised base model (see trainers.export)")
        self.save_hyperparameters()
        self.model_name, self.revision, self.scratch = model, revision, scratch
        self.finetuning = finetuning
        self.lora = lora if lora is not None or finetuning != "lora" else LoraSettings()
        self.load_in_4bit, self.gradient_checkpointing = load_in_4bit, gradient_checkpointing
        self.torch_dtype, self.attn_implementation = torch_dtype, attn_implementation
        self.trust_remote_code = trust_remote_code
        self.learning_rate, self.weight_decay, self.betas = learning_rate, weight_decay, betas
        self.warmup_steps, self.min_lr_ratio = warmup_steps, min_lr_ratio
        self.export_hf, self.export_merged = export_hf, export_merged
        self.model: torch.nn.Module | None = None
        self.tokens_seen = 0
        self._rng_to_restore: dict | None = None
        self._exported_step = -1
        self._clock: tuple[float, int] | None = None  # (time, tokens_seen) when this process started training
        self._packing_checked = False

    def configure_model(self) -> None:
        if self.model is not None:
            return
        model = load_model(self.model_name, self.revision, load_in_4bit=self.load_in_4bit,
                           torch_dtype=self.torch_dtype, attn_implementation=self.attn_implementation,
                           trust_remote_code=self.trust_remote_code)
        if self.gradient_checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            model.config.use_cache = False
        if self.load_in_4bit:
            from peft import prepare_model_for_kbit_training

            model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=self.gradient_checkpointing)
        if self.finetuning == "lora":
            assert self.lora is not None
            if self.gradient_checkpointing:
                model.enable_input_require_grads()  # frozen embeddings would otherwise cut the graph
            model = apply_lora(model, self.lora)
        self.model = model
        self.model.train()  # from_pretrained returns the model in eval mode

    # -- steps ---------------------------------------------------------------------------------------------

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        if self._rng_to_restore is not None:
            # Restored here, not in on_load_checkpoint, so that nothing run between loading and the first
            # step (sanity validation, dataloader set-up) shifts the random stream (LoRA dropout).
            set_rng_states(self._rng_to_restore)
            self._rng_to_restore = None
        num_tokens = batch.pop(NUM_TOKENS)
        self._check_packing(batch)
        targets = (batch["labels"][:, 1:] != IGNORE).sum()  # the model shifts labels left by one
        world = self.trainer.world_size
        if world > 1:
            # The loss is a sum over this rank's targets divided by the mean count per rank, so that DDP's
            # gradient average is the mean over all ranks' targets: the same step as one process taking
            # the whole global batch, whatever the ranks' shares of padding.
            targets = self.trainer.strategy.reduce(targets.float(), reduce_op="sum") / world
        # use_cache=False: no KV cache is needed in training, and HF models only read packed rows' restarting
        # `position_ids` as separate sequences (attention kept within each) when there is no cache.
        loss = self.model(**batch, num_items_in_batch=targets, use_cache=False).loss
        self._count_tokens(num_tokens)
        self.log("train/loss", loss, prog_bar=True, sync_dist=world > 1)
        self.log("train/lr", self.optimizers().param_groups[0]["lr"])
        self.log("train/tokens_seen", float(self.tokens_seen))
        if self._clock is not None and self.tokens_seen > self._clock[1]:
            elapsed = time.perf_counter() - self._clock[0]
            self.log("train/tokens_per_s", (self.tokens_seen - self._clock[1]) / elapsed)
        return loss

    def _count_tokens(self, num_tokens: torch.Tensor) -> None:
        if self.trainer.world_size > 1:
            num_tokens = self.trainer.strategy.reduce(num_tokens.float(), reduce_op="sum")
        self.tokens_seen += int(num_tokens)
        if self._clock is None:
            # The clock starts after the first step, so start-up and the first (slow) step are not counted.
            self._clock = (time.perf_counter(), self.tokens_seen)

    def _check_packing(self, batch: dict[str, torch.Tensor]) -> None:
        # Once, on every rank alike (under FSDP the check's forwards are collectives too).
        if "position_ids" in batch and not self._packing_checked:
            check_packed_attention(self.model, self.device)
            self._packing_checked = True

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        batch.pop(NUM_TOKENS)
        self._check_packing(batch)
        loss = self.model(**batch, use_cache=False).loss
        targets = int((batch["labels"][:, 1:] != IGNORE).sum())
        # Weighted by targets, so the epoch value is the mean over all validation tokens, not over batches.
        self.log("val/loss", loss, batch_size=targets, prog_bar=True, sync_dist=self.trainer.world_size > 1)
        return loss

    # -- optimisation --------------------------------------------------------------------------------------

    def configure_optimizers(self):
        params = [p for p in self.parameters() if p.requires_grad]
        # The fused kernel (as HF Trainer's default) updates all parameters in one pass instead of one op each.
        fused = all(p.device.type in ("cpu", "cuda") for p in params)
        optimizer = torch.optim.AdamW(params, lr=self.learning_rate, weight_decay=self.weight_decay, betas=self.betas,
                                      fused=fused)
        total = max(1, int(self.trainer.estimated_stepping_batches))
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: lr_factor(step, self.warmup_steps, total, self.min_lr_ratio))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    # -- checkpoints ---------------------------------------------------------------------------------------

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["tokens_seen"] = self.tokens_seen
        checkpoint["rng_states"] = rng_states()
        if self.export_hf and self.trainer.global_step != self._exported_step:
            self._exported_step = self.trainer.global_step
            # `trainer.log_dir` is a collective (a broadcast) under DDP, so every rank asks, and rank 0 writes.
            run_dir = Path(self.trainer.log_dir or self.trainer.default_root_dir)
            out = run_dir / "hf" / f"step-{self.trainer.global_step}"
            if self.trainer.is_global_zero:
                self._export(checkpoint, out)

    def _export(self, checkpoint: dict, out: Path) -> None:
        state = checkpoint.get("state_dict") or self.state_dict()
        state = {k.removeprefix("model."): v for k, v in state.items() if k.startswith("model.")}
        datamodule = getattr(self.trainer, "datamodule", None)
        export_hf(self.model, state, out, getattr(datamodule, "tokenizer", None), merged=self.export_merged,
                  step=self.trainer.global_step, tokens_seen=self.tokens_seen)

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self.tokens_seen = checkpoint.get("tokens_seen", 0)
        self._rng_to_restore = checkpoint.get("rng_states")


def lr_factor(step: int, warmup_steps: int, total_steps: int, min_ratio: float) -> float:
    """Multiplier of the peak learning rate at `step`: linear warm-up, then cosine decay to `min_ratio`.

    >>> [round(lr_factor(s, 2, 10, 0.1), 3) for s in (0, 1, 2, 6, 10)]
    [0.333, 0.667, 1.0, 0.55, 0.1]
    """
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def rng_states() -> dict:
    """The torch (CPU and, with CUDA, every GPU's), numpy and Python random states, as tensors and plain types
    (loadable with weights_only). The GPUs' states drive dropout there (LoRA's), so resuming needs them too."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    version, state, gauss = random.getstate()
    states = {"torch": torch.get_rng_state(), "numpy": [name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss,
                                                        cached], "python": [version, list(state), gauss]}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    if "cuda" in states:
        seen = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if seen == len(states["cuda"]):
            torch.cuda.set_rng_state_all(states["cuda"])
        else:
            rank_zero_warn(f"the checkpoint holds the random states of {len(states['cuda'])} CUDA devices but this "
                           f"process sees {seen}: their random streams (dropout) start afresh, so the resume is "
                           "not exact")
    name, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    version, state, gauss = states["python"]
    random.setstate((version, tuple(state), gauss))

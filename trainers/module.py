"""The LightningModule for instruction tuning a causal LM; the model itself is an HF `PreTrainedModel`."""

from __future__ import annotations

import math

import lightning as L
import torch

from trainers.hf import load_model
from trainers.scratch import ScratchModel


class InstructionTuning(L.LightningModule):
    """Fine-tunes a causal LM with the loss on the assistant's reply."""

    def __init__(
        self,
        model: str,
        revision: str | None = None,
        scratch: ScratchModel | None = None,
        learning_rate: float = 3e-4,
        weight_decay: float = 0.0,
        warmup_steps: int = 50,
    ) -> None:
        """
        Args:
            model: hub id (e.g. "EleutherAI/pythia-160m") or local HF model directory.
            revision: hub revision (branch, tag or commit) of `model`.
            scratch: when set, build a tiny random-init Llama of this size and its tokenizer into the
                directory `model` first (unless it already exists), then load it like any other model.
            learning_rate: peak AdamW learning rate, reached after `warmup_steps` and then cosine-decayed to 10%.
            weight_decay: AdamW weight decay.
            warmup_steps: linear warm-up steps.
        """
        super().__init__()
        if learning_rate <= 0:
            raise ValueError(f"model.learning_rate must be > 0, got {learning_rate}")
        if warmup_steps < 0:
            raise ValueError(f"model.warmup_steps must be >= 0, got {warmup_steps}")
        self.save_hyperparameters()
        self.model_name, self.revision, self.scratch = model, revision, scratch
        self.learning_rate, self.weight_decay, self.warmup_steps = learning_rate, weight_decay, warmup_steps
        self.model: torch.nn.Module | None = None
        self.tokens_seen = 0

    def configure_model(self) -> None:
        if self.model is None:
            self.model = load_model(self.model_name, self.revision)
            self.model.train()  # from_pretrained returns the model in eval mode

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.model(**batch).loss
        self.tokens_seen += int(batch["attention_mask"].sum())
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/tokens_seen", float(self.tokens_seen))
        self.log("train/lr", self.optimizers().param_groups[0]["lr"])
        return loss

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        total = max(1, int(self.trainer.estimated_stepping_batches))

        def schedule(step: int) -> float:
            if step < self.warmup_steps:
                return (step + 1) / (self.warmup_steps + 1)
            progress = min(1.0, (step - self.warmup_steps) / max(1, total - self.warmup_steps))
            return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["tokens_seen"] = self.tokens_seen

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self.tokens_seen = checkpoint.get("tokens_seen", 0)

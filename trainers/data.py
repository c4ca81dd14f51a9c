"""The instruction-tuning data: MathCAMPS problems with worked solutions, as chat turns, loss on the answer only."""

from __future__ import annotations

import random
from collections.abc import Iterable

import lightning as L
import torch
from torch.utils.data import DataLoader
from transformers import PreTrainedTokenizerBase

from mathcamps.generate import generate_problems
from mathcamps.lang import structure_key
from mathcamps.problem import Problem
from mathcamps.templates import Style

IGNORE = -100  # label of a position that takes no loss


def chat_messages(problem: Problem) -> list[dict[str, str]]:
    return [{"role": "user", "content": problem.statement}, {"role": "assistant", "content": problem.solution or ""}]


def encode_example(tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, str]]) -> dict[str, list[int]]:
    """Token ids of a chat, with labels on the assistant's reply only, cut after its EOS.

    The prompt and the reply are tokenised apart, so the prompt's ids are exactly those the probe
    generates from.
    """
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    if not full.startswith(prompt):
        raise ValueError("the chat template does not render the prompt as a prefix of the whole conversation")
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    reply_ids = tokenizer(full[len(prompt) :], add_special_tokens=False)["input_ids"]
    eos = tokenizer.eos_token_id
    reply_ids = reply_ids[: reply_ids.index(eos) + 1] if eos in reply_ids else [*reply_ids, eos]
    return {"input_ids": prompt_ids + reply_ids, "labels": [IGNORE] * len(prompt_ids) + reply_ids}


def length_bucketed_batches(lengths: list[int], batch_size: int, seed: int, window: int = 64) -> list[list[int]]:
    """Shuffled batches of indices whose examples have similar lengths, so little compute goes to padding.

    Examples are shuffled, cut into windows of `window` batches, sorted by length within each window and
    batched; then the batch order is shuffled. Deterministic in `seed`.
    """
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches = []
    for start in range(0, len(order), window * batch_size):
        chunk = sorted(order[start : start + window * batch_size], key=lengths.__getitem__)
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


class MathCampsData(L.LightningDataModule):
    """MathCAMPS problems generated on the fly, never sharing a symbolic structure with held-out problems."""

    def __init__(
        self,
        standards: list[str],
        per_standard: int = 1000,
        seed: int = 0,
        batch_size: int = 32,
        max_seq_len: int = 256,
        style: Style = "story",
    ) -> None:
        """
        Args:
            standards: Common Core standard ids to train on, e.g. ["K.CC.C.7", "1.OA.A.1"].
            per_standard: problems generated per standard, before held-out structures are removed.
            seed: generation seed; the problems are a pure function of (standard, seed, index).
            batch_size: examples per optimiser step.
            max_seq_len: longer examples are dropped (and counted).
            style: "story" for word problems where a standard has them, "exercise" for bare arithmetic.
        """
        super().__init__()
        if not standards:
            raise ValueError("data.standards must name at least one standard, got []")
        for name, value in (("per_standard", per_standard), ("batch_size", batch_size), ("max_seq_len", max_seq_len)):
            if value < 1:
                raise ValueError(f"data.{name} must be >= 1, got {value}")
        self.standards, self.per_standard, self.seed = standards, per_standard, seed
        self.batch_size, self.max_seq_len, self.style = batch_size, max_seq_len, style
        self.held_out: set[str] = set()
        self.tokenizer: PreTrainedTokenizerBase | None = None
        self.examples: list[dict[str, list[int]]] = []

    def hold_out(self, problems: Iterable[Problem]) -> None:
        """Never train on a structure of these problems (the probe's evaluation set)."""
        self.held_out |= {structure_key(p.structure) for p in problems if p.structure}

    def problems(self) -> list[Problem]:
        made = generate_problems(self.standards, self.per_standard, self.seed, followups=False, style=self.style)
        return [p for p in made if structure_key(p.structure or "") not in self.held_out]

    def corpus(self) -> list[str]:
        """Text to train a scratch tokenizer on."""
        return [f"{p.statement}\n{p.solution}" for p in self.problems()]

    def set_tokenizer(self, tokenizer: PreTrainedTokenizerBase) -> None:
        self.tokenizer = tokenizer

    def setup(self, stage: str) -> None:
        if self.tokenizer is None:
            raise RuntimeError("MathCampsData.set_tokenizer must be called before setup")
        encoded = [encode_example(self.tokenizer, chat_messages(p)) for p in self.problems()]
        self.examples = [e for e in encoded if len(e["input_ids"]) <= self.max_seq_len]
        dropped = len(encoded) - len(self.examples)
        if not self.examples:
            raise ValueError(f"data.max_seq_len={self.max_seq_len} drops all {len(encoded)} examples")
        if dropped:
            print(f"data: dropped {dropped} of {len(encoded)} examples longer than max_seq_len={self.max_seq_len}")

    def train_dataloader(self) -> DataLoader:
        batches = length_bucketed_batches([len(e["input_ids"]) for e in self.examples], self.batch_size, self.seed)
        return DataLoader(self.examples, batch_sampler=batches, collate_fn=self.collate)

    def collate(self, batch: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        assert self.tokenizer is not None
        width = max(len(e["input_ids"]) for e in batch)
        pad = self.tokenizer.pad_token_id
        ids = torch.full((len(batch), width), pad, dtype=torch.long)  # (B, T)
        labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, example in enumerate(batch):
            n = len(example["input_ids"])
            ids[row, :n] = torch.tensor(example["input_ids"])
            labels[row, :n] = torch.tensor(example["labels"])
            mask[row, :n] = 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}

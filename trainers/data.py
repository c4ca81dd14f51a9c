"""The instruction-tuning data: conversations as token ids with the loss on the assistant's replies only.

Sources (any mix): MathCAMPS problems generated on the fly, published MathCAMPS files, and JSONL chat files.
The data module holds out the probe's problems, splits train/validation deterministically, drops (and
counts) examples longer than `max_seq_len`, optionally packs several examples per row, and serves batches
from a sampler that shards across ranks and resumes mid-epoch from a checkpoint.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch.utils.data import DataLoader
from transformers import PreTrainedTokenizerBase

from mathcamps.generate import generate_problems
from mathcamps.problem import Problem
from mathcamps.render.templates import Style
from trainers.holdout import HoldOut
from trainers.module import IGNORE, NUM_TOKENS
from trainers.sources import Messages, chat_messages, read_chat_jsonl, read_published

Example = dict[str, list[int]]

__all__ = ["IGNORE", "MathCampsData", "chat_messages", "encode_example", "fit_rows", "shuffled_batches", "pack"]


def encode_example(tokenizer: PreTrainedTokenizerBase, messages: Messages) -> Example:
    """Token ids of a chat, with labels on each assistant reply only, each reply ending with EOS.

    Each prompt (everything before a reply, up to the template's generation prompt) and each reply are
    tokenised apart, so a prompt's ids are exactly those the probe generates from. A reply the template
    does not end with EOS gets one appended, so the tuned model learns to stop; the text after a final EOS
    (a template's trailing newline) is cut.
    """
    eos = tokenizer.eos_token_id
    ids: list[int] = []
    labels: list[int] = []
    covered = ""  # template text already turned into ids
    turns = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
    if not turns:
        raise ValueError("a conversation needs at least one assistant message")
    for i in turns:
        prompt = tokenizer.apply_chat_template(messages[:i], tokenize=False, add_generation_prompt=True)
        full = tokenizer.apply_chat_template(messages[: i + 1], tokenize=False)
        if not (prompt.startswith(covered) and full.startswith(prompt)):
            raise ValueError("the chat template does not render each prompt as a prefix of the whole conversation")
        context = tokenizer(prompt[len(covered) :], add_special_tokens=False)["input_ids"]
        reply = tokenizer(full[len(prompt) :], add_special_tokens=False)["input_ids"]
        after: list[int] = []
        if eos in reply:
            cut = reply.index(eos) + 1
            reply, after = reply[:cut], (reply[cut:] if i != turns[-1] else [])
        else:
            reply = [*reply, eos]
        ids += context + reply + after
        labels += [IGNORE] * len(context) + reply + [IGNORE] * len(after)
        covered = full
    return {"input_ids": ids, "labels": labels}


def pack(examples: list[Example], max_len: int) -> list[Example]:
    """Examples concatenated, in order, into rows of at most `max_len` tokens, each sample with its own positions.

    `position_ids` restart at 0 for each sample; HF models read that as packed sequences and keep attention
    within each sample. A sample's first label is IGNORE, so nothing is predicted across a boundary (unpacked,
    the first token is never a target either).
    """
    rows: list[Example] = []
    row: Example = {"input_ids": [], "labels": [], "position_ids": []}
    for example in examples:
        n = len(example["input_ids"])
        assert n <= max_len, "examples are length-filtered before packing"
        if row["input_ids"] and len(row["input_ids"]) + n > max_len:
            rows.append(row)
            row = {"input_ids": [], "labels": [], "position_ids": []}
        row["input_ids"] += example["input_ids"]
        row["labels"] += [IGNORE, *example["labels"][1:]]
        row["position_ids"] += list(range(n))
    if row["input_ids"]:
        rows.append(row)
    return rows


def fit_rows(examples: list[Example], max_len: int) -> list[Example]:
    """One batch's examples packed into as few rows of at most `max_len` tokens as first-fit decreasing finds.

    The batch keeps its examples and targets (a padded row each would too); only the layout changes, so the
    compute that padding would take goes to real tokens instead.
    """
    bins: list[list[Example]] = []
    room: list[int] = []  # tokens still free in each bin
    for example in sorted(examples, key=lambda e: -len(e["input_ids"])):
        n = len(example["input_ids"])
        slot = next((i for i, free in enumerate(room) if free >= n), None)
        if slot is None:
            bins.append([])
            room.append(max_len)
            slot = len(bins) - 1
        bins[slot].append(example)
        room[slot] -= n
    return [row for examples_in_bin in bins for row in pack(examples_in_bin, max_len)]


def shuffled_batches(n: int, batch_size: int, seed: int) -> list[list[int]]:
    """Batches of `n` example indices, shuffled with `seed`.

    No length bucketing: sorting by length puts one standard in a batch (lengths differ by standard), and
    the quickstart measured those single-standard batches learning about half as much per step. Use
    `packing` to avoid padding instead.
    """
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


class EpochBatches:
    """A batch sampler: this rank's share of each epoch's batches, resumable mid-epoch.

    Each epoch's global batches (`batch_size * world_size` examples, shuffled with
    `seed + epoch`) are dealt out, rank r taking every world_size-th example of each, so N processes with
    batch B see the same global batches as one process with batch N*B. `consumed` counts the batches the
    training loop has used this epoch (not those prefetched), which is what a checkpoint must record.
    """

    def __init__(self, lengths: list[int], batch_size: int, seed: int, shuffle: bool = True,
                 rank: int = 0, world_size: int = 1) -> None:
        self.lengths, self.batch_size, self.seed, self.shuffle = lengths, batch_size, seed, shuffle
        self.rank, self.world_size = rank, world_size
        self.epoch = 0
        self.consumed = 0
        self._resume: tuple[int, int] | None = None  # (epoch, batches to skip) from a checkpoint
        self._cache: tuple[int, list[list[int]]] | None = None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches(self) -> list[list[int]]:
        if self._cache is None or self._cache[0] != self.epoch:
            size = self.batch_size * self.world_size
            if self.shuffle:
                batches = shuffled_batches(len(self.lengths), size, self.seed + self.epoch)
            else:
                batches = [list(range(i, min(i + size, len(self.lengths)))) for i in range(0, len(self.lengths), size)]
            # A global batch smaller than world_size would leave a rank with nothing, so ranks would fall out of step.
            self._cache = (self.epoch, [b[self.rank :: self.world_size] for b in batches if len(b) >= self.world_size])
        return self._cache[1]

    def __iter__(self) -> Iterator[list[int]]:
        skip = 0
        if self._resume is not None and self._resume[0] == self.epoch:
            skip = self._resume[1]
        self._resume = None
        self.consumed = skip
        yield from self.batches()[skip:]

    def __len__(self) -> int:
        return len(self.batches())

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "consumed": self.consumed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self._resume = (state["epoch"], state["consumed"])


class MathCampsData(L.LightningDataModule):
    """Conversations to tune on, from MathCAMPS (generated or published) and JSONL chat files."""

    def __init__(
        self,
        standards: list[str] | None = None,
        per_standard: int = 1000,
        seed: int = 0,
        jsonl: list[Path] | None = None,
        published: list[Path] | None = None,
        batch_size: int = 32,
        max_seq_len: int = 256,
        packing: bool = False,
        padding_free: bool = True,
        val_fraction: float = 0.0,
        style: Style = "story",
        jsonl_overlap: Literal["drop", "report"] = "drop",
    ) -> None:
        """
        Args:
            standards: Common Core standard ids to generate problems for, e.g. ["K.CC.C.7", "1.OA.A.1"].
            per_standard: problems generated per standard, before held-out structures are removed.
            seed: seed of generation, shuffling and the train/validation split; the problems are a pure
                function of (standard, seed, index).
            jsonl: JSONL files of `{"messages": [{"role", "content"}, ...]}` or
                `{"instruction", "input", "output"}` rows.
            published: published MathCAMPS files (a per-standard `.json`, `mathcamps.json`) or release folders;
                their original problems, with the answer as the reply.
            batch_size: rows per device per micro-batch (the global batch is this times devices times
                `trainer.accumulate_grad_batches`).
            max_seq_len: longer examples are dropped (and counted); with packing, the length of a packed row.
            packing: concatenate examples into rows of up to `max_seq_len` tokens, attention kept per example.
            padding_free: without packing, lay each batch's examples out in as few rows of up to `max_seq_len`
                tokens as they fit in, attention kept per example, instead of a padded row each: the same
                examples and loss per step, less compute spent on padding. Both need a model that reads
                restarting `position_ids` as separate sequences; training checks that at its first step.
            val_fraction: share of the conversations held out for validation (`val/loss`); 0 for none.
            style: "story" for word problems where a standard has them, "exercise" for bare arithmetic.
            jsonl_overlap: a JSONL conversation sharing a 13-word span with a held-out (probe) statement is
                dropped ("drop") or only counted ("report"); MathCAMPS problems that match one are always dropped.
        """
        super().__init__()
        if not (standards or jsonl or published):
            raise ValueError("data needs a source: set data.standards, data.jsonl or data.published")
        for name, value in (("per_standard", per_standard), ("batch_size", batch_size), ("max_seq_len", max_seq_len)):
            if value < 1:
                raise ValueError(f"data.{name} must be >= 1, got {value}")
        if not 0 <= val_fraction < 1:
            raise ValueError(f"data.val_fraction must be in [0, 1), got {val_fraction}")
        self.standards, self.per_standard, self.seed = list(standards or []), per_standard, seed
        self.jsonl, self.published = [Path(p) for p in jsonl or []], [Path(p) for p in published or []]
        self.batch_size, self.max_seq_len = batch_size, max_seq_len
        self.packing, self.padding_free, self.val_fraction = packing, padding_free, val_fraction
        self.style, self.jsonl_overlap = style, jsonl_overlap
        self.held_out = HoldOut()
        self.tokenizer: PreTrainedTokenizerBase | None = None
        self.train_examples: list[Example] = []
        self.val_examples: list[Example] = []
        self.sampler: EpochBatches | None = None
        self._sampler_state: dict[str, int] | None = None

    # -- sources -------------------------------------------------------------------------------------------

    def hold_out(self, problems: Iterable[Problem]) -> None:
        """Never train on these problems (an evaluation set): not their ids, statements or structures."""
        self.held_out.add(problems)

    def problems(self) -> list[Problem]:
        """The MathCAMPS problems to train on (generated, then published), without held-out ones."""
        made = []
        if self.standards:
            made = generate_problems(self.standards, self.per_standard, self.seed, followups=False, style=self.style)
        made += [p for path in self.published for p in read_published(path)]
        self.held_out.dropped.update(id=0, text=0, structure=0)  # counts of the latest call
        return self.held_out.keep_problems(made)

    def conversations(self) -> list[Messages]:
        """Every training conversation, held-out problems left out (and counted in `held_out`)."""
        chats = [c for path in self.jsonl for c in read_chat_jsonl(path)]
        overlapping = [bool(self.held_out) and self.held_out.overlapping("\n".join(m["content"] for m in c))
                       for c in chats]
        self.held_out.overlaps = sum(overlapping)
        if self.jsonl_overlap == "drop":
            chats = [c for c, hit in zip(chats, overlapping, strict=True) if not hit]
        return [chat_messages(p) for p in self.problems()] + chats

    def held_out_report(self) -> str:
        """How much training data the hold-out removed (after `conversations()`)."""
        return self.held_out.report(self.jsonl_overlap == "drop")

    def corpus(self) -> list[str]:
        """Text to train a scratch tokenizer on."""
        return ["\n".join(m["content"] for m in c) for c in self.conversations()]

    def set_tokenizer(self, tokenizer: PreTrainedTokenizerBase) -> None:
        self.tokenizer = tokenizer

    # -- set-up --------------------------------------------------------------------------------------------

    def setup(self, stage: str) -> None:
        if self.tokenizer is None:
            raise RuntimeError("MathCampsData.set_tokenizer must be called before setup")
        conversations = self.conversations()
        if self.held_out:
            rank_zero_info(f"data: {self.held_out_report()}")
        order = list(range(len(conversations)))
        random.Random(self.seed).shuffle(order)
        n_val = max(1, round(self.val_fraction * len(order))) if self.val_fraction else 0
        if n_val >= len(order):
            raise ValueError(f"data.val_fraction={self.val_fraction} leaves no training data of {len(order)}")
        encoded = [encode_example(self.tokenizer, conversations[i]) for i in order]
        kept = [e for e in encoded if len(e["input_ids"]) <= self.max_seq_len]
        dropped = len(encoded) - len(kept)
        if not kept:
            raise ValueError(f"data.max_seq_len={self.max_seq_len} drops all {len(encoded)} examples "
                             f"(the shortest has {min(len(e['input_ids']) for e in encoded)} tokens)")
        if dropped:
            rank_zero_info(f"data: dropped {dropped} of {len(encoded)} examples longer than "
                           f"max_seq_len={self.max_seq_len}")
        val = [e for e in encoded[:n_val] if len(e["input_ids"]) <= self.max_seq_len]
        train = [e for e in encoded[n_val:] if len(e["input_ids"]) <= self.max_seq_len]
        if not train:
            raise ValueError(f"data.max_seq_len={self.max_seq_len} leaves no training examples")
        if self.packing:
            train, val = pack(train, self.max_seq_len), pack(val, self.max_seq_len)
            fill = sum(len(r["input_ids"]) for r in train) / (len(train) * self.max_seq_len)
            rank_zero_info(f"data: packed into {len(train)} rows of up to {self.max_seq_len} tokens ({fill:.0%} full)")
        self.train_examples, self.val_examples = train, val
        unit = "rows" if self.packing else "examples"
        rank_zero_info(f"data: {len(train)} training and {len(val)} validation {unit}")

    def train_dataloader(self) -> DataLoader:
        rank, world_size = 0, 1
        if self.trainer is not None:
            rank, world_size = self.trainer.global_rank, self.trainer.world_size
            connector = getattr(self.trainer, "_accelerator_connector", None)
            if world_size > 1 and getattr(connector, "use_distributed_sampler", False):
                raise ValueError("MathCampsData shards batches itself: set trainer.use_distributed_sampler: false")
        lengths = [len(e["input_ids"]) for e in self.train_examples]
        self.sampler = EpochBatches(lengths, self.batch_size, self.seed, rank=rank, world_size=world_size)
        if self._sampler_state is not None:
            self.sampler.load_state_dict(self._sampler_state)
            self._sampler_state = None
        return DataLoader(self.train_examples, batch_sampler=self.sampler, collate_fn=self.collate)

    def val_dataloader(self) -> DataLoader | list:
        if not self.val_examples:
            return []
        rank, world_size = (self.trainer.global_rank, self.trainer.world_size) if self.trainer else (0, 1)
        lengths = [len(e["input_ids"]) for e in self.val_examples]
        batches = EpochBatches(lengths, self.batch_size, self.seed, shuffle=False, rank=rank, world_size=world_size)
        return DataLoader(self.val_examples, batch_sampler=batches, collate_fn=self.collate)

    def collate(self, batch: list[Example]) -> dict[str, torch.Tensor]:
        """Right-padded tensors; packed rows carry `position_ids` instead of an attention mask."""
        assert self.tokenizer is not None
        if self.padding_free and "position_ids" not in batch[0]:
            batch = fit_rows(batch, self.max_seq_len)
        width = max(len(e["input_ids"]) for e in batch)
        ids = torch.full((len(batch), width), self.tokenizer.pad_token_id, dtype=torch.long)  # (B, T)
        labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)  # (B, T)
        mask = torch.zeros((len(batch), width), dtype=torch.long)  # (B, T)
        positions = torch.zeros((len(batch), width), dtype=torch.long)  # (B, T)
        for row, example in enumerate(batch):
            n = len(example["input_ids"])
            ids[row, :n] = torch.tensor(example["input_ids"])
            labels[row, :n] = torch.tensor(example["labels"])
            mask[row, :n] = 1
            if "position_ids" in example:
                positions[row, :n] = torch.tensor(example["position_ids"])
                positions[row, n:] = torch.arange(width - n)  # padding is a sample of its own, with no loss
        out = {"input_ids": ids, "labels": labels, NUM_TOKENS: mask.sum()}
        if "position_ids" in batch[0]:
            out["position_ids"] = positions
        else:
            out["attention_mask"] = mask
        return out

    # -- resuming mid-epoch --------------------------------------------------------------------------------

    def on_before_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        # Called as the training loop takes a batch (prefetched ones are not counted).
        if self.trainer is not None and self.trainer.training and self.sampler is not None:
            self.sampler.consumed += 1
        return batch

    def state_dict(self) -> dict[str, Any]:
        return {"sampler": self.sampler.state_dict()} if self.sampler is not None else {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._sampler_state = state_dict.get("sampler")

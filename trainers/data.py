"""The instruction-tuning data: conversations as token ids with the loss on the assistant's replies only.

Sources (`trainers.sources`, any mix, by weight: `trainers.mixture`): MathCAMPS problems generated on the fly or
published, JSONL/JSON files, and HF datasets. The data module holds out the probe's problems, cuts or drops
(and counts, per source) examples longer than `max_seq_len`, splits train/validation deterministically, draws
the mixture, optionally packs several examples per row, and serves batches from a sampler that shards across
ranks and resumes mid-epoch from a checkpoint. Token ids are cached (`trainers.tokens`).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch.utils.data import DataLoader
from transformers import PreTrainedTokenizerBase

from mathcamps.problem import Problem
from mathcamps.render.templates import Style
from trainers.batches import EpochBatches, fit_rows, pack, shuffled_batches
from trainers.holdout import HoldOut
from trainers.mixture import SourceCounts, draw, shares
from trainers.module import IGNORE, NUM_TOKENS
from trainers.sources import Messages, Source, chat_messages, read_conversations, read_problems_of
from trainers.tokens import Example, Overlong, encode_cached, encode_example, fit_length

__all__ = ["IGNORE", "EpochBatches", "MathCampsData", "Source", "chat_messages", "encode_example", "fit_rows",
           "shuffled_batches", "pack"]


class MathCampsData(L.LightningDataModule):
    """Conversations to tune on, from a mixture of sources: MathCAMPS problems, JSONL/JSON files, HF datasets."""

    def __init__(
        self,
        standards: list[str] | None = None,
        per_standard: int = 1000,
        seed: int = 0,
        jsonl: list[Path] | None = None,
        published: list[Path] | None = None,
        sources: list[Source] | None = None,
        batch_size: int = 32,
        max_seq_len: int = 256,
        overlong: Overlong = "drop",
        skip_bad_rows: bool = False,
        packing: bool = False,
        padding_free: bool = True,
        val_fraction: float = 0.0,
        style: Style = "story",
        jsonl_overlap: Literal["drop", "report"] = "drop",
        cache_dir: Path | None = None,
    ) -> None:
        """
        Args:
            standards: shorthand for one `sources` entry of generated problems: Common Core standard ids, e.g.
                ["K.CC.C.7", "1.OA.A.1"], with `per_standard` and `style`.
            per_standard: problems generated per standard (with `standards`), before held-out ones are removed.
            seed: seed of generation (for sources that set none), shuffling, the mixture's draws and the
                train/validation split; the problems are a pure function of (standard, seed, index).
            jsonl: shorthand for `sources` entries `{file: ...}`: JSONL files of `{"messages": [...]}` or
                `{"instruction", "input", "output"}` rows (or GSM8K/MetaMath rows), read by each row's keys.
            published: shorthand for `sources` entries `{published: ...}`: published MathCAMPS files (a
                per-standard `.json`, `mathcamps.json`) or release folders; original problems, the answer as reply.
            sources: the mixture (see `trainers.sources.Source`): each an HF dataset, a JSONL/JSON file, generated
                or published MathCAMPS problems, with a `format` and a `weight`. The shorthands above are added
                after these.
            batch_size: rows per device per micro-batch (the global batch is this times devices times
                `trainer.accumulate_grad_batches`).
            max_seq_len: the longest example, in tokens; with packing, the length of a packed row.
            overlong: an example longer than `max_seq_len` is dropped ("drop") or cut to it ("truncate"; one whose
                reply would start past the cut is dropped); the counts per source are logged at start-up.
            skip_bad_rows: a row that cannot be read as a conversation is skipped and counted, instead of
                stopping with an error that names its file, line and field.
            packing: concatenate examples into rows of up to `max_seq_len` tokens, attention kept per example.
            padding_free: without packing, lay each batch's examples out in as few rows of up to `max_seq_len`
                tokens as they fit in, attention kept per example, instead of a padded row each: the same
                examples and loss per step, less compute spent on padding. Both need a model that reads
                restarting `position_ids` as separate sequences; training checks that at its first step.
            val_fraction: share of each source's examples held out for validation (`val/loss`); 0 for none.
            style: with `standards`: "story" for word problems where a standard has them, "exercise" for bare
                arithmetic.
            jsonl_overlap: a file or dataset conversation sharing a 13-word span with a held-out (probe)
                statement is dropped ("drop") or only counted ("report"); MathCAMPS problems that match one are
                always dropped.
            cache_dir: where token ids are cached (keyed by the conversations and the tokenizer); by default
                `<datasets cache>/mathcamps-tokens`, so a second run with the same data starts at once.
        """
        super().__init__()
        for name, value in (("per_standard", per_standard), ("batch_size", batch_size), ("max_seq_len", max_seq_len)):
            if value < 1:
                raise ValueError(f"data.{name} must be >= 1, got {value}")
        if not 0 <= val_fraction < 1:
            raise ValueError(f"data.val_fraction must be in [0, 1), got {val_fraction}")
        listed = [(f"data.sources[{i}]", s) for i, s in enumerate(sources or [])]
        if standards:
            listed.append(("data.standards", Source(standards=list(standards), per_standard=per_standard, style=style)))
        listed += [("data.published", Source(published=str(p))) for p in published or []]
        listed += [("data.jsonl", Source(file=str(p))) for p in jsonl or []]
        if not listed:
            raise ValueError("data needs a source: set data.sources, data.standards, data.jsonl or data.published")
        for where, source in listed:
            # The standards shorthand's keys sit in `data` itself: a bad id reads "data.standards: ...".
            source.check("data" if where == "data.standards" else where)
        weighted = [where for where, s in listed if s.weight is not None]
        if weighted and len(weighted) < len(listed):
            unweighted = [where for where, s in listed if s.weight is None]
            raise ValueError(f"{weighted[0]}.weight is set but {unweighted[0]} has none: weights are shares of the "
                             "mixture, so set one on every source (shorthand sources go into data.sources)")
        self.sources = [s for _, s in listed]
        self.seed, self.batch_size, self.max_seq_len = seed, batch_size, max_seq_len
        self.overlong, self.skip_bad_rows = overlong, skip_bad_rows
        self.packing, self.padding_free, self.val_fraction = packing, padding_free, val_fraction
        self.jsonl_overlap, self.cache_dir = jsonl_overlap, cache_dir
        self.held_out = HoldOut()
        self.tokenizer: PreTrainedTokenizerBase | None = None
        self.counts: list[SourceCounts] = []
        """Per source, what its rows became (set by `setup`)."""
        self.train_examples: list[Example] = []
        self.val_examples: list[Example] = []
        self.sampler: EpochBatches | None = None
        self._sampler_state: dict[str, int] | None = None

    # -- sources -------------------------------------------------------------------------------------------

    def hold_out(self, problems: Iterable[Problem]) -> None:
        """Never train on these problems (an evaluation set): not their ids, statements or structures."""
        self.held_out.add(problems)

    def problems(self) -> list[Problem]:
        """The MathCAMPS problems to train on (of the generated and published sources), without held-out ones."""
        made = [p for s in self.sources if s.kind in ("standards", "published") for p in read_problems_of(s, self.seed)]
        self.held_out.dropped.update(id=0, text=0, structure=0)  # counts of the latest call
        return self.held_out.keep_problems(made)

    def conversations(self) -> list[Messages]:
        """Every training conversation, of every source in order, held-out ones left out (and counted)."""
        return [c for chats, _ in self._read() for c in chats]

    def _read(self) -> list[tuple[list[Messages], SourceCounts]]:
        self.held_out.dropped.update(id=0, text=0, structure=0)  # counts of the latest call
        out = [self._read_source(s) for s in self.sources]
        self.held_out.overlaps = sum(counts.overlapping for _, counts in out)
        return out

    def _read_source(self, source: Source) -> tuple[list[Messages], SourceCounts]:
        counts = SourceCounts(source.label())
        if source.kind in ("standards", "published"):
            problems = read_problems_of(source, self.seed)
            kept = self.held_out.keep_problems(problems)
            counts.rows, counts.held_out = len(problems), len(problems) - len(kept)
            return [chat_messages(p) for p in kept], counts
        read = read_conversations(source, self.skip_bad_rows)
        counts.rows, counts.bad, counts.first_bad = read.rows, read.bad, read.first_bad
        chats = read.conversations
        if self.held_out:
            hits = [self.held_out.overlapping("\n".join(m["content"] for m in c)) for c in chats]
            counts.overlapping = sum(hits)
            if self.jsonl_overlap == "drop":
                chats = [c for c, hit in zip(chats, hits, strict=True) if not hit]
                counts.held_out = counts.overlapping
        return chats, counts

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
        read = self._read()
        self.counts = [counts for _, counts in read]
        if self.held_out:
            rank_zero_info(f"data: {self.held_out_report()}")
        trains: list[list[Example]] = []
        val: list[Example] = []
        for k, (chats, counts) in enumerate(read):
            encoded, cached = encode_cached(self.tokenizer, chats, self.cache_dir)
            kept = self._fit(encoded, counts)
            random.Random(self.seed + k).shuffle(kept)
            n_val = max(1, round(self.val_fraction * len(kept))) if self.val_fraction else 0
            if n_val >= len(kept):
                raise ValueError(f"data.val_fraction={self.val_fraction} leaves no training data of {len(kept)} "
                                 f"examples in {counts.label}")
            val += kept[:n_val]
            trains.append(kept[n_val:])
            counts.train, counts.val, counts.cached = len(kept) - n_val, n_val, cached
        weights = [s.weight for s in self.sources] if self.sources[0].weight is not None else None
        drawn = shares([len(t) for t in trains], weights)
        train = []
        for k, (examples, n) in enumerate(zip(trains, drawn, strict=True)):
            train += [examples[i] for i in draw(len(examples), n, self.seed + k)]
            self.counts[k].drawn = n
        random.Random(self.seed).shuffle(train)  # sources interleaved, so packed rows mix them too
        for k, counts in enumerate(self.counts):
            rank_zero_info(f"data: source {k}, {counts.report(self.max_seq_len)}")
        if self.packing:
            train, val = pack(train, self.max_seq_len), pack(val, self.max_seq_len)
            fill = sum(len(r["input_ids"]) for r in train) / (len(train) * self.max_seq_len)
            rank_zero_info(f"data: packed into {len(train)} rows of up to {self.max_seq_len} tokens ({fill:.0%} full)")
        self.train_examples, self.val_examples = train, val
        unit = "rows" if self.packing else "examples"
        rank_zero_info(f"data: {len(train)} training and {len(val)} validation {unit}")

    def _fit(self, encoded: list[Example], counts: SourceCounts) -> list[Example]:
        """`encoded` within `max_seq_len` by `overlong`, counted."""
        kept = []
        for example in encoded:
            fitted = fit_length(example, self.max_seq_len, self.overlong)
            if fitted is None:
                counts.too_long += 1
            else:
                counts.cut += fitted is not example
                kept.append(fitted)
        if not encoded:
            raise ValueError(f"{counts.label} has no examples left: {counts.report(self.max_seq_len)}")
        if not kept:
            raise ValueError(f"data.max_seq_len={self.max_seq_len} drops all {len(encoded)} examples of "
                             f"{counts.label} (the shortest has {min(len(e['input_ids']) for e in encoded)} tokens)")
        return kept

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

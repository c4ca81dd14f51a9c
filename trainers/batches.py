"""How examples become batches: packed rows, padding-free rows, and a shuffled, sharded, resumable sampler."""

from __future__ import annotations

import random
from collections.abc import Iterator

from trainers.module import IGNORE
from trainers.tokens import Example


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

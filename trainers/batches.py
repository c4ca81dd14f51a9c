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


EXTRA_ROWS = 3  # row counts tried beyond the fewest (more find little: 97.1% full at batch 16, not 97.2%)


def fit_rows(examples: list[Example], max_len: int) -> list[Example]:
    """One batch's examples packed into rows of at most `max_len` tokens, in the fewest slots (rows times the
    longest row) that first-fit decreasing finds.

    The batch keeps its examples and targets (a padded row each would too); only the layout changes, so the
    compute that padding would take goes to real tokens instead. Rows as long as `max_len` would leave the last
    one part empty (3.5 rows of tokens take 4 full rows), so each row count from the fewest up is tried with
    the narrowest width it fits in: 896 tokens go into 4 rows of 224, not 4 of 256 (also less attention, which
    grows with the square of the width).
    """
    by_length = sorted(examples, key=lambda e: -len(e["input_ids"]))
    longest, total = len(by_length[0]["input_ids"]), sum(len(e["input_ids"]) for e in examples)
    best = first_fit(by_length, max_len)
    assert best is not None  # no row limit
    slots = slots_of(best)
    for n_rows in range(len(best), len(best) + EXTRA_ROWS + 1):
        low = max(longest, -(-total // n_rows))  # no narrower rows can hold the batch in n_rows
        high = (slots - 1) // n_rows  # the widest rows that would take fewer slots than the best so far
        fitted = None
        while low <= high:  # the narrowest width that fits, by bisection (a wider one fits too, nearly always)
            width = (low + high) // 2
            bins = first_fit(by_length, width, n_rows)
            if bins is None:
                low = width + 1
            else:
                fitted, high = bins, width - 1
        if fitted is not None:
            best, slots = fitted, slots_of(fitted)
    return [row for examples_in_bin in best for row in pack(examples_in_bin, max_len)]


def slots_of(bins: list[list[Example]]) -> int:
    """Positions a batch of these bins computes: rows times the longest row."""
    return len(bins) * max(sum(len(e["input_ids"]) for e in b) for b in bins)


def first_fit(examples: list[Example], width: int, max_rows: int | None = None) -> list[list[Example]] | None:
    """`examples`, in order, each into the first bin of `width` tokens with room for it (a new bin when none
    has); None when that would take more than `max_rows` bins.

    >>> [[len(e["input_ids"]) for e in b] for b in first_fit([{"input_ids": [0] * n} for n in (5, 4, 3, 3)], 8)]
    [[5, 3], [4, 3]]
    """
    bins: list[list[Example]] = []
    room: list[int] = []  # tokens still free in each bin
    for example in examples:
        n = len(example["input_ids"])
        slot = next((i for i, free in enumerate(room) if free >= n), None)
        if slot is None:
            if max_rows is not None and len(bins) == max_rows:
                return None
            bins.append([])
            room.append(width)
            slot = len(bins) - 1
        bins[slot].append(example)
        room[slot] -= n
    return bins


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

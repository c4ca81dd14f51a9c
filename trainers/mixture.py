"""A mixture of sources: how many training examples each source gives, drawn by its weight, and the report.

An epoch holds as many examples as all sources have together. Each source's share is its weight over the sum
of weights (by default its size, which is plain concatenation). A source drawn for fewer examples than it has
gives a random subset; one drawn for more gives every example once per full pass and a random subset for the
rest, so no example repeats within a pass.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class SourceCounts:
    """What became of one source's rows, for the start-up report."""

    label: str
    rows: int = 0
    """Rows read (conversations, or problems for MathCAMPS sources)."""
    bad: int = 0
    """Bad rows skipped (`skip_bad_rows`)."""
    first_bad: str = ""
    held_out: int = 0
    """Rows matching an evaluation (probe) problem, dropped."""
    overlapping: int = 0
    """Conversations sharing a 13-word span with an evaluation statement (dropped unless jsonl_overlap: report)."""
    cut: int = 0
    """Examples longer than max_seq_len, cut to it (`overlong: truncate`)."""
    too_long: int = 0
    """Examples longer than max_seq_len, dropped (or, cut, left with no reply to learn)."""
    train: int = 0
    val: int = 0
    drawn: int = 0
    """Training examples this source gives each epoch, by its weight."""
    cached: bool = False
    """Whether the token ids were read from the cache rather than tokenised."""

    def report(self, max_seq_len: int) -> str:
        parts = [f"{self.rows} rows"]
        if self.bad:
            parts.append(f"{self.bad} bad rows skipped (first: {self.first_bad})")
        if self.held_out:
            parts.append(f"{self.held_out} held out (probe problems)")
        if self.overlapping:
            parts.append(f"{self.overlapping} share a span with a probe problem")
        if self.cut:
            parts.append(f"{self.cut} longer than max_seq_len={max_seq_len} cut")
        if self.too_long:
            parts.append(f"{self.too_long} longer than max_seq_len={max_seq_len} dropped")
        passes = f" ({self.drawn / self.train:.2f} passes)" if self.train and self.drawn != self.train else ""
        parts.append(f"{self.train} train + {self.val} validation examples; {self.drawn} drawn per epoch{passes}")
        return f"{self.label}{' (token ids cached)' if self.cached else ''}: " + ", ".join(parts)


def shares(sizes: list[int], weights: list[float] | None) -> list[int]:
    """Examples drawn from each source: `sum(sizes)` split by `weights` (by default `sizes`), largest remainder.

    >>> shares([100, 10], None), shares([100, 10], [1, 1]), shares([3, 3, 3], [1, 1, 1])
    ([100, 10], [55, 55], [3, 3, 3])
    """
    total = sum(sizes)
    if weights is None:
        return list(sizes)
    exact = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def draw(n: int, count: int, seed: int) -> list[int]:
    """`count` indices into `n` examples: whole shuffled passes, then a shuffled part of one.

    >>> from collections import Counter
    >>> sorted(Counter(draw(3, 7, 0)).values())  # two passes and one more
    [2, 2, 3]
    """
    rng = random.Random(seed)
    out: list[int] = []
    while len(out) < count:
        order = list(range(n))
        rng.shuffle(order)
        out += order[: count - len(out)]
    return out

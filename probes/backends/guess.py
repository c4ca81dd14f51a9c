"""Guessing a row's next tokens for the HF engine (prompt-lookup speculation), and how many guesses pay.

The engine feeds each row's newest token with a few guessed ones and keeps the guesses the model's greedy choices
confirm (see `probes.backends.hf`). `PromptLookup` makes the guesses from the row's own tokens; `DraftLength`
decides from the confirmations so far how many are worth their cost.
"""

from __future__ import annotations

# The most guesses a step may feed (`--draft-tokens`); `DraftLength` feeds fewer, or none, where fewer pay. On the
# 8M-parameter benchmark model (`benchmarks/eval_vs_lmeval.py`, every guess confirmed) 8 generated 490 answers in
# 11.4 s against 12.8 s with 4 and 11.2 s with 12, on 2 CPU threads.
DRAFT_TOKENS = 8


class PromptLookup:
    """Guesses of one row's next tokens: what followed the earliest earlier occurrence of its last 3, 2 or 1 tokens.

    The n-grams are indexed when a guess is asked for, up to the newest token, so a guess costs three dictionary
    lookups however long the row, and a row that is never asked costs nothing.

    >>> row = PromptLookup([5, 6, 7, 9, 5, 6])
    >>> row.draft(3)
    [7, 9, 5]
    >>> row.tokens.append(1); row.draft(3)
    []
    """

    max_n = 3

    def __init__(self, tokens: list[int]) -> None:
        self.tokens = list(tokens)  # append the row's new tokens here
        self.follows: dict[tuple[int, ...], int] = {}  # n-gram -> index of the token after its earliest occurrence
        self.indexed = 0  # tokens[:indexed] have had the n-grams before them indexed

    def draft(self, k: int) -> list[int]:
        """Up to `k` guessed tokens; longer n-grams are tried first, as their guesses are likelier right."""
        tokens, follows = self.tokens, self.follows
        for end in range(max(self.indexed, 1), len(tokens)):  # the n-grams ending just before tokens[end]
            for n in range(1, min(self.max_n, end) + 1):
                follows.setdefault(tuple(tokens[end - n : end]), end)
        self.indexed = len(tokens)
        for n in range(min(self.max_n, len(tokens)), 0, -1):
            start = follows.get(tuple(tokens[-n:]))
            if start is not None:
                return tokens[start : start + k]
        return []


class DraftLength:
    """How many guesses to feed per step: as many as the confirmations seen so far pay for.

    Feeding k guesses makes a step cost about `1 + cost * k` one-token steps and yield `1 + r[0] + ... + r[k-1]`
    tokens per row, where r[j] is the share of rows whose first j + 1 guesses were all confirmed (a running
    average). On one CPU thread a forward over k + 1 tokens costs about 1 + 0.2 k (measured for the 8M-parameter
    benchmark model and the quickstart's model alike); GPUs have cheaper spare width, so 0.2 errs on the side of
    guessing less. While guessing does not pay, a step now and then guesses anyway, so that answers which start to
    copy (a number from the question, a repeated phrase) are noticed: first after `probe_every` steps, then after
    twice as many each time a probe finds guessing still does not pay.

    >>> length = DraftLength(4, cost=0.2)
    >>> length.choose()  # no evidence yet: guesses are assumed right
    4
    >>> for _ in range(30): length.update(4, [1, 0, 0, 0])
    >>> length.choose()  # a quarter of the first guesses right pays for one guess, not for two
    1
    """

    def __init__(self, most: int, cost: float, decay: float = 0.5, probe_every: int = 16) -> None:
        self.most, self.cost, self.decay, self.probe_every = most, cost, decay, probe_every
        self.rates = [1.0] * most
        self.idle, self.wait = 0, probe_every  # steps without guesses, and how many until the next probe

    def choose(self) -> int:
        gains = [0.0]
        for rate in self.rates:
            gains.append(gains[-1] + rate)
        # Tokens per unit of cost; a tie goes to more guesses, so a cost of 0 always guesses all.
        best = max(range(self.most + 1), key=lambda k: ((1 + gains[k]) / (1 + self.cost * k), k))
        if best:
            self.idle, self.wait = 0, self.probe_every
            return best
        self.idle += 1
        if self.idle < self.wait:
            return 0
        self.idle, self.wait = 0, 2 * self.wait
        return self.most

    def update(self, fed: int, accepted: list[int]) -> None:
        """After a step that fed `fed` guesses per row, of which row i kept its first `accepted[i]`."""
        for j in range(fed):
            share = sum(n > j for n in accepted) / len(accepted)
            self.rates[j] = self.decay * self.rates[j] + (1 - self.decay) * share

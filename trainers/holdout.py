"""Hold-out: training data that matches an evaluation problem is dropped, and counted, whatever its source.

Any callback can name problems to keep out of training by implementing `HoldsOut` (the probe callback does);
`trainers.fit` asks every callback that does, without importing any of them. A MathCAMPS training problem is
dropped when its id, its normalised statement or its symbolic structure (`mathcamps.grammar.parse.structure_key`,
names and theme ignored) matches a held-out problem. A JSONL conversation is dropped when it shares a 13-word
span with a held-out statement (as GPT-3's decontamination did; a statement shorter than that must appear whole).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from mathcamps.grammar.parse import structure_key
from mathcamps.problem import Problem

NGRAM = 13


@runtime_checkable
class HoldsOut(Protocol):
    """Anything (a callback) whose problems must never be trained on."""

    def held_out_problems(self) -> list[Problem]: ...


def words(text: str) -> tuple[str, ...]:
    """Lower-case words and symbols, so `4 + 1` and `4 - 1` differ.

    >>> words("Ann has 4+1 apples.")
    ('ann', 'has', '4', '+', '1', 'apples', '.')
    """
    return tuple(re.findall(r"\w+|[^\w\s]", text.lower()))


def _key(structure: str) -> str | None:
    try:
        return structure_key(structure)
    except Exception:  # noqa: BLE001 - a structure our parser cannot read is matched by id and text only
        return None


@dataclass
class HoldOut:
    """What to keep out of training, and how much was kept out."""

    ids: set[str] = field(default_factory=set)
    texts: set[tuple[str, ...]] = field(default_factory=set)
    structures: set[str] = field(default_factory=set)
    grams: set[tuple[str, ...]] = field(default_factory=set)
    """Every 13-word span of a held-out statement, and the whole of a shorter one."""
    dropped: dict[str, int] = field(default_factory=lambda: {"id": 0, "text": 0, "structure": 0, "ngram": 0})
    overlaps: int = 0
    """JSONL conversations sharing a span with a held-out statement (dropped or not)."""

    def add(self, problems: Iterable[Problem]) -> None:
        for p in problems:
            self.ids.add(p.id)
            text = words(p.statement)
            self.texts.add(text)
            if p.structure and (key := _key(p.structure)) is not None:
                self.structures.add(key)
            if len(text) < NGRAM:
                self.grams.add(text)
            else:
                self.grams |= {text[i : i + NGRAM] for i in range(len(text) - NGRAM + 1)}

    def __bool__(self) -> bool:
        return bool(self.ids)

    def match(self, problem: Problem) -> str | None:
        """Why `problem` must not be trained on ("id", "text" or "structure"), or None."""
        if problem.id in self.ids:
            return "id"
        if words(problem.statement) in self.texts:
            return "text"
        if problem.structure and _key(problem.structure) in self.structures:
            return "structure"
        return None

    def overlapping(self, text: str) -> bool:
        """Whether `text` holds a 13-word span of a held-out statement (or a whole shorter statement)."""
        tokens = words(text)
        for n in {len(g) for g in self.grams}:
            if any(tokens[i : i + n] in self.grams for i in range(len(tokens) - n + 1)):
                return True
        return False

    def keep_problems(self, problems: list[Problem]) -> list[Problem]:
        """`problems` without those that match, counting each by its first matching reason."""
        kept = []
        for p in problems:
            reason = self.match(p) if self else None
            if reason is None:
                kept.append(p)
            else:
                self.dropped[reason] += 1
        return kept

    def report(self, jsonl_dropped: bool) -> str:
        d = self.dropped
        line = (
            f"hold-out: {len(self.ids)} evaluation problems kept out of training; dropped {d['id']} by id, "
            f"{d['text']} by statement text, {d['structure']} by symbolic structure"
        )
        verb = "dropped" if jsonl_dropped else "kept (data.jsonl_overlap: report)"
        return line + f"; {self.overlaps} JSONL conversations share a {NGRAM}-word span with them, {verb}"

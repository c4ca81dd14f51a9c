"""Answer extraction and grading (minimal first version; the grading issue deepens it).

`extract` finds the answer a response commits to; `grade` compares it with the expected answer string.
Extraction is kept apart from scoring so each can be seen and tested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_ANSWER_LINE = re.compile(r"###\s*Answer:[ \t]*(.*)")


@dataclass(frozen=True)
class Extraction:
    text: str | None
    rule: str  # which rule fired: "answer-line", or "none" when nothing could be extracted


@dataclass(frozen=True)
class Verdict:
    correct: bool
    extracted: str | None
    rule: str

    @property
    def unextractable(self) -> bool:
        return self.extracted is None


def extract(response: str) -> Extraction:
    """The text after the last `### Answer:` on its line."""
    matches = _ANSWER_LINE.findall(response)
    if not matches or not matches[-1].strip():
        return Extraction(None, "none")
    return Extraction(matches[-1].strip(), "answer-line")


def _normalise(text: str) -> Fraction | str:
    text = text.strip().rstrip(".").replace(",", "").replace("$", "").strip()
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return text


def equivalent(given: str, expected: str) -> bool:
    return _normalise(given) == _normalise(expected)


def grade(response: str, expected: str) -> Verdict:
    found = extract(response)
    correct = found.text is not None and equivalent(found.text, expected)
    return Verdict(correct, found.text, found.rule)

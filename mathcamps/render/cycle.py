"""The cycle-consistency check of LLM-rendered problems: read a back-translated structure, solve it, compare.

A rendered statement is translated back into a structure by a second, independent conversation; the problem is
kept only when that structure's answer equals the answer of the structure it was rendered from. `CycleReport`
counts the attempts, acceptances and reasons, one report per standard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mathcamps.answers.types import Answer, Mapping, Number
from mathcamps.grammar.exact import answer
from mathcamps.grammar.parse import parse_structure
from mathcamps.grammar.tree import EvalError
from mathcamps.problem import ORIGINAL
from mathcamps.standards import Standard


@dataclass
class CycleReport:
    """How many rendered problems survived the cycle-consistency check, by problem type."""

    attempted: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    exempt: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # why problems were dropped, e.g. "unparsable"

    def count(self, kind: str, accepted: bool, reason: str | None = None) -> None:
        self.attempted[kind] = self.attempted.get(kind, 0) + 1
        self.accepted[kind] = self.accepted.get(kind, 0) + accepted
        if reason:
            self.reasons[reason] = self.reasons.get(reason, 0) + 1

    @property
    def acceptance_rate(self) -> float:
        """Accepted / attempted over all problem types (1.0 when nothing was attempted)."""
        total = sum(self.attempted.values())
        return sum(self.accepted.values()) / total if total else 1.0


_STRUCTURE_LINE = re.compile(r"^\s*(\[\[.*\]\])")


def extract_structure(reply: str) -> str | None:
    """The structure lines (`[[...]]`) of an LLM reply, dropping prose, code fences and stray characters after a
    line's last `]]` (`[[question n = ['y']]]=`); None if there are none."""
    lines = [m.group(1) for line in reply.splitlines() if (m := _STRUCTURE_LINE.match(line))]
    return "\n".join(lines) or None


def same_answer(a: Answer, b: Answer) -> bool:
    """Whether two answers agree: equal values (an integer equals the same decimal); systems by sorted values,
    since a back-translation may name the unknowns differently."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if a.names == b.names:
            return all(_same_number(x, y) for (_, x), (_, y) in zip(a.values, b.values, strict=True))
        return sorted(v.value for _, v in a.values) == sorted(v.value for _, v in b.values)
    if isinstance(a, Number) and isinstance(b, Number):
        return _same_number(a, b)
    return a == b


def _same_number(a: Number, b: Number) -> bool:
    if "decimal" in (a.kind, b.kind):  # decimals agree to the precision they are published at (15 digits)
        return str(Number.decimal(a.value)) == str(Number.decimal(b.value))
    return a.value == b.value


def cycle_verdict(structure: str, back: str | None, std: Standard) -> str | None:
    """None if the back-translated structure `back` solves to the answer of `structure` (a problem of `std`),
    else why not: "no structure", "unparsable", "unsolvable" or "different answer"."""
    if back is None:
        return "no structure"
    try:
        theirs = answer(std, parse_structure(back))
    except EvalError:
        return "unsolvable"
    except ValueError:
        return "unparsable"
    return None if same_answer(answer(std, parse_structure(structure)), theirs) else "different answer"


def format_reports(reports: dict[str, CycleReport]) -> str:
    """A table of the cycle-consistency acceptance per standard: originals, follow-ups, and why problems failed."""
    header = f"{'standard':24} {'originals':>12} {'follow-ups':>12} {'rate':>6}  rejected for"
    rows = [header, "-" * len(header)]
    for sid, r in reports.items():
        o = f"{r.accepted.get(ORIGINAL, 0)}/{r.attempted.get(ORIGINAL, 0)}"
        fa = sum(v for k, v in r.accepted.items() if k != ORIGINAL)
        ft = sum(v for k, v in r.attempted.items() if k != ORIGINAL)
        why = ", ".join(f"{k} {v}" for k, v in sorted(r.reasons.items())) or ("exempt" if r.exempt else "")
        rows.append(f"{sid:24} {o:>12} {f'{fa}/{ft}':>12} {r.acceptance_rate:6.0%}  {why}")
    return "\n".join(rows)

"""Metrics over evaluation records: pure functions of a list of `probes.engine.Record`.

Accuracies are over originals unless the name says follow-up. Each accuracy comes as an `Accuracy`:
`{"n": int, "correct": int, "acc": float, "ci95": [low, high]}`, the interval being the 95% Wilson score interval.

`summary(records)` is what `python -m probes.evaluate` writes as `summary.json`. Its schema (version 1):

```
{
  "schema": 1,
  "overall": Accuracy,                      # originals, the grader's headline (flexible) verdict
  "strict": Accuracy,                       # originals, the verdict on the marked answer alone
  "format_rate": float,                     # originals whose response marked its answer (strict found one)
  "unextractable_rate": float,              # originals whose response had no answer the grader could extract
  "by_grade": {"K": Accuracy, "1": ..., ...},
  "by_standard": {"K.CC.C.7": Accuracy & {"strict": Accuracy, "format_rate": float, "unextractable_rate": float,
                                          "all_followups_right": Accuracy}, ...},
  "followups": null | {                     # null when no follow-up records exist (--no-followups)
    "by_kind": {"incremental-followup": {
                    "given_original_right": Accuracy,   # over follow-ups asked (their original was right)
                    "joint": Accuracy,                  # over all follow-ups: right only if original right too
                    "unextractable_rate": float},       # over follow-ups asked
                "counterfactual-followup": {...}},
    "given_original_right": Accuracy,       # P(follow-up right | original right), all kinds pooled
    "all_followups_right": Accuracy         # the published "all follow-ups right too" accuracy: an original
  },                                        # counts only if it and every one of its follow-ups are right
  "tokens": {"prompt": int, "new": int, "responses": int}
}
```

An original without follow-ups counts for `all_followups_right` by its own verdict, as in the published analysis.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from mathcamps.problem import GRADES, grade_order
from probes.engine import Record

Accuracy = dict[str, Any]


def wilson(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a proportion `correct / n` (95% for z = 1.96); (0, 1) when n = 0.

    >>> [round(x, 4) for x in wilson(8, 10)]
    [0.4902, 0.9433]
    """
    if n < 0 or not 0 <= correct <= n:
        raise ValueError(f"wilson needs 0 <= correct <= n, got correct={correct}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def accuracy(verdicts: Iterable[bool]) -> Accuracy:
    """Share of True in `verdicts`, with its count and 95% Wilson interval; acc is None when empty."""
    values = list(verdicts)
    n, k = len(values), sum(map(bool, values))
    lo, hi = wilson(k, n)
    return {"n": n, "correct": k, "acc": k / n if n else None, "ci95": [lo, hi]}


def _rate(records: list[Record], hit: Callable[[Record], bool]) -> float | None:
    return sum(map(hit, records)) / len(records) if records else None


def originals(records: Iterable[Record]) -> list[Record]:
    return [r for r in records if not r.is_followup]


def unextractable_rate(records: Iterable[Record]) -> float | None:
    """Share of asked records whose response had no extractable answer."""
    return _rate([r for r in records if r.asked], lambda r: r.extracted is None)


def format_rate(records: Iterable[Record]) -> float | None:
    """Share of asked records whose response marked its answer (the strict rules found one)."""
    return _rate([r for r in records if r.asked], lambda r: r.in_format)


def all_followups_right(records: Iterable[Record]) -> Accuracy:
    """Accuracy where an original counts only if it and all its follow-ups are right."""
    records = list(records)
    follow: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        if r.is_followup and r.followup_to is not None:
            follow[r.followup_to].append(r.correct)
    return accuracy(r.correct and all(follow.get(r.id, [])) for r in originals(records))


def by_standard(records: Iterable[Record]) -> dict[str, Accuracy]:
    """Per standard: accuracy on originals, unextractable rate, and the all-follow-ups-right accuracy."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        groups[r.standard].append(r)
    order = grade_order(groups)
    out = {}
    for s in order:
        first = originals(groups[s])
        out[s] = accuracy(r.correct for r in first) | {
            "strict": accuracy(r.strict for r in first),
            "format_rate": format_rate(first),
            "unextractable_rate": unextractable_rate(first),
            "all_followups_right": all_followups_right(groups[s]),
        }
    return out


def by_grade(records: Iterable[Record]) -> dict[str, Accuracy]:
    """Accuracy on originals per grade, K to 8."""
    groups: dict[str, list[bool]] = defaultdict(list)
    for r in originals(records):
        groups[r.grade].append(r.correct)
    return {g: accuracy(groups[g]) for g in GRADES if g in groups}


def followups(records: Iterable[Record]) -> dict[str, Any] | None:
    """Follow-up accuracy by kind, P(follow-up right | original right) and the all-follow-ups-right accuracy."""
    records = list(records)
    follow = [r for r in records if r.is_followup]
    if not follow:
        return None
    kinds: dict[str, list[Record]] = defaultdict(list)
    for r in follow:
        kinds[r.type].append(r)
    by_kind = {
        kind: {
            "given_original_right": accuracy(r.correct for r in rs if r.asked),
            "joint": accuracy(r.correct for r in rs),
            "unextractable_rate": unextractable_rate(rs),
        }
        for kind, rs in sorted(kinds.items())
    }
    return {
        "by_kind": by_kind,
        "given_original_right": accuracy(r.correct for r in follow if r.asked),
        "all_followups_right": all_followups_right(records),
    }


def summary(records: Iterable[Record]) -> dict[str, Any]:
    """Everything `summary.json` holds (schema in the module docstring), from the records alone."""
    records = list(records)
    first = originals(records)
    asked = [r for r in records if r.asked]
    return {
        "schema": 1,
        "overall": accuracy(r.correct for r in first),
        "strict": accuracy(r.strict for r in first),
        "format_rate": format_rate(first),
        "unextractable_rate": unextractable_rate(first),
        "by_grade": by_grade(records),
        "by_standard": by_standard(records),
        "followups": followups(records),
        "tokens": {"prompt": sum(r.prompt_tokens for r in asked), "new": sum(r.new_tokens for r in asked),
                   "responses": len(asked)},
    }

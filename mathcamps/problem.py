"""One MathCAMPS problem, as a record, in the published schema plus our own fields."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Published `type` values (SPEC §5.3).
ORIGINAL = "original-problem"
COUNTERFACTUAL = "counterfactual-followup"
INCREMENTAL = "incremental-followup"
PROBLEM_TYPES = (ORIGINAL, COUNTERFACTUAL, INCREMENTAL)

GRADES = ("K", "1", "2", "3", "4", "5", "6", "7", "8")


def grade_of(standard: str) -> str:
    """The grade of a standard id: 'K.CC.C.7' -> 'K', '3.MD.D.8-triangle' -> '3'."""
    grade = standard.split(".", 1)[0]
    if grade not in GRADES:
        raise ValueError(f"standard {standard!r} does not start with a grade in {GRADES}")
    return grade


def grade_order(standards: Iterable[str]) -> list[str]:
    """Distinct standard ids ordered by grade (K first), then by id."""
    return sorted(set(standards), key=lambda s: (GRADES.index(grade_of(s)), s))


@dataclass(frozen=True)
class Problem:
    """A problem statement with its exact answer.

    `answer` is the answer's string form as published (e.g. '7', '3/4', '<', '{q: 373/321, s: 2291/642}').
    `structure` is the symbolic structure (published key `symbolic-struct`) the problem was rendered from.
    """

    id: str
    standard: str
    statement: str
    answer: str
    type: str = ORIGINAL
    followup_to: str | None = None
    structure: str | None = None
    solution: str | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.type not in PROBLEM_TYPES:
            raise ValueError(f"problem {self.id}: type must be one of {PROBLEM_TYPES}, got {self.type!r}")

    @property
    def grade(self) -> str:
        return grade_of(self.standard)

    @property
    def is_followup(self) -> bool:
        return self.type != ORIGINAL

    def to_json(self) -> dict[str, Any]:
        """The published schema (`symbolic-struct`), plus grade, solution and seed."""
        row = dataclasses.asdict(self)
        row["symbolic-struct"] = row.pop("structure")
        row["grade"] = self.grade
        return row

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Problem:
        fields = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in row.items() if k in fields}
        if "symbolic-struct" in row:
            data["structure"] = row["symbolic-struct"]
        return cls(**data)

"""The 49 MathCAMPS standard ids: what each asks for and the grammar settings its problems are sampled with.

The ids are the 44 Common Core standards of the published release, with four of them split into variants
(`3.MD.D.8-triangle/-quadrilateral/-polygon`, `4.MD.A.2-decimal/-fraction`, `7.NS.A.1-decimal/-fraction`,
`7.NS.A.3-decimal/-fraction`). Settings are transcribed from the published grammar's `commoncore.yaml`, except that
`1.OA.A.1` and `1.OA.A.2` are plain (not equation) problems, as their released problems are.

    >>> get_standard("3.OA.C.7").values
    (1, 100)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

NumberType = Literal["int", "decimal-2", "decimal-3", "fraction"]
AnswerKind = Literal["value", "compare", "factor-pairs", "system"]
FollowupKind = Literal["incremental", "counterfactual"]
Rule = Literal[
    "number",
    "variable",
    "addition",
    "subtraction",
    "multiplication",
    "division",
    "remainder",
    "square",
    "cube",
    "exponent",
    "compare",
    "mult_4nbtb5",
    "div_5nbtb6",
    "div_5nbtb7",
    "triangle_perimeter",
    "quadrilateral_perimeter",
    "polygon_perimeter",
    "rectangle_perimeter",
    "rectangle_area",
]

GRADES = ("K", "1", "2", "3", "4", "5", "6", "7", "8")
DOMAINS = {
    "CC": "Counting and Cardinality",
    "OA": "Operations and Algebraic Thinking",
    "NBT": "Number and Operations in Base Ten",
    "NF": "Number and Operations: Fractions",
    "MD": "Measurement and Data",
    "EE": "Expressions and Equations",
    "NS": "The Number System",
}


@dataclass(frozen=True)
class Standard:
    """One standard id and the settings its problems are sampled with.

    A problem is a list of `var` statements and a question. In plain mode (`unknowns == 0`) each statement defines a
    new variable from literals and earlier variables; in equation mode each statement is an equation with a
    constant on the left and `unknowns` unknowns to solve for.
    """

    id: str
    """The id as in the published files, e.g. `3.MD.D.8-triangle`."""
    description: str
    """What the standard asks of a student, in our own words."""
    rules: tuple[Rule, ...]
    """The production rules an expression is drawn from (the published `expressions`)."""
    number_types: tuple[NumberType, ...]
    """Kinds of literal: whole numbers, decimals with up to 2 or 3 places, fractions `(n / d)`."""
    numbers: tuple[int, int]
    """Inclusive range of sampled literals (a fraction's numerator and denominator; a decimal's size)."""
    values: tuple[int, int]
    """Inclusive range every literal, intermediate value and answer must lie in."""
    max_depth: int
    """Depth budget of one statement's expression (each operation costs 2, each leaf 1, as published)."""
    length: tuple[int, int]
    """Inclusive range of the number of `var` statements; (0, 0) is a question-only problem."""
    unknowns: int
    """0 for plain problems; otherwise the number of unknowns each equation problem solves for."""
    coefficients: tuple[int, int]
    """Range of the coefficient multiplying an unknown (1 to 1 except the grade-8 linear equations)."""
    answer_kind: AnswerKind = "value"
    """A number (`value`), a relation `<`/`>`/`=` (`compare`), factor pairs, or a solution mapping (`system`)."""
    contains_ten: bool = False
    """The literal 10 must appear (the two make-ten / teen-number standards)."""
    simplify: bool = False
    """Bare numbers used once are inlined into the expression that uses them (published `Simplify`)."""
    followups: tuple[FollowupKind, ...] = ()
    """Follow-up kinds the standard allows."""
    grade: str = field(init=False)
    """`K` or `1`..`8`."""
    domain: str = field(init=False)
    """The Common Core domain, e.g. `Operations and Algebraic Thinking`."""

    def __post_init__(self) -> None:
        grade, code = self.id.split(".")[:2]
        object.__setattr__(self, "grade", grade)
        object.__setattr__(self, "domain", DOMAINS[code])
        assert grade in GRADES, self.id
        assert self.numbers[0] <= self.numbers[1] and self.values[0] <= self.values[1], self.id
        assert self.length[0] <= self.length[1], self.id

    @property
    def parent(self) -> str:
        """The Common Core standard a variant belongs to: `3.MD.D.8-triangle` -> `3.MD.D.8`."""
        return self.id.split("-", 1)[0]

    @property
    def is_equation(self) -> bool:
        return self.unknowns > 0

    @property
    def is_question_only(self) -> bool:
        return self.length == (0, 0)

    @property
    def whole_numbers(self) -> bool:
        """Whether every literal is a whole number (answers may still be fractions in equation standards)."""
        return self.number_types == ("int",)


def _s(id: str, description: str, **settings) -> Standard:
    return Standard(id=id, description=description, **settings)


STANDARDS: tuple[Standard, ...] = (
    _s(
        "K.CC.C.7",
        "Say which of two whole numbers from 1 to 10 is larger, or that they are equal.",
        rules=("compare",),
        number_types=("int",),
        numbers=(1, 10),
        values=(1, 10),
        max_depth=1,
        length=(0, 0),
        unknowns=0,
        coefficients=(1, 1),
        answer_kind="compare",
        followups=("counterfactual",),
    ),
    _s(
        "K.NBT.A.1",
        "Split a number up to 19 into a ten and some ones, or build it from them.",
        rules=("addition",),
        number_types=("int",),
        numbers=(1, 19),
        values=(1, 19),
        max_depth=2,
        length=(1, 1),
        unknowns=1,
        coefficients=(1, 1),
        contains_ten=True,
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "K.OA.A.4",
        "Find the partner that, added to a number from 1 to 9, makes exactly 10.",
        rules=("addition",),
        number_types=("int",),
        numbers=(1, 10),
        values=(1, 10),
        max_depth=1,
        length=(1, 1),
        unknowns=1,
        coefficients=(1, 1),
        contains_ten=True,
        followups=(),
    ),
    _s(
        "K.OA.A.5",
        "Add and subtract quickly with numbers no larger than 5.",
        rules=("number", "addition", "subtraction", "variable"),
        number_types=("int",),
        numbers=(1, 5),
        values=(1, 5),
        max_depth=2,
        length=(1, 2),
        unknowns=0,
        coefficients=(1, 1),
        simplify=True,
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "1.OA.A.1",
        "Story problems that add or take away, with every number at most 20.",
        rules=("number", "addition", "subtraction", "variable"),
        number_types=("int",),
        numbers=(1, 20),
        values=(1, 20),
        max_depth=1,
        length=(1, 2),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "1.OA.A.2",
        "Story problems that add up to three whole numbers with a total of at most 20.",
        rules=("number", "addition", "variable"),
        number_types=("int",),
        numbers=(1, 20),
        values=(1, 20),
        max_depth=2,
        length=(1, 3),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "1.OA.D.8",
        "Find the missing whole number in an addition or subtraction equation with numbers up to 20.",
        rules=("addition", "subtraction"),
        number_types=("int",),
        numbers=(1, 20),
        values=(1, 20),
        max_depth=1,
        length=(1, 1),
        unknowns=1,
        coefficients=(1, 1),
        followups=(),
    ),
    _s(
        "2.MD.B.5",
        "Add and subtract lengths measured in the same unit, staying within 100.",
        rules=("number", "addition", "subtraction", "variable"),
        number_types=("int",),
        numbers=(1, 100),
        values=(1, 100),
        max_depth=1,
        length=(1, 2),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "2.MD.C.8",
        "Add and subtract amounts of money in dollars or cents, staying within 100.",
        rules=("number", "addition", "subtraction", "variable"),
        number_types=("int",),
        numbers=(1, 100),
        values=(1, 100),
        max_depth=2,
        length=(1, 2),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "2.NBT.B.5",
        "Add and subtract fluently with whole numbers up to 100.",
        rules=("number", "addition", "subtraction", "variable"),
        number_types=("int",),
        numbers=(1, 100),
        values=(1, 100),
        max_depth=1,
        length=(1, 2),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "2.NBT.B.6",
        "Add up to four two-digit numbers.",
        rules=("number", "addition", "variable"),
        number_types=("int",),
        numbers=(1, 99),
        values=(1, 396),
        max_depth=2,
        length=(2, 3),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "2.NBT.B.7",
        "Add and subtract whole numbers up to 1000.",
        rules=("number", "addition", "subtraction", "variable"),
        number_types=("int",),
        numbers=(1, 1000),
        values=(1, 1000),
        max_depth=1,
        length=(1, 2),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "2.OA.A.1",
        "Find the unknown in one- or two-step addition and subtraction situations within 100.",
        rules=("addition", "subtraction"),
        number_types=("int",),
        numbers=(1, 100),
        values=(1, 100),
        max_depth=1,
        length=(1, 2),
        unknowns=1,
        coefficients=(1, 1),
        followups=(),
    ),
    _s(
        "3.MD.D.8-polygon",
        "Work with the perimeter of polygons with five to eleven sides, including finding a missing side.",
        rules=("polygon_perimeter",),
        number_types=("int",),
        numbers=(1, 100),
        values=(1, 1000),
        max_depth=10,
        length=(1, 1),
        unknowns=1,
        coefficients=(1, 1),
        followups=(),
    ),
    _s(
        "3.MD.D.8-quadrilateral",
        "Work with the perimeter of squares, rectangles and other four-sided shapes, including finding a missing side.",
        rules=("quadrilateral_perimeter",),
        number_types=("int",),
        numbers=(1, 100),
        values=(1, 1000),
        max_depth=1,
        length=(1, 1),
        unknowns=1,
        coefficients=(1, 1),
        followups=(),
    ),
    _s(
        "3.MD.D.8-triangle",
        "Work with the perimeter of triangles, including finding a missing side.",
        rules=("triangle_perimeter",),
        number_types=("int",),
        numbers=(1, 1000),
        values=(1, 1000),
        max_depth=1,
        length=(1, 1),
        unknowns=1,
        coefficients=(1, 1),
        followups=(),
    ),
    _s(
        "3.NBT.A.2",
        "Add and subtract fluently with whole numbers up to 1000.",
        rules=("number", "addition", "subtraction", "variable"),
        number_types=("int",),
        numbers=(1, 1000),
        values=(1, 1000),
        max_depth=2,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "3.OA.A.3",
        "Story problems about equal groups and arrays, multiplying and dividing within 100.",
        rules=("number", "multiplication", "division", "variable"),
        number_types=("int",),
        numbers=(1, 12),
        values=(1, 100),
        max_depth=1,
        length=(1, 2),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "3.OA.A.4",
        "Find the missing whole number in a multiplication or division equation.",
        rules=("multiplication", "division"),
        number_types=("int",),
        numbers=(1, 12),
        values=(1, 100),
        max_depth=1,
        length=(1, 1),
        unknowns=1,
        coefficients=(1, 1),
        followups=(),
    ),
    _s(
        "3.OA.C.7",
        "Multiply and divide fluently within 100 (times tables up to 12).",
        rules=("number", "multiplication", "division", "variable"),
        number_types=("int",),
        numbers=(1, 12),
        values=(1, 100),
        max_depth=1,
        length=(1, 2),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "3.OA.D.8",
        "Two-step story problems that may use any of the four operations.",
        rules=("number", "addition", "subtraction", "multiplication", "division", "variable"),
        number_types=("int",),
        numbers=(1, 100),
        values=(1, 100),
        max_depth=2,
        length=(2, 2),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "4.MD.A.2-decimal",
        "Measurement story problems (distance, time, volume, mass, money) with decimal quantities.",
        rules=("number", "addition", "subtraction", "multiplication", "division", "variable"),
        number_types=("decimal-2", "int"),
        numbers=(1, 50),
        values=(1, 1000),
        max_depth=2,
        length=(1, 3),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "4.MD.A.2-fraction",
        "Measurement story problems (distance, time, volume, mass, money) with fractional quantities.",
        rules=("number", "addition", "subtraction", "multiplication", "division", "variable"),
        number_types=("fraction", "int"),
        numbers=(1, 50),
        values=(1, 1000),
        max_depth=2,
        length=(1, 3),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "4.MD.A.3",
        "Use the area and perimeter formulas of a rectangle.",
        rules=("rectangle_perimeter", "rectangle_area"),
        number_types=("int",),
        numbers=(1, 50),
        values=(1, 1000),
        max_depth=2,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("counterfactual",),
    ),
    _s(
        "4.NBT.B.4",
        "Add and subtract multi-digit whole numbers with the standard written method.",
        rules=("number", "addition", "subtraction", "variable"),
        number_types=("int",),
        numbers=(0, 9999),
        values=(1, 9999),
        max_depth=2,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "4.NBT.B.5",
        "Multiply a number of up to four digits by a one-digit number, or two two-digit numbers.",
        rules=("mult_4nbtb5", "variable"),
        number_types=("int",),
        numbers=(0, 9999),
        values=(1, 99999),
        max_depth=1,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("counterfactual",),
    ),
    _s(
        "4.NBT.B.6",
        "Divide a whole number and find what is left over.",
        rules=("number", "remainder", "variable"),
        number_types=("int",),
        numbers=(1, 999),
        values=(1, 999),
        max_depth=1,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("counterfactual",),
    ),
    _s(
        "4.NF.A.2",
        "Decide which of two fractions is larger, or that they are equal.",
        rules=("compare",),
        number_types=("fraction",),
        numbers=(1, 10),
        values=(1, 10),
        max_depth=1,
        length=(0, 0),
        unknowns=0,
        coefficients=(1, 1),
        answer_kind="compare",
        followups=("counterfactual",),
    ),
    _s(
        "4.OA.A.3",
        "Multi-step story problems with whole numbers and whole-number answers, using all four operations.",
        rules=("number", "addition", "subtraction", "multiplication", "division", "variable"),
        number_types=("int",),
        numbers=(1, 50),
        values=(1, 1000),
        max_depth=3,
        length=(2, 6),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "4.OA.B.4",
        "List every pair of whole numbers whose product is a given number up to 100.",
        rules=("number",),
        number_types=("int",),
        numbers=(2, 100),
        values=(2, 100),
        max_depth=1,
        length=(0, 0),
        unknowns=0,
        coefficients=(1, 1),
        answer_kind="factor-pairs",
        followups=(),
    ),
    _s(
        "5.NBT.B.5",
        "Multiply multi-digit whole numbers fluently.",
        rules=("number", "multiplication", "variable"),
        number_types=("int",),
        numbers=(1, 9999),
        values=(1, 99999),
        max_depth=1,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "5.NBT.B.6",
        "Divide numbers of up to four digits by two-digit divisors, with whole-number quotients.",
        rules=("div_5nbtb6", "variable"),
        number_types=("int",),
        numbers=(1, 9999),
        values=(1, 9999),
        max_depth=1,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("counterfactual",),
    ),
    _s(
        "5.NBT.B.7",
        "Add, subtract, multiply and divide decimals with up to two decimal places.",
        rules=("number", "addition", "subtraction", "multiplication", "div_5nbtb7", "variable"),
        number_types=("decimal-2",),
        numbers=(1, 99),
        values=(1, 9999),
        max_depth=1,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "5.NF.A.1",
        "Add and subtract fractions whose denominators differ.",
        rules=("addition", "subtraction", "variable"),
        number_types=("fraction",),
        numbers=(1, 100),
        values=(1, 100),
        max_depth=2,
        length=(1, 2),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "5.NF.A.2",
        "Story problems that add and subtract fractions of the same whole.",
        rules=("addition", "subtraction", "variable"),
        number_types=("fraction",),
        numbers=(1, 20),
        values=(1, 20),
        max_depth=2,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "5.NF.B.4",
        "Multiply a fraction by a fraction or by a whole number.",
        rules=("multiplication", "variable"),
        number_types=("fraction", "int"),
        numbers=(1, 20),
        values=(1, 20),
        max_depth=2,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "5.OA.A.1",
        "Evaluate numerical expressions that group operations with parentheses.",
        rules=("number", "addition", "subtraction", "multiplication", "division", "variable"),
        number_types=("int",),
        numbers=(1, 100),
        values=(1, 9999),
        max_depth=4,
        length=(1, 2),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "6.EE.A.1",
        "Evaluate powers with whole-number exponents.",
        rules=("number", "square", "cube", "exponent", "variable"),
        number_types=("int",),
        numbers=(1, 10),
        values=(1, 1000),
        max_depth=2,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("counterfactual",),
    ),
    _s(
        "6.EE.B.7",
        "Solve equations of the form x + p = q or p * x = q.",
        rules=("addition", "multiplication"),
        number_types=("int",),
        numbers=(1, 400),
        values=(1, 9999),
        max_depth=2,
        length=(1, 1),
        unknowns=1,
        coefficients=(1, 1),
        followups=(),
    ),
    _s(
        "6.NS.B.2",
        "Divide multi-digit numbers fluently with long division.",
        rules=("number", "division", "variable"),
        number_types=("int",),
        numbers=(1, 9999),
        values=(1, 99999),
        max_depth=1,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("counterfactual",),
    ),
    _s(
        "6.NS.B.3",
        "Add, subtract, multiply and divide multi-digit decimals fluently.",
        rules=("number", "addition", "subtraction", "multiplication", "div_5nbtb7", "variable"),
        number_types=("decimal-2",),
        numbers=(1, 99),
        values=(1, 9999),
        max_depth=1,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "7.NS.A.1-decimal",
        "Add and subtract rational numbers written as decimals.",
        rules=("addition", "subtraction", "variable"),
        number_types=("decimal-3",),
        numbers=(1, 100),
        values=(1, 100),
        max_depth=2,
        length=(1, 2),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "7.NS.A.1-fraction",
        "Add and subtract rational numbers written as fractions.",
        rules=("addition", "subtraction", "variable"),
        number_types=("fraction",),
        numbers=(1, 100),
        values=(1, 100),
        max_depth=2,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "7.NS.A.2",
        "Multiply and divide rational numbers written as fractions.",
        rules=("multiplication", "division", "variable"),
        number_types=("fraction",),
        numbers=(1, 30),
        values=(1, 30),
        max_depth=2,
        length=(1, 1),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "7.NS.A.3-decimal",
        "Real-world problems using all four operations on decimals.",
        rules=("number", "addition", "subtraction", "multiplication", "division", "variable"),
        number_types=("decimal-3",),
        numbers=(1, 30),
        values=(1, 30),
        max_depth=2,
        length=(1, 3),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "7.NS.A.3-fraction",
        "Real-world problems using all four operations on fractions.",
        rules=("number", "addition", "subtraction", "multiplication", "division", "variable"),
        number_types=("fraction",),
        numbers=(1, 30),
        values=(1, 30),
        max_depth=2,
        length=(1, 3),
        unknowns=0,
        coefficients=(1, 1),
        followups=("incremental", "counterfactual"),
    ),
    _s(
        "8.EE.A.2",
        "Find the side of a square or cube from its area or volume (square and cube roots).",
        rules=("square", "cube"),
        number_types=("int",),
        numbers=(1, 10),
        values=(1, 1000),
        max_depth=2,
        length=(1, 1),
        unknowns=1,
        coefficients=(1, 1),
        followups=(),
    ),
    _s(
        "8.EE.C.7",
        "Solve a linear equation in one variable.",
        rules=("addition", "subtraction"),
        number_types=("int",),
        numbers=(1, 99),
        values=(1, 5000),
        max_depth=2,
        length=(1, 1),
        unknowns=1,
        coefficients=(1, 99),
        followups=(),
    ),
    _s(
        "8.EE.C.8",
        "Solve a pair of simultaneous linear equations in two variables.",
        rules=("addition", "subtraction"),
        number_types=("int",),
        numbers=(1, 99),
        values=(1, 5000),
        max_depth=2,
        length=(2, 2),
        unknowns=2,
        coefficients=(1, 99),
        answer_kind="system",
        followups=(),
    ),
)

_BY_ID = {s.id: s for s in STANDARDS}
STANDARD_IDS: tuple[str, ...] = tuple(_BY_ID)
"""All 49 ids, kindergarten first, in a stable order."""


class UnknownStandardError(ValueError):
    """A standard id that is not one of the 49."""


def get_standard(id: str) -> Standard:
    """The standard with this id; an unknown id fails naming the closest ids and listing all of them."""
    try:
        return _BY_ID[id]
    except KeyError:
        raise UnknownStandardError(unknown_standard_message(id)) from None


def unknown_standard_message(id: str) -> str:
    """One line saying `id` is not a standard, with a "did you mean" and the valid ids."""
    close = difflib.get_close_matches(id, STANDARD_IDS, n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown standard {id!r}.{hint} Valid ids: {', '.join(STANDARD_IDS)}"


def resolve_standards(spec: str | list[str]) -> list[Standard]:
    """Standards named by `all`, a comma-separated string, or a list of ids, in the order given."""
    if isinstance(spec, str):
        spec = list(STANDARD_IDS) if spec.strip() == "all" else [p.strip() for p in spec.split(",") if p.strip()]
    if not spec:
        raise ValueError("no standards given: pass 'all' or one or more ids")
    return [get_standard(i) for i in spec]

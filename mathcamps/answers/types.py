"""Typed answers: what a MathCAMPS answer is, parsed from (and printed as) its published string form.

The published release stores every answer as the `str()` of a SymPy value (SPEC §2.6): `12`, `109/4`,
`33.0600000000000`, `<`, `[(1, 64), (2, 32)]`, `{q: 373/321, s: 2291/642}`. Strings are the contract between the
generator and the grader; these types are what both sides mean by them, and each knows which readings of a
model's answer it accepts.

    >>> parse_answer("33.0600000000000")
    Number(value=Fraction(1653, 50), kind='decimal', approx_places=None)
    >>> str(parse_answer("{s: 2291/642, q: 373/321}"))
    '{q: 373/321, s: 2291/642}'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Literal

from mathcamps.answers.numbers import Num, parse, round_to, terminates

SIGNIFICANT = 15  # SymPy prints a Float with 15 significant digits
MIN_ROUNDED_PLACES = 2  # a rounded decimal for a non-terminating value must show at least this many places

RELATIONS = ("<", ">", "=")


@dataclass(frozen=True)
class Number:
    """A number answer: an integer, a fraction, or a decimal.

    `kind` is how it is written (the published form of a fraction is `a/b`, of a decimal 15 significant
    digits). `approx_places` is set when the value is known only rounded: a published 15-digit decimal that
    uses every digit (`1.03448275862069`, from a division that does not terminate) is the true value rounded
    to that many places.
    """

    value: Fraction
    kind: Literal["integer", "fraction", "decimal"] = "fraction"
    approx_places: int | None = None

    def __post_init__(self) -> None:
        if self.kind == "integer" and self.value.denominator != 1:
            raise ValueError(f"an integer answer must be whole, got {self.value}")

    @classmethod
    def of(cls, value: Fraction | int) -> Number:
        """An exact integer or fraction answer, as SymPy would print it."""
        value = Fraction(value)
        return cls(value, "integer" if value.denominator == 1 else "fraction")

    @classmethod
    def decimal(cls, value: Fraction | str) -> Number:
        """A decimal answer, printed like a SymPy Float (`26.3` -> `26.3000000000000`)."""
        return cls(Fraction(value), "decimal")

    def __str__(self) -> str:
        if self.kind == "decimal":
            return _sympy_float(self.value)
        if self.value.denominator == 1:
            return str(self.value.numerator)
        return f"{self.value.numerator}/{self.value.denominator}"

    def accepts(self, given: Num) -> bool:
        """Whether a number read from a response is this answer, under the rounding rule below.

        The rule. Integers, fractions and mixed numbers are compared exactly, and so is a decimal whenever the
        expected value has a finite decimal expansion: 3/4 must be given as 0.75 (or 0.750), never 0.8.
        A value with no finite expansion (1/3, 2/7, or a published 15-digit decimal that used every digit)
        is accepted as a decimal of at least two places that is correctly rounded: 0.33 and 0.333 for 1/3,
        not 0.3 (too few places) or 0.34 (wrongly rounded). A non-terminating value is never exactly half way
        between two roundings, so "correctly rounded" is unambiguous; for a published rounded value, a reading
        at the half-way point of the published digits is accepted either way.
        A decimal followed by an ellipsis (`0.3333...`, `1.0348...`) is a truncation: accepted for a value with no
        finite expansion when that value starts with the digits given (again at least two places).
        A percentage is accepted at face value (45% for 45) or divided by 100 (50% for 0.5).
        """
        candidates = [given.value, given.value / 100] if given.percent else [given.value]
        if given.truncated and given.places is not None and given.places >= MIN_ROUNDED_PLACES:
            return any(self._accepts_truncation(v, given.places) for v in candidates)
        return any(self._accepts_value(v, given.places) for v in candidates)

    def _accepts_truncation(self, value: Fraction, places: int) -> bool:
        # `1.0348...` says the value starts with these digits: it lies in [1.0348, 1.0349) (mirrored below zero)
        if self.approx_places is None and terminates(self.value):
            return False
        gap = (self.value - value) * (1 if value >= 0 else -1) * 10**places
        slack = Fraction(1, 2 * 10 ** (self.approx_places - places)) if self.approx_places else 0
        return -slack <= gap < 1 + slack

    def _accepts_value(self, value: Fraction, places: int | None) -> bool:
        if self.approx_places is None:
            if value == self.value:
                return True
            if places is None or places < MIN_ROUNDED_PLACES or terminates(self.value):
                return False
            return round_to(self.value, places) == value
        # The published value is the truth rounded to approx_places: the truth lies within half a unit of it.
        if places is None or places >= self.approx_places:
            return abs(value - self.value) * 2 * 10**self.approx_places <= 1
        if places < MIN_ROUNDED_PLACES:
            return False
        return abs(value - self.value) * 2 * 10**places <= 1


@dataclass(frozen=True)
class Relation:
    """A comparison answer: `<`, `>` or `=`, the symbol that fills the blank in `a _ b`."""

    symbol: Literal["<", ">", "="]

    def __post_init__(self) -> None:
        if self.symbol not in RELATIONS:
            raise ValueError(f"a relation must be one of {RELATIONS}, got {self.symbol!r}")

    def __str__(self) -> str:
        return self.symbol

    def flipped(self) -> Relation:
        """The same comparison with its two sides swapped."""
        return Relation({"<": ">", ">": "<", "=": "="}[self.symbol])  # type: ignore[arg-type]


@dataclass(frozen=True)
class Pairs:
    """A set of unordered pairs, such as the factor pairs of 64: order inside and between pairs is free."""

    pairs: frozenset[tuple[Fraction, Fraction]]

    @classmethod
    def of(cls, pairs: list[tuple[int | Fraction, int | Fraction]]) -> Pairs:
        return cls(frozenset(_pair(a, b) for a, b in pairs))

    def __str__(self) -> str:
        return "[" + ", ".join(f"({_plain(a)}, {_plain(b)})" for a, b in sorted(self.pairs)) + "]"


@dataclass(frozen=True)
class Values:
    """A set of values (a published list without pairs, `[1, 2, 4]`), compared as a set."""

    values: tuple[Number, ...]

    def __str__(self) -> str:
        return "[" + ", ".join(map(str, self.values)) + "]"


@dataclass(frozen=True)
class Mapping:
    """The solution of a system of equations: one number per variable (`{q: 373/321, s: 2291/642}`)."""

    values: tuple[tuple[str, Number], ...]  # sorted by variable name, as SymPy prints a dict

    @classmethod
    def of(cls, values: dict[str, Number]) -> Mapping:
        return cls(tuple(sorted(values.items())))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.values)

    def __str__(self) -> str:
        return "{" + ", ".join(f"{name}: {value}" for name, value in self.values) + "}"


Answer = Number | Relation | Pairs | Values | Mapping

_PAIR = re.compile(r"\(\s*([^(),]+?)\s*,\s*([^(),]+?)\s*\)")
_ENTRY = re.compile(r"([A-Za-z_]\w*)\s*:\s*([^,{}]+)")


@lru_cache(maxsize=65536)
def parse_answer(text: str) -> Answer:
    """The typed answer of a published answer string (or one printed by these types).

    Raises ValueError, naming the string, when it is none of the published forms.
    """
    s = text.strip()
    if s in RELATIONS:
        return Relation(s)  # type: ignore[arg-type]
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1].strip()
        if "(" in inner:
            pairs = _PAIR.findall(inner)
            if not pairs or _PAIR.sub("", inner).strip(" ,"):
                raise ValueError(f"cannot read the pairs in answer {text!r}")
            return Pairs(frozenset(_pair(_exact(a, text), _exact(b, text)) for a, b in pairs))
        return Values(tuple(_number(part, text) for part in inner.split(",") if part.strip()))
    if s.startswith("{") and s.endswith("}"):
        inner = s[1:-1].strip()
        if ":" not in inner:
            return Values(tuple(_number(part, text) for part in inner.split(",") if part.strip()))
        entries = _ENTRY.findall(inner)
        if not entries or _ENTRY.sub("", inner).strip(" ,"):
            raise ValueError(f"cannot read the variables in answer {text!r}")
        return Mapping.of({name: _number(value, text) for name, value in entries})
    return _number(s, text)


def _number(s: str, whole: str) -> Number:
    s = s.strip()
    num = parse(s.rstrip(".") if s[:1].isdigit() else s)  # SymPy prints 15-digit integers-valued floats as `123.`
    if num is None or num.percent:
        raise ValueError(f"cannot read a number in answer {whole!r} (at {s!r})")
    if num.places is None:
        return Number.of(num.value)
    digits = s.lstrip("+-").replace(".", "").lstrip("0")
    # SymPy prints 15 significant digits; when the last one is not a padding zero the value was rounded.
    approx = len(digits) >= SIGNIFICANT and not s.endswith("0")
    return Number(num.value, "decimal", num.places if approx else None)


def _exact(s: str, whole: str) -> Fraction:
    return _number(s, whole).value


def _pair(a: Fraction | int, b: Fraction | int) -> tuple[Fraction, Fraction]:
    a, b = Fraction(a), Fraction(b)
    return (a, b) if a <= b else (b, a)


def _plain(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


_FIFTEEN = Context(prec=SIGNIFICANT, rounding=ROUND_HALF_EVEN)


def _sympy_float(value: Fraction) -> str:
    """`value` with 15 significant digits and trailing zeros kept, as `str(sympy.Float(...))` prints it.

    The one printer of decimal answers. SymPy first rounds the exact value to a 53-bit binary float (15 digits'
    worth of precision), then prints that float's value to 15 digits; the double rounding shows at the last digit
    (a published 27.9965957446808 whose exact value rounds to ...809), so it is done the same way here.
    """
    if value == 0:
        return "0.0"
    try:
        d = _FIFTEEN.plus(Decimal(float(value)))
    except OverflowError:  # beyond a float's range: the exact value, rounded once
        d = _FIFTEEN.divide(Decimal(value.numerator), value.denominator)
    exponent = d.adjusted()
    if -4 <= exponent < SIGNIFICANT - 1 or exponent == SIGNIFICANT - 1:
        places = SIGNIFICANT - 1 - exponent
        return f"{d:.{places}f}" if places else f"{d:.0f}."
    mantissa, power = f"{d:.{SIGNIFICANT - 1}e}".split("e")
    return f"{mantissa}e{'+' if int(power) > 0 else '-'}{abs(int(power))}"

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

from mathcamps.answers.numbers import Num, clean_latex, normalise, parse, read_number, round_to, scan, terminates

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


def _sympy_float(value: Fraction) -> str:
    """`value` with 15 significant digits and trailing zeros kept, as `str(sympy.Float(...))` prints it."""
    if value == 0:
        return "0.0"
    d = Context(prec=SIGNIFICANT, rounding=ROUND_HALF_EVEN).divide(Decimal(value.numerator), value.denominator)
    exponent = d.adjusted()
    if -4 <= exponent < SIGNIFICANT - 1 or exponent == SIGNIFICANT - 1:
        places = SIGNIFICANT - 1 - exponent
        return f"{d:.{places}f}" if places else f"{d:.0f}."
    mantissa, power = f"{d:.{SIGNIFICANT - 1}e}".split("e")
    return f"{mantissa}e{'+' if int(power) > 0 else '-'}{abs(int(power))}"


# Reading model text as each answer type. Numbers have their reader in `mathcamps.answers.numbers`.

_ARROW = re.compile(r"-+>|=+>|→|⇒|⟹|⟶|:=")
_REL = re.compile(
    r"(?P<neg>\bnot\s+)?(?P<word>(?:greater|more|larger|bigger)\s+than(?P<ge>\s+or\s+equal(?:\s+to)?)?"
    r"|(?:less|fewer|smaller)\s+than(?P<le>\s+or\s+equal(?:\s+to)?)?|equal\s+to|equals|the\s+same\s+as"
    r"|\b(?:greater|larger|bigger|less|smaller|equal)\b)|(?P<sym>[<>=≤≥≠]+)",
    re.I,
)
_WORD_RELATION = {"g": ">", "m": ">", "l": "<", "b": ">", "f": "<", "s": "<", "e": "=", "t": "="}
_COPULA = re.compile(r"\s+(?:is|are|was)\s*$", re.I)
_REL_CHOICE = re.compile(
    r"(?<![<>=])[<>]\s*(?:or|/|,)\s*[<>=]|=\s*(?:or|/|,)\s*[<>]|\b(?:greater|less)\s+or\s+(?:less|greater)\b", re.I
)
_BLANK = re.compile(r"(?:^|\s)(?:_+|\?|□|\[\s*\])(?=\s|$)")


def _relation_of(m: re.Match[str]) -> str | None:
    """The symbol a relation token means, or None for one that is not <, > or = (≥, "not equal", ...)."""
    if m.group("sym") is not None:
        sym = m.group("sym")
        return sym[0] if sym in ("<", ">", "=", "==") else None
    if m.group("neg") or m.group("ge") or m.group("le"):
        return None
    word = m.group("word").lower()
    return "<" if word.startswith("sm") else _WORD_RELATION[word[0]]


def _side_value(text: str, last: bool) -> Fraction | None:
    nums = scan(normalise(clean_latex(text)))
    return (nums[-1] if last else nums[0]).value if nums else None


def _numeric_edge(text: str, left: bool) -> bool:
    s = text.rstrip(" \t*$") if left else text.lstrip(" \t*$")
    if not s:
        return False
    c = s[-1] if left else s[0]
    return c.isdigit() or c in ")_}" if left else c.isdigit() or c in "(-.\\_{"


def read_relation(text: str, question: str | None = None) -> Relation | None:
    """The relation an answer text concludes, or None if it concludes none (or one that is not <, >, =).

    A relation that stands alone (`>`, `2 _ 4 = <`, "so the answer is >") is the one the model filled in, and
    the last such wins. Otherwise the text is a statement such as `9/1 = 9 > 7/2`: its strict relation is the
    conclusion, flipped when the statement names the question's two sides back to front (`4 > 2` for `2 _ 4`).
    """
    t = _ARROW.sub(" ; ", clean_latex(text))
    if _REL_CHOICE.search(t):
        return None  # "> or <" offers a choice, not an answer
    tokens = list(_REL.finditer(t))
    if not tokens:
        return None
    starts = [m.start() for m in tokens] + [len(t)]
    lone, chain = None, []
    for i, m in enumerate(tokens):
        rel = _relation_of(m)
        left = _COPULA.sub("", t[tokens[i - 1].end() if i else 0 : m.start()])  # "4 is greater than 2"
        right = t[m.end() : starts[i + 1]]
        if _numeric_edge(left, True) and _numeric_edge(right, False):
            chain.append((rel, left, right))
        else:
            lone = m
    if lone is not None:
        rel = _relation_of(lone)
        return None if rel is None else Relation(rel)  # type: ignore[arg-type]
    kinds = {rel for rel, _, _ in chain}
    if None in kinds or {"<", ">"} <= kinds:
        return None
    strict = kinds - {"="}
    result = Relation(strict.pop() if strict else "=")  # type: ignore[arg-type]
    sides = _question_sides(question) if question else None
    if sides is not None and sides[0] != sides[1]:
        first, last = _side_value(chain[0][1], True), _side_value(chain[-1][2], False)
        if (first, last) == (sides[1], sides[0]):
            return result.flipped()
    return result


@lru_cache(maxsize=4096)
def _question_sides(question: str) -> tuple[Fraction, Fraction] | None:
    """The values either side of the blank in a comparison question (`(8 / 10) _ (1 / 2)`), if it has one."""
    blanks = list(_BLANK.finditer(question))
    if not blanks:
        return None
    b = blanks[-1]
    left, right = question[max(0, b.start() - 40) : b.start()], question[b.end() : b.end() + 40]
    a, c = _side_value(left, True), _side_value(right, False)
    return None if a is None or c is None else (a, c)


_BRACKET_PAIR = re.compile(r"[(\[{]\s*(\d{1,12})\s*[,;]\s*(\d{1,12})\s*[)\]}]")
_TIMES_PAIR = re.compile(r"(?<![\d.])(\d{1,12})\s*(?:x|×|\*|·|by|and|&)\s*(\d{1,12})(?![\d.]|\s*/)", re.I)


def read_pairs(text: str) -> Pairs | None:
    """The pairs an answer lists: `(1, 64), (2, 32)`, `1 x 64, 2 x 32`, `1 and 64; 2 and 32`, or a flat
    list `1, 64, 2, 32` whose consecutive pairs all have the same product. None if it lists none."""
    t = normalise(clean_latex(text), thousands=False)
    found = _BRACKET_PAIR.findall(t) or _TIMES_PAIR.findall(t)
    if not found:
        nums = [n.value for n in scan(t)]
        if len(nums) < 2 or len(nums) % 2 or any(n.denominator != 1 for n in nums):
            return None
        found = list(zip(nums[::2], nums[1::2], strict=True))
        if len({a * b for a, b in found}) != 1:
            return None
    return Pairs.of([(int(a), int(b)) for a, b in found])


def read_values(text: str) -> list[Num] | None:
    """The numbers an answer lists, or None if it lists none."""
    return scan(normalise(clean_latex(text), thousands=False)) or None


_NAME_ORDER = re.compile(
    r"(?:of|for|find|determine|values?|solve)\s+(?:the\s+)?(?:variables?\s+|unknowns?\s+)?"
    r"'?([A-Za-z])'?\s*(?:,|and)\s*'?([A-Za-z])'?\b"
)
_TUPLE = re.compile(r"\(\s*([A-Za-z])\s*,\s*([A-Za-z])\s*\)\s*=\s*\(([^()]*)\)")


def read_mapping(text: str, names: tuple[str, ...], question: str | None = None) -> list[Num | None] | None:
    """The value an answer gives each of `names`, in that order, or None if it does not give them all.

    Labelled values (`q = 373/321, s = 2291/642`, `s: ...`, `(q, s) = (..., ...)`) are read in any order.
    Bare values (`373/321, 2291/642`) are taken in the question's variable order ("values of q and s");
    without a question they must be given in `names` order.
    """
    t = normalise(clean_latex(text))
    if (tup := _TUPLE.search(t)) is not None and {tup.group(1), tup.group(2)} == set(names):
        values = [read_number(v) for v in tup.group(3).split(",")]
        if len(values) == 2:
            by_name = dict(zip((tup.group(1), tup.group(2)), values, strict=True))
            return [by_name[n] for n in names]
    label = re.compile(r"(?<![A-Za-z])(" + "|".join(map(re.escape, names)) + r")\s*(?:=|:|≈|\bis\b)\s*")
    marks = list(label.finditer(t))
    if marks:
        given: dict[str, Num | None] = {}
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(t)
            given[m.group(1)] = read_number(t[m.end() : end].rstrip(" ,;and"))
        if set(given) == set(names):
            return [given[n] for n in names]
    nums = scan(t)
    if len(nums) != len(names):
        return None
    order = list(names)
    if question is not None and (m := _NAME_ORDER.search(question)) is not None and set(m.groups()) == set(names):
        order = list(m.groups())
    by_name = dict(zip(order, nums, strict=True))
    return [by_name[n] for n in names]

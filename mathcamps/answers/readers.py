"""Reading a model's text as each non-number answer type: a relation, factor pairs, a list of values, a mapping.

Numbers have their reader in `mathcamps.answers.numbers`; what the readings are compared with is the typed answer
of `mathcamps.answers.types`. Each reader returns None when the text holds no reading of its type.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from mathcamps.answers.numbers import Num, clean_latex, normalise, read_number, scan
from mathcamps.answers.types import Pairs, Relation

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
    lone, chain, previous = None, [], None
    for i, m in enumerate(tokens):
        rel = _relation_of(m)
        between = t[tokens[i - 1].end() if i else 0 : m.start()]
        left = _COPULA.sub("", between)  # "4 is greater than 2"
        right = t[m.end() : starts[i + 1]]
        if _numeric_edge(left, True) and _numeric_edge(right, False):
            chain.append((rel, left, right))
        else:
            # Symbols in a row with nothing between them (`< <`, `< > =`) are a string of guesses, not an answer;
            # `= <` (the blank's value after an equals sign) is one.
            if i and not between.strip(" \t.,;:") and previous != "=":
                return None
            lone = m
        previous = rel
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

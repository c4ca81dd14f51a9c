"""Exercises: problems written in notation (`What is (29/21) ÷ (8/20)?`, `Solve for r: 19r + 2 = 93.`), and their
reader.

Two looks: `pretty` for the standards that are exercises in the published set too (the story style), with `×`,
`÷` and only the parentheses precedence needs; `plain` for `--style exercise` (bare arithmetic for tiny models),
with `*`, `/` and every operation in parentheses, as it always was. In both, a fraction literal beside `×`, `÷`
or a power is parenthesised. `read_exercise` reads the text back with the usual precedence and solves what it
asks, without the structure.
"""

from __future__ import annotations

import random
import re
from fractions import Fraction
from math import isqrt

from mathcamps.grammar.tree import Compare, Expr, Num, Op, Structure, Value, Var
from mathcamps.render.notation import ASCII, PRETTY, ReadError, parse, show, value
from mathcamps.standards import Standard

_VALUE = ("What is {e}?", "Calculate {e}.", "Work out {e}.", "Find the value of {e}.", "Evaluate {e}.")
# The plain look keeps the wordings (and the order they are drawn in) that `--style exercise` always had.
_VALUE_PLAIN = ("Calculate {e}.", "What is {e}?", "Work out the value of {e}.", "Evaluate {e}.")
_LOWEST_PLAIN = ("Give your answer as a simplified fraction.", "Write the answer in lowest terms.")
_VALUES = tuple(dict.fromkeys(_VALUE + _VALUE_PLAIN))
_LET = ("Let {d}. What is the value of {x}?", "Suppose {d}. Find {x}.", "Given {d}, calculate {x}.")
_COMPARE = (
    "Compare the two numbers and fill in the blank with <, > or =:\n{c}",
    "Which symbol, <, > or =, makes this true?\n{c}",
    "Put <, > or = in the blank: {c}",
)
_COMPARE_FRACTIONS = (
    "Compare the two fractions and fill in the blank with <, > or =:\n{c}",
    "Which symbol, <, > or =, goes in the blank?\n{c}",
    "Write <, > or = in the blank to compare the fractions: {c}",
)
_PAIRS = (
    "List every factor pair of {n}.",
    "Find all pairs of whole numbers whose product is {n}.",
    "What are all the factor pairs of {n}? Write each pair smaller number first.",
)
_SOLVE = ("Solve for {x}: {q}.", "What value of {x} makes {q} true?", "Find {x} when {q}.")
_SYSTEM = ("Solve the system of equations for {x}:\n{q}", "Find {x} if\n{q}")
_ROOT = ("Find the whole number {x} such that {q}.",)
_TEN = ("What number do you add to {n} to make 10?",)
_LOWEST = ("Give your answer as a fraction in lowest terms.", "Write the answer in lowest terms.")
EXERCISE_LEADS = (
    "Now do the same with one number changed: {e}",
    "Try it again with a different number: {e}",
    "Here is the problem with one number changed: {e}",
)
EXERCISE_NEXT = ("Call your answer {a}. What is {e}?", "Let {a} be your answer. Now work out {e}.")
ALL_FORMS = (
    _VALUES + _LET + _COMPARE + _COMPARE_FRACTIONS + _PAIRS + _SOLVE + _SYSTEM
    + _ROOT + _TEN
)  # fmt: skip


def write_exercise(std: Standard, s: Structure, rng: random.Random, pretty: bool) -> str:
    """The exercise text for `s`; phrasing from `rng`."""
    fractions = "fraction" in std.number_types
    ops = PRETTY if pretty else ASCII

    def notation(e: Expr) -> str:
        return show(e, ops, fractions, coefficients=pretty and std.is_equation) if pretty else _full(e, fractions)

    asked = s.asked[0]
    if std.answer_kind == "compare":
        assert isinstance(asked, Compare)
        forms = _COMPARE_FRACTIONS if fractions and pretty else _COMPARE
        return rng.choice(forms).format(c=f"{notation(asked.lhs)} _ {notation(asked.rhs)}")
    if std.answer_kind == "factor-pairs":
        return rng.choice(_PAIRS).format(n=notation(asked))
    if std.is_equation:
        eqs = [f"{notation(st.expr)} = {st.target.text}" for st in s.statements]  # type: ignore[union-attr]
        unknowns = [a.name for a in s.asked if isinstance(a, Var)]
        if len(eqs) == 2:
            return rng.choice(_SYSTEM).format(x=" and ".join(unknowns), q="\n".join(eqs))
        st = s.statements[0]
        if std.contains_ten and std.id == "K.OA.A.4":
            known = next(n for n in _nums(st.expr) if not n.fixed)
            return rng.choice(_TEN).format(n=known.text)
        if isinstance(st.expr, Op) and st.expr.op == "**":
            return rng.choice(_SOLVE + _ROOT).format(x=unknowns[0], q=eqs[0])
        return rng.choice(_SOLVE).format(x=unknowns[0], q=eqs[0])
    assert isinstance(asked, Var)
    inlined = _inline(s) if pretty else None
    if inlined is not None or len(s.statements) == 1:
        e = inlined if inlined is not None else s.statements[0].expr
        text = rng.choice(_VALUE if pretty else _VALUE_PLAIN).format(e=notation(e))
        if fractions and std.number_types == ("fraction",):
            text += rng.choice(("",) + tuple(" " + x for x in (_LOWEST if pretty else _LOWEST_PLAIN)))
        return text
    defs = [f"{st.target} = {notation(st.expr)}" for st in s.statements]
    d = defs[0] if len(defs) == 1 else ", ".join(defs[:-1]) + " and " + defs[-1]
    return rng.choice(_LET).format(d=d, x=asked.name)


def next_step(std: Standard, before: Structure, after: Structure, rng: random.Random, pretty: bool) -> str:
    """An incremental follow-up to an exercise: the new step in notation, the last answer called by its name."""
    answer = before.asked[0]
    assert isinstance(answer, Var)
    defs = {st.target: st.expr for st in before.statements}

    def sub(e: Expr) -> Expr:
        if isinstance(e, Var) and e.name != answer.name:
            return sub(defs[e.name])
        if isinstance(e, Op):
            return Op(e.op, sub(e.lhs), sub(e.rhs))
        return e

    e = sub(after.statements[-1].expr)
    fractions = "fraction" in std.number_types
    text = show(e, PRETTY, fractions) if pretty else _full(e, fractions)
    return rng.choice(EXERCISE_NEXT).format(a=answer.name, e=text)


def _full(e: Expr, fractions: bool) -> str:
    """Every operation in parentheses except the outermost (the plain look)."""
    text = show(e, ASCII, fractions) if not isinstance(e, Op) else _paren(e, fractions, top=True)
    return text


def _paren(e: Expr, fractions: bool, top: bool = False) -> str:
    from mathcamps.grammar.tree import is_fraction_literal

    if not isinstance(e, Op):
        return show(e, ASCII, fractions)
    if fractions and is_fraction_literal(e):
        return show(e, ASCII, fractions)
    sides = []
    for child in (e.lhs, e.rhs):
        t = _paren(child, fractions)
        if fractions and is_fraction_literal(child) and e.op in ("*", "/", "%", "**"):
            t = f"({t})"
        sides.append(t)
    inner = f"{sides[0]}{' ^ ' if e.op == '**' else ASCII[e.op]}{sides[1]}"
    return inner if top else f"({inner})"


def _nums(e: Expr) -> list[Num]:
    if isinstance(e, Num):
        return [e]
    if isinstance(e, Op):
        return _nums(e.lhs) + _nums(e.rhs)
    return []


def _inline(s: Structure) -> Expr | None:
    """The whole structure as one expression, when every variable is used exactly once."""
    defs: dict[str, Expr] = {}
    uses: dict[str, int] = {}

    def sub(e: Expr) -> Expr:
        if isinstance(e, Var):
            uses[e.name] = uses.get(e.name, 0) + 1
            return defs[e.name]
        if isinstance(e, Op):
            return Op(e.op, sub(e.lhs), sub(e.rhs))
        return e

    for st in s.statements:
        defs[st.target] = sub(st.expr)  # type: ignore[index]
    asked = s.asked[0]
    assert isinstance(asked, Var)
    if any(n > 1 for n in uses.values()) or len(s.statements) > 3:
        return None
    return defs[asked.name]


# ---------------------------------------------------------------- reading back

# What the re-reader reads from text alone: a value, a relation symbol, factor pairs, or named values. Kept as
# plain data, apart from `mathcamps.answers.types`, so the check shares nothing with the solver it checks.
Reading = Value | str | tuple[tuple[int, int], ...] | dict[str, Value]


def _pattern(form: str) -> re.Pattern[str]:
    out, pos = [], 0
    for m in re.finditer(r"\{(\w)\}", form):
        out.append(re.escape(form[pos : m.start()]))
        out.append(f"(?P<{m.group(1)}>.+?)")
        pos = m.end()
    out.append(re.escape(form[pos:]))
    return re.compile("".join(out), re.S)


_PATTERNS = [(f, _pattern(f)) for f in ALL_FORMS]


def read_exercise(text: str) -> Reading:
    """The answer to an exercise, read from its text alone; raises `ReadError` unless exactly one form fits."""
    for tail in _LOWEST + _LOWEST_PLAIN:
        text = text.removesuffix(" " + tail)
    readings = []
    for form, rx in _PATTERNS:
        m = rx.fullmatch(text)
        if m is not None:
            try:  # "Work out the value of 4 + 1." fits "Work out {e}." too, but "the value of 4 + 1" is no sum
                readings.append(_read(form, m.groupdict()))
            except ReadError:
                continue
    if len(readings) != 1:
        raise ReadError(f"{text!r} reads {len(readings)} ways as an exercise")
    return readings[0]


def _read(form: str, g: dict[str, str]) -> Reading:
    if form in _COMPARE or form in _COMPARE_FRACTIONS:
        left, _, right = g["c"].partition(" _ ")
        a, b = value(parse(left)), value(parse(right))
        return "<" if a < b else ">" if a > b else "="
    if form in _PAIRS:
        n = value(parse(g["n"]))
        assert isinstance(n, int)
        return tuple((i, n // i) for i in range(1, isqrt(n) + 1) if n % i == 0)
    if form in _TEN:
        return 10 - value(parse(g["n"]))
    if form in _VALUES:
        return value(parse(g["e"]))
    if form in _LET:
        env: dict[str, Value] = {}
        for d in re.split(r", | and ", g["d"]):
            name, _, e = d.partition(" = ")
            env[name.strip()] = value(parse(e), env)
        return env[g["x"]]
    unknowns = [u.strip() for u in g["x"].split(" and ")]
    eqs = [_side(q) for q in g["q"].split("\n")]
    return solve_linear(eqs, unknowns) if len(unknowns) > 1 else solve_one(eqs[0], unknowns[0])


def _side(q: str) -> Expr:
    left, _, right = q.partition(" = ")
    return Op("-", parse(left), parse(right))


def solve_one(f: Expr, x: str) -> Value:
    """The solution of `f = 0` in `x`: exact when `f` is linear in `x` or in `1/x` (`24 / k = 4`), else the whole
    number that makes it zero (`x^2 = 49`)."""
    for inverse in (False, True):
        try:
            ys = [value(f, {x: Fraction(1, t) if inverse else t}) for t in (1, 2, 3)]
        except ReadError:
            continue
        slope = ys[1] - ys[0]
        if slope != 0 and ys[2] - ys[1] == slope:
            t = 1 - Fraction(ys[0]) / slope
            if t != 0:
                r = 1 / t if inverse else t
                return r.numerator if r.denominator == 1 else r
    for v in range(0, 10_001):
        try:
            if value(f, {x: v}) == 0:
                return v
        except ReadError:
            continue
    raise ReadError("no whole solution")


def solve_linear(eqs: list[Expr], xs: list[str]) -> dict[str, Value]:
    """Two linear equations in two unknowns, by Cramer's rule."""
    (x, y), rows = xs, []
    for f in eqs:
        c = value(f, {x: 0, y: 0})
        rows.append((value(f, {x: 1, y: 0}) - c, value(f, {x: 0, y: 1}) - c, -c))
    (a, b, e), (c, d, f) = rows
    det = a * d - b * c
    if det == 0:
        raise ReadError("the system has no single solution")
    out = {x: Fraction(e * d - b * f) / det, y: Fraction(a * f - e * c) / det}
    return {k: (v.numerator if v.denominator == 1 else v) for k, v in out.items()}

"""Exact answers of symbolic structures, as typed values with the published string form.

`solve(structure)` evaluates chains of definitions, solves equation-mode structures (one unknown, or linear systems
such as 8.EE.C.8) and answers comparisons and factor pairs. Arithmetic is exact throughout (`fractions.Fraction`:
pure Python rationals, several times faster than sympy's for the sampler's many small evaluations); sympy is used only
for the rare equations that are neither linear nor solvable by undoing one operation at a time.

Answer kinds and their `text` (the published `str()` of the SymPy value, SPEC §2.6):

| class            | kind       | example text                   |
|------------------|------------|--------------------------------|
| IntegerAnswer    | integer    | `12`                           |
| RationalAnswer   | rational   | `109/4`                        |
| DecimalAnswer    | decimal    | `33.0600000000000` (15 significant digits, as SymPy prints a Float) |
| RelationAnswer   | relation   | `<`                            |
| SetAnswer        | set        | `[(1, 64), (2, 32), (4, 16), (8, 8)]` (factor pairs) |
| MappingAnswer    | mapping    | `{q: 373/321, s: 2291/642}`    |

A value is a decimal when a decimal literal takes part in computing it (SymPy's floats are contagious the same way);
its exact rational value is kept in `value`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar, Literal, TypeAlias

from mathcamps.grammar.lang import (
    BinOp,
    Compare,
    Dec,
    Define,
    Equation,
    Expr,
    Neg,
    Num,
    Structure,
    Target,
    Var,
    format_expr,
    names,
    parse,
    walk,
)

FinalAnswer: TypeAlias = Literal["Compare", "Factor Pairs", "System of Equations"]
FINAL_ANSWERS: tuple[FinalAnswer, ...] = ("Compare", "Factor Pairs", "System of Equations")
Relation: TypeAlias = Literal["<", ">", "="]


class SolveError(ValueError):
    """A structure without a unique exact answer (division by zero, no or many solutions, an irrational root)."""


# ---------------------------------------------------------------- answers


def decimal_text(value: Fraction) -> str:
    """`value` as SymPy prints a Float at 15 significant digits: 78 -> '78.0000000000000'."""
    import sympy  # deferred: importing sympy costs ~0.5 s and most callers never need it

    return str(sympy.Float(sympy.Rational(value.numerator, value.denominator), 15))


@dataclass(frozen=True, slots=True)
class IntegerAnswer:
    kind: ClassVar[str] = "integer"
    value: int

    @property
    def text(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class RationalAnswer:
    """A non-integer rational, always reduced (Fraction normalises), printed `p/q`."""

    kind: ClassVar[str] = "rational"
    value: Fraction

    def __post_init__(self) -> None:
        if self.value.denominator == 1:
            raise ValueError(f"an integral value is an IntegerAnswer, got {self.value}")

    @property
    def text(self) -> str:
        return f"{self.value.numerator}/{self.value.denominator}"


@dataclass(frozen=True, slots=True)
class DecimalAnswer:
    """A value computed from decimal literals; exact in `value`, printed at 15 significant digits."""

    kind: ClassVar[str] = "decimal"
    value: Fraction

    @property
    def text(self) -> str:
        return decimal_text(self.value)


@dataclass(frozen=True, slots=True)
class RelationAnswer:
    kind: ClassVar[str] = "relation"
    symbol: Relation

    def __post_init__(self) -> None:
        if self.symbol not in ("<", ">", "="):
            raise ValueError(f"a relation is one of <, > or =, got {self.symbol!r}")

    @property
    def text(self) -> str:
        return self.symbol


@dataclass(frozen=True, slots=True)
class SetAnswer:
    """An unordered answer of integer tuples (the factor pairs of 4.OA.B.4), kept sorted."""

    kind: ClassVar[str] = "set"
    items: tuple[tuple[int, ...], ...]

    @property
    def text(self) -> str:
        return "[" + ", ".join("(" + ", ".join(map(str, t)) + ")" for t in self.items) + "]"


NumberAnswer: TypeAlias = IntegerAnswer | RationalAnswer | DecimalAnswer


@dataclass(frozen=True, slots=True)
class MappingAnswer:
    """Named values (a system of equations), sorted by name as SymPy prints a solution dict."""

    kind: ClassVar[str] = "mapping"
    items: tuple[tuple[str, NumberAnswer], ...]

    @property
    def text(self) -> str:
        return "{" + ", ".join(f"{k}: {v.text}" for k, v in self.items) + "}"

    def as_dict(self) -> dict[str, NumberAnswer]:
        return dict(self.items)


Answer: TypeAlias = IntegerAnswer | RationalAnswer | DecimalAnswer | RelationAnswer | SetAnswer | MappingAnswer


def number_answer(value: Fraction | int, decimal: bool = False) -> NumberAnswer:
    """The typed answer of a number: decimal if computed from decimals, else integer or rational."""
    value = Fraction(value)
    if decimal:
        return DecimalAnswer(value)
    if value.denominator == 1:
        return IntegerAnswer(value.numerator)
    return RationalAnswer(value)


def factor_pairs(n: int) -> SetAnswer:
    """All pairs (i, n / i) with i <= n / i: factor_pairs(12).text == '[(1, 12), (2, 6), (3, 4)]'."""
    if n < 1:
        raise SolveError(f"factor pairs need a positive integer, got {n}")
    return SetAnswer(tuple((i, n // i) for i in range(1, math.isqrt(n) + 1) if n % i == 0))


# ---------------------------------------------------------------- evaluation


class _Nonlinear(Exception):
    """Raised inside evaluation when a value is not an affine function of the unknowns."""


@dataclass(frozen=True, slots=True)
class _Affine:
    """const + sum(coeff * unknown): a value that depends linearly on the unknowns."""

    const: Fraction
    coeffs: dict[str, Fraction]

    def scale(self, k: Fraction) -> _Affine:
        return _Affine(self.const * k, {n: c * k for n, c in self.coeffs.items()})

    def add(self, other: _Affine | Fraction, sign: int = 1) -> _Affine:
        if isinstance(other, Fraction):
            return _Affine(self.const + sign * other, self.coeffs)
        coeffs = dict(self.coeffs)
        for n, c in other.coeffs.items():
            coeffs[n] = coeffs.get(n, Fraction(0)) + sign * c
        return _Affine(self.const + sign * other.const, {n: c for n, c in coeffs.items() if c})


Value: TypeAlias = Fraction | _Affine


def _root(value: Fraction, n: int) -> Fraction:
    """The exact real n-th root of a rational (the positive one for even n), or SolveError if irrational."""
    if n <= 0:
        raise SolveError(f"root index must be positive, got {n}")
    if value < 0 and n % 2 == 0:
        raise SolveError(f"no real {n}-th root of {value}")
    sign = -1 if value < 0 else 1
    num, den = abs(value.numerator), value.denominator
    a, b = _iroot(num, n), _iroot(den, n)
    if a**n == num and b**n == den:
        return sign * Fraction(a, b)
    raise SolveError(f"the {n}-th root of {value} is irrational")


def _iroot(x: int, n: int) -> int:
    """The integer part of the n-th root of x >= 0 (exact for any size, unlike a float power)."""
    lo, hi = 0, 1 << (x.bit_length() // n + 1)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if mid**n <= x:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _power(base: Fraction, exponent: Fraction, expr: Expr) -> Fraction:
    if base == 0 and exponent <= 0:
        raise SolveError(f"0 to the power {exponent} in {format_expr(expr)}")
    if exponent.denominator == 1:
        if abs(exponent) > 64:
            raise SolveError(f"exponent {exponent} is too large in {format_expr(expr)}")
        return base ** int(exponent)
    return _root(base, exponent.denominator) ** exponent.numerator


class _Evaluator:
    """Evaluates expressions over an environment of known values and affine forms in the unknowns."""

    def __init__(self) -> None:
        self.env: dict[str, Value] = {}
        self.unknowns: list[str] = []

    def eval(self, expr: Target) -> Value:
        if isinstance(expr, Num):
            return Fraction(expr.value)
        if isinstance(expr, Dec):
            return Fraction(expr.value)
        if isinstance(expr, Var):
            if expr.name in self.env:
                return self.env[expr.name]
            if expr.name not in self.unknowns:
                self.unknowns.append(expr.name)
            return _Affine(Fraction(0), {expr.name: Fraction(1)})
        if isinstance(expr, Neg):
            v = self.eval(expr.operand)
            return -v if isinstance(v, Fraction) else v.scale(Fraction(-1))
        if isinstance(expr, Compare):
            raise SolveError(f"a comparison has no numeric value: {format_expr(expr)}")
        lhs, rhs = self.eval(expr.lhs), self.eval(expr.rhs)
        if isinstance(lhs, Fraction) and isinstance(rhs, Fraction):
            return _arith(expr, lhs, rhs)
        op = expr.op
        if op in ("+", "-"):
            sign = 1 if op == "+" else -1
            if isinstance(lhs, Fraction):
                return rhs.scale(Fraction(sign)).add(lhs)  # type: ignore[union-attr]
            return lhs.add(rhs, sign)
        if op == "*" and isinstance(lhs, Fraction):
            return rhs.scale(lhs)  # type: ignore[union-attr]
        if op == "*" and isinstance(rhs, Fraction):
            return lhs.scale(rhs)
        if op == "/" and isinstance(rhs, Fraction):
            if rhs == 0:
                raise SolveError(f"division by zero in {format_expr(expr)}")
            return lhs.scale(1 / rhs)  # type: ignore[union-attr]
        raise _Nonlinear


def _arith(expr: BinOp, a: Fraction, b: Fraction) -> Fraction:
    op = expr.op
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op in ("/", "//", "%") and b == 0:
        raise SolveError(f"division by zero in {format_expr(expr)}")
    if op == "/":
        return a / b
    if op == "%":
        return a % b
    if op == "//":
        return Fraction(a // b)
    return _power(a, b, expr)


def _solve_linear(constraints: list[_Affine], unknowns: list[str]) -> dict[str, Fraction]:
    """The unique solution of `form == 0` for every form (Gauss-Jordan over the rationals)."""
    rows = [[c.coeffs.get(u, Fraction(0)) for u in unknowns] + [-c.const] for c in constraints]
    n, pivot_row = len(unknowns), 0
    for col in range(n):
        pivot = next((r for r in range(pivot_row, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            raise SolveError(f"no unique solution: {unknowns[col]!r} is not determined")
        rows[pivot_row], rows[pivot] = rows[pivot], rows[pivot_row]
        p = rows[pivot_row][col]
        rows[pivot_row] = [x / p for x in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][col] != 0:
                k = rows[r][col]
                rows[r] = [x - k * y for x, y in zip(rows[r], rows[pivot_row], strict=True)]
        pivot_row += 1
    if any(row[-1] != 0 for row in rows[n:]):
        raise SolveError("the equations are inconsistent")
    return {u: rows[i][-1] for i, u in enumerate(unknowns)}


def _invert(expr: Expr, target: Fraction, ev: _Evaluator) -> tuple[str, Fraction]:
    """Solve `expr == target` when one unknown occurs once in `expr`, by undoing one operation at a time."""
    while True:
        if isinstance(expr, Var) and expr.name not in ev.env:
            return expr.name, target
        if isinstance(expr, Neg):
            expr, target = expr.operand, -target
            continue
        if not isinstance(expr, BinOp):
            raise _Nonlinear
        left_known = all(n in ev.env and isinstance(ev.env[n], Fraction) for n in names(expr.lhs))
        known, unknown = (expr.lhs, expr.rhs) if left_known else (expr.rhs, expr.lhs)
        k = ev.eval(known)
        if not isinstance(k, Fraction):
            raise _Nonlinear
        op, unknown_left = expr.op, not left_known
        if op == "+":
            target = target - k
        elif op == "-":
            target = target + k if unknown_left else k - target
        elif op == "*":
            if k == 0:
                raise SolveError(f"no unique solution: multiplied by zero in {format_expr(expr)}")
            target = target / k
        elif op == "/":
            if unknown_left:
                target = target * k
            elif target == 0:
                raise SolveError(f"no solution: {format_expr(expr)} cannot be 0")
            else:
                target = k / target
        elif op == "**" and unknown_left:
            if k == 0 or k.denominator != 1:
                raise _Nonlinear
            target = _power(target, 1 / k, expr)
        else:
            raise _Nonlinear
        expr = unknown


def _sympy_solve(structure: Structure) -> dict[str, Fraction]:
    """The fallback for nonlinear equations: SymPy's solve, keeping a real rational solution (positive first)."""
    import sympy

    def conv(e: Target) -> sympy.Expr:
        if isinstance(e, Num):
            return sympy.Integer(e.value)
        if isinstance(e, Dec):
            return sympy.Rational(str(e.value))
        if isinstance(e, Var):
            return sympy.Symbol(e.name)
        if isinstance(e, Neg):
            return -conv(e.operand)
        if isinstance(e, BinOp):
            a, b = conv(e.lhs), conv(e.rhs)
            ops = {"+": a + b, "-": a - b, "*": a * b} if e.op in "+-*" else {}
            if e.op in ops:
                return ops[e.op]
            return {
                "/": lambda: a / b,
                "%": lambda: sympy.Mod(a, b),
                "//": lambda: sympy.floor(a / b),
                "**": lambda: a**b,
            }[e.op]()
        raise SolveError(f"cannot solve over {format_expr(e)}")

    eqs, symbols = [], []
    for s in structure.statements:
        if isinstance(s, Define):
            eqs.append(sympy.Eq(sympy.Symbol(s.name), conv(s.value)))
        else:
            eqs.append(sympy.Eq(conv(s.lhs), conv(s.rhs)))
        for n in names(s.value if isinstance(s, Define) else s.rhs) + ([s.name] if isinstance(s, Define) else []):
            if sympy.Symbol(n) not in symbols:
                symbols.append(sympy.Symbol(n))
    solutions = sympy.solve(eqs, symbols, dict=True)
    rational = [sol for sol in solutions if all(v.is_Rational for v in sol.values()) and len(sol) == len(symbols)]
    if not rational:
        raise SolveError(f"no unique rational solution of {[str(e) for e in eqs]}: {solutions}")
    rational.sort(key=lambda sol: not all(v > 0 for v in sol.values()))
    return {str(k): Fraction(int(v.p), int(v.q)) for k, v in rational[0].items()}


# ---------------------------------------------------------------- solve


@dataclass(frozen=True, slots=True)
class Solution:
    """The answer of a structure and the value of every variable (defined or solved for), in order of appearance."""

    answer: Answer
    values: dict[str, Fraction]


def _uses_decimal(structure: Structure) -> bool:
    """Whether a decimal literal takes part in computing the question (transitively, through definitions)."""
    defs = {s.name: s.value for s in structure.statements if isinstance(s, Define)}
    equations = [s for s in structure.statements if isinstance(s, Equation)]
    if any(isinstance(s.lhs, Dec) for s in equations):
        return True
    todo: list[Target] = list(structure.question.targets)
    seen: set[str] = set()
    while todo:
        expr = todo.pop()
        for node in walk(expr):
            if isinstance(node, Dec):
                return True
            if isinstance(node, Var) and node.name not in seen:
                seen.add(node.name)
                if node.name in defs:
                    todo.append(defs[node.name])
                else:  # an unknown: every equation takes part
                    todo.extend(s.rhs for s in equations)
    return False


def _values(structure: Structure) -> tuple[_Evaluator, dict[str, Fraction]]:
    ev = _Evaluator()
    constraints: list[_Affine] = []
    try:
        for s in structure.statements:
            if isinstance(s, Define):
                if s.name in ev.env:
                    raise SolveError(f"variable {s.name!r} is defined twice")
                value = ev.eval(s.value)
                if s.name in ev.unknowns:  # used before its definition: an equation in that unknown
                    constraints.append(_Affine(Fraction(0), {s.name: Fraction(-1)}).add(value))
                else:
                    ev.env[s.name] = value
            else:
                value = ev.eval(s.rhs)
                lhs = Fraction(s.lhs.value)
                rest = value - lhs if isinstance(value, Fraction) else value.add(lhs, -1)
                if isinstance(rest, Fraction):
                    if rest != 0:
                        raise SolveError(f"the equation {s} does not hold")
                else:
                    constraints.append(rest)
        solved = _solve_linear(constraints, ev.unknowns) if ev.unknowns else {}
    except _Nonlinear:
        solved = _solve_nonlinear(structure)
        ev = _Evaluator()
        ev.env.update(solved)
        for s in structure.statements:
            if isinstance(s, Define) and s.name not in ev.env:
                ev.env[s.name] = ev.eval(s.value)
    values: dict[str, Fraction] = {}
    for name, v in ev.env.items():
        values[name] = v if isinstance(v, Fraction) else _at(v, solved)
    for name in ev.unknowns:
        values.setdefault(name, solved[name])
    ev.env = dict(values)  # type: ignore[arg-type]
    ev.unknowns = []
    return ev, values


def _at(form: _Affine, solution: dict[str, Fraction]) -> Fraction:
    return form.const + sum((c * solution[n] for n, c in form.coeffs.items()), Fraction(0))


def _solve_nonlinear(structure: Structure) -> dict[str, Fraction]:
    equations = [s for s in structure.statements if isinstance(s, Equation)]
    if len(equations) == 1 and all(isinstance(s, Equation) for s in structure.statements):
        eq = equations[0]
        occurrences = [n for n in walk(eq.rhs) if isinstance(n, Var)]
        if len(occurrences) == 1:
            try:
                name, value = _invert(eq.rhs, Fraction(eq.lhs.value), _Evaluator())
                return {name: value}
            except _Nonlinear:
                pass
    return _sympy_solve(structure)


def solve(structure: Structure | str, final_answer: FinalAnswer | None = None) -> Solution:
    """The exact answer of a structure.

    `final_answer` is the standard's `custom_final_answer` setting: "Factor Pairs" answers the factor pairs of the
    question's number; "Compare" and "System of Equations" are also recognised from the structure itself
    (a comparison target, several targets).
    """
    if final_answer is not None and final_answer not in FINAL_ANSWERS:
        raise ValueError(f"final_answer must be None or one of {FINAL_ANSWERS}, got {final_answer!r}")
    s = parse(structure) if isinstance(structure, str) else structure
    ev, values = _values(s)
    targets = s.question.targets
    if final_answer == "Compare" and not isinstance(targets[0], Compare):
        raise SolveError(f"a Compare question needs a target `a _ b`, got {format_expr(targets[0])!r}")
    if isinstance(targets[0], Compare):
        if len(targets) != 1:
            raise SolveError(f"a comparison question has one target, got {len(targets)}")
        lhs, rhs = ev.eval(targets[0].lhs), ev.eval(targets[0].rhs)
        assert isinstance(lhs, Fraction) and isinstance(rhs, Fraction)
        return Solution(RelationAnswer("<" if lhs < rhs else ">" if lhs > rhs else "="), values)
    results = []
    for t in targets:
        v = ev.eval(t)
        if not isinstance(v, Fraction) and len(targets) == 1 and s.question.name in values:
            # `[[question y = ['z']]]` with y defined and z not: the question reads as the equation y = z
            # (as SymPy solved it in the published pipeline), so the answer is y.
            v = values[s.question.name]
        if not isinstance(v, Fraction):
            raise SolveError(f"the question's {format_expr(t)!r} is not determined by the statements")
        results.append(v)
    if final_answer == "Factor Pairs":
        if len(results) != 1 or results[0].denominator != 1:
            raise SolveError(f"factor pairs need one integer target, got {[str(r) for r in results]}")
        return Solution(factor_pairs(results[0].numerator), values)
    decimal = _uses_decimal(s)
    if len(targets) == 1 and final_answer != "System of Equations":
        return Solution(number_answer(results[0], decimal), values)
    pairs = zip(targets, results, strict=True)
    items = sorted(((format_expr(t), number_answer(v, decimal)) for t, v in pairs), key=lambda kv: kv[0])
    return Solution(MappingAnswer(tuple(items)), values)

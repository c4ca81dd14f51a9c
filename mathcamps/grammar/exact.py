"""The exact answer of a structure: the one solver, over `mathcamps.grammar.tree` nodes.

`answer(standard, structure)` is what the generator writes, the worked solutions end with and the conformance
test compares with the published release: a `mathcamps.answers.types` value whose `str()` is the published form
(`12`, `109/4`, `33.0600000000000`, `<`, `[(1, 64), (2, 32)]`, `{q: 373/321, s: 2291/642}`).

Definitions are evaluated exactly by the tree's own evaluator. What published structures need beyond it:
- equations in any number of unknowns, kept as affine forms and eliminated (Gauss-Jordan over the rationals), so
  8.EE.C.8 systems and unknowns used before their definition both solve;
- an equation that is not linear in its one unknown (`64 = (x ** 3)`) is solved by undoing one operation at a
  time, and only what that cannot do goes to SymPy (imported then, since it costs half a second);
- `[[question y = ['z']]]` with `y` defined and `z` never defined reads as the equation `y = z`, as the published
  pipeline's SymPy solve read it, so the answer is `y`.

A value is a decimal when a decimal literal takes part in computing it (SymPy's floats are contagious the same
way); the answer keeps the exact rational value and prints it at 15 significant digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import isqrt

from mathcamps.answers.types import Answer, Mapping, Number, Pairs, Relation
from mathcamps.grammar.tree import (
    Compare,
    EvalError,
    Expr,
    Num,
    Op,
    Structure,
    UndefinedName,
    Value,
    Var,
    apply,
    evaluate,
    expr_text,
    nodes,
    variables,
)
from mathcamps.standards import Standard


def answer(std: Standard, structure: Structure) -> Answer:
    """The exact answer the standard asks for: a value, a relation, factor pairs or the solution of a system."""
    known = values(structure)
    asked = structure.asked
    if std.answer_kind == "compare" or isinstance(asked[0], Compare):
        if len(asked) != 1 or not isinstance(asked[0], Compare):
            raise EvalError(f"a comparison question has one target `a _ b`, got {[expr_text(e) for e in asked]}")
        a, b = evaluate(asked[0].lhs, known), evaluate(asked[0].rhs, known)
        return Relation("<" if a < b else ">" if a > b else "=")
    results = [_asked_value(e, structure, known) for e in asked]
    if std.answer_kind == "factor-pairs":
        n = results[0]
        if len(results) != 1 or not isinstance(n, int) or n < 1:
            raise EvalError(f"factor pairs need one positive whole target, got {[str(r) for r in results]}")
        return Pairs.of([(i, n // i) for i in range(1, isqrt(n) + 1) if n % i == 0])
    decimal = uses_decimal(structure)
    if len(asked) == 1 and std.answer_kind != "system":
        return _number(results[0], decimal)
    return Mapping.of({expr_text(e): _number(v, decimal) for e, v in zip(asked, results, strict=True)})


def _number(v: Value, decimal: bool) -> Number:
    return Number.decimal(Fraction(v)) if decimal else Number.of(v)


def _asked_value(e: Expr, structure: Structure, known: dict[str, Value]) -> Value:
    try:
        return evaluate(e, known)
    except EvalError:
        if len(structure.asked) == 1 and structure.question in known:  # `question y = ['z']`: the equation y = z
            return known[structure.question]
        raise EvalError(f"the question's {expr_text(e)!r} is not determined by the statements") from None


def uses_decimal(structure: Structure) -> bool:
    """Whether a decimal literal takes part in computing the question (transitively, through definitions)."""
    if not any(n.is_decimal for n in structure.all_literals()):
        return False
    defs = {s.target: s.expr for s in structure.statements if isinstance(s.target, str)}
    equations = [s for s in structure.statements if isinstance(s.target, Num)]
    if any(s.target.is_decimal for s in equations):  # type: ignore[union-attr]
        return True
    todo: list[Expr] = list(structure.asked)
    seen: set[str] = set()
    while todo:
        for node in nodes(todo.pop()):
            if isinstance(node, Num) and node.is_decimal:
                return True
            if isinstance(node, Var) and node.name not in seen:
                seen.add(node.name)
                if node.name in defs:
                    todo.append(defs[node.name])
                else:  # an unknown: every equation takes part
                    todo.extend(s.expr for s in equations)
    return False


def solve_equations(structure: Structure) -> dict[str, Value]:
    """The values of the unknowns: the names that the statements use but do not define."""
    defined = {s.target for s in structure.statements if isinstance(s.target, str)}
    return {k: v for k, v in values(structure).items() if k not in defined}


# ---------------------------------------------------------------- values of every variable


class _Nonlinear(Exception):
    """Raised inside evaluation when a value is not an affine function of the unknowns."""


@dataclass(frozen=True, slots=True)
class _Affine:
    """const + sum(coeff * unknown): a value that depends linearly on the unknowns."""

    const: Value
    coeffs: dict[str, Value]

    def scale(self, k: Value) -> _Affine:
        return _Affine(self.const * k, {n: c * k for n, c in self.coeffs.items()})

    def add(self, other: _Affine | Value, sign: int = 1) -> _Affine:
        if not isinstance(other, _Affine):
            return _Affine(self.const + sign * other, self.coeffs)
        coeffs = dict(self.coeffs)
        for n, c in other.coeffs.items():
            coeffs[n] = coeffs.get(n, 0) + sign * c
        return _Affine(self.const + sign * other.const, {n: c for n, c in coeffs.items() if c})

    def at(self, solution: dict[str, Value]) -> Value:
        return _whole(self.const + sum(c * solution[n] for n, c in self.coeffs.items()))


class _Evaluator:
    """Evaluates expressions over known values and affine forms in the unknowns (registered on first use)."""

    def __init__(self) -> None:
        self.env: dict[str, Value | _Affine] = {}
        self.unknowns: list[str] = []

    def eval(self, e: Expr) -> Value | _Affine:
        if isinstance(e, Num):
            return e.value
        if isinstance(e, Var):
            if e.name in self.env:
                return self.env[e.name]
            if e.name not in self.unknowns:
                self.unknowns.append(e.name)
            return _Affine(0, {e.name: 1})
        if isinstance(e, Compare):
            raise EvalError(f"a comparison has no numeric value: {expr_text(e)}")
        a, b = self.eval(e.lhs), self.eval(e.rhs)
        if not isinstance(a, _Affine) and not isinstance(b, _Affine):
            return apply(e.op, a, b)
        if e.op in ("+", "-"):
            sign = 1 if e.op == "+" else -1
            return b.scale(sign).add(a) if not isinstance(a, _Affine) else a.add(b, sign)
        if e.op == "*" and not isinstance(a, _Affine):
            return b.scale(a)  # type: ignore[union-attr]
        if e.op == "*" and not isinstance(b, _Affine):
            return a.scale(b)
        if e.op == "/" and not isinstance(b, _Affine):
            if b == 0:
                raise EvalError(f"division by zero in {expr_text(e)}")
            return a.scale(Fraction(1) / b)  # type: ignore[union-attr]
        raise _Nonlinear


def values(structure: Structure) -> dict[str, Value]:
    """The value of every variable, defined or solved for, in order of appearance."""
    if all(isinstance(s.target, str) for s in structure.statements):
        # The common case, and the generator's hot path: a chain of definitions, for the tree's evaluator alone.
        env: dict[str, Value] = {}
        try:
            for s in structure.statements:
                if s.target in env:
                    raise EvalError(f"variable {s.target!r} is defined twice")
                env[s.target] = evaluate(s.expr, env)  # type: ignore[index]
            return env
        except UndefinedName:  # a name used before its definition: an equation in that unknown
            pass
    ev = _Evaluator()
    constraints: list[_Affine] = []
    try:
        for s in structure.statements:
            value = ev.eval(s.expr)
            if isinstance(s.target, Num):
                rest = value.add(s.target.value, -1) if isinstance(value, _Affine) else value - s.target.value
                if not isinstance(rest, _Affine):
                    if rest != 0:
                        raise EvalError(f"the equation {s.target.text} = {expr_text(s.expr)} does not hold")
                else:
                    constraints.append(rest)
            elif s.target in ev.env:
                raise EvalError(f"variable {s.target!r} is defined twice")
            elif s.target in ev.unknowns:  # used before its definition: an equation in that unknown
                constraints.append(_Affine(0, {s.target: -1}).add(value))
            else:
                ev.env[s.target] = value
        solved = _solve_linear(constraints, ev.unknowns) if ev.unknowns else {}
    except _Nonlinear:
        solved = _solve_nonlinear(structure)
        ev = _Evaluator()
        ev.env.update(solved)
        for s in structure.statements:
            if isinstance(s.target, str) and s.target not in ev.env:
                ev.env[s.target] = ev.eval(s.expr)
    out = {name: v.at(solved) if isinstance(v, _Affine) else v for name, v in ev.env.items()}
    for name in ev.unknowns:
        out.setdefault(name, solved[name])
    return out


def _whole(v: Value) -> Value:
    return v.numerator if isinstance(v, Fraction) and v.denominator == 1 else v


def _solve_linear(constraints: list[_Affine], unknowns: list[str]) -> dict[str, Value]:
    """The unique solution of `form == 0` for every form (Gauss-Jordan over the rationals)."""
    rows = [[Fraction(c.coeffs.get(u, 0)) for u in unknowns] + [Fraction(-c.const)] for c in constraints]
    n, pivot_row = len(unknowns), 0
    for col in range(n):
        pivot = next((r for r in range(pivot_row, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            raise EvalError(f"no unique solution: {unknowns[col]!r} is not determined")
        rows[pivot_row], rows[pivot] = rows[pivot], rows[pivot_row]
        p = rows[pivot_row][col]
        rows[pivot_row] = [x / p for x in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][col] != 0:
                k = rows[r][col]
                rows[r] = [x - k * y for x, y in zip(rows[r], rows[pivot_row], strict=True)]
        pivot_row += 1
    if any(row[-1] != 0 for row in rows[n:]):
        raise EvalError("the equations are inconsistent")
    return {u: _whole(rows[i][-1]) for i, u in enumerate(unknowns)}


# ---------------------------------------------------------------- equations that are not linear


def _solve_nonlinear(structure: Structure) -> dict[str, Value]:
    equations = [s for s in structure.statements if isinstance(s.target, Num)]
    if len(equations) == len(structure.statements) == 1:
        eq = equations[0]
        if len(variables(eq.expr)) == 1:
            try:
                return dict([_invert(eq.expr, eq.target.value)])  # type: ignore[union-attr]
            except _Nonlinear:
                pass
    return _sympy_solve(structure)


def _invert(e: Expr, target: Value) -> tuple[str, Value]:
    """Solve `e == target` for the one unknown occurring once in `e`, by undoing one operation at a time."""
    while not isinstance(e, Var):
        if not isinstance(e, Op):
            raise _Nonlinear
        left = bool(variables(e.lhs))
        k = evaluate(e.rhs if left else e.lhs, {})
        if e.op == "+":
            target = target - k
        elif e.op == "-":
            target = target + k if left else k - target
        elif e.op == "*":
            if k == 0:
                raise EvalError(f"no unique solution: multiplied by zero in {expr_text(e)}")
            target = apply("/", target, k)
        elif e.op == "/":
            target = target * k if left else apply("/", k, target)
        elif e.op == "**" and left and isinstance(k, int) and k > 0:
            target = _root(Fraction(target), k)
        else:
            raise _Nonlinear
        target = _whole(target)
        e = e.lhs if left else e.rhs
    return e.name, target


def _root(value: Fraction, n: int) -> Value:
    """The exact real n-th root of a rational (the positive one for even n); EvalError if it is irrational."""
    if value < 0 and n % 2 == 0:
        raise EvalError(f"no real {n}-th root of {value}")
    sign = -1 if value < 0 else 1
    a, b = _iroot(abs(value.numerator), n), _iroot(value.denominator, n)
    if a**n != abs(value.numerator) or b**n != value.denominator:
        raise EvalError(f"the {n}-th root of {value} is irrational")
    return _whole(sign * Fraction(a, b))


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


def _sympy_solve(structure: Structure) -> dict[str, Value]:
    """The last resort for nonlinear equations: SymPy's solve, keeping a real rational solution (positive first)."""
    import sympy

    def conv(e: Expr) -> sympy.Expr:
        if isinstance(e, Num):
            return sympy.Rational(e.value.numerator, e.value.denominator)
        if isinstance(e, Var):
            return sympy.Symbol(e.name)
        if isinstance(e, Op):
            a, b = conv(e.lhs), conv(e.rhs)
            return {
                "+": lambda: a + b,
                "-": lambda: a - b,
                "*": lambda: a * b,
                "/": lambda: a / b,
                "%": lambda: sympy.Mod(a, b),
                "//": lambda: sympy.floor(a / b),
                "**": lambda: a**b,
            }[e.op]()
        raise EvalError(f"cannot solve over {expr_text(e)}")

    eqs, symbols = [], []
    for s in structure.statements:
        lhs = conv(s.target) if isinstance(s.target, Num) else sympy.Symbol(s.target)
        eqs.append(sympy.Eq(lhs, conv(s.expr)))
        for name in ([s.target] if isinstance(s.target, str) else []) + variables(s.expr):
            if sympy.Symbol(name) not in symbols:
                symbols.append(sympy.Symbol(name))
    solutions = sympy.solve(eqs, symbols, dict=True)
    rational = [sol for sol in solutions if all(v.is_Rational for v in sol.values()) and len(sol) == len(symbols)]
    if not rational:
        raise EvalError(f"no unique rational solution of {[str(e) for e in eqs]}: {solutions}")
    rational.sort(key=lambda sol: not all(v > 0 for v in sol.values()))
    return {str(k): _whole(Fraction(int(v.p), int(v.q))) for k, v in rational[0].items()}

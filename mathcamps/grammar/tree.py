"""The one form of a symbolic structure: small immutable nodes, exact evaluation, printing.

Everything walks this form: the sampler, the constraint check, the solver, follow-ups, templates and worked
solutions. It carries what the text cannot: which literals are formula constants (`fixed`, e.g. the 2 in
`2*l + 2*w`, never changed by a counterfactual) and the exact value of every literal beside its written text
(`11.0` stays `11.0`). `Structure.text()` prints the published syntax (`[[var x = (a + b)]]`,
`[[question q = ['x']]]`, then the context line); `mathcamps.grammar.parse.parse_structure` reads it back, and
`mathcamps.grammar.exact` solves it.

Values are exact: `int` where whole, `fractions.Fraction` otherwise (decimal literals are read as exact decimals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

Value = int | Fraction
OPS = ("+", "-", "*", "/", "//", "%", "**")


@dataclass(frozen=True, slots=True)
class Num:
    """A literal as written (`7`, `6.7`, `11.0`); `fixed` marks a formula constant."""

    value: Value
    text: str
    fixed: bool = field(default=False, compare=False)  # metadata: neither printed nor part of equality

    @property
    def is_decimal(self) -> bool:
        return "." in self.text


@dataclass(frozen=True, slots=True)
class Var:
    name: str


@dataclass(frozen=True, slots=True)
class Op:
    """A binary operation: one of `OPS`. A fraction literal is `Op('/', Num, Num)`, as printed.

    The published structures use `+ - * / % **`; back-translated ones also write `//`. A unary minus of a literal
    is a negative literal (`Num(-81, "-81")`); of anything else it is read as `(0 - x)`.
    """

    op: str
    lhs: Expr
    rhs: Expr


@dataclass(frozen=True, slots=True)
class Compare:
    """`lhs _ rhs`: the question asks which of `<`, `>`, `=` fills the blank."""

    lhs: Expr
    rhs: Expr


Expr = Num | Var | Op | Compare


@dataclass(frozen=True, slots=True)
class Statement:
    """`[[var target = expr]]`: a definition (target is a name) or an equation (target is a constant)."""

    target: str | Num
    expr: Expr

    @property
    def is_equation(self) -> bool:
        return isinstance(self.target, Num)


@dataclass(frozen=True, slots=True)
class Structure:
    """Statements, then a question naming what is asked (one expression, or the unknowns of a system)."""

    statements: tuple[Statement, ...]
    question: str
    asked: tuple[Expr, ...]
    context: str | None = None  # the line after the question that steers the wording: `theme: Towel`

    def text(self, context: bool = True) -> str:
        """The published syntax, one line per statement, then the question, then the context line if any."""
        lines = [f"[[var {_target_text(s.target)} = {expr_text(s.expr)}]]" for s in self.statements]
        asked = ", ".join(f"'{expr_text(e)}'" for e in self.asked)
        lines.append(f"[[question {self.question} = [{asked}]]]")
        if context and self.context is not None:
            lines.append(self.context)
        return "\n".join(lines)

    def all_literals(self) -> list[Num]:
        """Every literal: the equations' constants, then each statement's, then the question's."""
        found = [s.target for s in self.statements if isinstance(s.target, Num)]
        for e in [s.expr for s in self.statements] + list(self.asked):
            found += literals(e)
        return found

    @property
    def names(self) -> list[str]:
        """Every variable name used, in order of first appearance."""
        seen: dict[str, None] = {}
        for s in self.statements:
            if isinstance(s.target, str):
                seen.setdefault(s.target)
            for v in variables(s.expr):
                seen.setdefault(v)
        seen.setdefault(self.question)
        return list(seen)


def _target_text(target: str | Num) -> str:
    return target if isinstance(target, str) else target.text


def expr_text(e: Expr) -> str:
    if isinstance(e, Num):
        return e.text
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Op):
        return f"({expr_text(e.lhs)} {e.op} {expr_text(e.rhs)})"
    return f"{expr_text(e.lhs)} _ {expr_text(e.rhs)}"


# ---------------------------------------------------------------- walking


def nodes(e: Expr) -> list[Expr]:
    """Pre-order list of the subtree's nodes (the counterfactual mutator indexes into it)."""
    out: list[Expr] = []
    stack = [e]
    while stack:
        n = stack.pop()
        out.append(n)
        if isinstance(n, (Op, Compare)):
            stack.append(n.rhs)
            stack.append(n.lhs)
    return out


def literals(e: Expr) -> list[Num]:
    return [n for n in nodes(e) if isinstance(n, Num)]


def variables(e: Expr) -> list[str]:
    return [n.name for n in nodes(e) if isinstance(n, Var)]


def replace(e: Expr, old: Expr, new: Expr) -> Expr:
    """`e` with the node `old` (compared by identity) replaced by `new`."""
    if e is old:
        return new
    if isinstance(e, Op):
        lhs, rhs = replace(e.lhs, old, new), replace(e.rhs, old, new)
        return e if (lhs is e.lhs and rhs is e.rhs) else Op(e.op, lhs, rhs)
    if isinstance(e, Compare):
        return Compare(replace(e.lhs, old, new), replace(e.rhs, old, new))
    return e


def is_fraction_literal(e: Expr) -> bool:
    """`(n / d)` of two whole literals: how a fraction is written."""
    return (
        isinstance(e, Op)
        and e.op == "/"
        and isinstance(e.lhs, Num)
        and isinstance(e.rhs, Num)
        and not e.lhs.is_decimal
        and not e.rhs.is_decimal
    )


# ---------------------------------------------------------------- exact evaluation


class EvalError(ValueError):
    """An expression has no exact value: division by zero, a fractional remainder or exponent, an unknown name."""


class UndefinedName(EvalError):
    """A name used before any statement defines it (an unknown, when the structure has equations)."""


def apply(op: str, a: Value, b: Value) -> Value:
    """One exact operation; a whole result comes back as `int`."""
    if op == "+":
        r = a + b
    elif op == "-":
        r = a - b
    elif op == "*":
        r = a * b
    elif op == "/":
        if b == 0:
            raise EvalError("division by zero")
        if isinstance(a, int) and isinstance(b, int):
            return a // b if a % b == 0 else Fraction(a, b)
        r = Fraction(a) / b
    elif op == "//":
        if b == 0:
            raise EvalError("division by zero")
        return int(Fraction(a) // Fraction(b))
    elif op == "%":
        if not (isinstance(a, int) and isinstance(b, int)) or b == 0:
            raise EvalError(f"remainder needs whole numbers, got {a} % {b}")
        return a % b
    elif op == "**":
        if not isinstance(b, int) or b < 0 or b > 64:
            raise EvalError(f"exponent must be a small whole number, got {b}")
        r = a**b
    else:
        raise EvalError(f"unknown operator {op!r}")
    if isinstance(r, Fraction) and r.denominator == 1:
        return r.numerator
    return r


def evaluate(e: Expr, env: dict[str, Value], seen: list[tuple[Op, Value]] | None = None) -> Value:
    """The exact value of `e`; when `seen` is given, each operation and its result are appended to it."""
    if isinstance(e, Num):
        return e.value
    if isinstance(e, Var):
        try:
            return env[e.name]
        except KeyError:
            raise UndefinedName(f"variable {e.name!r} is used before it is defined") from None
    if isinstance(e, Op):
        r = apply(e.op, evaluate(e.lhs, env, seen), evaluate(e.rhs, env, seen))
        if seen is not None:
            seen.append((e, r))
        return r
    raise EvalError("a comparison has no numeric value")


def run(structure: Structure) -> dict[str, Value]:
    """Values of the defined variables of a plain (definition) structure, in order."""
    env: dict[str, Value] = {}
    for s in structure.statements:
        if s.is_equation:
            raise EvalError("run() takes definitions only; solve equations with mathcamps.grammar.exact")
        env[s.target] = evaluate(s.expr, env)  # type: ignore[index]
    return env


# ---------------------------------------------------------------- literals


def num(value: Value, fixed: bool = False) -> Num:
    """A whole or fractional-decimal literal from its value (decimals print like Python floats: `11.0`, `6.7`)."""
    if isinstance(value, int):
        return Num(value, str(value), fixed)
    return Num(value, decimal_text(value), fixed)


def decimal_text(value: Value) -> str:
    """A terminating decimal written like a Python float: `Fraction(67, 10)` -> `6.7`, `11` -> `11.0`."""
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f") if isinstance(value, Fraction) else ""
    if not text:
        return f"{value}.0"
    return text if "." in text else text + ".0"


def from_literal_text(text: str) -> Num:
    """A literal as written in a structure."""
    if "." in text:
        return Num(_whole(Fraction(text)), text)
    return Num(int(text), text)


def _whole(v: Fraction) -> Value:
    return v.numerator if v.denominator == 1 else v

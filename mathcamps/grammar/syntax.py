"""The nodes of the MathCAMPS symbolic language, their canonical printing and traversal.

This is the data half of `mathcamps.grammar.lang` (which adds the parser and re-exports everything here);
import from `mathcamps.grammar.lang`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, TypeAlias

OPS = ("+", "-", "*", "/", "//", "%", "**")
Op: TypeAlias = Literal["+", "-", "*", "/", "//", "%", "**"]
ContextKind: TypeAlias = Literal["theme", "math concept"]
CONTEXT_KINDS: tuple[ContextKind, ...] = ("theme", "math concept")

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Num:
    """An integer literal. `const` marks a fixed coefficient (never changed by a counterfactual)."""

    value: int
    const: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class Dec:
    """A decimal literal, kept exactly as written (`11.0` stays `11.0`, not `11`)."""

    value: Decimal

    def __post_init__(self) -> None:
        exponent = self.value.as_tuple().exponent
        if not self.value.is_finite() or not isinstance(exponent, int) or exponent >= 0:
            raise ValueError(f"a decimal literal needs digits after the point, got {self.value!r} (use Num)")

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class Var:
    """A reference to a variable by name."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class BinOp:
    """A binary operation, printed fully parenthesised: `(lhs op rhs)`."""

    op: Op
    lhs: Expr
    rhs: Expr

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"operator must be one of {OPS}, got {self.op!r}")

    def __str__(self) -> str:
        return format_expr(self)


@dataclass(frozen=True, slots=True)
class Neg:
    """Unary minus of a non-literal (a negative literal is `Num(-n)`), printed `(-x)`."""

    operand: Expr

    def __post_init__(self) -> None:
        if isinstance(self.operand, Num | Dec):
            raise ValueError(f"negate a literal by its value, not Neg({self.operand})")

    def __str__(self) -> str:
        return format_expr(self)


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison whose relation (<, > or =) is the answer, printed `lhs _ rhs`."""

    lhs: Expr
    rhs: Expr

    def __str__(self) -> str:
        return format_expr(self)


Expr: TypeAlias = Num | Dec | Var | BinOp | Neg
Target: TypeAlias = Expr | Compare


def frac(numerator: int, denominator: int) -> BinOp:
    """A fraction literal `(n / d)`, as the published fraction standards write it."""
    if denominator == 0:
        raise ValueError(f"fraction denominator must be nonzero, got {numerator}/{denominator}")
    return BinOp("/", Num(numerator), Num(denominator))


def is_fraction(expr: Target) -> bool:
    """Whether `expr` is a fraction literal: an integer divided by an integer."""
    return isinstance(expr, BinOp) and expr.op == "/" and type(expr.lhs) is Num and type(expr.rhs) is Num


# ---------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Define:
    """`[[var name = value]]`: a variable defined by an expression."""

    name: str
    value: Expr

    def __str__(self) -> str:
        return f"[[var {self.name} = {format_expr(self.value)}]]"


@dataclass(frozen=True, slots=True)
class Equation:
    """`[[var 14 = (13 + t)]]`: an equation with a constant on the left (equation-mode standards)."""

    lhs: Num | Dec
    rhs: Expr

    def __str__(self) -> str:
        return f"[[var {self.lhs} = {format_expr(self.rhs)}]]"


@dataclass(frozen=True, slots=True)
class Question:
    """`[[question q = ['x', ...]]]`: what is asked (several targets for a system of equations)."""

    name: str
    targets: tuple[Target, ...]

    def __post_init__(self) -> None:
        if not self.targets:
            raise ValueError(f"question {self.name!r} asks for nothing")

    def __str__(self) -> str:
        items = ", ".join(f"'{format_expr(t)}'" for t in self.targets)
        return f"[[question {self.name} = [{items}]]]"


@dataclass(frozen=True, slots=True)
class Context:
    """The line after the question that steers the wording: `theme: Pizza` or `math concept: ...`."""

    kind: ContextKind
    text: str

    def __post_init__(self) -> None:
        if self.kind not in CONTEXT_KINDS:
            raise ValueError(f"context kind must be one of {CONTEXT_KINDS}, got {self.kind!r}")
        if "\n" in self.text:
            raise ValueError(f"context text must be one line, got {self.text!r}")

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"


Statement: TypeAlias = Define | Equation


@dataclass(frozen=True, slots=True)
class Structure:
    """A whole symbolic structure: statements, then the question, then the optional context line."""

    statements: tuple[Statement, ...]
    question: Question
    context: Context | None = None

    def __str__(self) -> str:
        return format_structure(self)

    @property
    def is_equation(self) -> bool:
        """Whether this is an equation-mode structure (some statement has a constant on the left)."""
        return any(isinstance(s, Equation) for s in self.statements)

    def expressions(self) -> Iterator[Target]:
        """Every top-level expression, in printed order: statement right sides, then question targets."""
        for s in self.statements:
            yield s.value if isinstance(s, Define) else s.rhs
        yield from self.question.targets


# ---------------------------------------------------------------- printer


def format_expr(expr: Target) -> str:
    """The canonical text of an expression: binary operations fully parenthesised."""
    if isinstance(expr, BinOp):
        return f"({format_expr(expr.lhs)} {expr.op} {format_expr(expr.rhs)})"
    if isinstance(expr, Neg):
        return f"(-{format_expr(expr.operand)})"
    if isinstance(expr, Compare):
        return f"{format_expr(expr.lhs)} _ {format_expr(expr.rhs)}"
    return str(expr)


def format_structure(structure: Structure, *, context: bool = True) -> str:
    """The canonical text of a structure, one statement a line; the context line only if `context`."""
    lines = [str(s) for s in structure.statements] + [str(structure.question)]
    if context and structure.context is not None:
        lines.append(str(structure.context))
    return "\n".join(lines)


# ---------------------------------------------------------------- traversal


def walk(expr: Target) -> Iterator[Target]:
    """Every node of an expression, in pre-order (parents before children, left before right)."""
    yield expr
    if isinstance(expr, BinOp | Compare):
        yield from walk(expr.lhs)
        yield from walk(expr.rhs)
    elif isinstance(expr, Neg):
        yield from walk(expr.operand)


def replace_at(expr: Target, index: int, new: Expr) -> Target:
    """`expr` with its `index`-th node (in `walk` order) replaced by `new`."""
    size = sum(1 for _ in walk(expr))
    if not 0 <= index < size:
        raise IndexError(f"node index must be in [0, {size}), got {index}")
    return _replace(expr, index, new)[0]


def _replace(expr: Target, index: int, new: Expr) -> tuple[Target, int]:
    """(rewritten expr, nodes consumed); index counts down through the pre-order."""
    if index == 0:
        return new, sum(1 for _ in walk(expr))
    consumed = 1
    if isinstance(expr, BinOp | Compare):
        lhs, n = _replace(expr.lhs, index - consumed, new) if index - consumed >= 0 else (expr.lhs, 0)
        consumed += n
        rhs, n = _replace(expr.rhs, index - consumed, new) if index - consumed >= 0 else (expr.rhs, 0)
        consumed += n
        if isinstance(expr, Compare):
            return Compare(lhs, rhs), consumed  # type: ignore[arg-type]
        return BinOp(expr.op, lhs, rhs), consumed  # type: ignore[arg-type]
    if isinstance(expr, Neg):
        operand, n = _replace(expr.operand, index - 1, new) if index >= 1 else (expr.operand, 0)
        return Neg(operand), 1 + n  # type: ignore[arg-type]
    return expr, 1


def names(expr: Target) -> list[str]:
    """The variable names an expression uses, in order of first appearance."""
    return list(dict.fromkeys(n.name for n in walk(expr) if isinstance(n, Var)))


def literals(expr: Target) -> list[Num | Dec]:
    """The numeric literals of an expression, in pre-order (fixed coefficients included; see `Num.const`)."""
    return [n for n in walk(expr) if isinstance(n, Num | Dec)]


def _rename_expr(expr: Target, mapping: Mapping[str, str]) -> Target:
    if isinstance(expr, Var):
        return Var(mapping.get(expr.name, expr.name))
    if isinstance(expr, BinOp):
        return BinOp(expr.op, _rename_expr(expr.lhs, mapping), _rename_expr(expr.rhs, mapping))  # type: ignore[arg-type]
    if isinstance(expr, Compare):
        return Compare(_rename_expr(expr.lhs, mapping), _rename_expr(expr.rhs, mapping))  # type: ignore[arg-type]
    if isinstance(expr, Neg):
        return Neg(_rename_expr(expr.operand, mapping))  # type: ignore[arg-type]
    return expr


def rename(structure: Structure, mapping: Mapping[str, str]) -> Structure:
    """`structure` with variable (and question) names replaced by `mapping`; names not in it are kept."""
    statements: list[Statement] = []
    for s in structure.statements:
        if isinstance(s, Define):
            statements.append(Define(mapping.get(s.name, s.name), _rename_expr(s.value, mapping)))  # type: ignore[arg-type]
        else:
            statements.append(Equation(s.lhs, _rename_expr(s.rhs, mapping)))  # type: ignore[arg-type]
    q = structure.question
    question = Question(mapping.get(q.name, q.name), tuple(_rename_expr(t, mapping) for t in q.targets))
    return Structure(tuple(statements), question, structure.context)

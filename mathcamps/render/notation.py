"""Arithmetic as a problem writes it, and as a reader reads it back: printing with only the parentheses that
precedence needs, and parsing with the usual conventions (`×`/`÷` before `+`/`-`, left to right, `19x` is a product).

The printer and the parser are each other's inverse on values, not on text: `(a - b) * c` prints as
`(a - b) × c` and `a - (b * c)` as `a - b × c`, and both read back to their own value. A fraction literal next to
`×`, `÷` or a power is put in parentheses, `(29/21) ÷ (8/20)`, so it cannot be read as `29/(21 ÷ 8)/20`.

    >>> from mathcamps.grammar.parse import parse_structure
    >>> e = parse_structure("[[var a = ((44 - 39) * 45)]]\\n[[question q = ['a']]]").statements[0].expr
    >>> show(e)
    '(44 - 39) × 45'
    >>> value(parse("(44 - 39) × 45")), value(parse("44 - 39 × 45"))
    (225, -1711)
"""

from __future__ import annotations

import re
from fractions import Fraction
from math import isqrt

from mathcamps.grammar.tree import Compare, Expr, Num, Op, Value, Var, from_literal_text, is_fraction_literal

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2, "**": 3}
PRETTY = {"+": " + ", "-": " - ", "*": " × ", "/": " ÷ ", "%": " mod ", "**": "^"}
ASCII = {"+": " + ", "-": " - ", "*": " * ", "/": " / ", "%": " mod ", "**": "^"}


class ReadError(ValueError):
    """Text that is not arithmetic this reader understands."""


# ---------------------------------------------------------------- printing


def show(e: Expr, ops: dict[str, str] = PRETTY, fractions: bool = True, coefficients: bool = False) -> str:
    """`e` in plain notation; `fractions` writes `(n / d)` literals as `n/d`; `coefficients` writes `19 * x` as
    `19x`."""
    return _show(e, ops, fractions, coefficients)


def _is_frac(e: Expr, fractions: bool) -> bool:
    return fractions and is_fraction_literal(e)


def _show(e: Expr, ops: dict[str, str], fractions: bool, coef: bool) -> str:
    if isinstance(e, Num):
        return e.text
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Compare):
        return f"{_show(e.lhs, ops, fractions, coef)} _ {_show(e.rhs, ops, fractions, coef)}"
    if _is_frac(e, fractions):
        assert isinstance(e, Op) and isinstance(e.lhs, Num) and isinstance(e.rhs, Num)
        return f"{e.lhs.text}/{e.rhs.text}"  # as the structure writes it, `8/1` included
    assert isinstance(e, Op)
    if coef and e.op == "*" and isinstance(e.lhs, Num) and isinstance(e.rhs, Var):
        return f"{e.lhs.text}{e.rhs.name}"
    lhs = _operand(e, e.lhs, False, ops, fractions, coef)
    rhs = _operand(e, e.rhs, True, ops, fractions, coef)
    return f"{lhs}{ops[e.op]}{rhs}"


def _operand(parent: Op, child: Expr, right: bool, ops: dict[str, str], fractions: bool, coef: bool) -> str:
    text = _show(child, ops, fractions, coef)
    if _is_frac(child, fractions):
        return f"({text})" if parent.op in ("*", "/", "%", "**") else text
    if not isinstance(child, Op) or (coef and child.op == "*" and isinstance(child.lhs, Num)
                                     and isinstance(child.rhs, Var)):  # fmt: skip
        return text
    p, c = _PREC[parent.op], _PREC[child.op]
    if c < p or parent.op == "**" or parent.op == "%" or child.op == "%":
        return f"({text})"
    if c == p and right and parent.op in ("-", "/"):
        return f"({text})"
    return text


# ---------------------------------------------------------------- reading

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z@][A-Za-z_]*)|(\*\*|[-+*/%^()×÷·−²³]))")


def tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ReadError(f"cannot read {text[pos:]!r} in {text!r}")
        out.append(m.group(m.lastindex or 0))
        pos = m.end()
    return [{"×": "*", "·": "*", "÷": "/", "−": "-", "^": "**"}.get(t, t) for t in out]


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks, self.i, self.text = tokens(text), 0, text

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> str:
        t = self.peek()
        if t is None:
            raise ReadError(f"unexpected end of {self.text!r}")
        self.i += 1
        return t

    def expr(self) -> Expr:
        e = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            e = Op(op, e, self.term())
        return e

    def term(self) -> Expr:
        e = self.power()
        while True:
            t = self.peek()
            if t in ("*", "/", "%") or (t == "mod"):
                self.take()
                e = Op("%" if t == "mod" else t, e, self.power())
            elif t is not None and (t == "(" or t[0].isalpha() or t[0] == "@") and t != "mod":
                e = Op("*", e, self.power())  # `19x`, `2(x + 1)`
            else:
                return e

    def power(self) -> Expr:
        e = self.unary()
        while self.peek() in ("**", "²", "³"):
            t = self.take()
            e = Op("**", e, Num(2, "2") if t == "²" else Num(3, "3") if t == "³" else self.unary())
        return e

    def unary(self) -> Expr:
        if self.peek() == "-":
            self.take()
            return Op("-", Num(0, "0"), self.unary())
        return self.atom()

    def atom(self) -> Expr:
        t = self.take()
        if t == "(":
            e = self.expr()
            if self.take() != ")":
                raise ReadError(f"unbalanced parentheses in {self.text!r}")
            return e
        if t[0].isdigit():
            return from_literal_text(t)
        if t[0].isalpha() or t[0] == "@":
            return Var(t)
        raise ReadError(f"unexpected {t!r} in {self.text!r}")


def parse(text: str) -> Expr:
    """An arithmetic expression read with the usual precedence (`mod` is a remainder, `^` a power)."""
    p = _Parser(text.replace(" mod ", " % "))
    e = p.expr()
    if p.peek() is not None:
        raise ReadError(f"unexpected {p.peek()!r} in {text!r}")
    return e


def value(e: Expr, env: dict[str, Value] | None = None) -> Value:
    """The exact value of `e`; a power `x ** (1/k)` is the exact k-th root, or an error."""
    env = env or {}
    if isinstance(e, Num):
        return e.value
    if isinstance(e, Var):
        if e.name not in env:
            raise ReadError(f"{e.name!r} has no value here")
        return env[e.name]
    assert isinstance(e, Op), e
    a, b = value(e.lhs, env), value(e.rhs, env)
    if e.op == "+":
        r: Value = a + b
    elif e.op == "-":
        r = a - b
    elif e.op == "*":
        r = a * b
    elif e.op == "/":
        if b == 0:
            raise ReadError("division by zero")
        r = Fraction(a) / b
    elif e.op == "%":
        if not (isinstance(a, int) and isinstance(b, int)) or b == 0:
            raise ReadError("a remainder needs whole numbers")
        r = a % b
    else:
        r = _power(a, b)
    return r.numerator if isinstance(r, Fraction) and r.denominator == 1 else r


def _power(a: Value, b: Value) -> Value:
    if isinstance(b, int) and 0 <= b <= 64:
        return a**b
    b = Fraction(b)
    if b.numerator == 1 and b.denominator in (2, 3) and isinstance(a, int) and a >= 0:
        root = round(a ** (1 / b.denominator))
        for r in (root - 1, root, root + 1):
            if r >= 0 and r**b.denominator == a:
                return r
        raise ReadError(f"{a} has no whole {b.denominator}-th root")
    raise ReadError(f"cannot raise to {b}")


def square_root(n: int) -> int | None:
    r = isqrt(n)
    return r if r * r == n else None

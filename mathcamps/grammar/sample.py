"""The sampler: draws symbolic structures that satisfy a standard's constraints.

    >>> from mathcamps.grammar.sample import sample_structure
    >>> print(sample_structure("2.NBT.B.5", seed=0, index=0).text())  # doctest: +SKIP
    [[var k = (53 + 12)]]
    [[question m = ['k']]]

Each problem's random stream is derived from (standard id, seed, index) by SHA-256, so a problem never changes when
other standards or other indices are generated. Expansion follows the published production rules (uniform choice
among the standard's rules, a depth budget per statement, constructive exact division), but constraints are
enforced while sampling rather than only by rejecting whole problems: each statement is redrawn until every literal,
intermediate value and result lies in range (and divides exactly in whole-number standards), and later statements
prefer variables not yet used, so no variable is left dangling. `mathcamps.grammar_check.accepts` is the
specification; a test checks every sampled structure against it.
"""

from __future__ import annotations

import hashlib
import random
import string
from fractions import Fraction

from mathcamps.grammar.check import MAX_NAMES, accepts, check_statement
from mathcamps.grammar.tree import Compare, Expr, Num, Op, Statement, Structure, Value, Var, evaluate, num
from mathcamps.standards import Standard

_BINARY = {"addition": "+", "subtraction": "-", "multiplication": "*"}
_STATEMENT_TRIES = 200
_PROBLEM_TRIES = 500


class SamplingError(RuntimeError):
    """The sampler found no structure within its attempt budget (a bug in a standard's settings or rules)."""


def problem_rng(standard_id: str, seed: int, index: int) -> random.Random:
    """The random stream of one problem: a stable hash of (standard, seed, index), not Python's salted `hash`."""
    digest = hashlib.sha256(f"{standard_id}\x1f{seed}\x1f{index}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def sample_structure(std: Standard, seed: int, index: int) -> Structure:
    """Problem `index` of `standard` for `seed`: a structure the standard's constraints accept."""
    return sample_with(std, problem_rng(std.id, seed, index))


def sample_with(std: Standard, rng: random.Random) -> Structure:
    """A structure for `std` drawn from `rng` (follow-ups reuse this with their own streams)."""
    if std.answer_kind == "compare":
        return _compare(std, rng)
    if std.answer_kind == "factor-pairs":
        n = rng.randint(max(std.numbers[0], std.values[0]), min(std.numbers[1], std.values[1]))
        return Structure((), _names(rng, 1)[0], (num(n),))
    if std.is_equation:
        return _equations(std, rng)
    for _ in range(_PROBLEM_TRIES):
        s = _plain(std, rng)
        if s is not None:
            return s
    raise SamplingError(f"no structure for {std.id} after {_PROBLEM_TRIES} attempts")


def _names(rng: random.Random, k: int) -> list[str]:
    return rng.sample(string.ascii_lowercase, k)


# ---------------------------------------------------------------- leaves


def _whole(std: Standard, rng: random.Random) -> Num:
    lo, hi = max(std.numbers[0], std.values[0]), min(std.numbers[1], std.values[1])
    return num(rng.randint(lo, hi))


def _decimal(std: Standard, rng: random.Random, places: int) -> Num:
    # As published: a uniform fraction of max_number, rounded to 1..places decimal places.
    for _ in range(100):
        p = rng.randint(1, places)
        scaled = round(rng.random() * std.numbers[1] * 10**p)
        value = Fraction(scaled, 10**p)
        if std.values[0] <= value <= std.values[1]:
            return num(value)
    return num(Fraction(std.values[0]))


def _fraction(std: Standard, rng: random.Random) -> Op:
    lo, hi = max(std.numbers[0], 1), std.numbers[1]
    return Op("/", num(rng.randint(lo, hi)), num(rng.randint(lo, hi)))


def _number(std: Standard, rng: random.Random) -> Expr:
    kind = rng.choice(std.number_types)
    if kind == "int":
        return _whole(std, rng)
    if kind == "fraction":
        return _fraction(std, rng)
    return _decimal(std, rng, 2 if kind == "decimal-2" else 3)


def _one_decimal(std: Standard, rng: random.Random) -> Fraction:
    return Fraction(max(round(rng.random() * std.numbers[1] * 10), 10), 10)


# ---------------------------------------------------------------- expressions


class _Expansion:
    """One statement's expansion: the published depth counter plus the variables it may refer to."""

    def __init__(self, std: Standard, rng: random.Random, declared: list[str], unused: list[str]) -> None:
        self.std, self.rng, self.declared, self.unused = std, rng, declared, unused
        self.depth = 0
        self.rules = [r for r in std.rules if r != "variable" or declared]

    def expr(self) -> Expr:
        rule = self.rng.choice(self.rules)
        std, rng = self.std, self.rng
        if rule == "variable":
            self.depth += 1
            pool = self.unused if self.unused and rng.random() < 0.8 else self.declared
            return Var(rng.choice(pool))
        if rule == "number":
            self.depth += 1
            return _number(std, rng)
        if self.depth >= std.max_depth:
            self.depth += 1
            return self._fallback()
        self.depth += 2
        if rule in _BINARY:
            lhs = self.expr()
            return Op(_BINARY[rule], lhs, self.expr())
        if rule == "division":
            if "fraction" in std.number_types:
                lhs = self.expr_number()
                return Op("/", lhs, self.expr_number())
            d, q = self._operand(), self._operand()
            if isinstance(d, int) and isinstance(q, int) and d * q > std.values[1]:
                # Keep the dividend in range by construction instead of by rejection.
                q = rng.randint(1, max(1, std.values[1] // d))
            return Op("/", num(d * q), num(d))
        if rule == "remainder":
            a, b = _whole(std, rng), _whole(std, rng)
            return Op("%", a, b) if a.value >= b.value else Op("%", b, a)
        if rule in ("square", "cube"):
            return Op(
                "**", self.expr_number(), Num(2 if rule == "square" else 3, "2" if rule == "square" else "3", True)
            )
        if rule == "exponent":
            return Op("**", self.expr_number(), _whole(std, rng))
        if rule == "mult_4nbtb5":
            pair = (
                (rng.randint(10, 99), rng.randint(10, 99))
                if rng.random() < 0.5
                else (rng.randint(1, 9), rng.randint(1000, 9999))
            )
            a, b = pair if rng.random() < 0.5 else pair[::-1]
            return Op("*", num(a), num(b))
        if rule == "div_5nbtb6":
            d, q = rng.randint(10, 99), rng.randint(1, 99)
            return Op("/", num(d * q), num(d))
        if rule == "div_5nbtb7":
            d, q = _one_decimal(std, rng), _one_decimal(std, rng)
            return Op("/", num(d * q), num(d))
        if rule == "rectangle_perimeter":
            return Op("+", Op("*", Num(2, "2", True), _whole(std, rng)), Op("*", Num(2, "2", True), _whole(std, rng)))
        if rule == "rectangle_area":
            return Op("*", _whole(std, rng), _whole(std, rng))
        raise AssertionError(f"{std.id}: rule {rule!r} is not a plain-mode rule")

    def expr_number(self) -> Expr:
        return _number(self.std, self.rng)

    def _operand(self) -> Value:
        """A nonzero divisor or quotient of the standard's literal kind."""
        kinds = [k for k in self.std.number_types if k != "fraction"] or ["int"]
        kind = self.rng.choice(kinds)
        if kind == "int":
            return max(_whole(self.std, self.rng).value, 1)
        return _decimal(self.std, self.rng, 2 if kind == "decimal-2" else 3).value

    def _fallback(self) -> Expr:
        if "number" in self.std.rules or not self.declared or self.rng.random() < 0.5:
            return _number(self.std, self.rng)
        return Var(self.rng.choice(self.declared))


def _plain(std: Standard, rng: random.Random) -> Structure | None:
    length = rng.randint(*std.length)
    names = _names(rng, min(length + 1, MAX_NAMES))
    env: dict[str, Value] = {}
    declared: list[str] = []
    unused: list[str] = []
    statements: list[Statement] = []
    for i in range(length):
        last = i == length - 1
        for _ in range(_STATEMENT_TRIES):
            expansion = _Expansion(std, rng, declared, unused)
            expr = expansion.expr()
            if isinstance(expr, Var):
                continue  # `x = y` chains say nothing
            if isinstance(expr, Num) and (length == 1 or std.simplify or last):
                continue  # a bare number must be used by a later statement
            if last and len(unused) > 1 and not _uses(expr, unused):
                continue
            value = check_statement(std, expr, env)
            if value is not None:
                break
        else:
            return None
        name = names[i]
        used = {n.name for n in _vars(expr)}
        unused = [u for u in unused if u not in used] + [name]
        declared.append(name)
        env[name] = value
        statements.append(Statement(name, expr))
    if len(unused) != 1:
        return None  # a dangling variable: resample rather than drop it and change the length
    structure = Structure(tuple(statements), names[length], (Var(unused[0]),))
    return structure if accepts(std, structure) else None


def _uses(expr: Expr, names: list[str]) -> bool:
    vs = {v.name for v in _vars(expr)}
    return sum(n in vs for n in names) >= len(names) - 1


def _vars(expr: Expr) -> list[Var]:
    if isinstance(expr, Var):
        return [expr]
    if isinstance(expr, (Op, Compare)):
        return _vars(expr.lhs) + _vars(expr.rhs)
    return []


# ---------------------------------------------------------------- question-only and equation problems


def _compare(std: Standard, rng: random.Random) -> Structure:
    a, b = _number(std, rng), _number(std, rng)
    if "fraction" in std.number_types:
        # The standard compares fractions with different numerators and different denominators.
        while a.lhs.value == b.lhs.value or a.rhs.value == b.rhs.value:  # type: ignore[union-attr]
            b = _fraction(std, rng)
    return Structure((), _names(rng, 1)[0], (Compare(a, b),))


def _equations(std: Standard, rng: random.Random) -> Structure:
    for _ in range(_PROBLEM_TRIES * 10):
        names = _names(rng, std.unknowns + 1)
        unknowns, question = names[:-1], names[-1]
        statements = []
        for _k in range(std.unknowns):
            expr = _equation_expr(std, rng)
            value = evaluate(expr, {})
            if not isinstance(value, int) or not std.values[0] <= value <= std.values[1]:
                break
            leaves = [n for n in _leaves(expr) if not n.fixed]
            if len(leaves) < std.unknowns:
                break
            for name, leaf in zip(
                unknowns, rng.sample(leaves, std.unknowns) if std.unknowns > 1 else [rng.choice(leaves)]
            ):
                c = rng.randint(*std.coefficients)
                expr = _replace_leaf(expr, leaf, Var(name) if c == 1 else Op("*", num(c), Var(name)))
            statements.append(Statement(num(value), expr))
        else:
            # Equation problems are generate-and-test on whole problems: the solution must land in range.
            structure = Structure(tuple(statements), question, tuple(Var(u) for u in unknowns))
            if accepts(std, structure):
                return structure
    raise SamplingError(f"no equation structure for {std.id}")


def _equation_expr(std: Standard, rng: random.Random) -> Expr:
    rule = rng.choice(std.rules)
    if rule == "triangle_perimeter":
        if rng.random() < 0.5:
            return Op("*", Num(3, "3", True), _whole(std, rng))
        return _sum([_whole(std, rng) for _ in range(3)])
    if rule == "quadrilateral_perimeter":
        form = rng.randrange(3)
        if form == 0:
            return Op("*", Num(4, "4", True), _whole(std, rng))
        if form == 1:
            a, b, c, d = (_whole(std, rng) for _ in range(4))
            return Op("+", Op("+", a, b), Op("+", c, d))
        two = Num(2, "2", True)
        return Op("+", Op("*", two, _whole(std, rng)), Op("*", two, _whole(std, rng)))
    if rule == "polygon_perimeter":
        n = rng.randint(5, 11)
        if rng.random() < 0.5:
            return Op("*", Num(n, str(n), True), _whole(std, rng))
        return _sum([_whole(std, rng) for _ in range(n)])
    if std.contains_ten and rng.random() < 0.5:
        # Teen numbers and make-ten facts: one operand is the ten.
        ten, other = num(10), _whole(std, rng)
        return Op("+", ten, other) if rng.random() < 0.5 else Op("+", other, ten)
    return _Expansion(std, rng, [], []).expr()


def _sum(terms: list[Expr]) -> Expr:
    out = terms[0]
    for t in terms[1:]:
        out = Op("+", out, t)
    return out


def _leaves(e: Expr) -> list[Num]:
    if isinstance(e, Num):
        return [e]
    if isinstance(e, Op):
        return _leaves(e.lhs) + _leaves(e.rhs)
    return []


def _replace_leaf(e: Expr, leaf: Num, new: Expr) -> Expr:
    if e is leaf:
        return new
    if isinstance(e, Op):
        return Op(e.op, _replace_leaf(e.lhs, leaf, new), _replace_leaf(e.rhs, leaf, new))
    return e

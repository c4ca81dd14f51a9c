"""The solver: exact answers of every kind, with the published string forms, checked against sympy."""

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from mathcamps.answers.types import Mapping, Number, Pairs, Relation
from mathcamps.grammar.exact import answer, values
from mathcamps.grammar.parse import parse_structure
from mathcamps.grammar.tree import EvalError, Op, Statement, Structure, Var, expr_text, num
from mathcamps.standards import get_standard

# One standard of each answer kind: `answer` reads only the kind.
KIND = {None: "2.NBT.B.5", "Compare": "K.CC.C.7", "Factor Pairs": "4.OA.B.4", "System of Equations": "8.EE.C.8"}


def solve(text: str, final_answer: str | None = None):
    return answer(get_standard(KIND[final_answer]), parse_structure(text))


@pytest.mark.parametrize(
    ("structure", "final_answer", "text", "kind"),
    [
        # chains of definitions
        ("[[var n = (4 - 1)]]\n[[var e = (2 + n)]]\n[[question p = ['e']]]\ntheme: Kite", None, "5", "integer"),
        ("[[var k = (5840 - 1699)]]\n[[var s = 1702]]\n[[question v = ['(k + s)']]]", None, "5843", "integer"),
        ("[[var y = (162 / 18)]]\n[[var v = (y + 34)]]\n[[question g = ['v']]]", None, "43", "integer"),
        (
            "[[var b = ((38 / 8) + 11)]]\n[[var d = ((18 / 1) - b)]]\n[[question i = ['(25 + d)']]]",
            None,
            "109/4",
            "fraction",
        ),
        ("[[var o = (6100 / 52)]]\n[[question n = ['o']]]", None, "1525/13", "fraction"),
        ("[[var a = (5 ** 4)]]\n[[question g = ['a']]]", None, "625", "integer"),
        ("[[var i = (535 % 461)]]\n[[question k = ['i']]]", None, "74", "integer"),
        ("[[var i = (535 // 461)]]\n[[question k = ['i']]]", None, "1", "integer"),
        # a question naming a defined variable and an undefined one reads as an equation (LLM back-translations)
        ("[[var x = (22 + 6)]]\n[[var y = (x - 7)]]\n[[question y = ['z']]]", None, "21", "integer"),
        # decimals print as SymPy floats at 15 significant digits
        (
            "[[var s = 11.0]]\n[[var u = (6.7 * s)]]\n[[var p = (4.3 + u)]]\n[[question l = ['p']]]",
            None,
            "78.0000000000000",
            "decimal",
        ),
        ("[[var z = (40.4 - 7.34)]]\n[[question s = ['z']]]", None, "33.0600000000000", "decimal"),
        ("[[var j = (21 / 20.3)]]\n[[question g = ['j']]]", None, "1.03448275862069", "decimal"),
        ("[[var j = (0.5 / 4)]]\n[[question g = ['j']]]", None, "0.125000000000000", "decimal"),
        # equations: one unknown, linear and by undoing operations
        ("[[var 14 = (13 + t)]]\n[[question x = ['t']]]", None, "1", "integer"),
        ("[[var 4 = (17 - m)]]\n[[question w = ['m']]]", None, "13", "integer"),
        ("[[var 11 = (77 / s)]]\n[[question l = ['s']]]", None, "7", "integer"),
        ("[[var 122 = (92 + (28 * u))]]\n[[question j = ['u']]]", None, "15/14", "fraction"),
        ("[[var 368 = ((((((41 + 28) + 90) + 32) + 10) + m) + 98)]]\n[[question c = ['m']]]", None, "69", "integer"),
        ("[[var 324 = ((2 * 83) + (2 * y))]]\n[[question f = ['y']]]", None, "79", "integer"),
        ("[[var 512 = (g ** 3)]]\n[[question y = ['g']]]", None, "8", "integer"),
        ("[[var 49 = (g ** 2)]]\n[[question y = ['g']]]", None, "7", "integer"),  # the principal (positive) root
        ("[[var 12 = (2 * (x + x))]]\n[[question y = ['x']]]", None, "3", "integer"),  # x twice, still linear
        ("[[var 10 = (x * (x - 3))]]\n[[question y = ['x']]]", None, "5", "integer"),  # sympy fallback, positive root
        # two-variable linear systems (8.EE.C.8)
        (
            "[[var 37 = ((40 * s) - (91 * q))]]\n[[var 121 = ((30 * s) + (12 * q))]]\n[[question y = ['q', 's']]]",
            "System of Equations",
            "{q: 373/321, s: 2291/642}",
            "mapping",
        ),
        (
            "[[var 180 = ((4 * b) + (44 * m))]]\n[[var 48 = ((79 * m) - (6 * b))]]\n[[question f = ['b', 'm']]]",
            None,
            "{b: 3027/145, m: 318/145}",
            "mapping",
        ),
        ("[[var 5 = (x + y)]]\n[[var 1 = (x - y)]]\n[[question f = ['y', 'x']]]", None, "{x: 3, y: 2}", "mapping"),
        # comparisons and factor pairs
        ("[[question w = ['(1 / 8) _ (4 / 1)']]]", "Compare", "<", "relation"),
        ("[[question p = ['10 _ 7']]]", None, ">", "relation"),
        ("[[question p = ['(2 / 4) _ (3 / 6)']]]", "Compare", "=", "relation"),
        ("[[question r = ['64']]]", "Factor Pairs", "[(1, 64), (2, 32), (4, 16), (8, 8)]", "pairs"),
        ("[[question r = ['13']]]", "Factor Pairs", "[(1, 13)]", "pairs"),
        ("[[question r = ['64']]]", None, "64", "integer"),
    ],
)
def test_published_forms(structure: str, final_answer: str | None, text: str, kind: str) -> None:
    got = solve(structure, final_answer)
    shape = {Relation: "relation", Pairs: "pairs", Mapping: "mapping"}.get(type(got))
    assert (str(got), shape or got.kind) == (text, kind)


def test_values_cover_every_variable() -> None:
    s = parse_structure("[[var n = (4 - 1)]]\n[[var e = (2 + n)]]\n[[question p = ['e']]]")
    assert values(s) == {"n": 3, "e": 5}
    s = parse_structure("[[var 12 = (6 + k)]]\n[[var d = (k * 2)]]\n[[question c = ['d']]]")
    assert values(s) == {"k": 6, "d": 12}


def test_decimal_only_when_a_decimal_takes_part() -> None:
    # The decimal 2.5 is defined but the question does not depend on it: an integer answer.
    assert solve("[[var a = 2.5]]\n[[var b = (3 + 4)]]\n[[question q = ['b']]]") == Number.of(7)
    s = "[[var a = 2.5]]\n[[var b = (3 + a)]]\n[[var c = (b * 2)]]\n[[question q = ['c']]]"
    assert solve(s) == Number.decimal(Fraction(11))
    assert str(Number.decimal(Fraction(0))) == "0.0"  # the one printer: zero as SymPy prints Float(0)


@pytest.mark.parametrize(
    ("structure", "final_answer", "message"),
    [
        ("[[var a = (3 / (2 - 2))]]\n[[question q = ['a']]]", None, "division by zero"),
        ("[[var a = (3 % 0)]]\n[[question q = ['a']]]", None, "0"),
        ("[[var 5 = (x + y)]]\n[[question q = ['x']]]", None, "'y' is not determined"),
        ("[[var 5 = (x + y)]]\n[[var 6 = (x + y)]]\n[[question q = ['x', 'y']]]", None, "not determined"),
        ("[[var 2 = (x ** 2)]]\n[[question q = ['x']]]", None, "irrational"),
        ("[[var 5 = (2 + 2)]]\n[[question q = ['x']]]", None, r"5 = \(2 \+ 2\) does not hold"),
        ("[[var a = 1]]\n[[var a = 2]]\n[[question q = ['a']]]", None, "'a' is defined twice"),
        ("[[question q = ['z']]]", None, "'z' is not determined"),
        ("[[question r = ['(3 / 4)']]]", "Factor Pairs", "3/4"),
        ("[[question r = ['3']]]", "Compare", "'3'"),
    ],
)
def test_errors_name_the_problem(structure: str, final_answer: str | None, message: str) -> None:
    with pytest.raises(EvalError, match=message):
        solve(structure, final_answer)


# ---- independent re-checks with sympy

_ops = st.sampled_from(["+", "-", "*", "/"])
_leaf = st.one_of(
    st.integers(1, 50).map(num), st.tuples(st.integers(1, 30), st.integers(1, 12)).map(lambda t: Op("/", *map(num, t)))
)


@st.composite
def _chains(draw: st.DrawFn) -> Structure:
    statements: list[Statement] = []
    for i in range(draw(st.integers(1, 4))):
        pool = [_leaf] + ([st.sampled_from([Var(d.target) for d in statements])] if statements else [])
        operand = st.one_of(*pool)
        expr = draw(st.builds(Op, _ops, operand, operand))
        if draw(st.booleans()):
            expr = Op(draw(_ops), expr, draw(operand))
        statements.append(Statement(f"v{i}", expr))
    return Structure(tuple(statements), "q", (Var(statements[-1].target),))


@settings(max_examples=150, deadline=None)
@given(_chains())
def test_chains_agree_with_sympy(structure: Structure) -> None:
    env: dict[str, sympy.Expr] = {}
    zero_division = False
    for d in structure.statements:
        value = sympy.sympify(expr_text(d.expr), locals={k: v for k, v in env.items()}, rational=True)
        zero_division |= value.has(sympy.zoo, sympy.nan)
        env[d.target] = value
    std = get_standard("2.NBT.B.5")
    if zero_division:
        with pytest.raises(EvalError, match="division by zero"):
            answer(std, structure)
        return
    got = answer(std, structure)
    expected = env[structure.statements[-1].target]
    assert isinstance(got, Number) and got.kind in ("integer", "fraction")
    assert sympy.Rational(got.value.numerator, got.value.denominator) == expected
    assert str(got) == str(expected), structure.text()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-99, 99), min_size=6, max_size=6))
def test_linear_systems_agree_with_sympy(c: list[int]) -> None:
    a, b, p, d, e, r = c
    text = f"[[var {p} = (({a} * x) + ({b} * y))]]\n[[var {r} = (({d} * x) + ({e} * y))]]\n[[question s = ['x', 'y']]]"
    x, y = sympy.symbols("x y")
    expected = sympy.solve([sympy.Eq(a * x + b * y, p), sympy.Eq(d * x + e * y, r)], [x, y], dict=True)
    if len(expected) != 1 or len(expected[0]) != 2:
        with pytest.raises(EvalError):
            solve(text, "System of Equations")
        return
    assert str(solve(text, "System of Equations")) == str(expected[0])

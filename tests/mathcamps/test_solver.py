"""The solver: exact answers of every kind, with the published string forms, checked against sympy."""

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from mathcamps.grammar.lang import BinOp, Define, Num, Question, Structure, Var, format_expr, format_structure, frac
from mathcamps.grammar.solver import (
    DecimalAnswer,
    IntegerAnswer,
    MappingAnswer,
    RationalAnswer,
    RelationAnswer,
    SetAnswer,
    SolveError,
    factor_pairs,
    number_answer,
    solve,
)


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
            "rational",
        ),
        ("[[var o = (6100 / 52)]]\n[[question n = ['o']]]", None, "1525/13", "rational"),
        ("[[var a = (5 ** 4)]]\n[[question g = ['a']]]", None, "625", "integer"),
        ("[[var a = (64 ** (1 / 3))]]\n[[question g = ['a']]]", None, "4", "integer"),
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
        ("[[var 122 = (92 + (28 * u))]]\n[[question j = ['u']]]", None, "15/14", "rational"),
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
        ("[[question r = ['64']]]", "Factor Pairs", "[(1, 64), (2, 32), (4, 16), (8, 8)]", "set"),
        ("[[question r = ['13']]]", "Factor Pairs", "[(1, 13)]", "set"),
        ("[[question r = ['64']]]", None, "64", "integer"),
    ],
)
def test_published_forms(structure: str, final_answer: str | None, text: str, kind: str) -> None:
    answer = solve(structure, final_answer).answer  # type: ignore[arg-type]
    assert (answer.text, answer.kind) == (text, kind)


def test_values_cover_every_variable() -> None:
    values = solve("[[var n = (4 - 1)]]\n[[var e = (2 + n)]]\n[[question p = ['e']]]").values
    assert values == {"n": 3, "e": 5}
    values = solve("[[var 12 = (6 + k)]]\n[[var d = (k * 2)]]\n[[question c = ['d']]]").values
    assert values == {"k": 6, "d": 12}


def test_decimal_only_when_a_decimal_takes_part() -> None:
    # The decimal 2.5 is defined but the question does not depend on it: an integer answer.
    s = "[[var a = 2.5]]\n[[var b = (3 + 4)]]\n[[question q = ['b']]]"
    assert solve(s).answer == IntegerAnswer(7)
    s = "[[var a = 2.5]]\n[[var b = (3 + a)]]\n[[var c = (b * 2)]]\n[[question q = ['c']]]"
    assert solve(s).answer == DecimalAnswer(Fraction(11))


def test_answer_types() -> None:
    assert number_answer(Fraction(6, 3)) == IntegerAnswer(2)
    assert number_answer(Fraction(6, 4)) == RationalAnswer(Fraction(3, 2))
    assert number_answer(2, decimal=True).text == "2.00000000000000"
    assert factor_pairs(1) == SetAnswer(((1, 1),))
    assert MappingAnswer((("a", IntegerAnswer(1)),)).as_dict() == {"a": IntegerAnswer(1)}
    with pytest.raises(ValueError, match="2"):
        RationalAnswer(Fraction(2))
    with pytest.raises(ValueError, match="'!'"):
        RelationAnswer("!")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("structure", "final_answer", "message"),
    [
        ("[[var a = (3 / (2 - 2))]]\n[[question q = ['a']]]", None, r"division by zero in \(3 / \(2 - 2\)\)"),
        ("[[var a = (3 % 0)]]\n[[question q = ['a']]]", None, "division by zero"),
        ("[[var 5 = (x + y)]]\n[[question q = ['x']]]", None, "'y' is not determined"),
        ("[[var 5 = (x + y)]]\n[[var 6 = (x + y)]]\n[[question q = ['x', 'y']]]", None, "not determined"),
        ("[[var 2 = (x ** 2)]]\n[[question q = ['x']]]", None, "irrational"),
        ("[[var 5 = (2 + 2)]]\n[[question q = ['x']]]", None, r"\[\[var 5 = \(2 \+ 2\)\]\] does not hold"),
        ("[[var a = 1]]\n[[var a = 2]]\n[[question q = ['a']]]", None, "'a' is defined twice"),
        ("[[question q = ['z']]]", None, "'z' is not determined"),
        ("[[question r = ['(3 / 4)']]]", "Factor Pairs", "3/4"),
        ("[[question r = ['3']]]", "Compare", "'3'"),
    ],
)
def test_errors_name_the_problem(structure: str, final_answer: str | None, message: str) -> None:
    with pytest.raises(SolveError, match=message):
        solve(structure, final_answer)  # type: ignore[arg-type]


def test_bad_final_answer_setting_is_named() -> None:
    with pytest.raises(ValueError, match="'Factors'"):
        solve("[[question r = ['3']]]", "Factors")  # type: ignore[arg-type]


# ---- independent re-checks with sympy

_ops = st.sampled_from(["+", "-", "*", "/"])
_leaf = st.one_of(
    st.integers(1, 50).map(Num), st.tuples(st.integers(1, 30), st.integers(1, 12)).map(lambda t: frac(*t))
)


@st.composite
def _chains(draw: st.DrawFn) -> Structure:
    statements: list[Define] = []
    for i in range(draw(st.integers(1, 4))):
        pool = [_leaf] + ([st.sampled_from([Var(d.name) for d in statements])] if statements else [])
        operand = st.one_of(*pool)
        expr = draw(st.builds(BinOp, _ops, operand, operand))
        if draw(st.booleans()):
            expr = BinOp(draw(_ops), expr, draw(operand))
        statements.append(Define(f"v{i}", expr))
    return Structure(tuple(statements), Question("q", (Var(statements[-1].name),)))


@settings(max_examples=150, deadline=None)
@given(_chains())
def test_chains_agree_with_sympy(structure: Structure) -> None:
    env: dict[str, sympy.Expr] = {}
    zero_division = False
    for d in structure.statements:
        value = sympy.sympify(format_expr(d.value), locals={k: v for k, v in env.items()}, rational=True)
        zero_division |= value.has(sympy.zoo, sympy.nan)
        env[d.name] = value
    if zero_division:
        with pytest.raises(SolveError, match="division by zero"):
            solve(structure)
        return
    answer = solve(structure).answer
    expected = env[structure.statements[-1].name]
    assert isinstance(answer, IntegerAnswer | RationalAnswer)
    assert sympy.Rational(answer.value) == expected
    assert answer.text == str(expected), format_structure(structure)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-99, 99), min_size=6, max_size=6))
def test_linear_systems_agree_with_sympy(c: list[int]) -> None:
    a, b, p, d, e, r = c
    text = f"[[var {p} = (({a} * x) + ({b} * y))]]\n[[var {r} = (({d} * x) + ({e} * y))]]\n[[question s = ['x', 'y']]]"
    x, y = sympy.symbols("x y")
    expected = sympy.solve([sympy.Eq(a * x + b * y, p), sympy.Eq(d * x + e * y, r)], [x, y], dict=True)
    if len(expected) != 1 or len(expected[0]) != 2:
        with pytest.raises(SolveError):
            solve(text)
        return
    answer = solve(text).answer
    assert answer.text == str(expected[0])

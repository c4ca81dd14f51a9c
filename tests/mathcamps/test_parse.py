"""The structure syntax: parsing into tree nodes, canonical printing, round trips, errors and keys."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mathcamps.grammar.parse import StructureSyntaxError, parse_expr, parse_structure, structure_key
from mathcamps.grammar.tree import (
    Compare,
    Num,
    Op,
    Statement,
    Structure,
    Var,
    expr_text,
    from_literal_text,
    is_fraction_literal,
    literals,
    nodes,
    num,
    variables,
)


def n(value: int) -> Num:
    return num(value)


# Structures written in the published syntax, one per syntax form (our own numbers).
CANONICAL = [
    "[[var n = (4 - 1)]]\n[[var e = (2 + n)]]\n[[question p = ['e']]]\ntheme: Kite",
    "[[var 15 = (9 + t)]]\n[[question x = ['t']]]",
    "[[var 30 = ((20 * s) - (7 * q))]]\n[[var 11 = ((3 * s) + (2 * q))]]\n[[question y = ['q', 's']]]\n"
    "math concept: systems",
    "[[question w = ['(3 / 5) _ (2 / 7)']]]\nmath concept: Compare two fractions.",
    "[[question r = ['36']]]",
    "[[var k = (7 % 3)]]\n[[question l = ['k']]]",
    "[[var a = (6 ** 3)]]\n[[var b = 11.0]]\n[[var c = (b * 24.429)]]\n[[question g = ['(a + c)']]]\ntheme: Drum",
    "[[var 343 = (g ** 3)]]\n[[question y = ['g']]]",
    "[[var z = ((4 * 3) + (7 / 8))]]\n[[question q = ['z']]]",
    "[[var 612.5 = (q + 2.5)]]\n[[question h = ['q']]]",
    "[[var -3 = (x - 5)]]\n[[question h = ['x']]]",
]


@pytest.mark.parametrize("text", CANONICAL)
def test_canonical_text_round_trips_exactly(text: str) -> None:
    structure = parse_structure(text)
    assert structure.text() == text
    assert parse_structure(structure.text()) == structure


def test_parse_builds_the_expected_nodes() -> None:
    s = parse_structure(CANONICAL[2])
    assert s.statements[0] == Statement(n(30), Op("-", Op("*", n(20), Var("s")), Op("*", n(7), Var("q"))))
    assert (s.question, s.asked) == ("y", (Var("q"), Var("s")))
    assert s.context == "math concept: systems"
    cmp = parse_structure(CANONICAL[3]).asked[0]
    assert cmp == Compare(Op("/", n(3), n(5)), Op("/", n(2), n(7)))
    assert parse_structure(CANONICAL[6]).statements[1] == Statement("b", Num(11, "11.0"))
    assert parse_structure(CANONICAL[9]).statements[0].target == Num(Fraction(1225, 2), "612.5")


def test_decimal_literals_keep_their_written_form() -> None:
    assert expr_text(parse_expr("11.0")) == "11.0"
    assert expr_text(parse_expr("(2.50 + 1)")) == "(2.50 + 1)"
    assert parse_expr("2.50") == from_literal_text("2.50") == Num(Fraction(5, 2), "2.50")


def test_unparenthesised_input_uses_python_precedence() -> None:
    assert expr_text(parse_expr("38 / 8 + 11")) == "((38 / 8) + 11)"
    assert expr_text(parse_expr("a - b - c")) == "((a - b) - c)"
    assert expr_text(parse_expr("2 ** 3 ** 2")) == "(2 ** (3 ** 2))"
    assert expr_text(parse_expr("a + b * c % d")) == "(a + ((b * c) % d))"
    assert expr_text(parse_expr("p // b - 2")) == "((p // b) - 2)"
    assert parse_expr("-5") == Num(-5, "-5") and parse_expr("- -5") == n(5)
    # A unary minus of anything but a literal reads as 0 minus it.
    assert expr_text(parse_expr("-2 ** 2")) == "(0 - (2 ** 2))"
    assert expr_text(parse_expr("-(a + 1)")) == "(0 - (a + 1))"
    back = parse_structure(
        "[[var initial_towels = 5]]\n\n  [[var left = initial_towels - 2]]  \n[[question t = ['left']]]\n"
    )
    assert back.text() == "[[var initial_towels = 5]]\n[[var left = (initial_towels - 2)]]\n[[question t = ['left']]]"


@pytest.mark.parametrize(
    ("text", "line_no", "token"),
    [
        ("[[var x = (3 + )]]\n[[question q = ['x']]]", 1, ")"),
        ("[[var x = 3]]\n[[var y = (x $ 2)]]\n[[question q = ['y']]]", 2, "$"),
        ("[[var x = 3]]\n[[question q = ['x']]]\n[[var y = 2]]", 3, "[[var y = 2]]"),
        ("[[var x = 3]]", 1, "end of text"),
        ("[[var x = 3]]\nhello there\n[[question q = ['x']]]", 2, "hello"),
        ("[[var x = (3 + 4]]\n[[question q = ['x']]]", 1, "end of expression"),
        ("[[var x = 3 _ 4]]\n[[question q = ['x']]]", 1, "_"),
        ("[[question q = [x]]]", 1, "x"),
        ("theme: Dog\n[[question q = ['x']]]", 1, "theme"),
    ],
)
def test_errors_name_the_line_and_the_bad_token(text: str, line_no: int, token: str) -> None:
    with pytest.raises(StructureSyntaxError) as err:
        parse_structure(text)
    assert err.value.line_no == line_no
    assert err.value.token == token
    assert f"line {line_no}" in str(err.value) and repr(token) in str(err.value)


def test_error_column_points_at_the_token() -> None:
    line = "[[var x = (3 + )]]"
    with pytest.raises(StructureSyntaxError) as err:
        parse_structure(line + "\n[[question q = ['x']]]")
    assert line[err.value.column - 1] == ")"


def test_structure_key_ignores_names_and_theme_but_not_numbers_or_shape() -> None:
    a = "[[var n = (4 - 1)]]\n[[var e = (2 + n)]]\n[[question p = ['e']]]\ntheme: Kite"
    b = "[[var k = (4 - 1)]]\n[[var m = (2 + k)]]\n[[question z = ['m']]]\ntheme: Pizza"
    assert structure_key(a) == structure_key(b) == structure_key(parse_structure(b))
    assert structure_key(a) == "[[var v1 = (4 - 1)]]\n[[var v2 = (2 + v1)]]\n[[question v3 = ['v2']]]"
    assert structure_key(a) != structure_key(a.replace("(4 - 1)", "(4 - 2)"))
    assert structure_key(a) != structure_key(a.replace("(2 + n)", "(n + 2)"))
    # Names used before any definition (unknowns) are renamed in order of first appearance too.
    assert structure_key(CANONICAL[2]).startswith("[[var 30 = ((20 * v1) - (7 * v2))]]")


def test_nodes_variables_literals() -> None:
    e = parse_expr("((a + 2) * (b - 3.5))")
    assert [expr_text(x) for x in nodes(e)] == ["((a + 2) * (b - 3.5))", "(a + 2)", "a", "2", "(b - 3.5)", "b", "3.5"]
    assert variables(e) == ["a", "b"]
    assert literals(e) == [n(2), Num(Fraction(7, 2), "3.5")]


def test_fraction_literals() -> None:
    assert is_fraction_literal(parse_expr("(3 / 4)"))
    assert not is_fraction_literal(parse_expr("(3.0 / 4)")) and not is_fraction_literal(parse_expr("(a / 4)"))


# ---- property: any structure prints to text that parses back to the same structure

_names = st.sampled_from(["a", "b", "x", "total_apples"])
_leaves = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(n),
    st.decimals(min_value=0, max_value=10**4, places=3, allow_nan=False)
    .filter(lambda d: d.as_tuple().exponent < 0)
    .map(lambda d: from_literal_text(str(d))),
    _names.map(Var),
)
_exprs = st.recursive(
    _leaves,
    lambda inner: st.builds(Op, st.sampled_from(["+", "-", "*", "/", "//", "%", "**"]), inner, inner),
    max_leaves=12,
)
_statements = st.one_of(
    st.builds(Statement, _names, _exprs),
    st.builds(Statement, st.integers(-1000, 1000).map(n), _exprs),
)


@given(
    st.lists(_statements, max_size=4),
    st.lists(st.one_of(_exprs, st.builds(Compare, _exprs, _exprs)), min_size=1, max_size=2),
    st.one_of(st.none(), st.sampled_from(["theme: Dog", "math concept: x: y"])),
)
def test_print_then_parse_is_identity(statements: list, targets: list, context: str | None) -> None:
    s = Structure(tuple(statements), "q", tuple(targets), context)
    assert parse_structure(s.text()) == s

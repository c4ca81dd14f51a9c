"""The symbolic language: parsing, canonical printing, round trips, errors and traversal."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mathcamps.grammar.lang import (
    BinOp,
    Compare,
    Context,
    Dec,
    Define,
    Equation,
    Neg,
    Num,
    Question,
    Structure,
    StructureSyntaxError,
    Var,
    format_expr,
    format_structure,
    frac,
    is_fraction,
    literals,
    names,
    parse,
    parse_expr,
    rename,
    replace_at,
    structure_key,
    walk,
)

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
    structure = parse(text)
    assert format_structure(structure) == text
    assert parse(format_structure(structure)) == structure


def test_parse_builds_the_expected_nodes() -> None:
    s = parse(CANONICAL[2])
    assert s.statements[0] == Equation(Num(30), BinOp("-", BinOp("*", Num(20), Var("s")), BinOp("*", Num(7), Var("q"))))
    assert s.question == Question("y", (Var("q"), Var("s")))
    assert s.context == Context("math concept", "systems")
    assert s.is_equation
    cmp = parse(CANONICAL[3]).question.targets[0]
    assert cmp == Compare(frac(3, 5), frac(2, 7))
    assert parse(CANONICAL[6]).statements[1] == Define("b", Dec(Decimal("11.0")))


def test_decimal_literals_keep_their_written_form() -> None:
    assert format_expr(parse_expr("11.0")) == "11.0"
    assert format_expr(parse_expr("(2.50 + 1)")) == "(2.50 + 1)"
    with pytest.raises(ValueError, match="digits after the point"):
        Dec(Decimal("11"))


def test_unparenthesised_input_uses_python_precedence() -> None:
    assert format_expr(parse_expr("38 / 8 + 11")) == "((38 / 8) + 11)"
    assert format_expr(parse_expr("a - b - c")) == "((a - b) - c)"
    assert format_expr(parse_expr("2 ** 3 ** 2")) == "(2 ** (3 ** 2))"
    assert format_expr(parse_expr("-2 ** 2")) == "(-(2 ** 2))"
    assert format_expr(parse_expr("a + b * c % d")) == "(a + ((b * c) % d))"
    assert format_expr(parse_expr("p // b - 2")) == "((p // b) - 2)"
    assert parse_expr("-5") == Num(-5)
    assert parse_expr("-(a + 1)") == Neg(BinOp("+", Var("a"), Num(1)))
    back = parse("[[var initial_towels = 5]]\n\n  [[var left = initial_towels - 2]]  \n[[question t = ['left']]]\n")
    assert (
        format_structure(back)
        == "[[var initial_towels = 5]]\n[[var left = (initial_towels - 2)]]\n[[question t = ['left']]]"
    )


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
        parse(text)
    assert err.value.line_no == line_no
    assert err.value.token == token
    assert f"line {line_no}" in str(err.value) and repr(token) in str(err.value)


def test_error_column_points_at_the_token() -> None:
    line = "[[var x = (3 + )]]"
    with pytest.raises(StructureSyntaxError) as err:
        parse(line + "\n[[question q = ['x']]]")
    assert line[err.value.column - 1] == ")"


def test_structure_key_ignores_names_and_theme_but_not_numbers_or_shape() -> None:
    a = "[[var n = (4 - 1)]]\n[[var e = (2 + n)]]\n[[question p = ['e']]]\ntheme: Kite"
    b = "[[var k = (4 - 1)]]\n[[var m = (2 + k)]]\n[[question z = ['m']]]\ntheme: Pizza"
    assert structure_key(a) == structure_key(b) == structure_key(parse(b))
    assert structure_key(a) == "[[var v1 = (4 - 1)]]\n[[var v2 = (2 + v1)]]\n[[question v3 = ['v2']]]"
    assert structure_key(a) != structure_key(a.replace("(4 - 1)", "(4 - 2)"))
    assert structure_key(a) != structure_key(a.replace("(2 + n)", "(n + 2)"))
    # Names used before any definition (unknowns) are renamed in order of first appearance too.
    assert structure_key(CANONICAL[2]).startswith("[[var 30 = ((20 * v1) - (7 * v2))]]")


def test_walk_replace_names_literals() -> None:
    e = parse_expr("((a + 2) * (b - 3.5))")
    assert [format_expr(n) for n in walk(e)] == ["((a + 2) * (b - 3.5))", "(a + 2)", "a", "2", "(b - 3.5)", "b", "3.5"]
    assert format_expr(replace_at(e, 3, Num(9))) == "((a + 9) * (b - 3.5))"
    assert format_expr(replace_at(e, 6, Num(4))) == "((a + 2) * (b - 4))"
    assert format_expr(replace_at(e, 0, Var("z"))) == "z"
    with pytest.raises(IndexError, match="got 7"):
        replace_at(e, 7, Num(1))
    assert names(e) == ["a", "b"]
    assert literals(e) == [Num(2), Dec(Decimal("3.5"))]
    s = rename(parse(CANONICAL[0]), {"n": "m", "p": "r"})
    assert format_structure(s) == "[[var m = (4 - 1)]]\n[[var e = (2 + m)]]\n[[question r = ['e']]]\ntheme: Kite"


def test_fraction_literals() -> None:
    assert is_fraction(parse_expr("(3 / 4)")) and is_fraction(frac(3, 4))
    assert not is_fraction(parse_expr("(3.0 / 4)")) and not is_fraction(parse_expr("(a / 4)"))
    with pytest.raises(ValueError, match="3/0"):
        frac(3, 0)


def test_invalid_nodes_name_the_bad_value() -> None:
    with pytest.raises(ValueError, match="'\\^'"):
        BinOp("^", Num(1), Num(2))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'weather'"):
        Context("weather", "sunny")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'q'"):
        Question("q", ())


# ---- property: any AST prints to text that parses back to the same AST

_names = st.sampled_from(["a", "b", "x", "total_apples"])
_leaves = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(Num),
    st.decimals(min_value=0, max_value=10**4, places=3, allow_nan=False)
    .filter(lambda d: d.as_tuple().exponent < 0)
    .map(Dec),
    _names.map(Var),
)
_exprs = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.builds(BinOp, st.sampled_from(["+", "-", "*", "/", "%", "**"]), inner, inner),
        st.builds(Neg, inner.filter(lambda e: not isinstance(e, Num | Dec))),
    ),
    max_leaves=12,
)


_statements = st.one_of(
    st.builds(Define, _names, _exprs),
    st.builds(Equation, st.integers(-1000, 1000).map(Num), _exprs),
)


@given(
    st.lists(_statements, max_size=4),
    st.lists(st.one_of(_exprs, st.builds(Compare, _exprs, _exprs)), min_size=1, max_size=2),
    st.one_of(
        st.none(), st.builds(Context, st.sampled_from(["theme", "math concept"]), st.sampled_from(["Dog", "x: y"]))
    ),
)
def test_print_then_parse_is_identity(statements: list, targets: list, context: Context | None) -> None:
    s = Structure(tuple(statements), Question("q", tuple(targets)), context)
    assert parse(format_structure(s)) == s

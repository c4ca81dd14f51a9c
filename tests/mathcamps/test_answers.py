"""Table-driven tests for answer extraction and equivalence: every answer type, the rounding rule's edges,
and the tricky forms models write (currency, units, LaTeX, restated comparisons, runaway continuations)."""

from fractions import Fraction

import pytest

from mathcamps.answers.grade import RULES, Verdict, equivalent, extract, grade
from mathcamps.answers.numbers import decimal_places, normalise, parse, round_to, scan, terminates
from mathcamps.answers.types import Mapping, Number, Pairs, Relation, Values, parse_answer

# (response, rule that must fire, extracted text)
EXTRACTION = [
    ("Natalia sold 48/2 = 24 clips.\n### Answer: 72", "answer-line", "72"),
    ("### Answer: 5\nWait, I made an error.\n### Answer: 7", "answer-line", "7"),
    ("So the total is 5. ### Answer: 5", "answer-line", "5"),
    ("## Final Answer: 12", "answer-line", "12"),
    ("**Final Answer:** 12", "answer-label", "12"),
    ("### Answer: <<72>>", "answer-line", "72"),
    ("### Answer: <<>>>", "answer-line", ">"),
    ("### Answer: <<48+24=72>>72", "answer-line", "72"),
    ("### Answer: **42**.", "answer-line", "42"),
    ("### Answer: 12 m. This is because 2 + 4 = 6 and 6 + 6 = 12.", "answer-line", "12 m"),
    ("### Answer:\n\n5 towels", "answer-next-line", "5 towels"),
    ("### Answer: see above\nThe answer is 9.", "answer-is", "9"),
    ("**Answer:** 12 cm", "answer-label", "12 cm"),
    ("Answer: 3/4", "answer-label", "3/4"),
    ("First, 3 + 4 = 7.\nSo we get $\\boxed{7}$ in total.", "boxed", "7"),
    ("The sum is $\\boxed{\\frac{3}{4}}$.", "boxed", "\\frac{3}{4}"),
    ("Adding gives 7. Therefore the answer is 7 apples. Done.", "answer-is", "7 apples"),
    ("The answer is 3.25. It was easy.", "answer-is", "3.25"),
    ("She has 4 left.\n\n$29.00", "final-line", "$29.00"),
    ("Counting up:\n12 cm", "final-line", "12 cm"),
    ("Compare them.\n>", "final-line", ">"),
    # runaway continuations are cut before the rules run
    ("### Answer: 5\n\nProblem: Sam has 3 apples.\n### Answer: 3", "answer-line", "5"),
    ("### Answer: 5\n|user| Now a new question.\n|assistant| ### Answer: 9", "answer-line", "5"),
    ("So 4 is left.\n### Answer: 4\n@@@\n|user| Next.\n### Answer: 8", "answer-line", "4"),
    ("Problem: restated first, 3 + 4.\nWe add: 7.\n### Answer: 7", "answer-line", "7"),
    ("### Answer: 6 <|eot_id|><|start_header_id|>user<|end_header_id|> ### Answer: 2", "answer-line", "6"),
]

UNEXTRACTABLE = [
    "",
    "I am not sure how to solve this problem.",
    "### Answer: ",
    "### Answer: <<your final answer here.>>",
    "He has 5 towels and then 3 more.",
    "NOT AN ANSWER. GOOGLE FLAGGED THIS PROBLEM.",
    "\n\n\\begin{code}\nimport Head from 'next/head'\n",
]


@pytest.mark.parametrize(("response", "rule", "text"), EXTRACTION)
def test_extraction_rule_and_text(response: str, rule: str, text: str) -> None:
    found = extract(response)
    assert (found.rule, found.text) == (rule, text)
    assert found.rule in RULES


@pytest.mark.parametrize("response", UNEXTRACTABLE)
def test_unextractable_is_reported_apart_from_wrong(response: str) -> None:
    verdict = grade(response, "5")
    assert verdict == Verdict(False, None, "none")
    assert verdict.unextractable


def test_runaway_cut_is_reported() -> None:
    assert extract("### Answer: 5\nProblem: next one\n### Answer: 6").cut
    assert not extract("### Answer: 5").cut


# (given answer text, published answer, correct?)
NUMBERS = [
    ("72", "72", True),
    ("71", "72", False),
    ("$29.00", "29", True),
    ("$29", "29", True),
    ("29 dollars", "29", True),
    ("25¢", "25", True),
    ("25 cents", "25", True),
    ("1,234", "1234", True),
    ("1,234.50", "2469/2", True),
    ("12 cm", "12", True),
    ("35 square units", "35", True),
    ("12 feet.", "12", True),
    ("12.0", "12", True),
    ("12.00", "12", True),
    ("12.5", "12", False),
    ("-5", "-5", True),
    ("5", "-5", False),
    ("Gene has 5 beach towels now.", "5", True),
    ("48 + 24 = 72", "72", True),
    ("x = 14", "14", True),
    ("5 - 3", "2", False),  # arithmetic left undone is not an answer
    ("5 - 3", "5", False),
    ("twelve", "12", True),
    ("twenty-five", "25", True),
    # fractions, mixed numbers, LaTeX
    ("3/4", "3/4", True),
    ("6/8", "3/4", True),
    ("3 / 4", "3/4", True),
    ("4/3", "3/4", False),
    ("1 1/2", "3/2", True),
    ("1 and 1/2", "3/2", True),
    ("-1 1/2", "-3/2", True),
    ("27 1/4", "109/4", True),
    ("218/8", "109/4", True),
    ("\\frac{3}{4}", "3/4", True),
    ("\\dfrac{109}{4}", "109/4", True),
    ("\\tfrac34", "3/4", True),
    ("$-\\frac{1}{2}$", "-1/2", True),
    ("3\\frac{1}{2}", "7/2", True),
    ("3 \\frac{1}{2}", "7/2", True),
    ("½", "1/2", True),
    ("2½", "5/2", True),
    ("0.\\overline{3}", "1/3", True),
    ("0.\\overline{285714}", "2/7", True),
    ("2.5 hours (or 2 1/2 hours)", "5/2", True),
    ("3/4 (about 0.8)", "3/4", True),
    # decimals: exact when the expansion terminates
    ("0.75", "3/4", True),
    ("0.750", "3/4", True),
    (".75", "3/4", True),
    ("0.8", "3/4", False),
    ("0.7", "3/4", False),
    ("26.3", "26.3000000000000", True),
    ("26.30", "26.3000000000000", True),
    ("263/10", "26.3000000000000", True),
    ("26.31", "26.3000000000000", False),
    ("34.8558", "34.8558000000000", True),
    ("34.86", "34.8558000000000", False),  # a terminating value must be given exactly
    ("33.06", "33.0600000000000", True),
    ("33.9", "33.0600000000000", False),  # SPEC §4.5: the published prefix rule accepted this
    ("33.07", "33.0600000000000", False),
    ("33", "33.0600000000000", False),
    ("27.25", "109/4", True),
    # decimals: correctly rounded, >= 2 places, when the expansion does not terminate
    ("0.33", "1/3", True),
    ("0.333", "1/3", True),
    ("0.3333333333333333", "1/3", True),
    ("0.3", "1/3", False),
    ("0.34", "1/3", False),
    ("0.67", "2/3", True),
    ("0.66", "2/3", False),
    ("0.667", "2/3", True),
    ("0.286", "2/7", True),
    ("0.29", "2/7", True),
    ("0.28", "2/7", False),
    ("2.34", "295/126", True),  # 2.3412...
    ("2.35", "295/126", False),
    ("-0.67", "-2/3", True),
    ("1.03", "1.03448275862069", True),
    ("1.034", "1.03448275862069", True),
    ("1.0345", "1.03448275862069", True),
    ("1.03448275862069", "1.03448275862069", True),
    ("1.0344827586206897", "1.03448275862069", True),
    ("30/29", "1.03448275862069", True),
    ("1.04", "1.03448275862069", False),
    ("1.0", "1.03448275862069", False),
    ("1", "1.03448275862069", False),
    ("18.54", "18.5446153846154", True),
    ("18.55", "18.5446153846154", False),
    # a decimal with an ellipsis is a truncation
    ("0.333...", "1/3", True),
    ("0.666…", "2/3", True),
    ("0.667...", "2/3", False),
    ("1.034883...", "89/86", True),
    ("1.0344...", "1.03448275862069", True),
    ("1.0345...", "1.03448275862069", False),
    ("-0.666...", "-2/3", True),
    ("0.3...", "1/3", False),
    ("0.75...", "3/4", False),
    # percent, where it is meaningful
    ("45%", "45", True),
    ("45 percent", "45", True),
    ("50%", "0.500000000000000", True),
    ("50%", "1/2", True),
    ("5%", "1/2", False),
    ("0.5%", "1/2", True),  # face value: the question may ask for a percentage
]


@pytest.mark.parametrize(("given", "expected", "correct"), NUMBERS)
def test_number_equivalence(given: str, expected: str, correct: bool) -> None:
    assert equivalent(given, expected) is correct
    assert grade(f"Let me work it out.\n### Answer: {given}", expected).correct is correct


K_CC = "Compare these numbers by filling in the blank with <, >, or =.\n\n2 _ 4"
NF = "Fill in the blank with <, >, or = after comparing the fractions below:\n\n(8 / 10) _ (1 / 2)"
RELATIONS = [
    (">", ">", None, True),
    ("<", ">", None, False),
    ("=", "=", None, True),
    ("$>$", ">", None, True),
    ("\\gt", ">", None, True),
    ("&lt;", "<", None, True),
    ("greater than", ">", None, True),
    ("Greater than (>)", ">", None, True),
    ("less than", "<", None, True),
    ("equal to", "=", None, True),
    ("The first fraction is greater", ">", None, True),
    ("9/1 > 7/2", ">", None, True),
    ("(8 / 10) > (1 / 2)", ">", NF, True),
    ("4/5 > 1/2", ">", NF, True),
    ("1/2 < 8/10", ">", NF, True),  # restated back to front: the model concluded 8/10 > 1/2
    ("1/2 > 8/10", ">", NF, False),
    ("2 < 4", "<", K_CC, True),
    ("4 > 2", "<", K_CC, True),
    ("4 is greater than 2", "<", K_CC, True),
    ("2 is less than 4", "<", K_CC, True),
    ("2 _ 4 = <", "<", K_CC, True),  # the published grader took the first sign, "="
    ("2 _ 4 -> <", "<", K_CC, True),
    ("3 + 4 = 7 > 5", ">", None, True),
    ("9/1 = 9 > 7/2 = 3.5", ">", None, True),
    ("Since 2 < 4, the answer is <", "<", None, True),
    ("> (because 9 is greater than 3.5)", ">", None, True),
    ("5 = 5", "=", None, True),
    ("≥", ">", None, False),
    ("greater than or equal to", ">", None, False),
    ("not equal", "=", None, False),
    ("2 < 4 > 1", "<", None, False),
    ("4", "<", None, False),
    ("< < < < < <", "<", K_CC, False),  # a random model's run of one symbol is no answer
    ("< >", "<", K_CC, False),
    ("<, <", "<", K_CC, False),
]


@pytest.mark.parametrize(("given", "expected", "question", "correct"), RELATIONS)
def test_relation_equivalence(given: str, expected: str, question: str | None, correct: bool) -> None:
    assert equivalent(given, expected, question) is correct


PAIRS_64 = "[(1, 64), (2, 32), (4, 16), (8, 8)]"
PAIRS = [
    ("(1, 64), (2, 32), (4, 16), (8, 8)", True),
    ("[(1, 64), (2, 32), (4, 16), (8, 8)]", True),
    ("(8, 8), (4, 16), (2, 32), (1, 64)", True),
    ("(64, 1), (32, 2), (16, 4), (8, 8)", True),
    ("(1,64), (2,32), (4,16), (8,8)", True),
    ("1 x 64, 2 x 32, 4 x 16, 8 x 8", True),
    ("1 × 64, 2 × 32, 4 × 16, and 8 × 8", True),
    ("1 and 64, 2 and 32, 4 and 16, and 8 and 8", True),
    ("1, 64, 2, 32, 4, 16, 8, 8", True),
    ("(1, 64), (2, 32), (4, 16)", False),
    ("(1, 64), (2, 32), (4, 16), (8, 8), (3, 21)", False),
    ("1, 2, 4, 8, 16, 32, 64", False),  # the factors, not the pairs (SPEC §7: published grader accepted this)
    ("64", False),
]


@pytest.mark.parametrize(("given", "correct"), PAIRS)
def test_factor_pairs_compare_as_sets_of_pairs(given: str, correct: bool) -> None:
    assert equivalent(given, PAIRS_64) is correct


SYSTEM = "{q: 373/321, s: 2291/642}"
SYSTEM_Q = "Find the values of q and s:\n1. 40 * s - 91 * q = 37\n2. 30 * s + 12 * q = 121"
SYSTEM_SQ = "Solve for s and q:\n1. 40 * s - 91 * q = 37\n2. 30 * s + 12 * q = 121"
SYSTEMS = [
    ("q = 373/321, s = 2291/642", None, True),
    ("s = 2291/642, q = 373/321", None, True),
    ("q = 373/321 and s = 2291/642", None, True),
    ("{q: 373/321, s: 2291/642}", None, True),
    ("(q, s) = (373/321, 2291/642)", None, True),
    ("(s, q) = (2291/642, 373/321)", None, True),
    ("q = \\frac{373}{321}, s = \\frac{2291}{642}", None, True),
    ("q = 1 52/321, s = 3 365/642", None, True),
    ("q ≈ 1.16, s ≈ 3.57", None, True),
    ("q = 373/321 ≈ 1.162, s = 2291/642 ≈ 3.569", None, True),
    ("q = 1.2, s = 3.57", None, False),
    ("q = 1.16", None, False),
    ("q = 2291/642, s = 373/321", None, False),
    ("373/321, 2291/642", SYSTEM_Q, True),
    ("2291/642, 373/321", SYSTEM_Q, False),
    ("2291/642, 373/321", SYSTEM_SQ, True),
    ("373/321, 2291/642", None, True),
]


@pytest.mark.parametrize(("given", "question", "correct"), SYSTEMS)
def test_systems_match_in_any_order_and_form(given: str, question: str | None, correct: bool) -> None:
    assert equivalent(given, SYSTEM, question) is correct


def test_value_lists_compare_as_sets() -> None:
    assert equivalent("2, 1, 3", "[1, 2, 3]")
    assert equivalent("{3, 2, 1}", "{1, 2, 3}")
    assert not equivalent("1, 2", "[1, 2, 3]")
    assert not equivalent("1, 2, 3, 4", "[1, 2, 3]")


def test_question_fixes_comparison_orientation_through_grade() -> None:
    response = "Since 4 is bigger than 2, we have 4 > 2.\n### Answer: 4 > 2"
    assert grade(response, "<", K_CC).correct
    assert not grade(response, ">", K_CC).correct


# The typed answers and their published string forms.
PUBLISHED = [
    ("7", Number(Fraction(7), "integer")),
    ("295/126", Number(Fraction(295, 126), "fraction")),
    ("26.3000000000000", Number(Fraction(263, 10), "decimal")),
    ("1.03448275862069", Number(Fraction(103448275862069, 10**14), "decimal", 14)),
    ("<", Relation("<")),
    ("[(1, 26), (2, 13)]", Pairs.of([(1, 26), (2, 13)])),
    ("[1, 2]", Values((Number.of(1), Number.of(2)))),
    (
        "{q: 373/321, s: 2291/642}",
        Mapping.of({"q": Number.of(Fraction(373, 321)), "s": Number.of(Fraction(2291, 642))}),
    ),
]


@pytest.mark.parametrize(("text", "answer"), PUBLISHED)
def test_published_strings_parse_and_print_back(text: str, answer: object) -> None:
    assert parse_answer(text) == answer
    assert str(answer) == text


@pytest.mark.parametrize("bad", ["", "hello", "[(1, 2), x]", "{q: , s: 1}", "<>", "3/0", "50%"])
def test_unreadable_published_answer_names_the_value(bad: str) -> None:
    with pytest.raises(ValueError, match="answer"):
        parse_answer(bad)


def test_typed_answer_constructors_print_like_sympy() -> None:
    assert str(Number.decimal("26.3")) == "26.3000000000000"
    assert str(Number.decimal(Fraction(30, 29))) == "1.03448275862069"
    assert str(Number.of(Fraction(109, 4))) == "109/4"
    assert str(Number.of(12)) == "12"
    assert str(Relation(">").flipped()) == "<"
    with pytest.raises(ValueError, match="'≥'"):
        Relation("≥")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="1/2"):
        Number(Fraction(1, 2), "integer")


def test_number_grammar_pieces() -> None:
    assert [str(n.value) for n in scan(normalise("1 1/2 cups, or 1.5, or -3/4 or 2 5/4"))] == [
        "3/2", "3/2", "-3/4", "2", "5/4",
    ]  # fmt: skip
    assert [n.value for n in scan("5 - 3")] == [5, 3]  # a minus after a number is subtraction, not a sign
    assert parse("0.750").places == 3
    assert parse("3/4 cups") is None
    assert terminates(Fraction(3, 40)) and not terminates(Fraction(1, 3))
    assert decimal_places(Fraction(3, 40)) == 3 and decimal_places(Fraction(1, 3)) is None
    assert round_to(Fraction(2, 3), 2) == Fraction(67, 100)
    assert round_to(Fraction(-2, 3), 2) == Fraction(-67, 100)
    assert round_to(Fraction(5, 1000), 2) == Fraction(1, 100)  # halves go away from zero

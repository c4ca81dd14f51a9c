"""Flexible extraction: the concluded final answer of a response with no answer line, the rule that found it, and
no credit where nothing is concluded; and every verdict carrying both the strict and the flexible judgement."""

import pytest

from mathcamps.answers.flexible import FLEXIBLE_RULES, flexible_extract
from mathcamps.answers.grade import MARKERS, RULES, extract, grade

# (response, rule, text a reader takes)
CONCLUDED = [
    ("Adding them up.\nTherefore, the answer is 45.7.", "conclusion", "the answer is 45.7"),
    ("David has 25 + 34 = 59 pens now.", "last-equation", "59 pens now"),
    ("747 - 336 = 411\n\nTherefore, Jackson used 411 ml more.", "conclusion", "Jackson used 411 ml more"),
    ("Each ring: 35 / 5 = 7.\nSo each ring costs 7 dollars.", "conclusion", "each ring costs 7 dollars"),
    ("Solving, x = 235 - 227\nx = 8", "last-equation", "8"),
    ("We add the sides.\n**59**", "bold", "59"),
    ("Compare the two.\n(4 / 8) < (2 / 1)", "last-value", "(4 / 8) < (2 / 1)"),
    ("The factor pairs of 59 are 1 and 59, and 59 and 1.", "last-pairs",
     "The factor pairs of 59 are 1 and 59, and 59 and 1"),
    ("Each side of the triangle is 194 cm long.", "last-statement", "Each side of the triangle is 194 cm long"),
    ("The value of 5^4 is 625.", "last-statement", "625"),
    ("You can add 2.3 to 90.917 to get 93.217.", "last-statement", "93.217"),
    ("So, after 11 seconds of flight, the rocket has used 99 units of fuel.", "conclusion", "used 99 units of fuel"),
    ("Total: 12 apples.\n\nI hope this helps!", "last-statement", "Total: 12 apples"),
    ("You have baked 75 + 10 = 85 cookies in total, including the 10 extras.", "last-equation",
     "85 cookies in total, including the 10 extras"),
]  # fmt: skip

NOTHING_CONCLUDED = [
    "",
    "He has 5 towels and then 3 more, and I am not sure.",
    "66 = 3",  # a bare number said to equal another concludes nothing
    "4666666666 = 4",
    "So the answer is 5 or 6.",  # hedges
    "Therefore the answer is between 5 and 9.",
    "So it is not 5.",
    "The first number is 7.\nWe cannot determine the answer without more information.",  # a refusal ends it
    "<h2>Deploy &rarr;</h2>",  # markup, digits inside tokens
    "\x07\ufffd5 first\ufffd\x15G 3",  # bytes that are not text
]


@pytest.mark.parametrize(("response", "rule", "text"), CONCLUDED)
def test_concluded_answers_are_read_with_their_rule(response: str, rule: str, text: str) -> None:
    found = flexible_extract(response)
    assert (found.rule, found.text) == (rule, text)
    assert found.rule in FLEXIBLE_RULES


@pytest.mark.parametrize("response", NOTHING_CONCLUDED)
def test_nothing_concluded_is_nothing_extracted(response: str) -> None:
    assert flexible_extract(response).text is None


def test_every_verdict_carries_both_judgements() -> None:
    v = grade("She had 3 and got 4 more.\nTherefore, she has 7 apples.", "7")
    assert (v.correct, v.rule) == (True, "conclusion")  # the headline is the flexible verdict
    assert v.strict is not None and not v.strict.correct and not v.strict_found
    assert v.flexible is not None and (v.flexible.correct, v.flexible.rule, v.flexible.reading) == (
        True, "conclusion", "7",
    )  # fmt: skip
    marked = grade("3 + 4 = 7\n### Answer: 7", "7")
    assert marked.strict_found and marked.strict.correct and marked.flexible == marked.strict


@pytest.mark.parametrize(
    ("response", "expected", "correct"),
    [
        ("Therefore, the answer is 45.7.", "45.7000000000000", True),
        ("Therefore, the answer is 45.8.", "45.7000000000000", False),
        ("So the answer is 5 or 6.", "5", False),
        ("66 = 3", "3", False),
        ("Since 7 is less than 8, the correct symbol is:\n\n<\n\n### Answer: ", "<", True),
        ("Thus, > or <", "<", False),
    ],
)
def test_flexible_verdicts(response: str, expected: str, correct: bool) -> None:
    v = grade(response, expected)
    assert v.flexible is not None and v.flexible.correct is correct


def test_gsm8k_marker_is_read_by_default_and_markers_are_a_setting() -> None:
    assert "####" in MARKERS and "marker" in RULES
    assert (extract("48 + 24 = 72\n#### 72").rule, extract("48 + 24 = 72\n#### 72").text) == ("marker", "72")
    assert grade("So 72.\n#### 72", "72").strict.correct
    assert not grade("So 72.\nFINAL: 72", "72").strict.correct
    assert grade("So 72.\nFINAL: 72", "72", markers=("FINAL:",)).strict.correct
    assert extract("#### 5\n#### 7").text == "7"  # the last marker wins


def test_hedged_and_out_of_bounds_answer_lines_earn_nothing() -> None:
    for text in ("5, 6, 7", "between 5 and 9", "not 5", "5 or 6"):
        assert not grade(f"### Answer: {text}", "5").correct, text
    assert not grade("### Answer: 1e999999999", "1").correct
    assert not grade("### Answer: > or <", "<").correct
    assert grade("### Answer: 2.5 hours (or 2 1/2 hours)", "5/2").correct  # an aside is not a hedge


def test_unknown_rules_are_named() -> None:
    with pytest.raises(ValueError, match="'papers'"):
        grade("### Answer: 5", "5", rules="papers")  # type: ignore[arg-type]

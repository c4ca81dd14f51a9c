"""Conformance with the published release: every published answer string parses to a typed answer and prints
back unchanged, and for every published standard, real-looking responses in several forms grade correct while
near misses grade wrong."""

import json
from fractions import Fraction
from functools import cache

import pytest

from mathcamps.answers.grade import grade
from mathcamps.answers.numbers import decimal_places, round_to, terminates
from mathcamps.answers.types import Mapping, Number, Pairs, Relation, parse_answer
from mathcamps.problem import Problem
from tests.reference import reference_dir

PER_STANDARD = 8  # problems per standard in the response-form tests (all 9,607 are parsed)


@cache
def published() -> list[Problem]:
    rows = json.loads((reference_dir() / "mathcamps-v1" / "mathcamps.json").read_text())
    return [Problem.from_json(row) for row in rows]


def _decimal(value: Fraction, places: int) -> str:
    scaled = round_to(value, places) * 10**places
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    return ("-" if value < 0 else "") + digits[:-places] + "." + digits[-places:]


def _plain(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def right_and_wrong(problem: Problem) -> tuple[list[str], list[str]]:
    """Answer texts a model might write for `problem`: ones that are right, and near misses that are wrong."""
    answer = parse_answer(problem.answer)
    if isinstance(answer, Number):
        v = answer.value
        if answer.approx_places is not None or not terminates(v):
            return [_decimal(v, 2), _decimal(v, 4)], [_decimal(v + Fraction(1, 100), 2), _decimal(v, 1)]
        if answer.kind == "decimal":
            places = max(1, decimal_places(v) or 0)
            return [_decimal(v, places), f"${_decimal(v, places)}"], [_decimal(v + Fraction(1, 10**places), places)]
        if v.denominator != 1:
            whole, rest = divmod(v.numerator, v.denominator)
            right = [_plain(v), f"\\frac{{{v.numerator}}}{{{v.denominator}}}"]
            right += [f"{whole} {rest}/{v.denominator}"] if whole else []
            return right, [_plain(v + 1), f"{v.denominator}/{v.numerator}" if v != 1 / v else _plain(v * 2)]
        return [str(v), f"{v} units", f"${v}.00"], [str(v + 1), f"{v}.5"]
    if isinstance(answer, Relation):
        others = [r for r in "<>=" if r != answer.symbol]
        return [answer.symbol, f"<<{answer.symbol}>>"], others
    if isinstance(answer, Pairs):
        pairs = sorted(answer.pairs)
        right = [", ".join(f"({_plain(a)}, {_plain(b)})" for a, b in pairs)]
        right += [", ".join(f"{_plain(b)} x {_plain(a)}" for a, b in reversed(pairs))]
        wrong = [", ".join(f"({_plain(a)}, {_plain(b)})" for a, b in pairs[:-1]) or "(1, 1)"]
        wrong += [", ".join(f"({_plain(a)}, {_plain(b + 1)})" for a, b in pairs)]
        return right, wrong
    assert isinstance(answer, Mapping)
    (n1, v1), (n2, v2) = answer.values
    right = [f"{n2} = {_plain(v2.value)}, {n1} = {_plain(v1.value)}", f"{n1} ≈ {_decimal(v1.value, 3)}, "
             f"{n2} ≈ {_decimal(v2.value, 3)}"]  # fmt: skip
    wrong = [f"{n1} = {_plain(v2.value)}, {n2} = {_plain(v1.value)}"] if v1 != v2 else []
    wrong += [f"{n1} = {_plain(v1.value + 1)}, {n2} = {_plain(v2.value)}"]
    return right, wrong


STYLES = [
    "Let's solve this step by step.\n\nFirst we find the total.\n\n### Answer: {}",
    "We work it out carefully, 2 + 2 = 4 along the way.\nSo, the answer is {}.",
    "Working: 12 - 3 = 9, then more steps.\n\nThe final result is $\\boxed{{{}}}$.",
    "Step 1: 7 + 1 = 8.\n### Answer: {}\n\nProblem: A new problem with 99 apples.\n### Answer: 99",
]


def test_every_published_answer_parses_and_prints_back() -> None:
    problems = published()
    assert len(problems) == 9607
    for p in problems:
        assert str(parse_answer(p.answer)) == p.answer, p.id


def test_every_published_answer_grades_correct_against_itself() -> None:
    for p in published():
        verdict = grade(f"Reasoning first.\n### Answer: {p.answer}", p.answer, p.statement)
        assert verdict.correct, (p.id, p.answer, verdict)


def _standards() -> list[str]:
    try:
        return sorted({p.standard for p in published()})
    except pytest.skip.Exception:  # no reference data: the parametrized test is reported as skipped
        return []


@pytest.mark.parametrize("standard", _standards())
def test_each_standard_right_forms_pass_and_near_misses_fail(standard: str) -> None:
    problems = [p for p in published() if p.standard == standard][:PER_STANDARD]
    assert problems
    for p in problems:
        right, wrong = right_and_wrong(p)
        for i, text in enumerate(right):
            response = STYLES[i % len(STYLES)].format(text)
            assert grade(response, p.answer, p.statement).correct, (p.id, p.answer, response)
        for i, text in enumerate(wrong):
            response = STYLES[(i + 1) % len(STYLES)].format(text)
            verdict = grade(response, p.answer, p.statement)
            assert not verdict.correct and not verdict.unextractable, (p.id, p.answer, response, verdict)

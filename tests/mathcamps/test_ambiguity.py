"""Every generated problem has exactly one reading, and that reading gives the structure's answer.

`mathcamps.render.readback` reads a problem's text back without its structure: each sentence must match exactly one
sentence form, every pronoun must have exactly one person it can mean, every quantity a sentence names must have
been given before, and notation is read with the usual precedence (so `44 - 39 × 45` is not `(44 - 39) × 45`, and
`29/21 ÷ 8/20` is not `(29/21) ÷ (8/20)`). Follow-ups are read in the context of their original: a counterfactual
by putting the sentence it restates in place, an incremental by reading on in the same story.
"""

from collections import defaultdict
from fractions import Fraction

import pytest

from mathcamps.answers.types import Answer, Mapping, Number, Pairs, Relation
from mathcamps.generate import generate_problems
from mathcamps.grammar.exact import answer
from mathcamps.grammar.parse import parse_structure
from mathcamps.problem import INCREMENTAL
from mathcamps.render.readback import Unreadable, read_followup, read_problem
from mathcamps.standards import STANDARD_IDS, get_standard

PER_STANDARD = 200


def _theme(structure: str) -> str | None:
    return structure.split("\ntheme: ", 1)[1] if "\ntheme: " in structure else None


def _reading(a: Answer):  # noqa: ANN202
    """The structure's answer in the re-reader's plain form (`mathcamps.render.exercises.Reading`)."""
    if isinstance(a, Number):
        return a.value.numerator if a.value.denominator == 1 else a.value
    if isinstance(a, Relation):
        return a.symbol
    if isinstance(a, Pairs):
        return tuple((int(x), int(y)) for x, y in sorted(a.pairs))
    assert isinstance(a, Mapping)
    return {name: _reading(v) for name, v in a.values}


def _misreadings(problems) -> list[str]:  # noqa: ANN001
    by_id = {p.id: p for p in problems}
    wrong = []
    for p in problems:
        std = get_standard(p.standard)
        expected = _reading(answer(std, parse_structure(p.structure)))
        theme = _theme(p.structure)
        try:
            if p.is_followup:
                original = by_id[p.followup_to].statement
                kind = "incremental" if p.type == INCREMENTAL else "counterfactual"
                got = read_followup(original, p.statement, theme, kind)
            else:
                got = read_problem(p.statement, theme)
        except Unreadable as err:
            got = f"unreadable: {err}"
        if got != expected:
            wrong.append(f"{p.id}: expected {expected}, read {got}\n  {p.statement}")
    return wrong


@pytest.fixture(scope="module")
def stories() -> dict[str, list]:
    by_standard = defaultdict(list)
    for p in generate_problems(list(STANDARD_IDS), PER_STANDARD, seed=0, solutions=False):
        by_standard[p.standard].append(p)
    return by_standard


@pytest.mark.parametrize("sid", STANDARD_IDS)
def test_every_story_and_followup_reads_back_to_its_answer(sid, stories):
    problems = stories[sid]
    assert sum(not p.is_followup for p in problems) == PER_STANDARD
    wrong = _misreadings(problems)
    assert not wrong, f"{len(wrong)} of {len(problems)} misread:\n" + "\n".join(wrong[:5])


def test_exercise_style_reads_back_too():
    problems = generate_problems(list(STANDARD_IDS), 30, seed=1, solutions=False, style="exercise")
    wrong = _misreadings(problems)
    assert not wrong, "\n".join(wrong[:5])


# ---------------------------------------------------------------- the reader refuses what a person could misread


def test_notation_is_read_with_precedence_so_missing_grouping_shows():
    assert read_problem("What is 44 - 39 × 45?", None) == 44 - 39 * 45
    assert read_problem("What is (44 - 39) × 45?", None) == 225
    # the old defect: fraction literals beside a division, read left to right
    assert read_problem("What is 29/21 ÷ 8/20?", None) == Fraction(29, 21) / 8 / 20
    assert read_problem("What is (29/21) ÷ (8/20)?", None) == Fraction(29, 21) / Fraction(8, 20)


@pytest.mark.parametrize(
    "text",
    [
        # "she" could be either girl
        "Maya has 5 apples. Zara has 3 more apples than she has. How many apples does Zara have?",
        # a quantity the story never gave
        "Maya has 5 apples. How many apples does Leo have?",
        # scaffolding the old templates wrote, in no form
        "Hugo has 9 blocks and gives away 2 of them. Call the result the first amount. Find the first amount.",
        # no question
        "Maya has 5 apples and picks 3 more.",
    ],
)
def test_unreadable_stories_are_refused(text):
    with pytest.raises(Unreadable):
        read_problem(text, "Apples")


def test_a_counterfactual_must_single_out_the_sentence_it_changes():
    original = "Maya picks 5 apples. Then she picks 3 more. She picks 3 more. How many apples does she have now?"
    assert read_problem(original, "Apples") == 11
    with pytest.raises(Unreadable, match="restates 2 sentences"):
        read_followup(original, "Suppose instead that Maya picks 4 (not 3) more. How many apples does she have now?",
                      "Apples", "counterfactual")  # fmt: skip
    changed = "Suppose instead that Maya picks 7 apples (not 5 apples). How many apples does Maya have now?"
    assert read_followup(original, changed, "Apples", "counterfactual") == 13


def test_an_incremental_reads_on_in_the_same_story():
    original = "Maya has 12 apples. Leo has 3 fewer apples than she has. How many apples does he have?"
    assert read_problem(original, "Apples") == 9
    assert read_followup(original, "Leo eats 4 of his apples. How many apples does he have left?", "Apples",
                         "incremental") == 5  # fmt: skip
    assert read_followup(original, "Double your answer. What do you get?", "Apples", "incremental") == 18

"""The template renderer writes short word problems: the structure's numbers, sensible amounts, no scaffolding,
several wordings per standard, and follow-ups that go on with the same story. That each text has one reading and
gives the structure's answer is `test_ambiguity.py`'s part.
"""

import re
from collections import Counter

import pytest

from mathcamps.generate import generate_problems
from mathcamps.grammar.followups import derive, followup_rng
from mathcamps.grammar.sample import problem_rng, sample_structure
from mathcamps.grammar.tree import Num, Op, is_fraction_literal
from mathcamps.render.lexicon import NAMES, literal_text
from mathcamps.render.tables import TELLING
from mathcamps.render.templates import render, render_followup
from mathcamps.render.worlds import BY_THEME
from mathcamps.standards import STANDARD_IDS, get_standard

_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:/\d+)?")
_PEOPLE = {n for n, _ in NAMES}


def _quantities(std, e):
    """Literals as a problem writes them (`n/d` fractions in fraction standards), formula constants excepted."""
    if "fraction" in std.number_types and is_fraction_literal(e):
        # a story writes `8/1` as `8`, and a fraction that is the whole problem as the division it is
        return [((literal_text(e),), (f"{e.lhs.text}/{e.rhs.text}",), (e.lhs.text, e.rhs.text))]
    if isinstance(e, Op) or hasattr(e, "lhs"):
        return _quantities(std, e.lhs) + _quantities(std, e.rhs)
    if isinstance(e, Num):
        return [] if e.fixed else [((e.text,),)]
    return []


def _written(text: str) -> set[str]:
    return set(_NUMBER.findall(text.replace("$", "")))


@pytest.mark.parametrize("sid", STANDARD_IDS)
def test_every_number_is_written_and_a_question_is_asked(sid):
    std = get_standard(sid)
    texts = set()
    for i in range(40):
        s = sample_structure(std, 0, i)
        r = render(std, s, problem_rng(f"{sid}/text", 0, i))
        written = _written(r.text)
        targets = [((st.target.text,),) for st in s.statements if isinstance(st.target, Num)]
        for q in targets + [q for st in s.statements for q in _quantities(std, st.expr)]:
            # a money amount gets its cents (`6.7` -> `$6.70`)
            found = [all(x in written or any(w.startswith(x) for w in written) for x in xs) for xs in q]
            assert any(found), (q, s.text(), r.text)
        assert "?" in r.text or re.search(
            r"\b(find|calculate|evaluate|work out|put|list|fill in|write|solve)\b", r.text, re.I
        ), r.text
        texts.add(r.text)
    assert len(texts) >= 30


_SCAFFOLDING = ("amount.", "Call the result", "first amount", "counted in", "of money", "Here is the changed")


def test_no_scaffolding_and_no_quantities_that_make_no_sense():
    for p in generate_problems(list(STANDARD_IDS), 40, seed=2, solutions=False):
        assert not any(s in p.statement for s in _SCAFFOLDING), p.statement
        assert not re.search(r"\b\d+/1\b", p.statement) or p.structure.endswith(("]]",)), p.statement
        theme = p.structure.split("\ntheme: ")[1] if "\ntheme: " in p.structure else None
        if theme is None:
            continue
        world = BY_THEME[theme]
        numbers = _NUMBER.findall(p.statement)
        if world.amounts == "whole":  # counted things: whole numbers only
            assert all(n.isdigit() for n in numbers), p.statement
        if world.amounts == "cents":  # money: at most two decimal places, no fractions
            assert all("/" not in n and len(n.partition(".")[2]) <= 2 for n in numbers), p.statement


@pytest.mark.parametrize("sid", [s for s in STANDARD_IDS if TELLING[s].worlds])
def test_story_standards_are_told_as_stories(sid):
    problems = [p for p in generate_problems([sid], 60, seed=3, followups=False, solutions=False)]
    stories = sum("\ntheme: " in p.structure for p in problems)
    share = TELLING[sid].stories
    assert stories >= 0.75 * share * len(problems), (stories, share)


def test_themes_people_and_wordings_vary():
    for sid in ("1.OA.A.1", "2.MD.B.5", "3.OA.A.3", "5.NF.A.2"):
        problems = generate_problems([sid], 60, seed=0, followups=False, solutions=False)
        themes = Counter(p.structure.split("\ntheme: ")[-1] for p in problems)
        openings = {" ".join(w for w in p.statement.split()[:4] if w not in _PEOPLE) for p in problems}
        people = {w for p in problems for w in re.findall(r"[A-Z][a-z]+", p.statement) if w in _PEOPLE}
        assert len(themes) >= 4 and max(themes.values()) <= 30, (sid, themes)
        assert len(openings) >= 15 and len(people) >= 15, sid


def test_rendering_is_a_pure_function_of_the_stream():
    std = get_standard("4.OA.A.3")
    s = sample_structure(std, 7, 3)
    a = render(std, s, problem_rng("4.OA.A.3/text", 7, 3))
    b = render(std, s, problem_rng("4.OA.A.3/text", 7, 3))
    assert a.text == b.text and a.theme == b.theme


@pytest.mark.parametrize("sid", ["K.OA.A.5", "1.OA.A.1", "2.MD.C.8", "3.OA.A.3", "4.OA.A.3", "5.NF.A.2", "6.NS.B.3"])
def test_followups_go_on_with_the_same_story(sid):
    std = get_standard(sid)
    seen = Counter()
    for i in range(30):
        s = sample_structure(std, 0, i)
        r = render(std, s, problem_rng(f"{sid}/text", 0, i))
        if r.story is None:
            continue
        people = {w for w in re.findall(r"[A-Z][a-z]+", r.text) if w in _PEOPLE}
        for kind in std.followups:
            fu = derive(std, s, kind, followup_rng(sid, 0, i, kind))
            if fu is None:
                continue
            text = render_followup(std, r, fu, kind, problem_rng(f"{sid}/{kind}/text", 0, i))
            named = {w for w in re.findall(r"[A-Z][a-z]+", text) if w in _PEOPLE}
            seen[kind] += 1
            assert text not in r.text and r.text.split(". ")[0] not in text or kind == "counterfactual", text
            if kind == "counterfactual":
                # one sentence of the story again, with the new number and the old one beside it
                assert named <= people and "(not " in text, (r.text, text)
            else:
                # new steps in the same world (or about "your answer"), never a retelling
                words = r.story.world.words
                same = [w for w in words.values() if len(w) > 3 and w != "true"] + ["money", "$", "number"]
                assert any(w in text for w in same) or "your answer" in text, (r.text, text)
                assert not any(sentence in text for sentence in r.text.split(". ")[:-1]), (r.text, text)
    assert sum(seen.values()) >= 20


def test_exercise_standards_stay_exercises_in_notation():
    for sid in ("K.CC.C.7", "4.NF.A.2", "4.OA.B.4", "6.EE.A.1", "8.EE.C.7", "8.EE.C.8"):
        std = get_standard(sid)
        for i in range(10):
            r = render(std, sample_structure(std, 0, i), problem_rng(f"{sid}/text", 0, i))
            assert r.story is None and r.theme is None
    std = get_standard("7.NS.A.2")
    r = render(std, sample_structure(std, 0, 1), problem_rng("x", 0, 0))
    s = sample_structure(std, 0, 1)
    text = render(std, s, problem_rng("7.NS.A.2/text", 0, 1)).text
    assert "÷" in text or "×" in text or "?" in text

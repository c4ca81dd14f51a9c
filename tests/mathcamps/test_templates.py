import re

import pytest

from mathcamps.grammar.followups import derive, followup_rng
from mathcamps.grammar.sample import problem_rng, sample_structure
from mathcamps.grammar.tree import Num, Op, Var, is_fraction_literal
from mathcamps.render.templates import number_text, render, render_followup
from mathcamps.standards import STANDARD_IDS, get_standard

_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:/\d+)?")


def _quantities(std, e):
    """Literals as a problem must write them (fractions `n/d` in fraction standards), formula constants excepted."""
    if "fraction" in std.number_types and is_fraction_literal(e):
        return [number_text(e)]
    if isinstance(e, Op) or hasattr(e, "lhs"):
        return _quantities(std, e.lhs) + _quantities(std, e.rhs)
    if isinstance(e, Num):
        return [] if e.fixed else [e.text]
    return []


def _all_quantities(std, s):
    out = [st.target.text for st in s.statements if isinstance(st.target, Num)]
    for st in s.statements:
        out += _quantities(std, st.expr)
    for e in s.asked:
        out += _quantities(std, e)
    return out


@pytest.mark.parametrize("sid", STANDARD_IDS)
def test_every_quantity_appears_and_the_question_is_asked(sid):
    std = get_standard(sid)
    texts = set()
    for i in range(25):
        s = sample_structure(std, 0, i)
        r = render(std, s, problem_rng(f"{sid}/text", 0, i))
        written = _NUMBER.findall(r.text)
        for q in _all_quantities(std, s):
            assert q in written or q in r.text.split(), (q, s.text(), r.text)
        assert r.text.strip().endswith(("?", ".", ":")) or "_" in r.text or "\n" in r.text, r.text
        assert "?" in r.text or any(
            w.lower() in r.text.lower()
            for w in ("Find", "Calculate", "Evaluate", "Solve", "Put", "Work out", "List", "fill in")
        )
        if std.is_equation and std.id not in ("K.OA.A.4",) and not std.rules[0].endswith("perimeter"):
            unknown = s.asked[0].name
            square_story = std.rules[0] in ("square", "cube") and "side" in r.text
            assert square_story or re.search(rf"\b{unknown}\b", r.text), r.text
        texts.add(r.text)
    assert len(texts) >= 20  # phrasing and numbers vary


def test_stories_vary_in_theme_and_wording():
    themes, openings = set(), set()
    for i in range(60):
        s = sample_structure(get_standard("2.NBT.B.7"), 0, i)
        r = render("2.NBT.B.7", s, problem_rng("2.NBT.B.7/text", 0, i))
        themes.add(r.theme)
        openings.add(" ".join(r.text.split()[:3]))
    assert len(themes) >= 10 and len(openings) >= 15


@pytest.mark.parametrize("sid", ["K.OA.A.5", "2.NBT.B.5", "5.NF.A.1", "6.NS.B.3", "4.NBT.B.6", "K.CC.C.7"])
def test_followups_read_as_the_next_turn_and_show_the_change(sid):
    std = get_standard(sid)
    for i in range(10):
        s = sample_structure(std, 0, i)
        for kind in std.followups:
            fu = derive(std, s, kind, followup_rng(sid, 0, i, kind))
            if fu is None:
                continue
            text = render_followup(std, s, fu, kind, problem_rng(f"{sid}/{kind}/text", 0, i))
            if kind == "counterfactual":
                assert any(w in text for w in ("instead", "suppose", "What if", "change"))
                for q in _all_quantities(std, fu):
                    assert q in _NUMBER.findall(text) or q in text, (q, text)
            else:
                assert any(w in text for w in ("last problem", "that answer", "Next step"))
                new = fu.statements[-1].expr
                for q in _quantities(std, new):
                    assert q in _NUMBER.findall(text) or q in text, (q, text)
                assert not isinstance(new, Var)

import pytest

from mathcamps.answers.grade import grade
from mathcamps.grammar.exact import answer
from mathcamps.grammar.followups import derive, followup_rng
from mathcamps.grammar.parse import parse_structure
from mathcamps.grammar.sample import sample_structure
from mathcamps.render.solutions import answer_line_text, solve_steps
from mathcamps.standards import STANDARD_IDS, get_standard


@pytest.mark.parametrize("sid", STANDARD_IDS)
def test_solutions_end_with_the_answer(sid):
    std = get_standard(sid)
    for i in range(10):
        s = sample_structure(std, 2, i)
        structures = [s] + [f for k in std.followups if (f := derive(std, s, k, followup_rng(sid, 2, i, k)))]
        for st in structures:
            text = solve_steps(std, st)
            lines = text.splitlines()
            assert lines[-1] == f"### Answer: {answer_line_text(std, st)}"
            assert len(lines) >= 2
            if std.answer_kind in ("value", "compare"):
                assert grade(text, str(answer(std, st))).correct, (st.text(), text)


def test_worked_solution_shows_each_step():
    s = parse_structure("[[var a = 2]]\n[[var y = (18 - a)]]\n[[var r = (y + 2)]]\n[[question x = ['r']]]")
    assert solve_steps(get_standard("1.OA.A.2"), s).splitlines() == [
        "18 - 2 = 16",
        "16 + 2 = 18",
        "### Answer: 18",
    ]
    eq = parse_structure("[[var 122 = (92 + (28 * u))]]\n[[question j = ['u']]]")
    assert solve_steps(get_standard("8.EE.C.7"), eq).splitlines() == [
        "92 + (28 * u) = 122",
        "Subtract 92 from both sides: 28 * u = 30",
        "Divide both sides by 28: u = 15/14",
        "### Answer: 15/14",
    ]
    dec = parse_structure("[[var z = (40.4 - 7.34)]]\n[[question s = ['z']]]")
    assert solve_steps(get_standard("5.NBT.B.7"), dec).splitlines()[-1] == "### Answer: 33.06"

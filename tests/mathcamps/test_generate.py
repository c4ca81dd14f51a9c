import json
import os
import re
from pathlib import Path

import pytest

from mathcamps.generate import generate_problems, main
from mathcamps.grammar.parse import parse_structure
from mathcamps.io import read_problems
from mathcamps.problem import ORIGINAL
from mathcamps.standards import STANDARD_IDS, UnknownStandardError

GOLDEN = Path(__file__).parent / "golden" / "generate_seed0.jsonl"
QUICKSTART = ["K.CC.C.7", "K.OA.A.5", "1.OA.A.1", "2.NBT.B.5", "2.NBT.B.7", "3.OA.C.7"]


def test_quickstart_standards_generate_with_ids_followups_and_solutions():
    problems = generate_problems(QUICKSTART, per_standard=5, seed=3)
    originals = [p for p in problems if p.type == ORIGINAL]
    assert [p.standard for p in originals] == [s for s in QUICKSTART for _ in range(5)]
    by_id = {p.id: p for p in problems}
    assert len(by_id) == len(problems)
    for p in problems:
        std, seed, i, k = re.fullmatch(r"(.+)-(\d+)-(\d+)-([012])", p.id).groups()
        assert std == p.standard and seed == "3" and p.seed == 3
        assert p.structure and p.solution and p.solution.endswith(f"### Answer: {p.solution.split(': ')[-1]}")
        parse_structure(p.structure)
        if p.type == ORIGINAL:
            assert k == "0" and p.followup_to is None
        else:
            assert p.followup_to == f"{std}-3-{i}-0" and p.followup_to in by_id
            assert p.structure != by_id[p.followup_to].structure
    assert sum(p.type != ORIGINAL for p in problems) >= 40


def test_generation_is_a_pure_function_and_prefix_stable():
    a = generate_problems(["4.OA.A.3", "7.NS.A.2"], per_standard=3, seed=9)
    b = generate_problems(["7.NS.A.2", "4.OA.A.3"], per_standard=5, seed=9)
    assert {p.id: p for p in a}.items() <= {p.id: p for p in b}.items()
    assert generate_problems(["4.OA.A.3"], 2, 9, followups=False, solutions=False)[0].solution is None


def test_unknown_standard_is_refused_with_a_suggestion():
    with pytest.raises(UnknownStandardError, match="Did you mean '2.NBT.B.5'"):
        generate_problems(["2.NBT.B5"], per_standard=1, seed=0)


def test_cli_writes_problems_and_a_summary(tmp_path, capsys):
    out = tmp_path / "p.jsonl"
    assert main(["--standards", "K.OA.A.5,8.EE.C.8", "--per-standard", "4", "--seed", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "K.OA.A.5" in printed and "8.EE.C.8" in printed and "total" in printed
    problems = read_problems(out)
    assert sum(p.type == ORIGINAL for p in problems) == 8
    assert problems == generate_problems(["K.OA.A.5", "8.EE.C.8"], 4, 2)
    with pytest.raises(ValueError, match="Did you mean 'K.OA.A.5'"):  # one line, from `mathcamps.cli.run_cli`
        main(["--standards", "K.OA.A.55", "--out", str(out)])


def test_golden_problems_do_not_change():
    """Two problems per standard with follow-ups and solutions; regenerate with MATHCAMPS_UPDATE_GOLDEN=1."""
    problems = [p.to_json() for p in generate_problems(list(STANDARD_IDS), per_standard=2, seed=0)]
    text = "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in problems)
    if os.environ.get("MATHCAMPS_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8").splitlines()
    got = text.splitlines()
    assert len(got) == len(expected)
    for e, g in zip(expected, got):
        assert g == e, f"generated problem changed:\nwas {e}\nnow {g}"


def test_exercise_style_renders_the_same_structures_as_bare_arithmetic():
    standards = ["K.OA.A.5", "1.OA.A.1", "2.NBT.B.7", "3.OA.C.7"]
    story = generate_problems(standards, 20, seed=3, followups=True)
    exercise = generate_problems(standards, 20, seed=3, followups=True, style="exercise")
    assert [(p.id, p.answer, p.solution) for p in story] == [(p.id, p.answer, p.solution) for p in exercise]
    for s, e in zip(story, exercise, strict=True):
        assert s.structure.split("\ntheme:")[0] == e.structure
    originals = [p for p in exercise if not p.is_followup]
    assert sum(len(p.statement) for p in originals) < 0.5 * sum(len(p.statement) for p in story if not p.is_followup)

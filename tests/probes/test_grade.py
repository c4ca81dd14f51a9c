"""The regrading CLI end to end: it reads our JSONL, joins answers from problem files (the published ones as
they are), reads published results files, writes verdicts and prints the per-standard/grade/overall tables."""

import gzip
import json
from pathlib import Path

import pytest

from probes.grade import main, read_problems, read_responses, regrade
from tests.reference import reference_dir

PROBLEMS = [
    {"id": "K.OA.A.5-0-0", "standard": "K.OA.A.5", "statement": "Gene has 5 towels...", "answer": "5",
     "type": "original-problem", "followup_to": None},
    {"id": "K.OA.A.5-0-1", "standard": "K.OA.A.5", "statement": "He used 4 of them...", "answer": "1",
     "type": "incremental-followup", "followup_to": "K.OA.A.5-0-0"},
    {"id": "4.NF.A.2-0-0", "standard": "4.NF.A.2", "statement": "Fill in the blank:\n\n(2 / 10) _ (6 / 2)",
     "answer": "<", "type": "original-problem", "followup_to": None},
    {"id": "5.NF.A.1-0-0", "standard": "5.NF.A.1", "statement": "Add the fractions.", "answer": "3/4",
     "type": "original-problem", "followup_to": None},
]  # fmt: skip

RESPONSES = [
    {"id": "K.OA.A.5-0-0", "response": "5 - 2 = 3, 3 + 2 = 5.\n### Answer: 5"},
    {"id": "K.OA.A.5-0-1", "response": "5 - 4 = 1\n### Answer: 2"},
    {"id": "4.NF.A.2-0-0", "response": "6/2 is 3, bigger than 2/10.\n### Answer: 6/2 > 2/10"},
    {"id": "5.NF.A.1-0-0", "response": "I could not finish."},
]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_jsonl_with_problem_join_writes_verdicts_and_prints_tables(tmp_path: Path, capsys) -> None:
    problems = tmp_path / "mathcamps.json"
    problems.write_text(json.dumps(PROBLEMS))
    responses = _write_jsonl(tmp_path / "responses.jsonl", RESPONSES)
    out = tmp_path / "out" / "graded.jsonl"
    assert main([str(responses), "--problems", str(problems), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["correct"], r["rule"]) for r in rows] == [
        ("K.OA.A.5-0-0", True, "answer-line"),
        ("K.OA.A.5-0-1", False, "answer-line"),
        ("4.NF.A.2-0-0", True, "answer-line"),  # restated back to front, joined question fixes the orientation
        ("5.NF.A.1-0-0", False, "none"),
    ]
    assert rows[3]["extracted"] is None and rows[0]["answer"] == "5"
    printed = capsys.readouterr().out
    for heading in ("per standard", "per grade", "overall"):
        assert heading in printed
    assert "0.500" in printed and "0.750" in printed  # overall accuracy 2/4, format rate 3/4


def test_answers_in_the_rows_need_no_problem_file(tmp_path: Path) -> None:
    rows = [r | {"standard": p["standard"], "answer": p["answer"]} for r, p in zip(RESPONSES, PROBLEMS, strict=True)]
    graded, tallies = regrade(read_responses(_write_jsonl(tmp_path / "r.jsonl", rows)))
    assert [g["correct"] for g in graded] == [True, False, False, False]  # no question: 6/2 > 2/10 reads as >
    assert tallies["grade"]["K"].n == 2 and tallies["grade"]["K"].correct == 1
    assert tallies["all"]["all"].unextractable == 1


def test_missing_answers_are_named_in_one_error(tmp_path: Path, capsys) -> None:
    responses = _write_jsonl(tmp_path / "responses.jsonl", RESPONSES)
    assert main([str(responses)]) == 2
    err = capsys.readouterr().err
    assert "4 responses have no answer" in err and "K.OA.A.5-0-1" in err and "--problems" in err


def test_bad_lines_are_reported_with_their_line_number(tmp_path: Path, capsys) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(RESPONSES[0]) + "\n{not json\n")
    assert main([str(path)]) == 2
    assert "r.jsonl:2" in capsys.readouterr().err


def test_per_standard_problem_files_are_read_as_dialogue_groups(tmp_path: Path) -> None:
    original = {"id": "K.OA.A.5-0-0", "standard": "K.OA.A.5", "symbolic-struct": "[[var a = 5]]",
                "statement": "...", "new symbolic struct": "...", "answer": "5", "tag": "original problem"}  # fmt: skip
    followup = original | {"id": "K.OA.A.5-0-2", "answer": "4", "tag": "modified information follow up"}
    groups = [[original, followup]]
    path = tmp_path / "K.OA.A.5.json"
    path.write_text(json.dumps(groups))
    problems = read_problems(path)
    assert {k: p.answer for k, p in problems.items()} == {"K.OA.A.5-0-0": "5", "K.OA.A.5-0-2": "4"}


def test_published_results_files_are_read_with_followups_and_agreement(tmp_path: Path, capsys) -> None:
    def item(pid: str, answer: str, generation: str, correct: bool | None) -> dict:
        return {"problem": pid, "standard": "K.OA.A.5", "question": "...", "answer": answer, "model": "gpt-x",
                "model_generation": generation, "model_answer": None, "correct": correct}  # fmt: skip

    results = {
        "('K.OA.A.5-0-0', 'gpt-x')": item("K.OA.A.5-0-0", "5", "### Answer: 5", True)
        | {"followups": {"('K.OA.A.5-0-1', 'gpt-x')": item("K.OA.A.5-0-1", "1", "### Answer: 1", True)}},
        "('K.OA.A.5-1-0', 'gpt-x')": item("K.OA.A.5-1-0", "33.0600000000000", "### Answer: 33.9", True)
        | {"followups": {}},  # their lenient prefix rule said correct (SPEC §4.5); ours says wrong
        "('K.OA.A.5-2-0', 'gpt-x')": item("K.OA.A.5-2-0", "3", "\n\n\\begin{code}", None) | {"followups": {}},
    }
    path = tmp_path / "openai.json"
    path.write_text(json.dumps(results))
    responses = read_responses(path)
    assert [r.id for r in responses] == ["K.OA.A.5-0-0", "K.OA.A.5-0-1", "K.OA.A.5-1-0", "K.OA.A.5-2-0"]
    _, tallies = regrade(responses)
    t = tallies["model"]["gpt-x"]
    assert (t.n, t.correct, t.published_correct, t.agree, t.unextractable) == (4, 2, 3, 3, 1)
    assert main([str(path)]) == 0
    assert "agreement" in capsys.readouterr().out


def test_published_mathcamps_file_joins_as_it_is(tmp_path: Path) -> None:
    problems = read_problems(reference_dir() / "mathcamps-v1" / "mathcamps.json")
    assert len(problems) == 9607
    rows = [{"id": "8.EE.C.8-0-0", "response": "### Answer: s = 2291/642, q = 373/321"},
            {"id": "4.OA.B.4-0-0", "response": f"### Answer: {problems['4.OA.B.4-0-0'].answer}"}]  # fmt: skip
    graded, _ = regrade(read_responses(_write_jsonl(tmp_path / "r.jsonl", rows), problems))
    assert [g["correct"] for g in graded] == [True, True]
    per_standard = read_problems(reference_dir() / "mathcamps-v1" / "8.EE.C.8.json")
    assert per_standard["8.EE.C.8-0-0"].answer == "{q: 373/321, s: 2291/642}"


@pytest.mark.parametrize("bad", [[{"response": "x"}], [{"id": "a", "response": 5}]])
def test_rows_without_id_or_response_are_rejected(tmp_path: Path, bad: list) -> None:
    with pytest.raises(ValueError, match="needs 'id' and 'response'"):
        read_responses(_write_jsonl(tmp_path / "r.jsonl", bad))


def test_paper_rules_expected_column_gzip_and_by_column(tmp_path: Path, capsys) -> None:
    rows = [
        {"id": "a", "standard": "K.OA.A.5", "response": "So 33.06.\n### Answer: 33.9", "expected": "33.0600000000000",
         "model": "m1", "correct": True, "team": "x"},
        {"id": "b", "standard": "K.OA.A.5", "response": "Thus, David has 25 + 34 = 59 pens now.", "expected": "59",
         "model": "m1", "correct": True, "team": "x"},
        {"id": "c", "standard": "K.OA.A.5", "response": "I could not finish.", "expected": "5", "model": "m2",
         "correct": False, "team": "y"},
    ]  # fmt: skip
    path = tmp_path / "r.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    out = tmp_path / "paper.jsonl"
    assert main([str(path), "--rules", "paper", "--out", str(out), "--by", "team"]) == 0
    graded = [json.loads(line) for line in out.read_text().splitlines()]
    assert [g["correct"] for g in graded] == [True, True, False]
    assert [g["strict_correct"] for g in graded] == [True, False, False]
    assert [g["flexible_correct"] for g in graded] == [True, True, False]
    assert graded[1]["flexible_rule"] == "conclusion" and graded[0]["answer"] == "33.0600000000000"
    assert all(g["rules"] == "paper" and g["reference_correct"] == r["correct"] for g, r in zip(graded, rows))
    printed = capsys.readouterr().out
    assert "per team" in printed and "format rate" in printed and "flexible acc" in printed
    assert "TP 2  FP 0  FN 0  TN 1" in printed
    assert main([str(path), "--out", str(out)]) == 0  # principled: exact values, flexible headline
    principled = [json.loads(line) for line in out.read_text().splitlines()]
    assert [g["correct"] for g in principled] == [False, True, False]  # 33.9 is not 33.06; 59 is concluded
    assert [g["strict_correct"] for g in principled] == [False, False, False]
    assert "per model" in capsys.readouterr().out


def test_answer_marker_is_a_flag(tmp_path: Path) -> None:
    rows = [{"id": "a", "standard": "K.OA.A.5", "response": "Working.\nRESULT 42", "answer": "42"},
            {"id": "b", "standard": "K.OA.A.5", "response": "Working.\n#### 42", "answer": "42"}]  # fmt: skip
    path = _write_jsonl(tmp_path / "r.jsonl", rows)
    out = tmp_path / "o.jsonl"
    assert main([str(path), "--out", str(out)]) == 0
    assert [json.loads(line)["correct"] for line in out.read_text().splitlines()] == [False, True]
    assert main([str(path), "--out", str(out), "--marker", "RESULT"]) == 0
    assert [json.loads(line)["correct"] for line in out.read_text().splitlines()] == [True, False]


def test_a_missing_response_is_graded_as_no_answer(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "r.jsonl", [{"id": "a", "standard": "K.OA.A.5", "response": None, "answer": "5"}])
    graded, tallies = regrade(read_responses(path), "paper")
    assert graded[0]["correct"] is False and tallies["all"]["all"].unformatted == 1

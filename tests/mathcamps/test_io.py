"""Reading and writing problem files: our JSONL/JSON and the published layouts as they are."""

import json
from collections import Counter
from pathlib import Path

import pytest

from mathcamps.io import RecordFileError, read_problems, read_reference, write_problems
from mathcamps.problem import COUNTERFACTUAL, INCREMENTAL, ORIGINAL, Problem
from tests.reference import reference_dir

PROBLEMS = [
    Problem(
        "K.OA.A.5-0-0",
        "K.OA.A.5",
        "Ann has 4 kites ...",
        "5",
        structure="[[var n = (4 + 1)]]\n[[question p = ['n']]]",
        solution="4 + 1 = 5\n### Answer: 5",
        seed=7,
    ),
    Problem("K.OA.A.5-0-2", "K.OA.A.5", "What if ...", "3", COUNTERFACTUAL, "K.OA.A.5-0-0"),
    Problem("8.EE.C.8-0-0", "8.EE.C.8", "Solve ... “quoted” ünïcode", "{x: 3, y: 2}"),
]


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_write_then_read_round_trips(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / "sub" / f"problems{suffix}"
    assert write_problems(PROBLEMS, path) == 3
    assert read_problems(path) == PROBLEMS


def test_written_rows_use_the_published_schema_plus_ours(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    write_problems(PROBLEMS[:1], path)
    row = json.loads(path.read_text().splitlines()[0])
    assert set(row) == {
        "id",
        "standard",
        "symbolic-struct",
        "statement",
        "answer",
        "type",
        "followup_to",
        "grade",
        "solution",
        "seed",
    }
    assert (row["type"], row["followup_to"], row["grade"], row["seed"]) == ("original-problem", None, "K", 7)


def test_reads_the_per_standard_dialogue_layout(tmp_path: Path) -> None:
    dialogues = [
        [
            {
                "id": "2.MD.C.8-0-0",
                "standard": "2.MD.C.8",
                "symbolic-struct": "[[var l = (90 - 81)]]\n[[question c = ['l']]]",
                "statement": "s0",
                "new symbolic struct": "ignored",
                "answer": "9",
                "tag": "original problem",
            },
            {
                "id": "2.MD.C.8-0-1",
                "standard": "2.MD.C.8",
                "symbolic-struct": "x",
                "statement": "s1",
                "new symbolic struct": "",
                "answer": "10",
                "tag": "additional information follow up",
            },
            {
                "id": "2.MD.C.8-0-2",
                "standard": "2.MD.C.8",
                "symbolic-struct": "y",
                "statement": "s2",
                "new symbolic struct": "",
                "answer": "18",
                "tag": "modified information follow up",
            },
        ]
    ]
    path = tmp_path / "2.MD.C.8.json"
    path.write_text(json.dumps(dialogues))
    problems = read_problems(path)
    assert [(p.type, p.followup_to) for p in problems] == [
        (ORIGINAL, None),
        (INCREMENTAL, "2.MD.C.8-0-0"),
        (COUNTERFACTUAL, "2.MD.C.8-0-0"),
    ]
    assert problems[0].structure == "[[var l = (90 - 81)]]\n[[question c = ['l']]]"


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        (
            '{"id": "a", "standard": "K.OA.A.5", "statement": "s"}\n',
            ".jsonl",
            r"p.jsonl:1: missing field\(s\) \['answer'\]",
        ),
        ('\n{"id": "a", "standard": "K.OA.A.5", "statement": "s", "answer": "1", "type": "x"}', ".jsonl", "'x'"),
        ("not json\n", ".jsonl", "p.jsonl:1: not JSON"),
        ('[{"id": "a", "standard": "K.OA.A.5", "statement": "s", "answer": "1", "tag": "odd"}]', ".json", "'odd'"),
        ('{"id": "a"}', ".json", "expected a JSON list, got dict"),
        ("[3]", ".json", r"p.json\[0\]: expected a JSON object, got int"),
        ("", ".csv", "'.csv'"),
    ],
)
def test_bad_files_name_the_row_and_the_problem(tmp_path: Path, content: str, suffix: str, message: str) -> None:
    path = tmp_path / f"p{suffix}"
    path.write_text(content)
    with pytest.raises(RecordFileError, match=message):
        read_problems(path)


def test_reads_the_published_files_as_they_are() -> None:
    folder = reference_dir() / "mathcamps-v1"
    per_standard = read_reference(folder)
    flat = read_problems(folder / "mathcamps.json")
    assert len(per_standard) == len(flat) == 9607
    assert Counter(p.type for p in flat) == {ORIGINAL: 4900, COUNTERFACTUAL: 3126, INCREMENTAL: 1581}
    assert all(p.structure for p in per_standard) and not any(p.structure for p in flat)
    by_id = {p.id: p for p in flat}
    for p in per_standard:
        q = by_id[p.id]
        assert (p.standard, p.statement, p.answer, p.type, p.followup_to) == (
            q.standard,
            q.statement,
            q.answer,
            q.type,
            q.followup_to,
        ), p.id

"""Bad rows and damaged record files (#18): each is caught when the file is read, before any work starts, with a
message that names the file and line and quotes only a bounded prefix of any value; torn last lines are repaired."""

import gzip
import json
import warnings
from pathlib import Path

import pytest

from mathcamps.io import (
    MAX_DEPTH,
    RecordFileError,
    atomic_open,
    read_json,
    read_problems,
    read_rows,
    write_atomic,
)
from probes import grade
from probes.analysis import read_jsonl as analysis_read_jsonl
from probes.sweep_cache import read_results

ORIGINAL = {"id": "K.OA.A.5-0-0", "standard": "K.OA.A.5", "statement": "4 + 1?", "answer": "5"}
FOLLOWUP = {"id": "K.OA.A.5-0-2", "standard": "K.OA.A.5", "statement": "and 4 + 2?", "answer": "6",
            "type": "counterfactual-followup", "followup_to": "K.OA.A.5-0-0"}


def jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# -- the one reader --------------------------------------------------------------------------------------------


def test_a_torn_last_line_is_dropped_with_a_warning_and_cut_when_repairing(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"id": "a"}) + "\n" + json.dumps({"id": "b"})[:6])
    with pytest.warns(UserWarning, match=r"r.jsonl:2: not JSON .* torn"):
        assert [row for _, row in read_rows(path)] == [{"id": "a"}]
    assert path.read_text().endswith('{"id":')  # reading alone changes nothing
    with pytest.warns(UserWarning):
        read_rows(path, repair=True)
    assert path.read_text() == json.dumps({"id": "a"}) + "\n"


def test_a_whole_last_line_without_its_newline_is_kept_and_given_one_when_repairing(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"id": "a"}) + "\n" + json.dumps({"id": "b"}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [row["id"] for _, row in read_rows(path, repair=True)] == ["a", "b"]
    assert path.read_text().endswith('"b"}\n')


def test_a_bad_line_before_the_last_is_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "a"}\n{not json\n{"id": "c"}\n')
    with pytest.raises(RecordFileError, match=r"r.jsonl:2: not JSON"):
        read_rows(path)


def test_non_utf8_bytes_name_the_file_and_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"id": "a"}\n{"id": "\xff\xfe"}\n')
    with pytest.raises(RecordFileError, match=r"r.jsonl:2: not UTF-8 text \(byte 0xff"):
        read_rows(path)
    (tmp_path / "p.json").write_bytes(b'[{"id": "\xc3"}]')
    with pytest.raises(RecordFileError, match=r"p.json: not UTF-8"):
        read_json(tmp_path / "p.json")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deeply_nested_json_is_an_error_not_a_recursion_error(tmp_path, depth):
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "a"}\n' + "[" * depth + "]" * depth + "\n")
    with pytest.raises(RecordFileError, match=rf"r.jsonl:2: JSON nested deeper than {MAX_DEPTH} levels"):
        read_rows(path)


def test_an_empty_file_says_no_rows_in_it(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text("\n\n")
    with pytest.raises(RecordFileError, match=r"^no rows in .*r.jsonl$"):
        read_rows(path)
    assert read_rows(path, empty_ok=True) == []
    (tmp_path / "run.json").write_text("")
    with pytest.raises(RecordFileError, match=r"run.json: empty file"):
        read_json(tmp_path / "run.json")


def test_a_truncated_gzip_file_is_named(tmp_path):
    path = tmp_path / "r.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"id": "a"}\n' * 100)[:40])
    with pytest.raises(RecordFileError, match=r"r.jsonl.gz: not a complete gzip file"):
        read_rows(path)


def test_bad_lines_can_be_skipped_and_counted(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "a"}\n{not json\n{"id": "c"}\n')
    skipped: list[str] = []
    assert [row["id"] for _, row in read_rows(path, skipped=skipped)] == ["a", "c"]
    assert len(skipped) == 1 and skipped[0].startswith(f"{path}:2: not JSON")


def test_every_module_that_reads_records_uses_the_one_reader(tmp_path):
    torn = tmp_path / "r.jsonl"
    torn.write_text(json.dumps({"id": "a", "correct": True}) + "\n" + '{"id": "b", "cor')
    with pytest.warns(UserWarning, match="torn"):
        assert [r["id"] for r in analysis_read_jsonl(torn)] == ["a"]
    with pytest.warns(UserWarning, match="torn"):
        assert list(read_results(torn)) == ["a"]  # the sweep's cache, which then appends: the tail is cut
    assert torn.read_text() == json.dumps({"id": "a", "correct": True}) + "\n"
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 5000 + "]" * 5000 + "\n")
    for read in (analysis_read_jsonl, read_results):
        with pytest.raises(RecordFileError, match="deep.jsonl:1: JSON nested deeper"):
            read(deep)


# -- atomic writes ---------------------------------------------------------------------------------------------


class DiskFull(OSError):
    def __init__(self) -> None:
        super().__init__(28, "No space left on device")


def test_a_write_cut_short_by_a_full_disk_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "run.json"
    write_atomic(path, '{"old": true}\n')
    with pytest.raises(DiskFull), atomic_open(path) as f:
        f.write('{"new": ')
        raise DiskFull()
    assert path.read_text() == '{"old": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]
    fresh = tmp_path / "sub" / "summary.json"
    with pytest.raises(DiskFull), atomic_open(fresh) as f:
        raise DiskFull()
    assert not fresh.exists() and list(fresh.parent.iterdir()) == []


# -- problem files: checked whole at load ----------------------------------------------------------------------


@pytest.mark.parametrize(("rows", "message"), [
    ([ORIGINAL | {"answer": "(((("}], r"p.jsonl:1 \('K.OA.A.5-0-0'\): answer '\(\(\(\(' does not read"),
    ([ORIGINAL, FOLLOWUP, ORIGINAL], r"p.jsonl:3: id 'K.OA.A.5-0-0' repeats the problem at .*p.jsonl:1"),
    ([FOLLOWUP], r"p.jsonl:1 \('K.OA.A.5-0-2'\): a follow-up to 'K.OA.A.5-0-0', which is not an original"),
    ([], r"no rows in .*p.jsonl"),
])
def test_problem_files_are_checked_whole_before_any_work(tmp_path, rows, message):
    with pytest.raises(RecordFileError, match=message):
        read_problems(jsonl(tmp_path / "p.jsonl", rows))


def test_a_huge_answer_is_quoted_only_in_part(tmp_path):
    huge = "1" * 100_000 + "(("
    with pytest.raises(RecordFileError) as raised:
        read_problems(jsonl(tmp_path / "p.jsonl", [ORIGINAL | {"answer": huge}]))
    assert len(str(raised.value)) < 300 + len(str(tmp_path)) and "(100002 characters)" in str(raised.value)


def test_numeric_answers_in_problem_files_are_read_as_their_text(tmp_path):
    (problem,) = read_problems(jsonl(tmp_path / "p.jsonl", [ORIGINAL | {"answer": 5}]))
    assert problem.answer == "5"


# -- probes.grade ----------------------------------------------------------------------------------------------


def test_grade_accepts_numeric_answers(tmp_path):
    rows = [{"id": "a", "standard": "K.OA.A.5", "response": "### Answer: 5", "answer": 5},
            {"id": "b", "standard": "K.OA.A.5", "response": "### Answer: 2.5", "answer": 2.5}]
    graded, tallies = grade.regrade(grade.read_responses(jsonl(tmp_path / "r.jsonl", rows)))
    assert [g["correct"] for g in graded] == [True, True]


def test_grade_names_a_bad_expected_answer_by_line_and_can_skip_it(tmp_path, capsys):
    huge = "9" * 100_000 + "(("
    rows = [{"id": "a", "standard": "K.OA.A.5", "response": "### Answer: 5", "answer": "5"},
            {"id": "b", "standard": "K.OA.A.5", "response": "### Answer: 5", "answer": "(((("},
            {"id": "c", "standard": "K.OA.A.5", "response": "### Answer: 5", "answer": huge},
            {"id": "d", "response": 7}]
    path = jsonl(tmp_path / "r.jsonl", rows)
    assert grade.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}:2 ('b'): expected answer '((((' does not read") and err.count("\n") == 1
    out = tmp_path / "graded.jsonl"
    assert grade.main([str(path), "--skip-bad-rows", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert f"skipped 3 bad rows of {path}; the first: {path}:2" in printed.err
    assert len(printed.err) < 600  # the 100,000-digit answer is not printed
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a"]


def test_grade_on_an_empty_or_deeply_nested_or_non_utf8_file_is_one_line(tmp_path, capsys):
    cases = {"empty.jsonl": b"", "deep.jsonl": b"[" * 100_000 + b"]" * 100_000 + b"\n",
             "latin1.jsonl": '{"id": "a", "response": "caf\xe9"}\n'.encode("latin-1")}
    expected = {"empty.jsonl": "no rows in {}", "deep.jsonl": "{}:1: JSON nested deeper",
                "latin1.jsonl": "{}:1: not UTF-8 text"}
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert grade.main([str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: " + expected[name].format(path)) and err.count("\n") == 1, err
    # skipping bad rows that leaves nothing to grade says so, rather than dividing by zero
    assert grade.main([str(tmp_path / "deep.jsonl"), "--skip-bad-rows"]) == 2
    assert f"error: no readable rows in {tmp_path / 'deep.jsonl'} (1 skipped" in capsys.readouterr().err
    path = jsonl(tmp_path / "unreadable.jsonl", [{"id": "a", "response": "5", "answer": "(("}])
    assert grade.main([str(path), "--skip-bad-rows"]) == 2
    assert f"error: no rows to grade in {path} (1 bad rows skipped)" in capsys.readouterr().err


def test_grade_reads_problems_through_mathcamps_io(tmp_path):
    path = jsonl(tmp_path / "p.jsonl", [ORIGINAL, ORIGINAL])
    with pytest.raises(RecordFileError, match="repeats the problem"):
        grade.read_problems(path)

"""The CLI end to end on a tiny model: files written, follow-ups asked, bad input refused in one line."""

import json

import pytest

from mathcamps.answers.grade import Verdict
from mathcamps.generate import generate_problems
from mathcamps.io import read_problems, write_problems
from probes import engine
from probes.evaluate import main, read_done

STANDARDS = ["K.CC.C.7", "K.OA.A.5", "3.OA.C.7"]


def fake_grade(response: str, expected: str, question: str | None = None) -> Verdict:
    """A grader a random model can pass: right when the response length is not a multiple of 3."""
    return Verdict(len(response) % 3 != 0, response[:4] or None, "fake")


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "problems.jsonl"
    write_problems(generate_problems(STANDARDS, 3, seed=0), path)
    return path


def test_cli_writes_responses_and_summary(tiny_model_dir, data_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(engine, "grade", fake_grade)
    out = tmp_path / "run"
    args = ["--model", str(tiny_model_dir), "--data", str(data_file), "--out", str(out), "--max-new-tokens", "7",
            "--batch-size", "4", "--limit", "2"]
    assert main(args) == 0
    rows = [json.loads(line) for line in (out / "responses.jsonl").read_text().splitlines()]
    originals = [r for r in rows if r["turn"] == 0]
    expected = engine.select(read_problems(data_file), limit=2)  # --limit 2 per standard, with their follow-ups
    assert len(originals) == 6 and sorted(r["id"] for r in rows) == sorted(p.id for p in expected)
    assert len(rows) > 6
    for r in rows:
        asked_after_right = any(o["id"] == r["followup_to"] and o["correct"] for o in originals)
        assert r["asked"] == (r["turn"] == 0 or asked_after_right)
        if r["asked"]:
            assert r["prompt"] and 0 < r["new_tokens"] <= 7 and r["prompt_tokens"] > 0
    asked_followups = [r for r in rows if r["turn"] == 1 and r["asked"]]
    assert asked_followups, "the fake grader should pass some originals"
    for r in asked_followups:
        original = next(o for o in originals if o["id"] == r["followup_to"])
        assert r["prompt"].startswith(original["prompt"] + original["response"])  # same conversation
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["n"] == 6
    assert summary["overall"]["correct"] == sum(o["correct"] for o in originals)
    assert summary["followups"]["given_original_right"]["n"] == len(asked_followups)
    assert summary["run"]["max_new_tokens"] == 7
    printed = capsys.readouterr().out
    assert "K.OA.A.5" in printed and "overall" in printed

    # Run again: everything is done, nothing is asked, the summary is the same.
    assert main(args) == 0
    assert len((out / "responses.jsonl").read_text().splitlines()) == len(rows)
    assert json.loads((out / "summary.json").read_text()) == summary
    # Other arguments on the same --out are refused.
    assert main([*args[:-2], "--limit", "3"]) == 2
    assert "holds a run with other arguments (limit: 2 -> 3)" in capsys.readouterr().err
    data_file.write_text(data_file.read_text().replace('"statement": "', '"statement": "Now: ', 1))
    assert main(args) == 2  # the same file name with other problems in it is another run
    assert "data_sha256" in capsys.readouterr().err


def test_read_done_drops_a_row_cut_short(tmp_path):
    path = tmp_path / "responses.jsonl"
    row = engine.Record("a-0-0", "K.OA.A.5", "K", "p", "r", "1", None, "none", False, 2).to_json()
    path.write_text(json.dumps(row) + "\n" + json.dumps(row | {"id": "b-0-0"})[:30])
    assert list(read_done(path)) == ["a-0-0"]
    assert path.read_text() == json.dumps(row) + "\n"


def one_line_error(capsys, args):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


def test_bad_input_gets_a_one_line_error(tiny_model_dir, data_file, tmp_path, capsys):
    out = ["--out", str(tmp_path / "run")]
    model = ["--model", str(tiny_model_dir)]
    err = one_line_error(capsys, ["--model", str(tmp_path / "no-such-model"), "--data", str(data_file), *out])
    assert "no-such-model" in err and "does not exist" in err

    broken = tmp_path / "broken.jsonl"
    lines = data_file.read_text().splitlines()
    row = json.loads(lines[1])
    del row["answer"]
    broken.write_text("\n".join([lines[0], json.dumps(row), *lines[2:]]) + "\n")
    err = one_line_error(capsys, [*model, "--data", str(broken), *out])
    assert f"{broken}:2" in err and "'answer'" in err

    followups_only = tmp_path / "followups.jsonl"
    followups_only.write_text("\n".join(line for line in lines if json.loads(line)["followup_to"]) + "\n")
    # follow-ups without their originals are refused at load, before any model is loaded
    err = one_line_error(capsys, [*model, "--data", str(followups_only), *out])
    assert f"{followups_only}:1" in err and "which is not an original problem in this file" in err
    assert "--limit must be >= 1, got 0" in one_line_error(capsys, [*model, "--data", str(data_file), "--limit", "0",
                                                                    *out])

    template = tmp_path / "template.txt"
    template.write_text("Question: {question}\nAnswer:")
    err = one_line_error(capsys, [*model, "--data", str(data_file), "--prompt-template", str(template), *out])
    assert "does not contain {statement}" in err

    err = one_line_error(capsys, [*model, "--generate", "K.OA.A.5:x:0", *out])
    assert "STANDARDS:N:SEED" in err
    err = one_line_error(capsys, [*model, "--data", str(data_file), "--draft-tokens", "-1", *out])
    assert "--draft-tokens must be >= 0, got -1" in err
    assert not (tmp_path / "run").exists()  # nothing was started


def test_generate_and_template(tiny_model_dir, tmp_path):
    template = tmp_path / "template.txt"
    template.write_text("Question: {statement}\nAnswer:")
    out = tmp_path / "run"
    assert main(["--model", str(tiny_model_dir), "--generate", "K.OA.A.5,3.OA.C.7:2:4", "--out", str(out),
                 "--prompt-template", str(template), "--max-new-tokens", "4", "--stop", "\n\n"]) == 0
    rows = [json.loads(line) for line in (out / "responses.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(p.id for p in generate_problems(["K.OA.A.5", "3.OA.C.7"], 2, 4))
    asked = [r for r in rows if r["asked"]]
    assert sum(r["turn"] == 0 for r in asked) == 4
    assert all(r["prompt"].startswith("Question: ") and r["prompt"].endswith("\nAnswer:") for r in asked)
    assert all("\n\n" not in r["response"] for r in asked)

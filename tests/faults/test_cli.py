"""One line for a user's mistake, in every CLI (#18): `error: ...` naming the value or file, exit status 2, no
traceback, and nothing written. Internal errors keep their traceback. Bad rows stop `probes.evaluate` at load."""

import json
from pathlib import Path

import pytest
import yaml

from mathcamps import io as records_io
from mathcamps.cli import run_cli
from probes import evaluate
from tests.faults.helpers import one_error_line, run_module
from tests.trainers.fitting import fit_command, tiny_run_config
from trainers.fit import main as fit_main

ROW = {"id": "K.OA.A.5-0-0", "standard": "K.OA.A.5", "statement": "What is 4 + 1?", "answer": "5"}


@pytest.mark.parametrize(("change", "message"), [
    ({"data": {"per_standard": 0}}, "data.per_standard must be >= 1, got 0"),
    ({"data": {"standards": ["K.OA.A.55"]}}, "data.standards: unknown standard 'K.OA.A.55'. Did you mean 'K.OA.A.5'"),
    ({"probe": {"max_new_tokens": 0}}, "MathCampsProbe: max_new_tokens must be >= 1, got 0"),
])
def test_fit_configuration_mistakes_are_one_line(tmp_path, tiny_model_dir, capsys, change, message):
    config = tiny_run_config(tmp_path, tiny_model_dir, data=change.get("data"), probe="probe" in change)
    if "probe" in change:
        data = yaml.safe_load(config.read_text())
        data["trainer"]["callbacks"][1]["init_args"] |= change["probe"]
        config.write_text(yaml.safe_dump(data))
    with pytest.raises(SystemExit) as exit_info:  # in this process, as `python -m trainers.fit` ends
        run_cli(lambda: fit_main(["--config", str(config)]))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.splitlines()[-1].startswith(f"error: {message}"), err[-2000:]
    assert "Traceback" not in err and "Namespace(" not in err
    assert not (tmp_path / "run").exists()  # no run folder for a run that never started


def test_fit_ends_with_one_line_as_a_command(tmp_path, tiny_model_dir):
    config = tiny_run_config(tmp_path, tiny_model_dir, data={"per_standard": 0})
    message = one_error_line(run_module("trainers.fit", *fit_command(config)[3:]))
    assert message == "data.per_standard must be >= 1, got 0"


def test_probe_clis_end_with_one_line(tmp_path):
    empty = tmp_path / "responses.jsonl"
    empty.write_text("")
    assert one_error_line(run_module("probes.grade", str(empty))) == f"no rows in {empty}"

    evals = tmp_path / "eval"
    evals.mkdir()
    rows = [{"id": f"K.OA.A.5-{i}-0", "standard": "K.OA.A.5", "correct": i % 2 == 0} for i in range(4)]
    (evals / "responses.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert one_error_line(run_module("probes.analyze", str(evals), "--threshold", "7")) == (
        "threshold must be in (0, 1], got 7.0")
    missing = tmp_path / "nowhere"
    assert one_error_line(run_module("probes.report", str(missing))).startswith(f"{missing} holds no results")
    assert one_error_line(run_module("probes.sweep", "--out_dir", str(tmp_path / "sweep"), "--problems.standards",
                                     "[K.CC.C.7]", "--problems.per_standard", "0", "--local", "[{glob: a}]")) == (
        "problems.per_standard must be >= 1, got 0")
    assert not (tmp_path / "sweep").exists()


def test_generate_names_an_unknown_standard_in_one_line(tmp_path):
    out = tmp_path / "p.jsonl"
    message = one_error_line(run_module("mathcamps.generate", "--standards", "K.OA.A.55", "--out", str(out)))
    assert message.startswith("unknown standard 'K.OA.A.55'. Did you mean 'K.OA.A.5'") and not out.exists()


def test_internal_errors_keep_their_traceback(monkeypatch):
    def broken() -> int:
        return {}["missing"]  # a bug, not a user's mistake

    with pytest.raises(KeyError):
        run_cli(broken)
    monkeypatch.setenv("MATHCAMPS_TRACEBACK", "1")
    with pytest.raises(ValueError, match="bad value"):
        run_cli(lambda: (_ for _ in ()).throw(ValueError("bad value")))


# -- probes.evaluate: bad rows are caught at load, and a leftover run.json does not poison reruns ------------------


def evaluate_args(tiny_model_dir: Path, data: Path, out: Path) -> list[str]:
    return ["--model", str(tiny_model_dir), "--data", str(data), "--out", str(out), "--max-new-tokens", "4",
            "--no-followups", "--batch-size", "4"]


def test_an_unreadable_answer_stops_evaluate_before_any_record(tmp_path, tiny_model_dir, capsys):
    rows = [ROW | {"id": f"K.OA.A.5-{i}-0"} for i in range(30)]
    rows[10]["answer"] = "(((("
    data = tmp_path / "p.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    assert evaluate.main(evaluate_args(tiny_model_dir, data, out)) == 2
    err = capsys.readouterr().err
    assert err == f"error: {data}:11 ('K.OA.A.5-10-0'): answer '((((' does not read as a number, relation, list or " \
                  "mapping\n"
    assert not out.exists()


def test_an_empty_run_json_left_by_a_full_disk_does_not_poison_reruns(tmp_path, tiny_model_dir, capsys, monkeypatch):
    data = tmp_path / "p.jsonl"
    data.write_text(json.dumps(ROW) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text("")  # what a full disk left before runs were written atomically
    assert evaluate.main(evaluate_args(tiny_model_dir, data, out)) == 0
    assert json.loads((out / "run.json").read_text())["data"] == str(data.resolve())
    capsys.readouterr()

    (out / "run.json").write_text("")  # with responses beside it, nothing says which arguments made them
    assert evaluate.main(evaluate_args(tiny_model_dir, data, out)) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith(
        f"error: {out / 'run.json'}: empty file; it should hold the arguments")

    def full_disk(path: Path, text: str) -> None:
        with records_io.atomic_open(path) as f:
            f.write(text[:10])
            raise OSError(28, "No space left on device")

    fresh = tmp_path / "fresh"
    monkeypatch.setattr(evaluate, "write_atomic", full_disk)
    assert evaluate.main(evaluate_args(tiny_model_dir, data, fresh)) == 2
    assert capsys.readouterr().err.splitlines()[-1] == "error: [Errno 28] No space left on device"
    assert list(fresh.iterdir()) == []  # no run.json, empty or half-written
    monkeypatch.undo()
    assert evaluate.main(evaluate_args(tiny_model_dir, data, fresh)) == 0
    assert [json.loads(line)["id"] for line in (fresh / "responses.jsonl").read_text().splitlines()] == [ROW["id"]]

"""A run killed with SIGKILL and started again continues, redoes nothing and ends with the same summary."""

import json
import os
import signal
import subprocess
import sys
import time

from mathcamps.generate import generate_problems
from mathcamps.io import write_problems
from probes import engine
from probes.evaluate import main
from tests.probes.test_engine_hf import make_varied_model
from tests.probes.test_evaluate import STANDARDS, fake_grade
from tests.reference import REPO_ROOT

# The CLI with the fake grader, so follow-ups are asked and depend on what the model wrote.
LAUNCH = (
    "import sys; from probes import engine; from tests.probes.test_evaluate import fake_grade; "
    "engine.grade = fake_grade; from probes.evaluate import main; sys.exit(main(sys.argv[1:]))"
)


def test_sigkill_then_resume_matches_an_uninterrupted_run(tiny_model_dir, tmp_path, monkeypatch):
    model = make_varied_model(tiny_model_dir, tmp_path / "model")
    data = tmp_path / "problems.jsonl"
    total = write_problems(generate_problems(STANDARDS, 8, seed=3), data)  # 24 originals, 40 follow-ups
    common = ["--model", str(model), "--data", str(data), "--max-new-tokens", "40", "--batch-size", "2"]
    killed = tmp_path / "killed"
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, *common, "--out", str(killed)], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    responses = killed / "responses.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if responses.exists() and len(responses.read_bytes().splitlines()) >= 4:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read().decode()[-500:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = responses.read_text()
    n_before = len(before.splitlines())
    assert not (killed / "summary.json").exists()

    monkeypatch.setattr(engine, "grade", fake_grade)
    assert main([*common, "--out", str(killed)]) == 0
    after = responses.read_text()
    rows = [json.loads(line) for line in after.splitlines()]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == total  # none done twice
    complete = before[: before.rfind("\n") + 1]
    assert after.startswith(complete) and n_before < total  # rows written before the kill were kept as they were

    fresh = tmp_path / "fresh"
    assert main([*common, "--out", str(fresh)]) == 0
    assert json.loads((killed / "summary.json").read_text()) == json.loads((fresh / "summary.json").read_text())
    by_id = {r["id"]: r for r in rows}
    for line in (fresh / "responses.jsonl").read_text().splitlines():
        r = json.loads(line)
        assert by_id[r["id"]] == r

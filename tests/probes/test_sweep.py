"""Checkpoint sweeps: configs parse, checkpoints resolve, and an interrupted sweep resumes redoing nothing finished."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import lightning
import pytest
import torch
import yaml

import probes.protocol
import probes.sweep
from mathcamps.generate import generate_problems
from probes.analysis import load_series
from probes.callback import MathCampsProbe
from probes.checkpoints import run_base_model
from probes.prompts import PromptError, make_prompter
from probes.protocol import Protocol
from probes.sweep import (
    Checkpoint,
    RunCheckpoints,
    SkippedCheckpoints,
    load_checkpoint,
    parse_config,
    resolve_checkpoints,
    run_sweep,
    sweep_problems,
)
from probes.sweep_cache import read_results
from tests import wandb_reader
from trainers.scratch import ScratchModel, build_model, train_tokenizer

REPO = Path(__file__).resolve().parents[2]
STANDARDS = ["K.CC.C.7", "1.OA.A.1"]
N_PROBLEMS = 6  # 3 per standard


@pytest.fixture(scope="module")
def checkpoint_dirs(tmp_path_factory) -> dict[int, Path]:
    """Four tiny Llamas sharing one tokenizer but not their weights, saved as `ckpt-step{10,20,30,40}`."""
    root = tmp_path_factory.mktemp("ckpts")
    texts = [f"{p.statement}\n{p.solution}" for p in generate_problems(STANDARDS, 60, seed=0, followups=False)]
    tokenizer = train_tokenizer(texts, 300)
    dirs = {}
    for seed, step in enumerate((10, 20, 30, 40)):
        model = build_model(tokenizer, ScratchModel(hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64,
                                                    seed=seed))
        dirs[step] = root / f"ckpt-step{step}"
        model.save_pretrained(dirs[step])
        tokenizer.save_pretrained(dirs[step])
    return dirs


def write_config(path: Path, out_dir: Path, globs: list[str], wandb_dir: Path) -> Path:
    lines = [f"out_dir: {out_dir}", "problems:", f"  standards: {json.dumps(STANDARDS)}", "  per_standard: 3",
             "  seed: 5", "  followups: false", "local:"]
    lines += [f"  - glob: '{g}'\n    step_pattern: 'step(\\d+)'" for g in globs]
    # batch_size 1 flushes after every problem, so the kill below lands between problems as well as checkpoints.
    lines += ["eval:", "  max_new_tokens: 24", "  batch_size: 1", "wandb:", "  mode: offline", f"  dir: {wandb_dir}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_sweep_configs_parse_and_pythia_lists_its_revisions(monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)
    pythia = parse_config(["--config", "configs/sweeps/pythia-160m.yaml"])
    checkpoints = resolve_checkpoints(pythia)  # names only: nothing is downloaded
    assert len(checkpoints) == 143
    assert (checkpoints[0].revision, checkpoints[0].step) == ("step1000", 1000)
    assert (checkpoints[-1].revision, checkpoints[-1].tokens) == ("step143000", 143000 * 2097152)
    assert {c.model for c in checkpoints} == {"EleutherAI/pythia-160m"}
    scratch = parse_config(["--config", "configs/sweeps/scratch.yaml"])
    assert scratch.runs[0].run_dir == "runs/quickstart"
    # The scratch sweep evaluates exactly the quickstart's held-out probe set (its originals).
    quickstart = yaml.safe_load((REPO / "configs" / "quickstart.yaml").read_text())
    probe_args = quickstart["trainer"]["callbacks"][1]["init_args"]
    probe = MathCampsProbe(**{k: probe_args[k] for k in ("standards", "per_standard", "seed", "style")})
    assert [p.id for p in sweep_problems(scratch.problems)] == [p.id for p in probe.problems]


def test_config_errors_name_the_key(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("out_dir: x\nproblems: {standards: [K.CC.C.7]}\nlocal: [{glob: a}]\neval: {batchsize: 3}\n")
    with pytest.raises(SystemExit):
        parse_config(["--config", str(bad)])
    assert "batchsize" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"problems.per_standard must be >= 1, got 0"):
        parse_config(["--out_dir", "x", "--problems.standards", "[K.CC.C.7]", "--problems.per_standard", "0",
                      "--local", "[{glob: a}]"])
    with pytest.raises(ValueError, match="no checkpoints"):
        parse_config(["--out_dir", "x", "--problems.standards", "[K.CC.C.7]"])


def _rows_by_step(out: Path, keys: dict[int, str]) -> dict[int, list[str]]:
    return {step: (out / "results" / f"{key}.jsonl").read_text().splitlines() if
            (out / "results" / f"{key}.jsonl").exists() else [] for step, key in keys.items()}


def test_interrupted_sweep_resumes_and_redoes_nothing_finished(checkpoint_dirs, tmp_path, monkeypatch):
    root = checkpoint_dirs[10].parent
    out = tmp_path / "sweep"
    # Step 30 is listed first, so checkpoints are evaluated (and logged) out of step order: 30, 10, 20.
    config = write_config(tmp_path / "sweep.yaml", out, [f"{root}/ckpt-step30", f"{root}/ckpt-step[12]0"],
                          tmp_path / "wandb-first")
    keys = {c.step: c.key for c in resolve_checkpoints(parse_config(["--config", str(config)]))}
    assert list(keys) == [30, 10, 20]

    env = dict(os.environ, OMP_NUM_THREADS="1", WANDB_MODE="offline", WANDB_SILENT="true")
    proc = subprocess.Popen([sys.executable, "-m", "probes.sweep", "--config", str(config)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            rows = _rows_by_step(out, keys)
            if len(rows[30]) == N_PROBLEMS:  # the first checkpoint is finished: kill in the middle of the rest
                proc.send_signal(signal.SIGKILL)
                break
            if proc.poll() is not None:
                pytest.fail(f"sweep exited (rc {proc.returncode}) before it could be interrupted: "
                            f"{proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.005)
        else:
            pytest.fail("the sweep did not finish its first checkpoint within 240 s")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = _rows_by_step(out, keys)
    assert len(before[30]) == N_PROBLEMS
    assert len(before[10]) + len(before[20]) < 2 * N_PROBLEMS, "nothing was left to resume"
    finished_bytes = (out / "results" / f"{keys[30]}.jsonl").read_bytes()

    evaluated: list[tuple[str, str]] = []
    real_answer = probes.protocol.answer

    def counting_evaluate(model, tokenizer, problems, protocol, batch_size, prompter, done, on_record):
        evaluated.extend((Path(model.name_or_path).name, p.id) for p in problems if p.id not in done)
        return real_answer(model, tokenizer, problems, protocol, batch_size, prompter, done, on_record)

    monkeypatch.setattr(probes.protocol, "answer", counting_evaluate)
    resumed = parse_config(["--config", str(config), "--wandb.dir", str(tmp_path / "wandb-resumed")])
    run_sweep(resumed)

    # Only the problems missing at the kill were evaluated; the finished checkpoint's file is untouched.
    problem_ids = [p.id for p in sweep_problems(resumed.problems)]
    done_before = {step: {json.loads(line)["id"] for line in lines if line.endswith("}")}
                   for step, lines in before.items()}
    expected = [(f"ckpt-step{step}", pid) for step in (10, 20) for pid in problem_ids if pid not in done_before[step]]
    assert sorted(evaluated) == sorted(expected)
    assert (out / "results" / f"{keys[30]}.jsonl").read_bytes() == finished_bytes
    after = _rows_by_step(out, keys)
    for step in keys:
        ids = [json.loads(line)["id"] for line in after[step]]
        assert sorted(ids) == sorted(problem_ids), f"step {step}: every problem exactly once"

    # The analysis reads the sweep; the W&B run logged every checkpoint on `checkpoint/step`, in arrival order.
    series = load_series(out)
    assert series.steps == [10, 20, 30] and series.incomplete == []
    (run_dir,) = (tmp_path / "wandb-resumed" / "wandb").glob("offline-run-*")
    metrics = [r.metric for r in wandb_reader.records(run_dir) if r.WhichOneof("record_type") == "metric"]
    assert any(m.glob_name == "*" and m.step_metric == "checkpoint/step" for m in metrics)
    history = [row for row in wandb_reader.history(run_dir) if "checkpoint/step" in row]
    assert [row["checkpoint/step"] for row in history] == [30, 10, 20]
    for row in history:
        acc = next(s for s in series.snapshots if s.step == row["checkpoint/step"]).accuracy()
        for standard in STANDARDS:
            assert row[f"mathcamps/acc/{standard}"] == pytest.approx(acc[standard])

    # A rerun loads no model at all; an extended sweep evaluates only the new checkpoint.
    def no_loading(*args):
        raise AssertionError("a finished sweep must not load any checkpoint")

    monkeypatch.setattr(probes.sweep, "load_checkpoint", no_loading)
    run_sweep(parse_config(["--config", str(config), "--wandb", "null"]))
    monkeypatch.undo()
    monkeypatch.setattr(probes.protocol, "answer", counting_evaluate)
    evaluated.clear()
    extended = write_config(tmp_path / "extended.yaml", out, [f"{root}/ckpt-step*"], tmp_path / "wandb-ext")
    run_sweep(parse_config(["--config", str(extended), "--wandb", "null"]))
    assert sorted(evaluated) == sorted(("ckpt-step40", pid) for pid in problem_ids)
    assert load_series(out).steps == [10, 20, 30, 40]

    # Changing what decides a verdict (the generation budget) is refused, naming the key.
    with pytest.raises(ValueError, match=r"eval.max_new_tokens=24, the config says 8"):
        run_sweep(parse_config(["--config", str(config), "--eval.max_new_tokens", "8", "--wandb", "null"]))


def test_read_results_cuts_a_torn_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "a", "correct": true}\n{"id": "b", "corr')
    assert list(read_results(path)) == ["a"]
    assert path.read_text() == '{"id": "a", "correct": true}\n'


def test_lightning_checkpoints_load_into_the_runs_base_model(checkpoint_dirs, tmp_path):
    base = checkpoint_dirs[10]
    tuned = load_checkpoint(Checkpoint("x", 0, str(checkpoint_dirs[20])), "cpu")[0]
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    state = {f"model.{k}": v for k, v in tuned.state_dict().items()}
    for name, step in (("epoch=0-step=7.ckpt", 7), ("last.ckpt", 7)):
        torch.save({"global_step": step, "tokens_seen": 1234, "state_dict": state,
                    "pytorch-lightning_version": lightning.__version__}, run / "checkpoints" / name)
    (run / "config.yaml").write_text(f"model:\n  model: {base}\n")
    cfg = parse_config(["--out_dir", str(tmp_path / "o"), "--problems.standards", "[K.CC.C.7]",
                        "--runs", json.dumps([{"run_dir": str(run)}])])
    (ckpt,) = resolve_checkpoints(cfg)  # last.ckpt repeats step 7 and is dropped
    assert (ckpt.step, ckpt.tokens, Path(ckpt.model).name, ckpt.base) == (7, 1234, "epoch=0-step=7.ckpt", str(base))
    loaded = load_checkpoint(ckpt, "cpu")[0]
    for name, tensor in tuned.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor), name
    # A resumed run's root gathers the checkpoints of every version_N/.
    (tmp_path / "root").mkdir()
    run.rename(tmp_path / "root" / "version_0")
    (root_ckpt,) = resolve_checkpoints(parse_config(["--out_dir", "o", "--problems.standards", "[K.CC.C.7]",
                                                     "--runs", json.dumps([{"run_dir": str(tmp_path / "root")}])]))
    assert (root_ckpt.step, root_ckpt.base) == (7, str(base))
    with pytest.raises(FileNotFoundError, match="holds no checkpoints"):
        resolve_checkpoints(parse_config(["--out_dir", "o", "--problems.standards", "[K.CC.C.7]",
                                          "--runs", json.dumps([{"run_dir": str(tmp_path)}])]))
    assert RunCheckpoints(str(run)).base_model is None


def test_a_base_model_without_chat_template_gets_fewshot_and_no_template(checkpoint_dirs, tmp_path):
    from transformers import AutoTokenizer

    plain = tmp_path / "base"
    shutil.copytree(checkpoint_dirs[10], plain)
    tokenizer = AutoTokenizer.from_pretrained(plain)
    tokenizer.chat_template = None
    (plain / "chat_template.jinja").unlink(missing_ok=True)
    tokenizer.save_pretrained(plain)
    assert AutoTokenizer.from_pretrained(plain).chat_template is None
    _, loaded = load_checkpoint(Checkpoint("base", 0, str(plain)), "cpu")
    assert loaded.chat_template is None  # nothing swapped in
    problems = sweep_problems(parse_config(["--config", str(write_config(tmp_path / "c.yaml", tmp_path / "o",
                                                                          [str(plain)], tmp_path))]).problems)
    assert Protocol().choose(loaded) == "fewshot"
    prompt = Protocol().prompter(loaded, problems)("What is 2 + 3?")
    assert prompt.endswith("Problem: What is 2 + 3?\nSolution:")
    with pytest.raises(PromptError, match="has none; use --prompt fewshot"):
        make_prompter("chat", loaded)


def test_a_runs_relative_base_model_resolves_where_training_ran(checkpoint_dirs, tmp_path, monkeypatch):
    train_cwd = tmp_path / "project"
    shutil.copytree(checkpoint_dirs[10], train_cwd / "runs" / "q" / "base")
    version = train_cwd / "runs" / "q" / "version_0"
    (version / "checkpoints").mkdir(parents=True)
    (version / "config.yaml").write_text("trainer:\n  default_root_dir: runs/q\nmodel:\n  model: runs/q/base\n")
    # A decoy at the same relative path under the current directory must not be picked.
    shutil.copytree(checkpoint_dirs[20], tmp_path / "elsewhere" / "runs" / "q" / "base")
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert run_base_model(version) == (str(train_cwd / "runs" / "q" / "base"), None)


def test_a_sweep_skips_unreadable_checkpoints_evaluates_the_rest_and_fails_listing_them(checkpoint_dirs, tmp_path):
    tuned = load_checkpoint(Checkpoint("x", 0, str(checkpoint_dirs[20])), "cpu")[0]
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text(f"model:\n  model: {checkpoint_dirs[10]}\n")
    good = run / "checkpoints" / "epoch=0-step=7.ckpt"
    torch.save({"global_step": 7, "state_dict": {f"model.{k}": v for k, v in tuned.state_dict().items()},
                "pytorch-lightning_version": lightning.__version__}, good)
    (run / "checkpoints" / "epoch=0-step=9.ckpt").write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    (run / "checkpoints" / "last.ckpt").write_bytes(b"")
    # An export whose weights file is torn: it resolves (its files are all there) and fails only to load.
    torn = shutil.copytree(checkpoint_dirs[30], tmp_path / "exports" / "ckpt-step30")
    (torn / "model.safetensors").write_bytes((torn / "model.safetensors").read_bytes()[:2000])
    out = tmp_path / "sweep"
    args = ["--out_dir", str(out), "--problems.standards", json.dumps(STANDARDS), "--problems.per_standard", "2",
            "--problems.followups", "false", "--eval.max_new_tokens", "8",
            "--runs", json.dumps([{"run_dir": str(run)}]),
            "--local", json.dumps([{"glob": f"{tmp_path}/exports/*", "step_pattern": r"step(\d+)"}])]
    with pytest.raises(SkippedCheckpoints) as error:
        run_sweep(parse_config(args))
    message = str(error.value)
    assert message.startswith("3 checkpoint(s) could not be read and were skipped: ") and "\n" not in message
    assert [Path(s.path).name for s in error.value.skipped] == ["epoch=0-step=9.ckpt", "last.ckpt", "ckpt-step30"]
    for skipped in error.value.skipped:
        assert skipped.path in message
    # Everything readable was evaluated; the torn export is listed, and left out of the analysis.
    series = load_series(out)
    assert series.steps == [7] and series.incomplete == ["ckpt-step30"]
    assert len(series.snapshots[0].outcomes) == 2 * len(STANDARDS)

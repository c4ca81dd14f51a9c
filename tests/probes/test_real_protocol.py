"""The issue's checks on a stand-in for a real chat model: a tiny Qwen2 with a ChatML template, probed on the
published problems with `prompt: auto` during a fit, and the same answers from `probes.evaluate` and
`probes.sweep` on the same checkpoint with the same spec; and sweeps split into shards that merge."""

import csv
import json
from pathlib import Path

import pytest
import yaml

import probes.sweep
from mathcamps.answers.grade import Verdict
from probes import engine, evaluate
from probes.sweep import parse_config, resolve_checkpoints, run_sweep
from probes.sweep_cache import read_results
from tests.reference import reference_dir
from tests.trainers.families import chatml_qwen2
from tests.trainers.fitting import tiny_run_config
from trainers.fit import main

PROBED = ["K.OA.A.5", "1.OA.A.1", "2.NBT.B.5", "3.OA.A.3", "4.NBT.B.4"]
FIELDS = ("id", "prompt", "response", "extracted", "correct", "asked", "turn")


@pytest.fixture(scope="module")
def chatml_dir(tmp_path_factory) -> Path:
    """A random-init Qwen2 (a few thousand parameters) whose tokenizer has a ChatML template, like Qwen's."""
    return chatml_qwen2(tmp_path_factory.mktemp("chatml") / "chatml-step0", PROBED, max_positions=4096)


def _key(row: dict) -> tuple:
    return tuple(row[f] for f in FIELDS)


def fake_grade(response: str, expected: str, question: str | None = None) -> Verdict:
    """A grader a random model can pass (right when the response length is not a multiple of 3), so that
    follow-ups are asked after the model's own responses, in all three tools alike."""
    return Verdict(len(response) % 3 != 0, response[:4] or None, "fake")


def test_a_fit_probes_published_problems_with_auto_and_evaluate_and_sweep_agree(chatml_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "grade", fake_grade)
    release = reference_dir() / "mathcamps-v1"
    spec = {"source": "published", "path": str(release), "standards": PROBED, "per_standard": 20, "seed": 0}
    config_path = tiny_run_config(tmp_path, chatml_dir, max_steps=2, every_n_steps=2, probe=True,
                                  data={"padding_free": False, "per_standard": 10, "max_seq_len": 256})
    config = yaml.safe_load(config_path.read_text())
    config["trainer"]["callbacks"][1]["init_args"] = {"problems": spec, "prompt": "auto", "max_new_tokens": 6,
                                                      "batch_size": 512}
    config_path.write_text(yaml.safe_dump(config))
    main(["--config", str(config_path)])
    run_dir = tmp_path / "run" / "version_0"

    protocol = json.loads((run_dir / "mathcamps" / "protocol.json").read_text())
    assert (protocol["prompt"], protocol["chosen"], protocol["own_chat_template"]) == ("auto", "paper", True)
    assert "mathcamps/protocol/chosen: paper" in (run_dir / "hparams.yaml").read_text()
    responses = [json.loads(line) for line in (run_dir / "mathcamps" / "responses.jsonl").read_text().splitlines()]
    step0 = [r for r in responses if r["step"] == 0]
    originals = [r for r in step0 if r["turn"] == 0]
    assert [sum(r["standard"] == s for r in originals) for s in PROBED] == [20] * 5
    assert all(r["prompt"].startswith("<|im_start|>system\n") for r in originals)
    asked = [r for r in step0 if r["turn"] == 1 and r["asked"]]
    assert len(asked) >= 20 and any(r["turn"] == 1 and not r["asked"] for r in step0)
    assert len({r["response"] for r in originals}) >= 20  # answers differ from problem to problem

    with open(run_dir / "metrics.csv") as f:
        rows = [r for r in csv.DictReader(f) if r.get("mathcamps/acc/K.OA.A.5")]
    assert [int(r["step"]) for r in rows] == [0, 2]
    for s in PROBED:
        for key in ("acc", "format", "p", "q", "mde", "significant"):
            assert rows[-1][f"mathcamps/{key}/{s}"] != "", (key, s)
        assert float(rows[-1][f"mathcamps/mde/{s}"]) == pytest.approx(6 / 20)
    assert rows[-1]["mathcamps/followup/all_right"] != ""

    # The same checkpoint (the model before any step) and spec through probes.evaluate ...
    out = tmp_path / "eval"
    assert evaluate.main(["--model", str(chatml_dir), "--problems", json.dumps(spec), "--out", str(out),
                          "--max-new-tokens", "6", "--batch-size", "512"]) == 0
    evaluated = [json.loads(line) for line in (out / "responses.jsonl").read_text().splitlines()]
    assert sorted(map(_key, evaluated)) == sorted(map(_key, step0))
    # ... and through probes.sweep.
    cfg = parse_config(["--out_dir", str(tmp_path / "sweep"), "--problems", json.dumps(spec),
                        "--local", json.dumps([{"glob": str(chatml_dir)}]), "--eval.max_new_tokens", "6",
                        "--eval.batch_size", "512", "--wandb", "null"])
    run_sweep(cfg)
    (ckpt,) = resolve_checkpoints(cfg)
    swept = read_results(tmp_path / "sweep" / "results" / f"{ckpt.key}.jsonl").values()
    assert sorted(map(_key, swept)) == sorted(map(_key, step0))


def test_sharded_sweeps_fill_one_cache_and_a_final_run_merges_without_redoing_work(chatml_dir, tmp_path,
                                                                                  monkeypatch):
    base = ["--problems", json.dumps({"standards": ["K.OA.A.5", "3.OA.C.7"], "per_standard": 4, "seed": 2}),
            "--local", json.dumps([{"glob": str(chatml_dir)}]), "--eval.max_new_tokens", "4", "--wandb", "null"]
    whole = run_sweep(parse_config(["--out_dir", str(tmp_path / "whole"), *base]))
    (ckpt,) = resolve_checkpoints(parse_config(["--out_dir", str(whole), *base]))
    expected = read_results(whole / "results" / f"{ckpt.key}.jsonl")

    sharded = tmp_path / "sharded"
    for i in range(3):
        run_sweep(parse_config(["--out_dir", str(sharded), "--shard", f"{i}/3", *base]))
    parts = [read_results(p) for p in sorted((sharded / "results").glob("*.shard-*.jsonl"))]
    assert sum(map(len, parts)) == len(expected) and all(parts)  # a deterministic split, nothing twice
    assert not set(parts[0]) & set(parts[1])

    def no_loading(*args):
        raise AssertionError("the merging run must not evaluate anything")

    monkeypatch.setattr(probes.sweep, "load_checkpoint", no_loading)
    run_sweep(parse_config(["--out_dir", str(sharded), *base]))
    merged = read_results(sharded / "results" / f"{ckpt.key}.jsonl")
    assert {i: _key(r) for i, r in merged.items()} == {i: _key(r) for i, r in expected.items()}
    assert not list((sharded / "results").glob("*.shard-*.jsonl"))
    with pytest.raises(ValueError, match="shard must be i/N with 0 <= i < N, got '3/3'"):
        parse_config(["--out_dir", str(sharded), "--shard", "3/3", *base])

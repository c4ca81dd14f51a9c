"""End to end: LoRA-tune a tiny Qwen2 on a two-source mixture (a local `datasets` file in GSM8K's fields plus
generated MathCAMPS problems), SIGKILL it after a checkpoint, resume it with `--ckpt_path last`, then sweep the
run's checkpoints and analyse the run. The mixture draws by its weights, the analysis starts at the step-0
baseline, and every checkpoint's sweep record is the probe's record at that step (same problems, same prompt,
same answer)."""

import json
import re
from pathlib import Path

import torch

from probes.analysis import read_jsonl
from probes.analyze import main as analyze
from probes.engine import Record
from probes.sweep import parse_config, resolve_checkpoints, run_sweep
from probes.sweep_cache import read_results
from tests.trainers.families import chatml_qwen2
from tests.trainers.fitting import STANDARDS, kill_after_first_checkpoint, run_fit, tiny_run_config

MAX_STEPS, EVERY = 24, 4
def probe_records(run_root: Path) -> dict[int, dict[str, Record]]:
    """The probe callback's records by step and problem id, over every version (a later version wins a step)."""
    by_step: dict[int, dict[str, Record]] = {}
    for version in sorted(run_root.glob("version_*"), key=lambda p: int(p.name.split("_")[1])):
        rows: dict[int, dict[str, Record]] = {}
        for row in read_jsonl(version / "mathcamps" / "responses.jsonl"):
            rows.setdefault(row["step"], {})[row["id"]] = Record.from_json(row)
        by_step |= rows
    return by_step


def gsm8k_file(path: Path, n: int) -> Path:
    """`n` rows with GSM8K's fields: a question, and a worked answer ending in `#### N`."""
    rows = [{"question": f"Ann has {i} pens and buys {i + 2} more. How many pens does she have?",
             "answer": f"She has {i} + {i + 2} = <<{i}+{i + 2}={2 * i + 2}>>{2 * i + 2} pens.\n#### {2 * i + 2}"}
            for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def drawn_per_source(log: str) -> list[int]:
    """The examples each source gives an epoch, from the data module's start-up report."""
    return [int(n) for n in re.findall(r"data: source \d+, .*?(\d+) drawn per epoch", log)]


def test_a_killed_and_resumed_lora_run_sweeps_and_analyses_as_one_run(tmp_path):
    model = chatml_qwen2(tmp_path / "qwen2", STANDARDS)
    sources = [{"dataset": "json", "data_files": [str(gsm8k_file(tmp_path / "gsm8k.jsonl", 30))], "format": "gsm8k",
                "weight": 1.0},
               {"standards": STANDARDS, "per_standard": 40, "weight": 3.0}]
    config = tiny_run_config(tmp_path, model, name="run", max_steps=MAX_STEPS, every_n_steps=EVERY, probe=True,
                             model={"finetuning": "lora", "lora": {"r": 4}, "learning_rate": 0.02},
                             data={"padding_free": False, "standards": None, "sources": sources,
                                   "cache_dir": str(tmp_path / "cache")})
    root = tmp_path / "run"
    killed_at = kill_after_first_checkpoint(config, root)
    assert killed_at < MAX_STEPS, "the fit finished before it was killed: nothing was resumed"
    resumed = run_fit(config, "--ckpt_path", "last")
    assert list((root / "version_1" / "checkpoints").glob(f"*-step={MAX_STEPS}.ckpt")), "the resume did not finish"
    # Both sources feed every epoch in the ratio of their weights (1 : 3), to within one example's rounding.
    gsm8k, generated = drawn_per_source(resumed.stderr + resumed.stdout)
    assert gsm8k > 0 and abs(generated - 3 * gsm8k) <= 3, (gsm8k, generated)

    # The sweep reads the run's probe settings: the same problem set and protocol as the callback's defaults.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the fit ran (fit_env), so the sums add up in the same order
    try:
        cfg = parse_config(["--out_dir", str(tmp_path / "sweep"), "--runs", json.dumps([{"run_dir": str(root)}]),
                            "--problems", json.dumps({"standards": STANDARDS, "per_standard": 2}),
                            "--eval.max_new_tokens", "8", "--eval.batch_size", "64", "--wandb", "null"])
        run_sweep(cfg)
    finally:
        torch.set_num_threads(threads)
    checkpoints = resolve_checkpoints(cfg)
    assert [c.step for c in checkpoints] == list(range(EVERY, MAX_STEPS + 1, EVERY))  # both versions' .ckpt
    assert {c.kind for c in checkpoints} == {"lightning"}
    assert any("version_0" in c.model for c in checkpoints) and any("version_1" in c.model for c in checkpoints)

    probed = probe_records(root)
    for ckpt in checkpoints:
        swept = {i: Record.from_json(r) for i, r in read_results(cfg.out_dir / "results" / f"{ckpt.key}.jsonl").items()}
        assert swept == probed[ckpt.step], f"step {ckpt.step}: the sweep's records differ from the probe's"
    assert len({r.response for r in probed[MAX_STEPS].values()}) > 1  # answers differ: the check has teeth

    study = analyze(root, out=tmp_path / "analysis.json")
    assert study.series.name == "run/version_0+version_1"
    assert study.series.steps == sorted(probed) and study.series.steps[0] == 0
    assert killed_at in study.series.steps and MAX_STEPS in study.series.steps
    assert study.comparison.before == "step 0" and study.comparison.after == f"step {MAX_STEPS}"
    written = json.loads((tmp_path / "analysis.json").read_text())
    assert written["series"]["steps"][0] == 0
    assert all(len(i) == len(study.series.steps) for i in written["curve_intervals"].values())

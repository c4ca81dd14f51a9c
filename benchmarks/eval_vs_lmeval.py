"""Throughput and memory of `python -m probes.evaluate` against lm-evaluation-harness's HF backend.

    pip install .[bench]            # lm-eval, a benchmark-only extra
    python benchmarks/eval_vs_lmeval.py --repeats 2

Both systems get the same local random-init Llama (~8M parameters, BPE tokenizer), the same JSONL of 10
original problems of every standard, the same prompt template (system message and one worked example, then the
problem), the same stop string, 64 new tokens, greedy decoding and batch size 16; lm-eval reads the JSONL through
a task YAML. Each run is its own subprocess, so each has its own peak RSS; the systems alternate.

It prints, per run and as medians: the whole process's time (as a user waits for it, imports included), wall
time (model load + evaluation, imports excluded), generated tokens per
second (tokens of the responses as kept, counted with the same tokenizer for both), peak RSS, the throughput
ratio, and how many responses are identical. Our engine's `### Answer:`-line stop is off here, as lm-eval has no
such rule; with it on, real models stop sooner still.

Ours runs twice: as a user runs it (`--draft-tokens` at its default) and with guessing off (`ours-k0`). The random model
answers every prompt by repeating one token, so every guess is confirmed: the first figure is guessing's best
case, the second what the engine does without it.

Measured 2026-12-02 (`--repeats 2`, 2 threads, 2-core machine, medians; 490 problems = 10 x 49 standards):
as whole processes, ours 16.45 s, ours-k0 36.00 s, lm-eval 67.53 s (4.11x, 1.88x); imports excluded 11.61,
31.01 and 63.28 s (5.45x, 2.04x); generation only 11.39, 30.77 and 54.05 s (4.75x, 1.76x); peak RSS 575 and
565 MiB against 831 MiB; 490/490 responses identical for both; guesses confirmed 29,400/29,400. On a trained
model guessing gains less: see `draft_tokens.py`. Measured and not kept: `torch.compile` of the model's forward
(dynamic shapes, over this engine's buffer cache) took 140 s to compile and then made 160 answers 6% faster
(4.53-4.65 s against 4.86 s), so it cannot pay within one run on CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout: its packages, not an installed copy

from probes.backends.guess import DRAFT_TOKENS  # noqa: E402  (after the path is set; imports no torch)

STOP = "@@@"
# Ours as a user runs it (up to DRAFT_TOKENS guesses per step), and with guessing off: the random model's answers
# repeat one token, the best case for guesses, so both are shown.
SYSTEMS = {"ours": DRAFT_TOKENS, "ours-k0": 0}


def prepare(work: Path, per_standard: int, seed: int) -> dict[str, Path]:
    """The model, problems, template and lm-eval task YAML under `work`."""
    from mathcamps.generate import generate_problems
    from mathcamps.io import write_problems
    from mathcamps.standards import STANDARDS
    from probes.prompts import PLACEHOLDER, paper_messages, render_plain
    from trainers.scratch import ScratchModel, save_scratch_model

    standards = [s.id for s in STANDARDS]  # every standard: word problems and exercises, short and long prompts
    problems = generate_problems(standards, per_standard, seed, followups=False)
    template = render_plain([*paper_messages(), {"role": "user", "content": PLACEHOLDER}])
    texts = [f"{p.statement}\n{p.solution}" for p in generate_problems(standards, 30, seed + 1, followups=False)]
    size = ScratchModel(vocab_size=2048, hidden_size=256, num_layers=9, num_heads=4, intermediate_size=768, seed=0)
    model = save_scratch_model(work / "model", [*texts, template], size)
    data = work / "problems.jsonl"
    write_problems(problems, data)
    # lm-eval gets the same prompt text: the template filled in, stored as a field it shows as is.
    with (work / "lmeval.jsonl").open("w") as f:
        for p in problems:
            f.write(json.dumps({"id": p.id, "prompt": template.replace(PLACEHOLDER, p.statement),
                                "answer": p.answer}) + "\n")
    (work / "template.txt").write_text(template)
    tasks = work / "tasks"
    tasks.mkdir(exist_ok=True)
    (tasks / "mathcamps_bench.yaml").write_text(f"""\
task: mathcamps_bench
dataset_path: json
dataset_kwargs:
  data_files:
    test: {work / 'lmeval.jsonl'}
test_split: test
output_type: generate_until
doc_to_text: "{{{{prompt}}}}"
doc_to_target: "{{{{answer}}}}"
target_delimiter: ""
generation_kwargs:
  until: ["{STOP}"]
  max_gen_toks: 64
  do_sample: false
metric_list:
  - metric: exact_match
""")
    return {"model": model, "data": data, "template": work / "template.txt", "tasks": tasks}


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _timed(owner: object, name: str, clock: list[float]) -> None:
    """Wrap `owner.name` so that the seconds spent in it are added to `clock[0]`."""
    inner = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            clock[0] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def run_ours(work: Path, out: Path, draft_tokens: int) -> dict:
    import probes.backends.hf
    import probes.evaluate
    from probes.evaluate import main

    generation = [0.0]
    _timed(probes.evaluate, "run", generation)  # the engine: generation and grading, no loading
    backends = []
    load = probes.backends.hf.load_hf_backend
    probes.backends.hf.load_hf_backend = lambda *a, **k: backends.append(load(*a, **k)) or backends[-1]
    before = _rss_mib()
    start = time.perf_counter()
    rc = main(["--model", str(work / "model"), "--data", str(work / "problems.jsonl"), "--out", str(out),
               "--prompt-template", str(work / "template.txt"), "--stop", STOP, "--max-new-tokens", "64",
               "--batch-size", "16", "--no-followups", "--no-stop-at-answer-line", "--dtype", "float32",
               "--device", "cpu", "--draft-tokens", str(draft_tokens)])
    wall = time.perf_counter() - start
    assert rc == 0, f"probes.evaluate exited with {rc}"
    rows = [json.loads(line) for line in (out / "responses.jsonl").read_text().splitlines()]
    return {"wall_s": wall, "generation_s": generation[0], "rss_after_imports_mib": before,
            "peak_rss_mib": _rss_mib(), "responses": {r["id"]: r["response"] for r in rows},
            "guesses": [backends[0].drafted, backends[0].accepted]}


def run_lmeval(work: Path, out: Path) -> dict:
    import lm_eval
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    generation = [0.0]
    _timed(HFLM, "generate_until", generation)  # lm-eval's batched generation, no task loading or scoring
    before = _rss_mib()
    start = time.perf_counter()
    results = lm_eval.simple_evaluate(
        model="hf", model_args={"pretrained": str(work / "model"), "dtype": "float32"}, tasks=["mathcamps_bench"],
        batch_size=16, device="cpu", task_manager=TaskManager(include_path=str(work / "tasks")), log_samples=True,
        bootstrap_iters=0, verbosity="ERROR")
    wall = time.perf_counter() - start
    samples = results["samples"]["mathcamps_bench"]
    return {"wall_s": wall, "generation_s": generation[0], "rss_after_imports_mib": before,
            "peak_rss_mib": _rss_mib(), "responses": {s["doc"]["id"]: s["resps"][0][0] for s in samples},
            "prompts_match": all(s["arguments"][0][0] == s["doc"]["prompt"] for s in samples)}


def child(system: str, work: Path, out: Path) -> None:
    result = run_lmeval(work, out) if system == "lmeval" else run_ours(work, out, SYSTEMS[system])
    print("RESULT " + json.dumps(result))


def spawn(system: str, work: Path, out: Path) -> dict:
    env = os.environ | {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                        "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", system, "--work", str(work), "--out", str(out)],
                          capture_output=True, text=True, env=env, cwd=REPO)
    process_s = time.perf_counter() - start  # the whole process, as a user waits for it: imports included
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{system} run failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :]) | {"process_s": process_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1, help="runs of each system, alternating")
    parser.add_argument("--per-standard", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", choices=(*SYSTEMS, "lmeval"), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.work, args.out)
        return

    from transformers import AutoTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paths = prepare(work, args.per_standard, args.seed)
        tok = AutoTokenizer.from_pretrained(paths["model"])
        n_params = sum(p.numel() for p in __import__("transformers").AutoModelForCausalLM.from_pretrained(
            paths["model"]).parameters())
        print(f"model: {n_params / 1e6:.1f}M parameters, vocab {len(tok)}; "
              f"{args.per_standard} problems x every standard; threads "
              f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
        runs: dict[str, list[dict]] = {"ours": [], "ours-k0": [], "lmeval": []}
        for i in range(args.repeats):
            for system in list(runs) if i % 2 == 0 else list(runs)[::-1]:
                result = spawn(system, work, work / f"{system}-{i}")
                tokens = sum(len(tok(r, add_special_tokens=False)["input_ids"]) for r in result["responses"].values())
                result["tokens"] = tokens
                runs[system].append(result)
                wall_s = result['wall_s']
                print(f"  run {i} {system:7s}: process {result['process_s']:7.2f} s, wall {wall_s:7.2f} s "
                      f"({tokens / wall_s:7.1f} tok/s), "
                      f"generation {result['generation_s']:7.2f} s ({tokens / result['generation_s']:7.1f} tok/s), "
                      f"{tokens} tokens, peak RSS {result['peak_rss_mib']:6.1f} MiB")
        theirs = runs["lmeval"][-1]["responses"]
        rss = {s: max(r["peak_rss_mib"] for r in runs[s]) for s in runs}
        for key, label in (("process_s", "whole process (python start + imports + load + generate + score)"),
                           ("wall_s", "end to end, imports excluded (load + tasks + generate + score)"),
                           ("generation_s", "generation only")):
            rate = {s: statistics.median(r["tokens"] / r[key] for r in runs[s]) for s in runs}
            secs = {s: statistics.median(r[key] for r in runs[s]) for s in runs}
            for ours in SYSTEMS:
                print(f"{label}: {ours} {secs[ours]:.2f} s = {rate[ours]:.1f} tok/s, lm-eval {secs['lmeval']:.2f} s = "
                      f"{rate['lmeval']:.1f} tok/s; ratio {rate[ours] / rate['lmeval']:.2f}x (target >= 3x)")
        for ours in SYSTEMS:
            mine = runs[ours][-1]["responses"]
            same = sum(mine[k] == theirs.get(k) for k in mine)
            drafted, accepted = runs[ours][-1]["guesses"]
            print(f"{ours}: peak RSS {rss[ours]:.1f} MiB (lm-eval {rss['lmeval']:.1f}); identical responses "
                  f"{same}/{len(mine)} ({same / len(mine):.1%}; target >= 95%); guesses confirmed {accepted}/{drafted}")
        print(f"lm-eval saw our prompts exactly: {all(r.get('prompts_match') for r in runs['lmeval'])}")


if __name__ == "__main__":
    main()

"""Score a model on MathCAMPS problems: per-standard accuracy, follow-ups in dialogue, resumable.

    python -m probes.evaluate --model runs/quickstart/model --generate K.OA.A.5,3.OA.C.7:20:0 --out runs/eval
    python -m probes.evaluate --model EleutherAI/pythia-160m --revision step143000 --data test.jsonl \
        --prompt plain --max-new-tokens 400 --out runs/pythia-143000
    python -m probes.evaluate --model Qwen/Qwen2.5-0.5B-Instruct --out runs/qwen \
        --problems '{source: published, path: data/mathcamps-v1, per_standard: 20, seed: 0}'
    python -m probes.evaluate --model runs/lora/version_0/checkpoints/last.ckpt --generate K.OA.A.5:20:0 --out runs/e

`--problems` takes the same problem-set block as the probe callback's `problems:` (a YAML file or an inline
mapping, `probes.problemset`), and `--prompt` the same protocol (`auto`: paper when the model's tokenizer has a
chat template of its own, fewshot when not; `probes.protocol`), so a checkpoint scores here as the probe scored it.

Writes to `--out`: `run.json` (the arguments that decide the results), `responses.jsonl` (one row per problem
and turn, appended and flushed as each finishes) and `summary.json` (schema in `probes.metrics`, plus `run`).
A run killed at any point and started again with the same arguments continues where it stopped; different
arguments on an existing `--out` are refused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from mathcamps.cli import one_line, run_cli
from mathcamps.io import RecordFileError, read_json, read_jsonl, read_problems, write_atomic
from mathcamps.problem import Problem
from probes import metrics
from probes.backends import GenerationSettings
from probes.backends.guess import DRAFT_TOKENS
from probes.engine import Record, run, select
from probes.problemset import ProblemSet, parse_problem_set
from probes.prompts import PROMPTS, load_template
from probes.protocol import Protocol

RESPONSES, SUMMARY, RUN = "responses.jsonl", "summary.json", "run.json"


class RunMismatch(ValueError):
    """`--out` holds a run made with different arguments."""


def generate_set(standards: list[str], per_standard: int, seed: int) -> list[Problem]:
    """The problems of `--generate STANDARDS:N:SEED`: originals and, where the standard has them, follow-ups."""
    from mathcamps.generate import generate_problems

    return generate_problems(standards, per_standard, seed, followups=True)


def parse_generate(spec: str) -> tuple[list[str], int, int]:
    """`K.OA.A.5,3.OA.C.7:20:0` -> (['K.OA.A.5', '3.OA.C.7'], 20, 0)."""
    parts = spec.rsplit(":", 2)
    try:
        standards, n, seed = parts[0].split(","), int(parts[1]), int(parts[2])
    except (IndexError, ValueError):
        raise ValueError(f"--generate must be STANDARDS:N:SEED (e.g. K.OA.A.5,3.OA.C.7:20:0), got {spec!r}") from None
    if n < 1 or not all(standards):
        raise ValueError(f"--generate needs N >= 1 and non-empty standard ids, got {spec!r}")
    return standards, n, seed


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m probes.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="hub id, or a local HF, merged or adapter export, or a Lightning "
                                                  ".ckpt of a trainers.fit run (probes.checkpoints)")
    p.add_argument("--revision", help="hub revision (branch, tag or commit), e.g. step143000")
    p.add_argument("--base-model", help="base model of an adapter export or a .ckpt (default: the adapter's "
                                        "base_model_name_or_path, the .ckpt's run config)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="problems as .jsonl/.json (ours or the published files)")
    src.add_argument("--generate", metavar="STANDARDS:N:SEED", help="generate N originals per standard")
    src.add_argument("--problems", metavar="SPEC", help="a problem-set spec, as the probe's `problems:` block: a YAML "
                                                        "file or an inline mapping, e.g. '{source: published}'")
    p.add_argument("--out", required=True, help="output directory (created; an existing run there is resumed)")
    p.add_argument("--backend", choices=("hf", "vllm"), default="hf")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-new-tokens", type=int, default=1000)
    p.add_argument("--limit", type=int, help="at most this many originals per standard")
    p.add_argument("--dtype", choices=("auto", "float32", "bfloat16", "float16"), default="auto")
    p.add_argument("--device", default="auto", help="torch device for the HF backend (auto: cuda if present)")
    p.add_argument("--prompt", choices=("auto", *PROMPTS), default="auto",
                   help="auto: paper with the model's own chat template, fewshot without one (default)")
    p.add_argument("--fewshot-k", type=int, default=3, help="worked examples per prompt with --prompt fewshot")
    p.add_argument("--prompt-template", metavar="FILE", help="text file with {statement}; overrides --prompt")
    p.add_argument("--stop", action="append", default=[], help="stop string (repeatable)")
    p.add_argument("--stop-at-answer-line", action=argparse.BooleanOptionalAction, default=True,
                   help="end a response once its '### Answer:' line is complete (default: yes)")
    p.add_argument("--followups", action=argparse.BooleanOptionalAction, default=True,
                   help="ask the follow-ups of correctly answered originals (default: yes)")
    p.add_argument("--draft-tokens", type=int, default=DRAFT_TOKENS, metavar="K",
                   help="HF backend: guess up to K tokens per step from the prompt and answer so far and keep those "
                        f"the model confirms (same output, fewer steps when answers copy; default {DRAFT_TOKENS}); "
                        "0 turns it off")
    return p


def _identity(args: argparse.Namespace, template: str | None, spec: ProblemSet | None = None) -> dict[str, Any]:
    """The arguments that decide the results; a resumed run must match them."""
    return {
        "problems": None if spec is None else asdict(spec), "fewshot_k": args.fewshot_k,
        "model": args.model, "revision": args.revision, "base_model": args.base_model,
        "data": str(Path(args.data).resolve()) if args.data else None,
        "data_sha256": hashlib.sha256(Path(args.data).read_bytes()).hexdigest() if args.data else None,
        "generate": args.generate,
        "limit": args.limit, "prompt": None if template is not None else args.prompt, "prompt_template": template,
        "stops": args.stop, "max_new_tokens": args.max_new_tokens, "followups": args.followups,
        "stop_at_answer_line": args.stop_at_answer_line,
        "backend": args.backend, "dtype": args.dtype,
    }


def _check_run(out: Path, identity: dict[str, Any]) -> None:
    """Refuse an `--out` that holds a run made with other arguments.

    A `run.json` that cannot be read (an empty file left by a full disk) is written anew when no responses were
    kept beside it, and refused, naming the file, when some were: then nothing says which arguments made them.
    """
    path = out / RUN
    if not path.exists():
        return
    try:
        before = read_json(path)
    except RecordFileError as err:
        if not (out / RESPONSES).exists() or not (out / RESPONSES).read_bytes().strip():
            return
        raise RunMismatch(f"{err}; it should hold the arguments of the responses in {out / RESPONSES}: "
                          f"delete {out} (or just {path} to start the run over) or use another --out") from None
    keys = (identity.keys() | before.keys()) - {"chosen"}  # what the protocol chose follows from the rest
    diff = sorted(k for k in keys if before.get(k) != identity.get(k))
    if diff:
        changes = ", ".join(f"{k}: {before.get(k)!r} -> {identity.get(k)!r}" for k in diff)
        raise RunMismatch(f"{out} holds a run with other arguments ({changes}); use another --out")


def read_done(path: Path) -> dict[str, Record]:
    """Records already written; a last line torn by a kill is cut from the file (`mathcamps.io.read_rows`)."""
    if not path.exists():
        return {}
    return {record.id: record for record in map(Record.from_json, read_jsonl(path, repair=True, empty_ok=True))}


class _RateColumn(ProgressColumn):
    """Problems per second since the start (rich's own speed looks only at the last few updates)."""

    def render(self, task: Task) -> Text:
        rate = task.completed / task.elapsed if task.elapsed else 0.0
        return Text(f"{rate:.2f} problems/s", style="cyan")


def print_table(console: Console, summary: dict[str, Any], title: str) -> None:
    table = Table(title=title)
    for column in ("standard", "n", "accuracy", "95% CI", "unextractable", "all follow-ups right"):
        table.add_column(column, justify="left" if column == "standard" else "right")

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.0%}"

    for s, a in summary["by_standard"].items():
        lo, hi = a["ci95"]
        table.add_row(s, str(a["n"]), pct(a["acc"]), f"{lo:.0%}-{hi:.0%}", pct(a["unextractable_rate"]),
                      pct(a["all_followups_right"]["acc"]))
    o = summary["overall"]
    table.add_row("overall", str(o["n"]), pct(o["acc"]), f"{o['ci95'][0]:.0%}-{o['ci95'][1]:.0%}",
                  pct(summary["unextractable_rate"]), pct((summary["followups"] or {}).get("all_followups_right",
                                                                                          {}).get("acc")),
                  style="bold")
    console.print(table)
    if summary["followups"]:
        for kind, f in summary["followups"]["by_kind"].items():
            g = f["given_original_right"]
            console.print(f"{kind}: {pct(g['acc'])} right of {g['n']} asked (original right); "
                          f"{pct(f['joint']['acc'])} of all {f['joint']['n']}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=True)
    try:
        if args.batch_size < 1 or args.max_new_tokens < 1:
            raise ValueError(f"--batch-size and --max-new-tokens must be >= 1, got {args.batch_size} and "
                             f"{args.max_new_tokens}")
        if args.draft_tokens < 0:
            raise ValueError(f"--draft-tokens must be >= 0, got {args.draft_tokens}")
        template = load_template(args.prompt_template) if args.prompt_template else None
        spec = parse_problem_set(args.problems) if args.problems else None
        if spec is not None:
            problems = spec.load()
        elif args.data:
            problems = read_problems(args.data)
        else:
            problems = generate_set(*parse_generate(args.generate))
        problems = select(problems, args.limit, args.followups)
        out = Path(args.out)
        identity = _identity(args, template, spec)
        _check_run(out, identity)
        protocol = Protocol(args.prompt_template or args.prompt, args.fewshot_k, args.max_new_tokens,
                            args.stop_at_answer_line)
        settings = GenerationSettings(args.max_new_tokens, tuple(args.stop), args.stop_at_answer_line)
        if args.backend == "vllm":
            from probes.checkpoints import kind_of

            if kind_of(Path(args.model)) not in (None, "hf"):
                raise ValueError(f"--backend vllm loads HF model directories and hub ids; {args.model} is a "
                                 f"{kind_of(Path(args.model))} checkpoint: use --backend hf")
            from probes.backends.vllm import VLLMBackend

            backend = VLLMBackend(args.model, settings, args.revision, args.dtype, args.batch_size)
            tokenizer = backend.llm.get_tokenizer()
        else:
            from probes.backends.hf import load_hf_backend

            backend = load_hf_backend(args.model, settings, args.revision, args.batch_size, args.dtype, args.device,
                                      args.draft_tokens, args.base_model)
            tokenizer = backend.tokenizer
        prompter = protocol.prompter(tokenizer, problems)
        backend.settings = protocol.settings(prompter, tuple(args.stop))
        identity["chosen"] = protocol.describe(tokenizer)
        console.print(f"prompt {args.prompt_template or args.prompt!r} -> {identity['chosen']['chosen']}")
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / RUN, json.dumps(identity, indent=2) + "\n")
    except (ValueError, RuntimeError, OSError) as err:  # ModelNotFound, ProblemFileError, PromptError, ...
        print(f"error: {one_line(str(err))}", file=sys.stderr)
        return 2

    responses = out / RESPONSES
    done = read_done(responses)
    todo = sum(p.id not in done for p in problems)
    start = time.perf_counter()
    columns = [TextColumn("[bold]evaluating"), BarColumn(), MofNCompleteColumn(), _RateColumn(), TimeElapsedColumn()]
    with responses.open("a", encoding="utf-8") as sink, Progress(*columns, console=console) as progress:
        task = progress.add_task("evaluate", total=todo)

        def write(record: Record) -> None:
            sink.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
            sink.flush()  # a killed run loses at most the row being written
            progress.advance(task)

        records = run(backend, prompter, problems, done, write)
    elapsed = time.perf_counter() - start

    summary = {"run": identity, **metrics.summary(records)}
    write_atomic(out / SUMMARY, json.dumps(summary, indent=2) + "\n")
    print_table(Console(), summary, f"MathCAMPS: {args.model}")
    console.print(f"{todo} new of {len(records)} records in {elapsed:.1f}s; wrote {out / RESPONSES}, {out / SUMMARY}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    run_cli(main)

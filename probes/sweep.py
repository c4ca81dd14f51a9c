"""Evaluate a series of checkpoints on one fixed problem set, caching every (checkpoint, problem) result.

    python -m probes.sweep --config configs/sweeps/scratch.yaml
    python -m probes.sweep --config configs/sweeps/pythia-160m.yaml --eval.device cuda
    python -m probes.analyze runs/sweeps/pythia-160m && python -m probes.report runs/sweeps/pythia-160m

Checkpoints come from hub revisions, a glob of local exports (HF, merged or LoRA adapter) or `.ckpt` files, or a
training run's Lightning checkpoints, full or LoRA (`probes.checkpoints`), each at the step it records itself.
A checkpoint that cannot be read is reported by its path and skipped; the sweep evaluates all the others, then
fails (`SkippedCheckpoints`) listing the skipped ones.
The problems (`problems:`, a `probes.problemset.ProblemSet`) and the protocol (`eval.prompt`, `eval.fewshot_k`,
`eval.max_new_tokens`, a `probes.protocol.Protocol`) are read as the probe callback reads them, and answered
through the same code, so a sweep of a run's checkpoints with the run's probe settings repeats its records.
The sweep directory holds `sweep.json` (settings and checkpoints), `problems.jsonl` (the fixed problem set) and
`results/<checkpoint>.jsonl`, appended and flushed after every record: a rerun, an interrupted run or an extended
sweep evaluates only the (checkpoint, problem) pairs it has no result for. `--shard i/N` (0 <= i < N) evaluates
a deterministic share of the (checkpoint, problem group) pairs into `results/<checkpoint>.shard-i-of-N.jsonl`,
so N jobs (a SLURM array) fill the cache side by side; a run without `--shard` then merges them, evaluating
only what no shard did. Each finished checkpoint is logged to
W&B against `checkpoint/step`, so checkpoints may finish in any order.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from jsonargparse import ArgumentParser, set_parsing_settings
from rich.console import Console

from mathcamps.io import write_atomic
from mathcamps.problem import Problem
from probes import protocol as protocols
from probes.checkpoints import (
    Checkpoint,
    HubRevisions,
    LocalGlob,
    RunCheckpoints,
    UnreadableCheckpoint,
    load_checkpoint,
    resolve,
)
from probes.engine import Record
from probes.problemset import ProblemSet
from probes.protocol import Protocol
from probes.sweep_cache import in_shard, merge_shards, parse_shard, problem_hash, read_cache, row_of


@dataclass
class EvalSettings:
    """How every checkpoint answers: greedy decoding with a `probes.protocol.Protocol`, as the probe callback."""

    prompt: str = "auto"
    """"auto" (paper with the model's own chat template, else fewshot), "paper", "fewshot", "chat", "plain" or a
    template file."""
    fewshot_k: int = 3
    """Worked examples per prompt with fewshot, none of them a problem of the set."""
    max_new_tokens: int = 512
    """Generation budget per answer; part of the results' identity (changing it needs a new out_dir)."""
    stop_at_answer_line: bool = True
    """End a response once its `### Answer:` line is complete."""
    batch_size: int = 32
    """Prompts generated together."""
    device: str = "cpu"
    """Torch device of the model, e.g. cuda."""

    @property
    def protocol(self) -> Protocol:
        return Protocol(self.prompt, self.fewshot_k, self.max_new_tokens, self.stop_at_answer_line)


@dataclass
class WandbSettings:
    """Where each finished checkpoint is logged, against the custom x-axis `checkpoint/step`."""

    project: str = "mathcamps"
    name: str | None = None
    """Run name (default: the sweep's name)."""
    mode: Literal["online", "offline", "disabled"] = "offline"
    dir: str | None = None
    """Where W&B writes its files (default: the sweep directory)."""


@dataclass
class SweepConfig:
    """A checkpoint sweep: which checkpoints, which problems, how to evaluate, where to write."""

    out_dir: Path
    """Sweep directory: sweep.json, problems.jsonl and results/<checkpoint>.jsonl (the cache)."""
    problems: ProblemSet
    hub: list[HubRevisions] = field(default_factory=list)
    """Hub models and their revisions."""
    local: list[LocalGlob] = field(default_factory=list)
    """Globs of local exports (HF, merged or adapter) or `.ckpt` files."""
    runs: list[RunCheckpoints] = field(default_factory=list)
    """`trainers.fit` runs whose Lightning checkpoints to evaluate."""
    eval: EvalSettings = field(default_factory=EvalSettings)
    wandb: WandbSettings | None = None
    """W&B logging; null for none."""
    name: str | None = None
    """Name of the sweep (default: out_dir's name)."""
    shard: str | None = None
    """"i/N": evaluate only share i (0 <= i < N) of the (checkpoint, problem) pairs; None for all (and merge)."""

    def __post_init__(self) -> None:
        errors = []
        if not (self.hub or self.local or self.runs):
            errors.append("no checkpoints: set at least one of hub, local or runs")
        if self.shard is not None:
            try:
                parse_shard(self.shard)
            except ValueError as error:
                errors.append(str(error))
        try:
            self.eval.protocol  # noqa: B018 - checks prompt and fewshot_k
        except ValueError as error:
            errors.append(f"eval: {error}")
        for key in ("max_new_tokens", "batch_size"):
            if getattr(self.eval, key) < 1:
                errors.append(f"eval.{key} must be >= 1, got {getattr(self.eval, key)}")
        for i, h in enumerate(self.hub):
            if not (h.revisions or h.steps):
                errors.append(f"hub[{i}] ({h.repo}) lists no revisions and no steps")
            if h.steps and (h.steps.every < 1 or h.steps.stop < h.steps.start):
                errors.append(f"hub[{i}].steps must have every >= 1 and stop >= start, got {asdict(h.steps)}")
        if errors:
            raise ValueError("invalid sweep config:\n  " + "\n  ".join(errors))


# -- the problem set -----------------------------------------------------------------------------------------


def sweep_problems(spec: ProblemSet) -> list[Problem]:
    """The problem set, with follow-ups where `spec` asks for them: `spec.load()`, as the probe callback loads it,
    so a sweep with a run's probe settings evaluates exactly the problems that run held out of training."""
    return spec.load()


# -- the checkpoints -----------------------------------------------------------------------------------------


def resolve_checkpoints(cfg: SweepConfig, skipped: list[UnreadableCheckpoint] | None = None) -> list[Checkpoint]:
    """Every checkpoint the config names (`probes.checkpoints.resolve`); unreadable ones go to `skipped`."""
    return resolve(cfg.hub, cfg.local, cfg.runs, skipped)


# -- the cache -----------------------------------------------------------------------------------------------


def _prepare_out_dir(cfg: SweepConfig, problems: list[Problem], checkpoints: list[Checkpoint]) -> Path:
    out = cfg.out_dir
    (out / "results").mkdir(parents=True, exist_ok=True)
    settings = asdict(cfg.eval.protocol)
    manifest_path = out / "sweep.json"
    known: list[dict[str, Any]] = []
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        for key, value in settings.items():
            if manifest["eval"].get(key) != value:
                raise ValueError(f"{manifest_path} was made with eval.{key}={manifest['eval'].get(key)!r}, the config "
                                 f"says {value!r}; results would mix settings: use a new out_dir")
        known = manifest["checkpoints"]
    listed = {c["key"] for c in known}
    known += [{"key": c.key, **asdict(c)} for c in checkpoints if c.key not in listed]
    manifest = {"name": cfg.name or out.name, "eval": settings, "problems": asdict(cfg.problems), "checkpoints": known}
    # Written whole or not at all: a sweep killed here (or a full disk) leaves the previous manifest readable.
    write_atomic(manifest_path, json.dumps(manifest, indent=2))
    write_atomic(out / "problems.jsonl", "".join(json.dumps({**p.to_json(), "hash": problem_hash(p)}) + "\n"
                                                 for p in problems))
    return out


class _Wandb:
    """Logs each finished checkpoint against `checkpoint/step`; a W&B failure is reported, never fatal."""

    def __init__(self, settings: WandbSettings, cfg: SweepConfig, console: Console) -> None:
        self.console, self.run = console, None
        try:
            import wandb

            self.run = wandb.init(project=settings.project, name=settings.name or cfg.name or cfg.out_dir.name,
                                  mode=settings.mode, dir=settings.dir or str(cfg.out_dir), job_type="sweep",
                                  config=json.loads(json.dumps(asdict(cfg), default=str)))
            self.run.define_metric("checkpoint/step")
            self.run.define_metric("*", step_metric="checkpoint/step")
        except Exception as err:  # noqa: BLE001 - W&B must never stop a sweep
            console.print(f"[yellow]W&B disabled: {type(err).__name__}: {err}[/yellow]")

    def log(self, ckpt: Checkpoint, rows: list[dict[str, Any]]) -> None:
        if self.run is None:
            return
        rows = [r for r in rows if not r.get("turn")]  # accuracy over originals, as the probe's
        acc: dict[str, list[int]] = {}
        for r in rows:
            acc.setdefault(r["standard"], []).append(int(r["correct"]))
        metrics: dict[str, Any] = {"checkpoint/step": ckpt.step, **{f"mathcamps/acc/{s}": sum(v) / len(v)
                                                                    for s, v in acc.items()}}
        metrics["mathcamps/acc"] = sum(int(r["correct"]) for r in rows) / len(rows)
        metrics["mathcamps/unextractable"] = sum(r.get("extracted") is None for r in rows) / len(rows)
        metrics |= {f"mathcamps/format/{s}": sum(r.get("extracted") is not None for r in rows if r["standard"] == s)
                    / len(v) for s, v in acc.items()}
        if ckpt.tokens is not None:
            metrics["checkpoint/tokens"] = ckpt.tokens
        try:
            self.run.log(metrics)
        except Exception as err:  # noqa: BLE001
            self.console.print(f"[yellow]W&B log failed: {err}[/yellow]")

    def finish(self) -> None:
        if self.run is not None:
            self.run.finish()


class SkippedCheckpoints(ValueError):
    """Checkpoints a sweep could not read, and so did not evaluate (it evaluated all the others)."""

    def __init__(self, skipped: list[UnreadableCheckpoint]) -> None:
        super().__init__(f"{len(skipped)} checkpoint(s) could not be read and were skipped: "
                         + "; ".join(str(s) for s in skipped))
        self.skipped = skipped


def run_sweep(cfg: SweepConfig, console: Console | None = None) -> Path:
    """Evaluate every checkpoint on the problem set, skipping cached (checkpoint, problem) pairs; returns out_dir.

    Raises `SkippedCheckpoints` at the end when some checkpoints could not be read (each is reported as met).
    """
    console = console or Console()
    problems = sweep_problems(cfg.problems)
    skipped: list[UnreadableCheckpoint] = []
    checkpoints = resolve_checkpoints(cfg, skipped)
    for error in skipped:
        console.print(f"[yellow]skipped {error}[/yellow]")
    out = _prepare_out_dir(cfg, problems, checkpoints)
    shard = parse_shard(cfg.shard) if cfg.shard else None
    logger = _Wandb(cfg.wandb, cfg, console) if cfg.wandb and shard is None else None
    protocol = cfg.eval.protocol
    console.print(f"sweep {out}: {len(checkpoints)} checkpoints x {len(problems)} problems "
                  f"({cfg.problems.describe()}; prompt {protocol.prompt})" + (f", shard {cfg.shard}" if shard else ""))
    try:
        for ckpt in checkpoints:
            done = read_cache(out, ckpt, problems)
            mine = [p for p in problems if shard is None or in_shard(ckpt.key, p.followup_to or p.id, shard)]
            todo = [p for p in mine if p.id not in done]
            if todo:
                try:
                    model, tokenizer = load_checkpoint(ckpt, cfg.eval.device)
                except UnreadableCheckpoint as error:
                    skipped.append(error)
                    console.print(f"[yellow]  {ckpt.name}: skipped {error}[/yellow]")
                    continue
                name = f"{ckpt.key}.shard-{shard[0]}-of-{shard[1]}.jsonl" if shard else f"{ckpt.key}.jsonl"
                by_id = {p.id: p for p in problems}
                with open(out / "results" / name, "a") as f:

                    def write(record: Record) -> None:
                        f.write(json.dumps(row_of(ckpt, by_id[record.id], record)) + "\n")
                        f.flush()
                        os.fsync(f.fileno())

                    # The prompter sees the whole set, so a shard is asked exactly as the whole would be.
                    prompter = protocol.prompter(tokenizer, problems)
                    console.print(f"  {ckpt.name}: prompt {protocol.choose(tokenizer)}")
                    # No grad context here: the HF backend generates under `torch.inference_mode` itself.
                    records = protocols.answer(model, tokenizer, mine, protocol, cfg.eval.batch_size, prompter,
                                               done, write)
                    done |= {r.id: r for r in records}
                del model
            if shard is not None:
                console.print(f"  {ckpt.name} (step {ckpt.step}): shard {cfg.shard}, {len(todo)} evaluated")
                continue
            merge_shards(out, ckpt, problems, done)
            rows = [{**done[p.id].to_json()} for p in problems]
            first = [r for r in rows if not r["turn"]]
            acc = sum(int(r["correct"]) for r in first) / len(first)
            console.print(f"  {ckpt.name} (step {ckpt.step}): {acc:.1%} "
                          f"({'cached' if not todo else f'{len(todo)} evaluated'})")
            if logger:
                logger.log(ckpt, rows)
    finally:
        if logger:
            logger.finish()
    if skipped:
        raise SkippedCheckpoints(skipped)
    return out


def parse_config(args: list[str] | None = None) -> SweepConfig:
    """The sweep config from `--config FILE` and/or flags; a wrong key or type fails while parsing, naming it."""
    set_parsing_settings(docstring_parse_attribute_docstrings=True)  # field docstrings become --help text
    parser = ArgumentParser(description="Evaluate a series of checkpoints on one fixed problem set.")
    parser.add_argument("--config", action="config", help="sweep YAML file")
    parser.add_class_arguments(SweepConfig)
    parsed = parser.instantiate(parser.parse_args(args))
    return SweepConfig(**{k: v for k, v in vars(parsed).items() if k != "config"})


def main(args: list[str] | None = None) -> Path:
    return run_sweep(parse_config(args))


if __name__ == "__main__":
    from mathcamps.cli import run_cli

    run_cli(main)

"""The MathCAMPS probe: which standards a run gains and loses, at the start, at every checkpoint and at the end.

Configured under `trainer.callbacks` in YAML, with a problem set (`probes.problemset`) and a protocol
(`probes.protocol`) that `probes.evaluate` and `probes.sweep` read the same way:

    - class_path: probes.callback.MathCampsProbe
      init_args:
        problems: {source: published, path: data/mathcamps-v1, standards: [K.OA.A.5, 3.OA.A.3], per_standard: 20}
        prompt: auto             # paper with the model's own chat template, else fewshot

(`standards`, `per_standard`, `seed` and `style` alone still give a generated set.) Each probe greedily answers
a fixed held-out problem set (and, for the originals it gets right, their follow-ups) with the model already
in memory, logs `mathcamps/acc/<standard>` (the grader's headline, flexible, verdict), `mathcamps/strict/<standard>`
(the marked answer alone), `mathcamps/format/<standard>` (the share of responses that marked their answer),
`mathcamps/delta/<standard>`, `mathcamps/p/<standard>`, `mathcamps/followup/...` through every
Lightning logger, and appends its records and results to
`<log_dir>/mathcamps/` whether or not any logger works. Under DDP or FSDP each rank answers a shard and
rank 0 gathers and logs (under FSDP with the parameters gathered on every rank for the probe's duration).
At the end it prints a per-standard table and writes `mathcamps/summary.json`.
"""

from __future__ import annotations

import contextlib
import json
import time
import warnings
from functools import cached_property
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.strategies import FSDPStrategy
from lightning.pytorch.utilities import rank_zero_info
from rich.console import Console
from rich.table import Table

from mathcamps.io import write_atomic
from mathcamps.problem import Problem, grade_order
from mathcamps.render.templates import Style
from probes import probe_wandb
from probes.engine import Record
from probes.probe_results import ProbeResult, measure, scalars
from probes.problemset import ProblemSet
from probes.protocol import Protocol, answer
from probes.stats import check_alpha
from trainers.hf import eval_mode


class MathCampsProbe(L.Callback):
    """Measures per-standard accuracy and follow-up robustness on held-out MathCAMPS problems as training goes."""

    def __init__(
        self,
        standards: list[str] | None = None,
        per_standard: int = 20,
        seed: int = 1_000_003,
        style: Style = "story",
        followups: bool = True,
        problems: ProblemSet | None = None,
        prompt: str = "auto",
        fewshot_k: int = 3,
        max_new_tokens: int = 512,
        batch_size: int = 64,
        every_n_steps: int | None = None,
        on_checkpoint: bool = True,
        time_budget_s: float | None = None,
        alpha: float = 0.05,
        fdr: bool = True,
        learned_threshold: float = 0.5,
        sample_responses: int = 12,
    ) -> None:
        """
        Args:
            standards: standard ids of a generated probe set (or set `problems` instead).
            per_standard: with `standards`: held-out originals per standard (each with its follow-ups).
            seed: with `standards`: seed of the generated probe set.
            style: with `standards`: "story" for word problems where a standard has them, "exercise" for bare
                arithmetic.
            followups: with `standards`: also ask the follow-ups of correctly answered originals.
            problems: the probe set (`probes.problemset.ProblemSet`): generated, published or a problem file.
                Training never sees these problems' ids, statements or symbolic structures.
            prompt: "auto" (paper when the tokenizer has its own chat template, else fewshot), "paper",
                "fewshot", "chat", "plain", or a template file holding `{statement}`.
            fewshot_k: worked examples per prompt with fewshot, none of them a probe problem.
            max_new_tokens: generation budget per answer (step-by-step answers need hundreds).
            batch_size: prompts generated together.
            every_n_steps: also probe every N optimiser steps (None: only at checkpoints and the ends).
            on_checkpoint: probe whenever a checkpoint is saved.
            time_budget_s: stop a probe's generation after this many seconds, scoring what was answered (the
                guard on a large max_new_tokens).
            alpha: significance level of the paired test that flags gains and regressions.
            fdr: flag by Benjamini-Hochberg adjusted p-values across the standards (one probe tests many).
            learned_threshold: a standard counts as learned from the first probe at or above this accuracy.
            sample_responses: responses per probe shown in the W&B samples table.
        """
        checks = {"per_standard": per_standard, "batch_size": batch_size}
        if every_n_steps is not None:
            checks["every_n_steps"] = every_n_steps
        for name, value in checks.items():
            if value < 1:
                raise ValueError(f"MathCampsProbe.{name} must be >= 1, got {value}")
        if problems is not None and standards is not None:
            raise ValueError(f"set MathCampsProbe.problems or MathCampsProbe.standards, not both; got standards "
                             f"{standards} and problems {problems}")
        if problems is None:
            if not standards:
                raise ValueError(f"MathCampsProbe.standards must name at least one standard (or set problems), "
                                 f"got {standards}")
            problems = ProblemSet("generated", standards=list(standards), per_standard=per_standard, seed=seed,
                                  style=style, followups=followups)
        if time_budget_s is not None and time_budget_s <= 0:
            raise ValueError(f"MathCampsProbe.time_budget_s must be > 0, got {time_budget_s}")
        check_alpha(alpha, "MathCampsProbe.alpha")
        if not 0 < learned_threshold <= 1:
            raise ValueError(f"MathCampsProbe.learned_threshold must be in (0, 1], got {learned_threshold}")
        try:
            self.protocol = Protocol(prompt, fewshot_k, max_new_tokens)
        except ValueError as error:
            raise ValueError(f"MathCampsProbe: {error}") from None
        self.problem_set, self.batch_size, self.fdr = problems, batch_size, fdr
        self.every_n_steps, self.on_checkpoint, self.time_budget_s = every_n_steps, on_checkpoint, time_budget_s
        self.alpha, self.learned_threshold, self.sample_responses = alpha, learned_threshold, sample_responses
        self.history: list[ProbeResult] = []
        self.baseline: list[Record] | None = None
        self.chosen: dict[str, Any] | None = None
        """The protocol as resolved for the model's tokenizer (`Protocol.describe`), from the first probe on."""
        self.fit_started = 0.0
        self._run_dir: Path | None = None
        self._wandb_tables: dict[str, Any] = {}

    @cached_property
    def problems(self) -> list[Problem]:
        """The probe set: originals with their follow-ups, as `problem_set` gives them."""
        return self.problem_set.load()

    @property
    def standards(self) -> list[str]:
        return grade_order(p.standard for p in self.problems)

    def held_out_problems(self) -> list[Problem]:
        """What training must never see (`trainers.holdout.HoldsOut`): the whole probe set."""
        return self.problems

    # -- when to probe -------------------------------------------------------------------------------------

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.fit_started = time.perf_counter()
        self.run_dir(trainer)
        if not self.history:
            self.probe(trainer, pl_module)
            if trainer.is_global_zero:
                self._save_problems(trainer)

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        if self.every_n_steps and trainer.global_step % self.every_n_steps == 0:
            self.probe(trainer, pl_module)

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        if self.on_checkpoint:
            self.probe(trainer, pl_module)
        # Lightning gathered callback states before this hook; store the history including this probe.
        checkpoint.setdefault("callbacks", {})[self.state_key] = self.state_dict()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.probe(trainer, pl_module)
        if trainer.is_global_zero:
            self._report(trainer)

    def state_dict(self) -> dict[str, Any]:
        baseline = [r.to_json() for r in self.baseline] if self.baseline else None
        return {"history": [h.to_json() for h in self.history], "baseline": baseline}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = [ProbeResult(**h) for h in state_dict["history"]]
        rows = state_dict.get("baseline")
        self.baseline = [Record.from_json(r) for r in rows] if rows else None

    # -- one probe -----------------------------------------------------------------------------------------

    def probe(self, trainer: L.Trainer, pl_module: L.LightningModule) -> ProbeResult | None:
        """Probe the model at the current step (once per step), log it, and return the result on rank 0."""
        step = trainer.global_step
        if self.history and self.history[-1].step == step:
            return None
        started = time.perf_counter()
        self._announce(trainer, trainer.datamodule.tokenizer)
        records = self._gather(trainer, self._answer_shard(trainer, pl_module))
        result = measure(step, records, self.baseline, self.history[-1] if self.history else None, self.alpha,
                         seconds=time.perf_counter() - started, fdr=self.fdr)
        if self.baseline is None:
            self.baseline = records
        self.history.append(result)
        if trainer.is_global_zero:
            self._save(trainer, result, records)
            for logger in trainer.loggers:
                try:
                    logger.log_metrics(scalars(result), step=step)
                except Exception as error:  # noqa: BLE001 - a logger failing must never stop training
                    warnings.warn(f"MathCampsProbe: {type(logger).__name__} failed and was skipped: {error}",
                                  stacklevel=1)
            probe_wandb.log_probe(trainer, self, result, records)
        return result

    def _answer_shard(self, trainer: L.Trainer, pl_module: L.LightningModule) -> list[Record]:
        """This rank's share of the probe set, answered by the model in memory (no reload, no weight copy)."""
        originals = [p for p in self.problems if not p.is_followup]
        rank, world = trainer.global_rank, trainer.world_size
        mine = {p.id for p in originals[rank::world]}
        shard = [p for p in self.problems if p.id in mine or p.followup_to in mine]
        model, tokenizer = pl_module.model, trainer.datamodule.tokenizer
        prompter = self.protocol.prompter(tokenizer, self.problems)  # the whole set: every shard asked alike
        records: list[Record] = []
        deadline = None if self.time_budget_s is None else time.perf_counter() + self.time_budget_s
        with _full_parameters(trainer), eval_mode(model):
            # Chunks of whole groups (an original and its follow-ups), so a time budget cuts between groups.
            step = self.batch_size
            for start in range(0, len(originals), step):
                if deadline is not None and time.perf_counter() > deadline:
                    warnings.warn(f"MathCampsProbe: time_budget_s={self.time_budget_s} reached; scored "
                                  f"{sum(not r.is_followup for r in records)} of {len(mine)} originals", stacklevel=1)
                    break
                ids = {p.id for p in originals[start : start + step]} & mine
                chunk = [p for p in shard if p.id in ids or p.followup_to in ids]
                if chunk:
                    records += answer(model, tokenizer, chunk, self.protocol, self.batch_size, prompter)
        return records

    def _announce(self, trainer: L.Trainer, tokenizer: Any) -> None:
        """Say once which protocol was chosen, in the log, the loggers' hyperparameters and `protocol.json`."""
        if self.chosen is not None:
            return
        self.chosen = {**self.protocol.describe(tokenizer), "problems": self.problem_set.describe()}
        if not trainer.is_global_zero:
            return
        rank_zero_info(f"MathCampsProbe: prompt {self.chosen['prompt']!r} -> {self.chosen['chosen']} "
                       f"({'own chat template' if self.chosen['own_chat_template'] else 'no chat template of its own'}"
                       f"); problems: {self.chosen['problems']}")
        write_atomic(self.run_dir(trainer) / "protocol.json", json.dumps(self.chosen, indent=2))
        for logger in trainer.loggers:
            try:
                logger.log_hyperparams({f"mathcamps/protocol/{k}": v for k, v in self.chosen.items()})
            except Exception as error:  # noqa: BLE001 - a logger failing must never stop training
                warnings.warn(f"MathCampsProbe: {type(logger).__name__} failed and was skipped: {error}",
                              stacklevel=1)

    def _gather(self, trainer: L.Trainer, records: list[Record]) -> list[Record]:
        """All ranks' records, in probe-set order, on every rank."""
        if trainer.world_size > 1 and torch.distributed.is_initialized():
            shards: list[list[Record] | None] = [None] * trainer.world_size
            torch.distributed.all_gather_object(shards, records)
            records = [r for shard in shards for r in shard or []]
        order = {p.id: i for i, p in enumerate(self.problems)}
        return sorted(records, key=lambda r: order[r.id])

    # -- files: nothing lost whatever the loggers do ---------------------------------------------------------

    def run_dir(self, trainer: L.Trainer) -> Path:
        # `trainer.log_dir` is a collective under DDP, so every rank resolves it once, at the start.
        if self._run_dir is None:
            self._run_dir = Path(trainer.log_dir or trainer.default_root_dir) / "mathcamps"
            if trainer.is_global_zero:
                self._run_dir.mkdir(parents=True, exist_ok=True)
        return self._run_dir

    def _save_problems(self, trainer: L.Trainer) -> None:
        write_atomic(self.run_dir(trainer) / "problems.jsonl", "".join(json.dumps(p.to_json()) + "\n"
                                                                       for p in self.problems))

    def _save(self, trainer: L.Trainer, result: ProbeResult, records: list[Record]) -> None:
        out = self.run_dir(trainer)
        with open(out / "responses.jsonl", "a") as f:
            for r in records:
                f.write(json.dumps({"step": result.step, **r.to_json()}) + "\n")
        with open(out / "probes.jsonl", "a") as f:
            f.write(json.dumps(result.to_json()) + "\n")

    # -- the end-of-training table -------------------------------------------------------------------------

    def summary(self) -> list[dict[str, Any]]:
        """Per standard: accuracy at start and end, the change and its p-value, and when it was first learned."""
        start, end = self.history[0], self.history[-1]
        rows = []
        for s in grade_order(self.standards):
            learned = next((h.step for h in self.history if h.acc.get(s, 0.0) >= self.learned_threshold), None)
            rows.append({"standard": s, "start": start.acc[s], "end": end.acc[s], "change": end.delta[s],
                         "p_value": end.p_values.get(s), "q_value": end.q_values.get(s), "mde": end.mde.get(s),
                         "format_start": start.format.get(s), "format_end": end.format.get(s),
                         "learned_at_step": learned,
                         "significant": "gain" if s in end.gains else "regression" if s in end.regressions else None})
        return rows

    def _report(self, trainer: L.Trainer) -> None:
        rows = self.summary()
        end = self.history[-1]
        probe_seconds = sum(h.seconds for h in self.history)
        wall = time.perf_counter() - self.fit_started if self.fit_started else None
        report = {"threshold": self.learned_threshold, "alpha": self.alpha, "fdr": self.fdr,
                  "protocol": self.chosen, "standards": rows,
                  "gains": end.gains, "regressions": end.regressions, "followups": end.followups,
                  "probe_seconds": probe_seconds, "fit_seconds": wall}
        path = self.run_dir(trainer) / "summary.json"
        write_atomic(path, json.dumps(report, indent=2))
        probe_wandb.log_summary(trainer, report)

        table = Table(title=f"MathCAMPS probe: {sum(not p.is_followup for p in self.problems)} held-out problems, "
                            f"{len(self.history)} probes")
        for column in ("standard", "start", "end", "change", "p", "min. detectable", "format",
                       f"reached {self.learned_threshold:.0%} at step"):
            table.add_column(column, justify="left" if column == "standard" else "right")
        for r in rows:
            learned = "never" if r["learned_at_step"] is None else str(r["learned_at_step"])
            p = "" if r["p_value"] is None else f"{r['p_value']:.3f}"
            mde = "" if r["p_value"] is None else "none" if r["mde"] is None else f"{r['mde']:.0%}"
            fmt = "" if r["format_end"] is None else f"{r['format_start']:.0%}->{r['format_end']:.0%}"
            table.add_row(r["standard"], f"{r['start']:.0%}", f"{r['end']:.0%}", f"{r['change']:+.0%}", p, mde, fmt,
                          learned)
        console = Console()
        console.print(table)
        if wall:
            console.print(f"probing took {probe_seconds:.0f} s of {wall:.0f} s training ({probe_seconds / wall:.0%})")
        console.print(f"protocol: {(self.chosen or {}).get('chosen')}; flags at alpha {self.alpha}"
                      f"{', Benjamini-Hochberg across standards' if self.fdr else ''}; significant gains: "
                      f"{', '.join(end.gains) or 'none'}; "
                      f"regressions: {', '.join(end.regressions) or 'none'}")
        console.print(f"wrote {path}")


def _full_parameters(trainer: L.Trainer) -> contextlib.AbstractContextManager:
    """Under FSDP, every rank's parameters whole for the probe's duration (each rank holds only a shard of them
    between steps, which the model's own forward could not use); elsewhere, nothing to do.

    Once gathered, each rank generates on its own, so ranks can answer different shards of the probe set. This
    costs a full copy of the parameters per rank while probing. Not yet run on GPUs (FSDP needs them).
    """
    if not isinstance(trainer.strategy, FSDPStrategy):
        return contextlib.nullcontext()
    from torch.distributed.fsdp import FullyShardedDataParallel

    return FullyShardedDataParallel.summon_full_params(trainer.strategy.model, writeback=False)

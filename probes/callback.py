"""The MathCAMPS probe: per-standard accuracy at the start of training, at every checkpoint and at the end.

Configured under `trainer.callbacks` in YAML. Each probe greedily answers a fixed held-out problem set,
logs `mathcamps/acc/<standard>` and `mathcamps/delta/<standard>` (change since the baseline) through
every Lightning logger, and appends its records to `<log_dir>/mathcamps/` so nothing is lost if a
logger fails. At the end it prints a per-standard table and writes it as `mathcamps/summary.json`.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.utilities import rank_zero_only
from rich.console import Console
from rich.table import Table

from mathcamps.generate import generate_problems
from mathcamps.lang import structure_key
from mathcamps.problem import GRADES, Problem
from mathcamps.templates import Style
from probes.engine import Record, accuracy_by_standard, evaluate


class MathCampsProbe(L.Callback):
    """Measures per-standard accuracy on held-out MathCAMPS problems as training goes."""

    def __init__(
        self,
        standards: list[str],
        per_standard: int = 20,
        seed: int = 1_000_003,
        style: Style = "story",
        max_new_tokens: int = 48,
        batch_size: int = 64,
        learned_threshold: float = 0.5,
    ) -> None:
        """
        Args:
            standards: standard ids to probe.
            per_standard: held-out problems per standard.
            seed: seed of the probe set; training never sees these problems' structures.
            max_new_tokens: generation budget per answer.
            batch_size: prompts generated together.
            learned_threshold: a standard counts as learned from the first probe at or above this accuracy.
        """
        if not standards:
            raise ValueError("MathCampsProbe.standards must name at least one standard, got []")
        if per_standard < 1:
            raise ValueError(f"MathCampsProbe.per_standard must be >= 1, got {per_standard}")
        if max_new_tokens < 1 or batch_size < 1:
            raise ValueError(f"MathCampsProbe.max_new_tokens and batch_size must be >= 1, got "
                             f"{max_new_tokens} and {batch_size}")
        if not 0 < learned_threshold <= 1:
            raise ValueError(f"MathCampsProbe.learned_threshold must be in (0, 1], got {learned_threshold}")
        self.standards, self.per_standard, self.seed, self.style = standards, per_standard, seed, style
        self.max_new_tokens, self.batch_size, self.learned_threshold = max_new_tokens, batch_size, learned_threshold
        self.history: list[dict[str, Any]] = []  # one {"step": int, "acc": {standard: float}} per probe

    @cached_property
    def problems(self) -> list[Problem]:
        """The probe set: `per_standard` problems per standard, no two sharing a symbolic structure."""
        # Small standards (K.CC.C.7 has 100 structures) repeat when sampled, so draw extra and keep the first.
        drawn = generate_problems(self.standards, 4 * self.per_standard, self.seed, followups=False,
                                  style=self.style)
        kept: dict[str, list[Problem]] = {s: [] for s in self.standards}
        seen: set[str] = set()
        for p in drawn:
            key = structure_key(p.structure or "")
            if key not in seen and len(kept[p.standard]) < self.per_standard:
                seen.add(key)
                kept[p.standard].append(p)
        return [p for s in self.standards for p in kept[s]]

    # -- when to probe -------------------------------------------------------------------------------------

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self.history:
            self._probe(trainer, pl_module)

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        self._probe(trainer, pl_module)
        # Lightning gathered callback states before this hook; store the history including this probe.
        checkpoint.setdefault("callbacks", {})[self.state_key] = self.state_dict()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._probe(trainer, pl_module)
        if trainer.is_global_zero:
            self._report(trainer)

    def state_dict(self) -> dict[str, Any]:
        return {"history": self.history}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = state_dict["history"]

    # -- one probe -----------------------------------------------------------------------------------------

    def _probe(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        step = trainer.global_step
        if self.history and self.history[-1]["step"] == step:
            return
        model, tokenizer = pl_module.model, trainer.datamodule.tokenizer
        was_training = model.training
        model.eval()
        try:
            records = evaluate(model, tokenizer, self.problems, self.max_new_tokens, self.batch_size)
        finally:
            model.train(was_training)
        acc = accuracy_by_standard(records)
        self.history.append({"step": step, "acc": acc})
        if trainer.is_global_zero:
            self._save(trainer, step, records)
            self._log(trainer, step, acc, records)

    def _log(self, trainer: L.Trainer, step: int, acc: dict[str, float], records: list[Record]) -> None:
        baseline = self.history[0]["acc"]
        metrics = {f"mathcamps/acc/{s}": a for s, a in acc.items()}
        metrics |= {f"mathcamps/delta/{s}": a - baseline[s] for s, a in acc.items()}
        metrics["mathcamps/acc"] = sum(r.correct for r in records) / len(records)
        metrics["mathcamps/unextractable"] = sum(r.extracted is None for r in records) / len(records)
        for logger in trainer.loggers:
            logger.log_metrics(metrics, step=step)

    def _run_dir(self, trainer: L.Trainer) -> Path:
        path = Path(trainer.log_dir or trainer.default_root_dir) / "mathcamps"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @rank_zero_only
    def _save(self, trainer: L.Trainer, step: int, records: list[Record]) -> None:
        out = self._run_dir(trainer)
        with open(out / "responses.jsonl", "a") as f:
            for r in records:
                f.write(json.dumps({"step": step, **r.to_json()}) + "\n")
        with open(out / "probes.jsonl", "a") as f:
            f.write(json.dumps(self.history[-1]) + "\n")

    # -- the end-of-training table -------------------------------------------------------------------------

    def summary(self) -> list[dict[str, Any]]:
        """Per standard: accuracy at start and end, the change, and the first step at or above the threshold."""
        start, end = self.history[0]["acc"], self.history[-1]["acc"]
        rows = []
        for s in sorted(self.standards, key=lambda s: (GRADES.index(s.split(".")[0]), s)):
            learned = next((h["step"] for h in self.history if h["acc"][s] >= self.learned_threshold), None)
            rows.append({"standard": s, "start": start[s], "end": end[s], "change": end[s] - start[s],
                         "learned_at_step": learned})
        return rows

    def _report(self, trainer: L.Trainer) -> None:
        rows = self.summary()
        path = self._run_dir(trainer) / "summary.json"
        path.write_text(json.dumps({"threshold": self.learned_threshold, "standards": rows}, indent=2))
        table = Table(title=f"MathCAMPS probe: {len(self.problems)} held-out problems, {len(self.history)} probes")
        for column in ("standard", "start", "end", "change", f"reached {self.learned_threshold:.0%} at step"):
            table.add_column(column, justify="left" if column == "standard" else "right")
        for r in rows:
            learned = "never" if r["learned_at_step"] is None else str(r["learned_at_step"])
            table.add_row(r["standard"], f"{r['start']:.0%}", f"{r['end']:.0%}", f"{r['change']:+.0%}", learned)
        console = Console()
        console.print(table)
        console.print(f"wrote {path}")

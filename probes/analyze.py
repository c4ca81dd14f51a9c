"""Analyse a probe run or a checkpoint sweep: when each standard was learned, and what changed.

    python -m probes.analyze runs/quickstart/version_0
    python -m probes.analyze runs/sweeps/pythia-160m --threshold 0.3
    python -m probes.analyze runs/base-eval --against runs/tuned-eval          # base vs tuned, or run vs run
    python -m probes.analyze runs/quickstart --method bootstrap --fdr false     # raw p-values, no correction

Prints the tables and writes `analysis.json` (into the directory, or `--out`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Literal

from jsonargparse import auto_cli
from rich.console import Console
from rich.table import Table

from mathcamps.io import write_atomic
from probes.analysis import load_series
from probes.study import Study, analyse, study_json


def _pct(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0%}"


def print_study(study: Study, console: Console | None = None) -> None:
    """The acquisition table, the grade correlation and the paired comparison, as rich tables."""
    console = console or Console()
    s = study.series
    table = Table(title=f"{s.name}: {len(s.snapshots)} checkpoints (steps {s.steps[0]}..{s.steps[-1]}), "
                        f"acquired = at or above {study.threshold:.0%} from then on")
    for column in ("standard", "grade", "first", "last", "acquired at step"):
        table.add_column(column, justify="left" if column == "standard" else "right")
    for standard, curve in study.curves.items():
        step = study.acquisition[standard]
        table.add_row(standard, standard.split(".")[0], _pct(curve[0][1]), _pct(curve[-1][1]),
                      "not acquired" if step is None else str(step))
    console.print(table)
    if s.incomplete:
        console.print(f"[yellow]left out (not fully evaluated yet): {', '.join(s.incomplete)}[/yellow]")
    c = study.correlation
    if c is None:
        console.print("grade vs acquisition step: fewer than 3 standards acquired, no correlation")
    else:
        console.print(f"grade vs acquisition step: Spearman rho = {c.rho:+.3f} (p = {c.p_value:.3g}, "
                      f"{c.confidence:.0%} bootstrap interval [{c.low:+.3f}, {c.high:+.3f}], n = {c.n} acquired)")
    comp = study.comparison
    if comp is None:
        return
    fdr = ", Benjamini-Hochberg" if comp.fdr else ""
    table = Table(title=f"{comp.before} -> {comp.after} ({comp.method}{fdr}, alpha {comp.alpha})")
    for column in ("standard", "n", "before", "after", "change", "gains", "losses", "p", "q", "min. detectable",
                   "flag"):
        table.add_column(column, justify="left" if column == "standard" else "right")
    for x in comp.changes:
        t = x.test
        table.add_row(x.standard, str(t.n), _pct(t.before), _pct(t.after), f"{t.delta:+.0%}", str(t.gains),
                      str(t.losses), f"{t.p_value:.3g}", f"{x.q_value:.3g}", "none" if x.mde is None else
                      f"{x.mde:.0%}", x.direction or "")
    for grade, t in comp.by_grade.items():
        table.add_row(f"[bold]grade {grade}[/bold]", str(t.n), _pct(t.before), _pct(t.after), f"{t.delta:+.0%}",
                      str(t.gains), str(t.losses), f"{t.p_value:.3g}", "", "", "")
    console.print(table)
    console.print(f"improved: {', '.join(comp.improved) or 'none'}")
    console.print(f"regressed: {', '.join(comp.regressed) or 'none'}")
    for side, f in (("before", comp.followups_before), ("after", comp.followups_after)):
        if f is not None:
            kinds = ", ".join(f"{k}: {_pct(p)} of {n}" for k, (n, p) in f.by_kind.items())
            console.print(f"follow-ups {side}: P(right | original right) {kinds}; all right {_pct(f.all_right)}")


def main(path: Path, against: Path | None = None, threshold: float = 0.5, alpha: float = 0.05,
         method: Literal["mcnemar", "bootstrap"] = "mcnemar", fdr: bool = True,
         before_step: int | None = None, after_step: int | None = None, seed: int = 0,
         out: Path | None = None) -> Study:
    """Analyse a probe run or sweep directory.

    Args:
        path: a probe run (`<run>/mathcamps/`), a Lightning root with `version_N/`, a sweep dir or an eval dir.
            The `version_N/` of a resumed run are read as one run (`probes.analysis`): a root gives its newest
            run, a `version_N/` the whole run it belongs to.
        against: a second run or sweep to compare with (its last checkpoint against `path`'s last).
        threshold: a standard is acquired from the first checkpoint at or above this accuracy that stays there.
        alpha: significance level of the paired per-standard tests.
        method: paired test: exact McNemar or paired bootstrap.
        fdr: flag standards by Benjamini-Hochberg adjusted p-values (many standards, few false flags), as the
            probe callback does; false compares raw p-values with alpha.
        before_step: step of the "before" snapshot (default: first, or last with `against`).
        after_step: step of the "after" snapshot (default: last).
        seed: seed of the bootstrap resampling.
        out: where to write analysis.json (default: `path`/analysis.json).
    """
    series = load_series(path)
    other = load_series(against) if against is not None else None
    study = analyse(series, threshold, alpha, method, seed, before_step, after_step, other, fdr)
    print_study(study)
    target = out or Path(path) / "analysis.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, json.dumps(study_json(study), indent=2))
    Console().print(f"wrote {target}")
    return study


if __name__ == "__main__":
    from mathcamps.cli import run_cli

    run_cli(lambda: auto_cli(main, as_positional=True))

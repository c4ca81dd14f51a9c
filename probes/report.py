"""Figures and a self-contained HTML page for a probe run or sweep (and optionally a second one to compare).

    python -m probes.report runs/quickstart/version_0
    python -m probes.report runs/sweeps/scratch --threshold 0.4 --wandb_run <run id>
    python -m probes.report runs/base-eval --against runs/tuned-eval

Writes `<DIR>/report/` (or `--out`): `curves.png` (a grid of per-standard learning curves, each point with its
95% Wilson interval at its own n), `heatmap.png` (standards x checkpoints, ordered by grade), `changes.png`
(per-standard change with its n and 95% interval, coloured by significance), `acquisition.png` (grade vs
acquisition step, the standards never acquired in a row of their own, off the step axis) and `report.html`,
which holds the figures (inlined) and the tables.
With `--wandb_run` the curves go to W&B against `checkpoint/step`, and the figures and tables with them.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Literal

from jsonargparse import auto_cli

from mathcamps.problem import grade_of
from probes.analysis import load_series
from probes.stats import PairedTest
from probes.study import Study, analyse, change_interval


def _pct(x: float | None) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0%}"


def _table(columns: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(f"<tr class='{cls}'>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row, cls in zip(rows, classes or [""] * len(rows), strict=True))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def tables(study: Study) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The report's tables as (columns, rows) of strings: acquisition, per-standard change, per-grade change."""
    out = {"acquisition": (["standard", "grade", "first", "last", "acquired at step"], [
        [s, grade_of(s), _pct(c[0][1]), _pct(c[-1][1]),
         "not acquired" if study.acquisition[s] is None else str(study.acquisition[s])]
        for s, c in study.curves.items()])}
    comp = study.comparison
    if comp is not None:
        cols = ["standard", "grade", "n", "before", "after", "change", "95% CI", "gains", "losses", "p", "flag"]

        def interval(t: PairedTest) -> str:
            low, high = change_interval(t)
            return f"{low:+.0%} to {high:+.0%}"

        out["changes"] = (cols, [[x.standard, x.grade, str(x.test.n), _pct(x.test.before), _pct(x.test.after),
                                  f"{x.test.delta:+.0%}", interval(x.test), str(x.test.gains), str(x.test.losses),
                                  f"{x.test.p_value:.3g}", x.direction or ""] for x in comp.changes])
        out["grades"] = (["grade", *cols[2:]], [[g, str(t.n), _pct(t.before), _pct(t.after), f"{t.delta:+.0%}",
                                                 interval(t), str(t.gains), str(t.losses), f"{t.p_value:.3g}",
                                                 t.direction(comp.alpha) or ""] for g, t in comp.by_grade.items()])
    return out


def render_html(study: Study, images: dict[str, Path]) -> str:
    """One page, no external files: every figure inlined as a base64 PNG, then the tables."""
    s, c, comp = study.series, study.correlation, study.comparison
    parts = [f"<h1>MathCAMPS study: {html.escape(s.name)}</h1>",
             f"<p>{html.escape(str(s.path))}: {len(s.snapshots)} checkpoints, steps {s.steps[0]} to {s.steps[-1]}; "
             f"a standard is acquired from the first checkpoint at or above {study.threshold:.0%} that stays there."
             + (f" Not fully evaluated, left out: {html.escape(', '.join(s.incomplete))}." if s.incomplete else "")
             + "</p>"]
    corr = ("fewer than 3 standards acquired: no correlation" if c is None else
            f"Spearman rho = {c.rho:+.3f}, p = {c.p_value:.3g}, {c.confidence:.0%} bootstrap interval "
            f"[{c.low:+.3f}, {c.high:+.3f}], over {c.n} acquired standards")
    parts.append(f"<p id='correlation'><b>Grade vs acquisition step:</b> {html.escape(corr)}</p>")
    captions = {"curves": "Learning curves", "heatmap": "Standards × checkpoints",
                "changes": "Gains and regressions", "acquisition": "Grade vs acquisition step"}
    for name, path in images.items():
        data = base64.b64encode(path.read_bytes()).decode()
        parts.append(f"<figure id='fig-{name}'><img alt='{captions[name]}' src='data:image/png;base64,{data}'>"
                     f"<figcaption>{captions[name]}</figcaption></figure>")
    all_tables = tables(study)
    parts.append("<h2>Acquisition</h2>" + _table(*all_tables["acquisition"]))
    if comp is not None:
        classes = [{"gain": "gain", "regression": "loss"}.get(x.direction, "") for x in comp.changes]
        parts.append(f"<h2>{html.escape(comp.before)} → {html.escape(comp.after)}</h2>"
                     f"<p><b>Improved:</b> {html.escape(', '.join(comp.improved) or 'none')}<br>"
                     f"<b>Regressed:</b> {html.escape(', '.join(comp.regressed) or 'none')}</p>"
                     + _table(*all_tables["changes"], classes) + "<h3>By grade</h3>" + _table(*all_tables["grades"]))
        rows = [[side, kind, str(n), _pct(p), _pct(f.all_right)]
                for side, f in (("before", comp.followups_before), ("after", comp.followups_after)) if f
                for kind, (n, p) in f.by_kind.items()]
        if rows:
            parts.append("<h3>Follow-up robustness</h3>" + _table(
                ["side", "follow-up", "n (original right)", "P(right | original right)", "all right"], rows))
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}img{max-width:100%}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
             "text-align:right}td:first-child{text-align:left}tr.gain{background:#e3f4e6}tr.loss{background:#f9e1df}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>MathCAMPS study: {html.escape(s.name)}"
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>")


def log_to_wandb(study: Study, images: dict[str, Path], run_id: str, project: str = "mathcamps",
                 mode: str = "offline", directory: Path | None = None) -> str:
    """Log the curves against `checkpoint/step`, then the figures and tables, to W&B run `run_id`; returns its dir."""
    import wandb

    run = wandb.init(project=project, id=run_id, resume="allow", mode=mode, dir=str(directory) if directory else None)
    try:
        run.define_metric("checkpoint/step")
        run.define_metric("*", step_metric="checkpoint/step")
        for snap in study.series.snapshots:
            run.log({"checkpoint/step": snap.step, **{f"mathcamps/acc/{s}": a for s, a in snap.accuracy().items()}})
        last = {"checkpoint/step": study.series.steps[-1]}
        last |= {f"report/{name}": wandb.Image(str(path)) for name, path in images.items()}
        last |= {f"report/{name}_table": wandb.Table(columns=cols, data=rows)
                 for name, (cols, rows) in tables(study).items()}
        run.log(last)
        if study.correlation is not None:
            run.summary["report/grade_spearman_rho"] = study.correlation.rho
            run.summary["report/grade_spearman_p"] = study.correlation.p_value
        if study.comparison is not None:
            run.summary["report/improved"] = study.comparison.improved
            run.summary["report/regressed"] = study.comparison.regressed
        return run.dir
    finally:
        run.finish()


def main(path: Path, against: Path | None = None, threshold: float = 0.5, alpha: float = 0.05,
         method: Literal["mcnemar", "bootstrap"] = "mcnemar", fdr: bool = False, seed: int = 0,
         out: Path | None = None, wandb_run: str | None = None, wandb_project: str = "mathcamps",
         wandb_mode: Literal["online", "offline"] = "offline") -> Path:
    """Write the report's PNGs and HTML page; returns the HTML file.

    Args:
        path: a probe run, Lightning root, sweep dir or eval dir (see `probes.analyze`).
        against: a second run or sweep: the comparison is `path`'s last checkpoint against its last.
        threshold: acquisition threshold on accuracy.
        alpha: significance level of the paired tests.
        method: paired test: exact McNemar or paired bootstrap.
        fdr: flag standards by Benjamini-Hochberg adjusted p-values (many standards, few false flags).
        seed: seed of the bootstrap resampling.
        out: output folder (default: `path`/report).
        wandb_run: W&B run id to log the curves, figures and tables to (created when it does not exist).
        wandb_project: W&B project of `wandb_run`.
        wandb_mode: offline writes under `out`; online sends to wandb.ai.
    """
    import matplotlib.pyplot as plt  # after the arguments are read: --help and a bad flag need no matplotlib

    from probes.figures import FIGURES, fig_acquisition, fig_changes, fig_curves, fig_heatmap

    series = load_series(path)
    study = analyse(series, threshold, alpha, method, seed, other=load_series(against) if against else None, fdr=fdr)
    out = Path(out) if out else Path(path) / "report"
    out.mkdir(parents=True, exist_ok=True)
    images = {}
    for name, make in zip(FIGURES, (fig_curves, fig_heatmap, fig_changes, fig_acquisition), strict=True):
        fig = make(study)
        images[name] = out / f"{name}.png"
        fig.savefig(images[name], dpi=110)
        plt.close(fig)
    page = out / "report.html"
    page.write_text(render_html(study, images))
    print(f"wrote {page} and {', '.join(p.name for p in images.values())}")
    if wandb_run:
        print(f"logged to W&B: {log_to_wandb(study, images, wandb_run, wandb_project, wandb_mode, out)}")
    return page


if __name__ == "__main__":
    from mathcamps.cli import run_cli

    run_cli(lambda: auto_cli(main, as_positional=True))

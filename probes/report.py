"""Figures and a self-contained HTML page for a probe run or sweep (and optionally a second one to compare).

    python -m probes.report runs/quickstart/version_0
    python -m probes.report runs/sweeps/scratch --threshold 0.4 --wandb_run <run id>
    python -m probes.report runs/base-eval --against runs/tuned-eval

Writes `<DIR>/report/` (or `--out`): `curves.png` (a grid of per-standard learning curves), `heatmap.png`
(standards x checkpoints, ordered by grade), `changes.png` (per-standard gains and regressions),
`acquisition.png` (grade vs acquisition step) and `report.html`, which holds the figures (inlined) and the tables.
With `--wandb_run` the curves go to W&B against `checkpoint/step`, and the figures and tables with them.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Literal

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and in tests
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from jsonargparse import auto_cli  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mathcamps.problem import GRADES, grade_of  # noqa: E402
from probes.analysis import Study, analyse, learning_curves, load_series  # noqa: E402

FIGURES = ("curves", "heatmap", "changes", "acquisition")
_GAIN, _LOSS, _NONE = "#2a9d4b", "#c8372d", "#9a9a9a"


def fig_curves(study: Study) -> Figure:
    """One panel per standard: accuracy by step, the threshold, and the acquisition step."""
    standards = list(study.curves)
    cols = min(4, len(standards))
    rows = math.ceil(len(standards) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), sharex=True, sharey=True, squeeze=False)
    other = {} if study.other is None else learning_curves(study.other)
    for ax, standard in zip(axes.flat, standards, strict=False):
        steps, acc = zip(*study.curves[standard], strict=True)
        ax.plot(steps, acc, marker="o", ms=3, label=study.series.name)
        if standard in other:
            o_steps, o_acc = zip(*other[standard], strict=True)
            ax.plot(o_steps, o_acc, marker="s", ms=3, ls="--", label=study.other.name)
        ax.axhline(study.threshold, color=_NONE, lw=0.8, ls=":")
        if study.acquisition[standard] is not None:
            ax.axvline(study.acquisition[standard], color=_GAIN, lw=1)
        ax.set_title(f"{standard} (grade {grade_of(standard)})", fontsize=9)
        ax.set_ylim(-0.03, 1.03)
    for ax in list(axes.flat)[len(standards):]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("step")
    for ax in axes[:, 0]:
        ax.set_ylabel("accuracy")
    if other:
        axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"Learning curves ({study.series.name}); vertical line: acquired (>= {study.threshold:.0%} from then)")
    fig.tight_layout()
    return fig


def fig_heatmap(study: Study) -> Figure:
    """Accuracy of every standard (rows, by grade) at every checkpoint (columns)."""
    return heatmap(study.curves, study.series.steps, f"Accuracy per standard and checkpoint ({study.series.name})")


def heatmap(curves: dict[str, list[tuple[int, float]]], steps: list[int], title: str) -> Figure:
    """Accuracy of every standard (rows, in `curves`' order) at every step (columns); lines between grades."""
    standards = list(curves)
    grid = np.full((len(standards), len(steps)), np.nan)  # (standards, checkpoints)
    for i, s in enumerate(standards):
        for step, acc in curves[s]:
            grid[i, steps.index(step)] = acc
    fig, ax = plt.subplots(figsize=(max(5.0, 0.45 * len(steps) + 2.5), max(2.5, 0.32 * len(standards) + 1.2)))
    image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks(range(len(standards)), standards, fontsize=8)
    every = max(1, len(steps) // 20)
    ax.set_xticks(range(0, len(steps), every), [str(s) for s in steps[::every]], rotation=60, fontsize=7)
    for i in range(1, len(standards)):  # a line between grades
        if grade_of(standards[i]) != grade_of(standards[i - 1]):
            ax.axhline(i - 0.5, color="white", lw=1.5)
    ax.set_xlabel("checkpoint step")
    fig.colorbar(image, ax=ax, label="accuracy")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def fig_changes(study: Study) -> Figure:
    """Per-standard change between the compared snapshots, coloured by significance."""
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.3 * len(study.curves) + 1.2)))
    comp = study.comparison
    if comp is None:
        ax.text(0.5, 0.5, "one checkpoint only: nothing to compare", ha="center", va="center")
        ax.axis("off")
        return fig
    names = [c.standard for c in comp.changes][::-1]  # grade order, top to bottom
    deltas = [c.test.delta for c in comp.changes][::-1]
    colours = [{"gain": _GAIN, "regression": _LOSS}.get(c.direction, _NONE) for c in comp.changes][::-1]
    ax.barh(names, deltas, color=colours)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-1.05, 1.05)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("change in accuracy")
    ax.set_title(f"{comp.before} -> {comp.after}\ngreen: significant gain, red: significant regression "
                 f"({comp.method}{', Benjamini-Hochberg' if comp.fdr else ''}, alpha {comp.alpha})", fontsize=9)
    fig.tight_layout()
    return fig


def fig_acquisition(study: Study) -> Figure:
    """Grade against acquisition step, with the Spearman correlation; unacquired standards marked on top."""
    fig, ax = plt.subplots(figsize=(6, 4))
    last = study.series.steps[-1]
    rng = np.random.default_rng(0)  # jitter only separates points of one grade
    stacked: dict[str, int] = {}  # unacquired labels per grade, stacked so they do not overlap
    for standard, step in study.acquisition.items():
        x = GRADES.index(grade_of(standard)) + rng.uniform(-0.12, 0.12)
        y = last * 1.08 if step is None else step
        ax.scatter(x, y, marker="x" if step is None else "o", color=_LOSS if step is None else "#1f77b4")
        k = stacked.setdefault(grade_of(standard), 0) if step is None else 0
        if step is None:
            stacked[grade_of(standard)] += 1
        ax.annotate(standard, (x, y), fontsize=6, xytext=(3, 3 - 8 * k), textcoords="offset points")
    ax.axhline(last * 1.04, color=_NONE, lw=0.6, ls=":")
    ax.set_xticks(range(len(GRADES)), GRADES)
    ax.set_xlabel("grade")
    ax.set_ylabel("acquisition step (x: not acquired)")
    c = study.correlation
    ax.set_title("Grade vs acquisition step: " + ("fewer than 3 standards acquired" if c is None else
                 f"Spearman {c.rho:+.2f} (p={c.p_value:.2g}, {c.confidence:.0%} CI [{c.low:+.2f}, {c.high:+.2f}])"),
                 fontsize=9)
    fig.tight_layout()
    return fig


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
        cols = ["standard", "grade", "n", "before", "after", "change", "gains", "losses", "p", "flag"]
        out["changes"] = (cols, [[x.standard, x.grade, str(x.test.n), _pct(x.test.before), _pct(x.test.after),
                                  f"{x.test.delta:+.0%}", str(x.test.gains), str(x.test.losses),
                                  f"{x.test.p_value:.3g}", x.direction or ""] for x in comp.changes])
        out["grades"] = (["grade", *cols[2:]], [[g, str(t.n), _pct(t.before), _pct(t.after), f"{t.delta:+.0%}",
                                                 str(t.gains), str(t.losses), f"{t.p_value:.3g}",
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

"""The report's figures (matplotlib, on the file-only backend): learning curves, heatmap, changes, acquisition.

Kept apart from `probes.report` so that its CLI (and `--help`) starts without importing matplotlib.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and in tests
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mathcamps.problem import GRADES, grade_of  # noqa: E402
from probes.analysis import learning_curves  # noqa: E402
from probes.study import Study, change_interval, curve_intervals  # noqa: E402

FIGURES = ("curves", "heatmap", "changes", "acquisition")
_GAIN, _LOSS, _NONE = "#2a9d4b", "#c8372d", "#9a9a9a"


def fig_curves(study: Study) -> Figure:
    """One panel per standard: accuracy by step in its 95% Wilson band, the threshold, and the acquisition step."""
    standards = list(study.curves)
    cols = min(4, len(standards))
    rows = math.ceil(len(standards) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), sharex=True, sharey=True, squeeze=False)
    other = {} if study.other is None else learning_curves(study.other)
    other_bands = {} if study.other is None else curve_intervals(study.other)
    for ax, standard in zip(axes.flat, standards, strict=False):
        steps, acc = zip(*study.curves[standard], strict=True)
        line, = ax.plot(steps, acc, marker="o", ms=3, label=study.series.name)
        low, high = zip(*study.intervals[standard], strict=True)
        ax.fill_between(steps, low, high, color=line.get_color(), alpha=0.2, lw=0)
        if standard in other:
            o_steps, o_acc = zip(*other[standard], strict=True)
            o_line, = ax.plot(o_steps, o_acc, marker="s", ms=3, ls="--", label=study.other.name)
            o_low, o_high = zip(*other_bands[standard], strict=True)
            ax.fill_between(o_steps, o_low, o_high, color=o_line.get_color(), alpha=0.15, lw=0)
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
    fig.suptitle(f"Learning curves ({study.series.name}), shaded: 95% Wilson interval; vertical line: acquired "
                 f"(>= {study.threshold:.0%} from then)", fontsize=10)
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
    """Per-standard change between the compared snapshots with its n and 95% interval, coloured by significance."""
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.3 * len(study.curves) + 1.2)))
    comp = study.comparison
    if comp is None:
        ax.text(0.5, 0.5, "one checkpoint only: nothing to compare", ha="center", va="center")
        ax.axis("off")
        return fig
    changes = comp.changes[::-1]  # grade order, top to bottom
    names = [f"{c.standard} (n={c.test.n})" for c in changes]
    deltas = [c.test.delta for c in changes]
    intervals = [change_interval(c.test) for c in changes]
    errors = [[d - lo for d, (lo, _) in zip(deltas, intervals, strict=True)],
              [hi - d for d, (_, hi) in zip(deltas, intervals, strict=True)]]  # (2, standards), as barh wants
    colours = [{"gain": _GAIN, "regression": _LOSS}.get(c.direction, _NONE) for c in changes]
    ax.barh(names, deltas, color=colours, xerr=errors, error_kw={"ecolor": "black", "elinewidth": 0.8, "capsize": 2})
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-1.05, 1.05)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("change in accuracy, with its 95% interval")
    ax.set_title(f"{comp.before} -> {comp.after}\ngreen: significant gain, red: significant regression "
                 f"({comp.method}{', Benjamini-Hochberg' if comp.fdr else ''}, alpha {comp.alpha})", fontsize=9)
    fig.tight_layout()
    return fig


def fig_acquisition(study: Study) -> Figure:
    """Grade against acquisition step, with the Spearman correlation. The standards never acquired have no step,
    so they are not put on the step axis: they are listed by grade in a "not acquired" row below it."""
    fig, (ax, never) = plt.subplots(2, 1, figsize=(6, 4.8), sharex=True, gridspec_kw={"height_ratios": [4, 1]})
    rng = np.random.default_rng(0)  # jitter only separates points of one grade
    unacquired: dict[str, list[str]] = {}
    for standard, step in study.acquisition.items():
        if step is None:
            unacquired.setdefault(grade_of(standard), []).append(standard)
            continue
        x = GRADES.index(grade_of(standard)) + rng.uniform(-0.12, 0.12)
        ax.scatter(x, step, color="#1f77b4")
        ax.annotate(standard, (x, step), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("acquisition step")
    for grade, names in unacquired.items():
        never.text(GRADES.index(grade), 0.5, "\n".join(names), ha="center", va="center", fontsize=6, color=_LOSS)
    never.set_ylim(0, 1)
    never.set_yticks([0.5], ["not acquired"])
    never.set_xticks(range(len(GRADES)), GRADES)
    never.set_xlim(-0.5, len(GRADES) - 0.5)
    never.set_xlabel("grade")
    c = study.correlation
    ax.set_title("Grade vs acquisition step: " + ("fewer than 3 standards acquired" if c is None else
                 f"Spearman {c.rho:+.2f} (p={c.p_value:.2g}, {c.confidence:.0%} CI [{c.low:+.2f}, {c.high:+.2f}])"),
                 fontsize=9)
    fig.tight_layout()
    return fig

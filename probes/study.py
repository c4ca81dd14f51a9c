"""A whole study of one series (and optionally a second): what `probes.analyze` prints and `probes.report` draws.

The learning curves with a 95% Wilson interval at each point's own n, acquisition points, the grade correlation,
and the paired comparison of two snapshots with an interval for each standard's change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from probes.analysis import (
    Comparison,
    FollowupRobustness,
    Series,
    acquisition_points,
    compare_snapshots,
    grade_correlation,
    learning_curves,
)
from probes.metrics import wilson
from probes.stats import Correlation, PairedTest


def curve_intervals(series: Series) -> dict[str, list[tuple[float, float]]]:
    """Per standard, the 95% Wilson interval of each point of `learning_curves(series)`, at that point's n."""
    out: dict[str, list[tuple[float, float]]] = {s: [] for s in series.standards}
    for snap in series.snapshots:
        for standard, (right, n) in snap.counts().items():
            out[standard].append(wilson(right, n))
    return out


def change_interval(t: PairedTest) -> tuple[float, float]:
    """A 95% interval of a paired change in accuracy (after - before): the bootstrap's own when the test was a
    bootstrap, else Newcombe's hybrid score interval for paired proportions (his method 10), built from the
    Wilson intervals of both accuracies and the correlation of the pairs.

    >>> [round(x, 4) for x in change_interval(PairedTest(10, 0.0, 1.0, 10, 0, 0.002, "mcnemar"))]
    [0.6075, 1.0]
    """
    if t.low is not None and t.high is not None:
        return t.low, t.high
    n, f, g = t.n, t.losses, t.gains  # f: right -> wrong, g: wrong -> right
    before, after = round(t.before * n), round(t.after * n)
    e = before - f  # right both times
    h = n - e - f - g  # wrong both times
    (l1, u1), (l2, u2) = wilson(before, n), wilson(after, n)
    p1, p2 = before / n, after / n
    denominator = (e + f) * (g + h) * (e + g) * (f + h)
    phi = (e * h - f * g) / math.sqrt(denominator) if denominator else 0.0
    delta = p2 - p1
    low = delta - math.sqrt(max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))
    high = delta + math.sqrt(max(0.0, (u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2))
    return max(-1.0, low), min(1.0, high)


@dataclass
class Study:
    """Everything `probes.analyze` and `probes.report` show about one series (and optionally a second)."""

    series: Series
    threshold: float
    curves: dict[str, list[tuple[int, float]]]
    acquisition: dict[str, int | None]
    """Per standard: the acquisition step, None when never acquired."""
    correlation: Correlation | None
    comparison: Comparison | None
    """First vs last checkpoint of `series`, or `series` vs `other` when given."""
    other: Series | None = None
    other_acquisition: dict[str, int | None] | None = None
    other_correlation: Correlation | None = None
    intervals: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """Per standard: the 95% Wilson interval of each point of `curves` (`curve_intervals`)."""


def analyse(series: Series, threshold: float = 0.5, alpha: float = 0.05, method: str = "mcnemar", seed: int = 0,
            before_step: int | None = None, after_step: int | None = None, other: Series | None = None,
            fdr: bool = True) -> Study:
    """Curves, acquisition points, grade correlation, and the paired comparison of two snapshots.

    Without `other`, the comparison is `series` at `before_step` (default: first) against `after_step`
    (default: last). With `other`, it is `series` at `before_step` (default: last) against `other` at
    `after_step` (default: last): base model vs tuned model, or one run vs another.
    """
    acquisition = acquisition_points(series, threshold)
    study = Study(series, threshold, learning_curves(series), acquisition, grade_correlation(acquisition, seed=seed),
                  None, intervals=curve_intervals(series))
    if other is None:
        before, after = series.at(before_step, 0), series.at(after_step, -1)
        if before is not after:
            study.comparison = compare_snapshots(before, after, alpha, method, seed, fdr=fdr)
    else:
        study.other = other
        study.other_acquisition = acquisition_points(other, threshold)
        study.other_correlation = grade_correlation(study.other_acquisition, seed=seed)
        before, after = series.at(before_step, -1), other.at(after_step, -1)
        study.comparison = compare_snapshots(before, after, alpha, method, seed, f"{series.name} {before.label}",
                                             f"{other.name} {after.label}", fdr)
    return study


def _test_json(t: PairedTest) -> dict[str, Any]:
    return {"n": t.n, "before": t.before, "after": t.after, "delta": t.delta, "gains": t.gains, "losses": t.losses,
            "p_value": t.p_value, "low": t.low, "high": t.high, "interval": list(change_interval(t))}


def _correlation_json(c: Correlation | None) -> dict[str, Any] | None:
    return None if c is None else {"rho": c.rho, "p_value": c.p_value, "low": c.low, "high": c.high, "n": c.n,
                                   "confidence": c.confidence}


def _followup_json(f: FollowupRobustness | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {"by_kind": {k: {"n": n, "p_right_given_original_right": p} for k, (n, p) in f.by_kind.items()},
            "all_right": f.all_right, "n_originals": f.n_originals}


def study_json(study: Study) -> dict[str, Any]:
    """The study as plain JSON: what `probes.analyze` writes to `analysis.json`."""
    out: dict[str, Any] = {
        "series": {"name": study.series.name, "path": str(study.series.path), "kind": study.series.kind,
                   "steps": study.series.steps, "incomplete": study.series.incomplete},
        "threshold": study.threshold,
        "curves": {s: [[step, acc] for step, acc in c] for s, c in study.curves.items()},
        "curve_intervals": {s: [list(i) for i in c] for s, c in study.intervals.items()},
        "acquisition": study.acquisition,
        "unlearned": [s for s, step in study.acquisition.items() if step is None],
        "grade_correlation": _correlation_json(study.correlation),
    }
    if study.other is not None:
        out["other"] = {"name": study.other.name, "path": str(study.other.path), "steps": study.other.steps,
                        "acquisition": study.other_acquisition,
                        "grade_correlation": _correlation_json(study.other_correlation)}
    c = study.comparison
    if c is not None:
        out["comparison"] = {
            "before": c.before, "after": c.after, "method": c.method, "fdr": c.fdr, "alpha": c.alpha,
            "standards": [{"standard": x.standard, "grade": x.grade, "direction": x.direction, "q_value": x.q_value,
                           "mde": x.mde, **_test_json(x.test)} for x in c.changes],
            "by_grade": {g: _test_json(t) for g, t in c.by_grade.items()},
            "improved": c.improved, "regressed": c.regressed,
            "followups_before": _followup_json(c.followups_before),
            "followups_after": _followup_json(c.followups_after),
        }
    return out

"""What one probe measured, from its records: per-standard accuracy, changes, paired tests, follow-ups.

Pure functions of `probes.engine.Record` lists, so the probe callback, its tests and any later analysis
compute the same numbers. Accuracy is over original problems; follow-ups are scored by `probes.metrics`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from mathcamps.standards import get_standard
from probes import metrics
from probes.engine import Record
from probes.stats import compare_groups


@dataclass
class ProbeResult:
    """One probe at one training step."""

    step: int
    acc: dict[str, float]
    """Accuracy per standard, over originals."""
    delta: dict[str, float]
    """Change since the baseline probe."""
    delta_prev: dict[str, float]
    """Change since the previous probe."""
    by_grade: dict[str, float]
    by_domain: dict[str, float]
    overall: float
    unextractable: float
    followups: dict[str, Any] | None
    """`probes.metrics.followups` of the records, or None without follow-ups."""
    p_values: dict[str, float] = field(default_factory=dict)
    """Per standard: paired test of this probe against the baseline, on the same problems."""
    q_values: dict[str, float] = field(default_factory=dict)
    """Per standard: the p-value compared with alpha (Benjamini-Hochberg adjusted across standards with fdr)."""
    mde: dict[str, float | None] = field(default_factory=dict)
    """Per standard: the smallest change the paired test could flag at its n (None: none could)."""
    grade_p_values: dict[str, float] = field(default_factory=dict)
    """Per grade: the paired test against the baseline on the grade's problems pooled (BH across grades)."""
    grade_changes: dict[str, int] = field(default_factory=dict)
    """Per grade: +1 a significant gain, -1 a significant regression, 0 neither."""
    overall_strict: float = 0.0
    """Accuracy over all originals on the marked answer alone."""
    overall_format: float = 0.0
    """Share of all originals (asked) whose response marked its answer."""
    strict: dict[str, float] = field(default_factory=dict)
    """Per standard: accuracy on the marked answer alone (`acc` is the grader's headline, flexible, verdict)."""
    format: dict[str, float] = field(default_factory=dict)
    """Per standard: share of originals whose response marked its answer (format, apart from skill)."""
    gains: list[str] = field(default_factory=list)
    """Standards significantly better than at the baseline."""
    regressions: list[str] = field(default_factory=list)
    """Standards significantly worse than at the baseline."""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _mean(values: list[bool]) -> float:
    return sum(values) / len(values)


def outcomes(records: list[Record]) -> dict[str, dict[str, bool]]:
    """Per standard, each original's verdict by problem id."""
    out: dict[str, dict[str, bool]] = defaultdict(dict)
    for r in records:
        if not r.is_followup:
            out[r.standard][r.id] = r.correct
    return dict(out)


def measure(step: int, records: list[Record], baseline: list[Record] | None, previous: ProbeResult | None,
            alpha: float, seconds: float = 0.0, fdr: bool = True) -> ProbeResult:
    """The probe result of `records`, compared with the `baseline` probe's records on the same problems.

    A standard is a gain or a regression only when the paired test (exact McNemar on the problems both
    probes answered, `probes.stats.compare_groups`) rejects "no change" at `alpha`, after Benjamini-Hochberg
    across the standards with `fdr`: noise is not reported as a skill lost.
    """
    now = outcomes(records)
    acc = {s: _mean(list(v.values())) for s, v in now.items()}
    before = outcomes(baseline) if baseline is not None else now
    base_acc = {s: _mean(list(v.values())) for s, v in before.items()}
    grades: dict[str, list[bool]] = defaultdict(list)
    domains: dict[str, list[bool]] = defaultdict(list)
    for s, verdicts in now.items():
        grades[get_standard(s).grade].extend(verdicts.values())
        domains[get_standard(s).domain].extend(verdicts.values())
    first = metrics.originals(records)
    result = ProbeResult(
        step=step,
        acc=acc,
        delta={s: a - base_acc.get(s, a) for s, a in acc.items()},
        delta_prev={s: a - (previous.acc.get(s, a) if previous else a) for s, a in acc.items()},
        by_grade={g: _mean(v) for g, v in grades.items()},
        by_domain={d: _mean(v) for d, v in domains.items()},
        overall=_mean([r.correct for r in first]),
        unextractable=metrics.unextractable_rate(first) or 0.0,
        followups=metrics.followups(records),
        seconds=seconds,
        overall_strict=_mean([r.strict for r in first]),
        overall_format=metrics.format_rate(first) or 0.0,
    )
    for s in now:
        asked = [r for r in first if r.standard == s and r.asked]
        result.format[s] = metrics.format_rate(asked) or 0.0
        result.strict[s] = _mean([r.strict for r in first if r.standard == s])
    pairs = {}
    for s, verdicts in now.items():
        shared = sorted(set(verdicts) & set(before.get(s, {})))
        if shared:
            pairs[s] = ([before[s][i] for i in shared], [verdicts[i] for i in shared])
    by_grade: dict[str, tuple[list[bool], list[bool]]] = {}
    for s, (b, a) in pairs.items():
        pooled = by_grade.setdefault(get_standard(s).grade, ([], []))
        pooled[0].extend(b)
        pooled[1].extend(a)
    for change in compare_groups(by_grade, alpha, fdr=fdr):
        result.grade_p_values[change.group] = change.test.p_value
        result.grade_changes[change.group] = {"gain": 1, "regression": -1}.get(change.direction or "", 0)
    for change in compare_groups(pairs, alpha, fdr=fdr):
        s = change.group
        result.p_values[s], result.q_values[s], result.mde[s] = change.test.p_value, change.q_value, change.mde
        if change.direction == "gain":
            result.gains.append(s)
        elif change.direction == "regression":
            result.regressions.append(s)
    return result


def scalars(result: ProbeResult) -> dict[str, float]:
    """The probe's scalars under stable keys, for any Lightning logger."""
    out = {f"mathcamps/acc/{s}": a for s, a in result.acc.items()}
    out |= {f"mathcamps/delta/{s}": d for s, d in result.delta.items()}
    out |= {f"mathcamps/delta_prev/{s}": d for s, d in result.delta_prev.items()}
    out |= {f"mathcamps/grade/{g}": a for g, a in result.by_grade.items()}
    out |= {f"mathcamps/domain/{d}": a for d, a in result.by_domain.items()}
    out |= {f"mathcamps/p/{s}": v for s, v in result.p_values.items()}
    out |= {f"mathcamps/q/{s}": v for s, v in result.q_values.items()}
    out |= {f"mathcamps/mde/{s}": v for s, v in result.mde.items()}
    out |= {f"mathcamps/significant/{s}": (1.0 if s in result.gains else -1.0 if s in result.regressions else 0.0)
            for s in result.p_values}
    out |= {f"mathcamps/strict/{s}": v for s, v in result.strict.items()}
    out |= {f"mathcamps/format/{s}": v for s, v in result.format.items()}
    out |= {f"mathcamps/grade_p/{g}": v for g, v in result.grade_p_values.items()}
    out |= {f"mathcamps/grade_significant/{g}": v for g, v in result.grade_changes.items()}
    out |= {"mathcamps/acc": result.overall, "mathcamps/format": result.overall_format,
            "mathcamps/strict": result.overall_strict,
            "mathcamps/unextractable": result.unextractable,
            "mathcamps/gains": float(len(result.gains)), "mathcamps/regressions": float(len(result.regressions)),
            "mathcamps/probe_seconds": result.seconds}
    if result.followups is not None:
        out["mathcamps/followup/given_original_right"] = result.followups["given_original_right"]["acc"]
        out["mathcamps/followup/all_right"] = result.followups["all_followups_right"]["acc"]
        for kind, stats in result.followups["by_kind"].items():
            name = kind.removesuffix("-followup")
            out[f"mathcamps/followup/{name}/given_original_right"] = stats["given_original_right"]["acc"]
    return {k: float(v) for k, v in out.items() if v is not None}

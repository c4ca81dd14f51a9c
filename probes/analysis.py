"""Learning-dynamics and fine-tuning analyses over probe runs and checkpoint sweeps.

A *series* is a list of snapshots, one per checkpoint, each holding one outcome per problem. It is read from
- a probe run (`<run>/mathcamps/responses.jsonl`, written by `probes.callback.MathCampsProbe`). A run resumed
  with `--ckpt_path last` logs to a new `version_N/` beside the first, so the versions of one run are read as
  one, in version order: a later version's probe of a step replaces an earlier version's (the later one wins),
  and the step-0 baseline stays the first version's. A version that probed step 0 itself started afresh (a new
  run in the same root, not a resume) and begins a new run. Given a Lightning root, the newest run is read;
  given a `version_N/`, the run it belongs to, whole;
- a sweep directory (`sweep.json`, written by `probes.sweep`);
- a single evaluation's `responses.jsonl` (rows without a step are one snapshot at step 0).

From a series come per-standard learning curves, each standard's acquisition point, the Spearman correlation
of grade with acquisition step, and a paired per-standard comparison of any two snapshots (base vs tuned), with
follow-up robustness before and after. Two series compare the same way, snapshot against snapshot.
`probes.study` puts them together, with their intervals, for `probes.analyze` and `probes.report`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathcamps.problem import GRADES, ORIGINAL, grade_of, grade_order
from probes.stats import Correlation, PairedTest, check_alpha, compare_groups, spearman

# -- reading -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One problem's verdict at one checkpoint: the part of an evaluation record the analyses need."""

    id: str
    standard: str
    grade: str
    correct: bool
    extracted: str | None = None
    type: str = ORIGINAL
    followup_to: str | None = None


@dataclass
class Snapshot:
    """Every outcome at one checkpoint, keyed by problem id."""

    step: int
    label: str
    outcomes: dict[str, Outcome]
    tokens: int | None = None

    def originals(self) -> list[Outcome]:
        return [o for o in self.outcomes.values() if o.type == ORIGINAL]

    def counts(self) -> dict[str, tuple[int, int]]:
        """(right, asked) on original problems, per standard: the n behind each accuracy."""
        totals: dict[str, list[int]] = {}
        for o in self.originals():
            totals.setdefault(o.standard, []).append(int(o.correct))
        return {s: (sum(v), len(v)) for s, v in totals.items()}

    def accuracy(self) -> dict[str, float]:
        """Accuracy on original problems, per standard."""
        return {s: right / n for s, (right, n) in self.counts().items()}


@dataclass
class Series:
    """Snapshots of one model family over training, ordered by step."""

    name: str
    path: Path
    kind: str
    """"run", "sweep" or "eval"."""
    snapshots: list[Snapshot]
    incomplete: list[str] = field(default_factory=list)
    """Sweep checkpoints left out because not all their problems are evaluated yet."""

    @property
    def standards(self) -> list[str]:
        return grade_order(o.standard for snap in self.snapshots for o in snap.originals())

    @property
    def steps(self) -> list[int]:
        return [s.step for s in self.snapshots]

    def at(self, step: int | None, default: int) -> Snapshot:
        """The snapshot at `step`, or at index `default` (0 first, -1 last) when `step` is None."""
        if step is None:
            return self.snapshots[default]
        for snap in self.snapshots:
            if snap.step == step:
                return snap
        raise ValueError(f"{self.name} has no checkpoint at step {step}; it has steps {self.steps}")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file; a torn last line (a writer killed mid-line) is dropped, any other bad line raises."""
    from mathcamps import io  # the one records reader

    return io.read_jsonl(path, empty_ok=True)


def outcome_from_row(row: dict[str, Any], where: str) -> Outcome:
    """An `Outcome` from an evaluation record of any of our writers (the callback, the engine CLI, the sweep)."""
    missing = [k for k in ("id", "standard", "correct") if k not in row]
    if missing:
        raise ValueError(f"{where}: record lacks {missing} (has {sorted(row)})")
    # Older or other writers may omit the optional fields; the grade follows from the standard.
    return Outcome(id=str(row["id"]), standard=row["standard"], grade=row.get("grade") or grade_of(row["standard"]),
                   correct=bool(row["correct"]), extracted=row.get("extracted"), type=row.get("type") or ORIGINAL,
                   followup_to=row.get("followup_to"))


def _snapshots_from_rows(rows: list[dict[str, Any]], where: str) -> list[Snapshot]:
    by_step: dict[int, dict[str, Outcome]] = {}
    for i, row in enumerate(rows):
        step = int(row.get("step", 0))
        # A resumed run may probe a step twice; the later record wins.
        by_step.setdefault(step, {})[str(row.get("id"))] = outcome_from_row(row, f"{where} row {i + 1}")
    return [Snapshot(step, f"step {step}", outcomes) for step, outcomes in sorted(by_step.items())]


def _load_sweep(path: Path) -> Series:
    manifest = json.loads((path / "sweep.json").read_text())
    problem_ids = [row["id"] for row in read_jsonl(path / "problems.jsonl")]
    snapshots, incomplete = [], []
    for ckpt in manifest["checkpoints"]:
        results = path / "results" / f"{ckpt['key']}.jsonl"
        rows = {str(r["id"]): r for r in read_jsonl(results)} if results.exists() else {}
        if any(pid not in rows for pid in problem_ids):
            incomplete.append(ckpt["name"])
            continue
        outcomes = {pid: outcome_from_row(rows[pid], f"{results} ({pid})") for pid in problem_ids}
        snapshots.append(Snapshot(int(ckpt["step"]), ckpt["name"], outcomes, ckpt.get("tokens")))
    snapshots.sort(key=lambda s: s.step)
    return Series(manifest.get("name") or path.name, path, "sweep", snapshots, incomplete)


_VERSION = re.compile(r"version_(\d+)")


def _run_versions(root: Path, version: Path | None) -> list[tuple[Path, list[dict[str, Any]]]]:
    """(responses file, rows) of each version of one run under the Lightning `root`, oldest first: the run that
    `version` belongs to, or the newest. A version that probed step 0 started a run afresh (see the docstring)."""
    found = [p for p in root.glob("version_*/mathcamps/responses.jsonl") if _VERSION.fullmatch(p.parents[1].name)]
    runs: list[list[tuple[Path, list[dict[str, Any]]]]] = []
    for f in sorted(found, key=lambda p: int(_VERSION.fullmatch(p.parents[1].name)[1])):
        rows = read_jsonl(f)
        if not rows:
            continue
        if not runs or min(int(r.get("step", 0)) for r in rows) == 0:
            runs.append([])
        runs[-1].append((f, rows))
    if version is not None:
        return next((r for r in runs if any(f.parents[1] == version for f, _ in r)), [])
    return runs[-1] if runs else []


def _load_run(path: Path) -> Series | None:
    own = path / "mathcamps" / "responses.jsonl"
    if own.is_file() and _VERSION.fullmatch(path.name):
        parts = _run_versions(path.parent, path)
    elif own.is_file():
        parts = [(own, read_jsonl(own))]
    else:
        parts = _run_versions(path, None)
    if not parts:
        return None
    by_step: dict[int, Snapshot] = {}
    for f, rows in parts:
        by_step |= {snap.step: snap for snap in _snapshots_from_rows(rows, str(f))}  # a later version wins a step
    # A run is named like its directories under the Lightning root, e.g. "quickstart/version_0+version_1".
    root = parts[0][0].parents[2].name
    name = f"{root}/{'+'.join(f.parents[1].name for f, _ in parts)}"
    return Series(name, path, "run", [by_step[s] for s in sorted(by_step)])


def load_series(path: str | Path) -> Series:
    """The series in a probe run (all versions of it), a Lightning root, a sweep directory or an evaluation's
    output directory."""
    path = Path(path)
    if (path / "sweep.json").is_file():
        series = _load_sweep(path)
    elif not (path / "mathcamps").is_dir() and (path / "responses.jsonl").is_file():
        found = path / "responses.jsonl"
        series = Series(path.name, path, "eval", _snapshots_from_rows(read_jsonl(found), str(found)))
    else:
        run = _load_run(path)
        if run is None:
            raise FileNotFoundError(f"{path} holds no results: looked for sweep.json, mathcamps/responses.jsonl, "
                                    "responses.jsonl and version_*/mathcamps/responses.jsonl")
        series = run
    if not series.snapshots:
        raise ValueError(f"{path} holds no complete checkpoint results (incomplete: {series.incomplete})")
    return series


# -- learning dynamics ---------------------------------------------------------------------------------------


def learning_curves(series: Series) -> dict[str, list[tuple[int, float]]]:
    """Per standard (grade order), (step, accuracy) at every checkpoint that evaluated it."""
    curves: dict[str, list[tuple[int, float]]] = {s: [] for s in series.standards}
    for snap in series.snapshots:
        for standard, acc in snap.accuracy().items():
            curves[standard].append((snap.step, acc))
    return curves


def acquisition_step(curve: Sequence[tuple[int, float]], threshold: float) -> int | None:
    """The first step from which accuracy is at or above `threshold` at every later checkpoint; None if never.

    >>> acquisition_step([(0, 0.0), (10, 0.6), (20, 0.3), (30, 0.5), (40, 0.9)], 0.5)
    30
    >>> acquisition_step([(0, 0.2), (10, 0.6), (20, 0.4)], 0.5) is None
    True
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    acquired = None
    for step, acc in sorted(curve):
        if acc >= threshold:
            acquired = step if acquired is None else acquired
        else:
            acquired = None
    return acquired


def acquisition_points(series: Series, threshold: float = 0.5) -> dict[str, int | None]:
    """Each standard's acquisition step (None: not acquired by the last checkpoint)."""
    return {s: acquisition_step(c, threshold) for s, c in learning_curves(series).items()}


def grade_correlation(acquired: dict[str, int | None], n_resamples: int = 2_000, seed: int = 0,
                      confidence: float = 0.95) -> Correlation | None:
    """Spearman of grade (K=0 ... 8) with acquisition step over the acquired standards; None with fewer than 3.

    Unacquired standards have no step and are left out: report them beside the correlation.
    """
    points = [(GRADES.index(grade_of(s)), step) for s, step in acquired.items() if step is not None]
    if len(points) < 3:
        return None
    grades, steps = zip(*points, strict=True)
    return spearman(grades, steps, n_resamples=n_resamples, seed=seed, confidence=confidence)


# -- base vs tuned -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowupRobustness:
    """How answers hold up under follow-up questions (counterfactual or incremental) at one checkpoint."""

    by_kind: dict[str, tuple[int, float | None]]
    """Per follow-up type: (follow-ups whose original was right, share of those answered right)."""
    all_right: float
    """Share of originals with follow-ups where the original and every follow-up are right."""
    n_originals: int


def followup_robustness(snapshot: Snapshot) -> FollowupRobustness | None:
    """Follow-up robustness of one snapshot, or None when it holds no follow-up records."""
    followups: dict[str, list[Outcome]] = {}
    for o in snapshot.outcomes.values():
        if o.type != ORIGINAL and o.followup_to in snapshot.outcomes:
            followups.setdefault(o.followup_to, []).append(o)
    if not followups:
        return None
    by_kind: dict[str, list[int]] = {}
    all_right = 0
    for original_id, items in followups.items():
        original = snapshot.outcomes[original_id].correct
        all_right += original and all(o.correct for o in items)
        for o in items:
            counts = by_kind.setdefault(o.type, [0, 0])
            if original:
                counts[0] += 1
                counts[1] += o.correct
    return FollowupRobustness({k: (n, right / n if n else None) for k, (n, right) in sorted(by_kind.items())},
                              all_right / len(followups), len(followups))


@dataclass(frozen=True)
class StandardChange:
    """One standard's accuracy before and after, on the same problems, with its paired test."""

    standard: str
    grade: str
    test: PairedTest
    direction: str | None
    """"gain" or "regression" when significant, else None."""
    q_value: float = 1.0
    """The p-value compared with alpha (Benjamini-Hochberg adjusted across the standards with fdr)."""
    mde: float | None = None
    """The smallest change the test could flag at this standard's n (`probes.stats.minimum_detectable_change`)."""


@dataclass
class Comparison:
    """Per-standard and per-grade changes between two snapshots, with follow-up robustness on both sides."""

    before: str
    after: str
    method: str
    alpha: float
    changes: list[StandardChange]
    """In grade order."""
    by_grade: dict[str, PairedTest]
    followups_before: FollowupRobustness | None
    followups_after: FollowupRobustness | None
    fdr: bool = True
    """Flags come from Benjamini-Hochberg adjusted p-values."""

    @property
    def improved(self) -> list[str]:
        return [c.standard for c in self.changes if c.direction == "gain"]

    @property
    def regressed(self) -> list[str]:
        return [c.standard for c in self.changes if c.direction == "regression"]


def compare_snapshots(before: Snapshot, after: Snapshot, alpha: float = 0.05, method: str = "mcnemar",
                      seed: int = 0, before_name: str = "", after_name: str = "", fdr: bool = True) -> Comparison:
    """Paired per-standard (and per-grade, pooled) change on the original problems both snapshots answered.

    The same comparison as the probe callback's (`probes.stats.compare_groups`): with `fdr` (the default), a
    standard is flagged when its Benjamini-Hochberg adjusted p-value is below `alpha`.
    """
    check_alpha(alpha)
    shared = sorted(set(o.id for o in before.originals()) & set(o.id for o in after.originals()))
    if not shared:
        raise ValueError(f"{before_name or before.label} and {after_name or after.label} share no problem ids; "
                         "compare results on the same problem set")
    by_standard: dict[str, list[str]] = {}
    for pid in shared:
        by_standard.setdefault(before.outcomes[pid].standard, []).append(pid)
    by_grade_ids: dict[str, list[str]] = {}
    for standard in grade_order(by_standard):
        by_grade_ids.setdefault(grade_of(standard), []).extend(by_standard[standard])

    def pairs(groups: dict[str, list[str]]) -> dict[str, tuple[list[bool], list[bool]]]:
        return {g: ([before.outcomes[i].correct for i in ids], [after.outcomes[i].correct for i in ids])
                for g, ids in groups.items()}

    standards = compare_groups(pairs({s: by_standard[s] for s in grade_order(by_standard)}), alpha, method, seed, fdr)
    changes = [StandardChange(c.group, grade_of(c.group), c.test, c.direction, c.q_value, c.mde) for c in standards]
    by_grade = {c.group: c.test for c in compare_groups(pairs(by_grade_ids), alpha, method, seed, fdr)}
    return Comparison(before_name or before.label, after_name or after.label, method, alpha, changes, by_grade,
                      followup_robustness(before), followup_robustness(after), fdr)

"""One problem-set spec, read the same way by the probe callback, `probes.evaluate` and `probes.sweep`.

In YAML (the probe's `problems:`, a sweep's `problems:`, or a file given to `probes.evaluate --problems`):

    source: published            # generated | published | path/to/problems.jsonl
    path: data/mathcamps-v1      # published only: a local copy; without it, the hub dataset mathcamps/mathcamps
    standards: [K.OA.A.5, 1.OA.A.1, 3.OA.A.3]
    per_standard: 20
    seed: 0

`generated` draws fresh problems from the grammar (no two originals of a standard sharing a symbolic structure);
`published` reads the MathCAMPS v1 release (the flat `mathcamps.json`, a folder of per-standard files, or the
hub); any other source is a JSON or JSONL problem file. From a file, each standard's `per_standard` originals
are a deterministic sample by `seed`, kept in file order, and every follow-up comes with its original.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathcamps.io import problem_from_row, read_problems, read_reference
from mathcamps.problem import Problem, grade_order
from mathcamps.render.templates import Style

HUB_DATASET = "mathcamps/mathcamps"
"""The published release on the Hugging Face hub."""
SOURCES = ("generated", "published")


class ProblemSetError(ValueError):
    """A problem-set spec that cannot be read: names the key, the value and why."""


@dataclass(frozen=True)
class ProblemSet:
    """Which problems to ask: generated, the published release, or a problem file; a deterministic subset."""

    source: str = "generated"
    """"generated", "published", or the path of a JSON/JSONL problem file."""
    path: str | None = None
    """For `published`: a local copy (mathcamps.json, or a folder of per-standard files); None reads the hub."""
    standards: list[str] | None = None
    """Standard ids; required for `generated`, None or [] for every standard of a file."""
    per_standard: int | None = 20
    """Originals per standard (None: every original a file has; `generated` needs a number)."""
    seed: int = 1_000_003
    """Seed of the draw (`generated`) or of the subset (files)."""
    style: Style = "story"
    """`generated` only: "story" (word problems) or "exercise" (bare arithmetic)."""
    followups: bool = True
    """Also ask each original's follow-ups (in the same conversation, after a right answer)."""

    def __post_init__(self) -> None:
        errors = []
        if self.per_standard is not None and self.per_standard < 1:
            errors.append(f"problems.per_standard must be >= 1, got {self.per_standard}")
        if self.source == "generated":
            if not self.standards:
                errors.append(
                    f"problems.standards must name at least one standard for source: generated, got {self.standards}"
                )
            if self.per_standard is None:
                errors.append("problems.per_standard must be a number for source: generated, got None")
        if self.path is not None and self.source != "published":
            errors.append(f"problems.path is for source: published, got source: {self.source!r}")
        if errors:
            raise ProblemSetError("; ".join(errors))

    def describe(self) -> str:
        where = self.source if self.source != "published" else f"published ({self.path or HUB_DATASET})"
        per = "all" if self.per_standard is None else self.per_standard
        return f"{where}, {per} per standard, seed {self.seed}"

    def load(self) -> list[Problem]:
        """The problems: originals in grade order of standard, each followed by its follow-ups (if asked for)."""
        if self.source == "generated":
            from mathcamps.generate import generate_distinct

            assert self.standards and self.per_standard is not None
            return generate_distinct(self.standards, self.per_standard, self.seed, self.followups, self.style)
        return subset(self._read(), self.standards, self.per_standard, self.seed, self.followups)

    def _read(self) -> list[Problem]:
        if self.source == "published":
            return read_published_release(self.path)
        path = Path(self.source)
        if not path.is_file():
            raise ProblemSetError(
                f"problems.source must be one of {SOURCES} or a problem file, got {self.source!r} (no such file)"
            )
        return read_problems(path)


def read_published_release(path: str | Path | None) -> list[Problem]:
    """Every published problem: from a local copy (a folder of per-standard files, or a flat file), else the hub."""
    if path is None:
        return [problem_from_row(row, f"{HUB_DATASET}[{i}]") for i, row in enumerate(_hub_rows())]
    path = Path(path)
    if path.is_dir():
        if any(p.name != "mathcamps.json" for p in path.glob("*.json")):
            return read_reference(path)  # the per-standard files also carry the symbolic structures
        if (path / "mathcamps.json").is_file():
            return read_problems(path / "mathcamps.json")
        raise ProblemSetError(f"problems.path {str(path)!r} holds neither mathcamps.json nor per-standard files")
    if path.is_file():
        return read_problems(path)
    raise ProblemSetError(f"problems.path {str(path)!r} does not exist")


def _hub_rows() -> list[dict[str, Any]]:
    import datasets  # imported here: `datasets` pulls in pyarrow and pandas, which only the hub path needs

    loaded = datasets.load_dataset(HUB_DATASET)
    splits = [loaded[name] for name in sorted(loaded)] if hasattr(loaded, "keys") else [loaded]
    return [dict(row) for split in splits for row in split]


def subset(
    problems: list[Problem], standards: list[str] | None, per_standard: int | None, seed: int, followups: bool = True
) -> list[Problem]:
    """Per standard, `per_standard` originals sampled with `seed` (file order kept), each with its follow-ups.

    A standard's sample depends only on (seed, standard, its originals), not on the other standards asked for.
    """
    by_standard: dict[str, list[Problem]] = {}
    for p in problems:
        if not p.is_followup:
            by_standard.setdefault(p.standard, []).append(p)
    wanted = grade_order(standards) if standards else grade_order(by_standard)
    missing = [s for s in wanted if s not in by_standard]
    if missing:
        raise ProblemSetError(f"problems.standards: {missing} not in the source; it has {grade_order(by_standard)}")
    kept: list[Problem] = []
    for s in wanted:
        pool = by_standard[s]
        if per_standard is not None and per_standard > len(pool):
            raise ProblemSetError(f"problems.per_standard={per_standard}, but {s} has only {len(pool)} originals")
        if per_standard is None or per_standard == len(pool):
            kept += pool
            continue
        chosen = set(random.Random(f"{seed}/{s}").sample(range(len(pool)), per_standard))
        kept += [p for i, p in enumerate(pool) if i in chosen]
    follow: dict[str, list[Problem]] = {}
    if followups:
        for p in problems:
            if p.is_followup and p.followup_to is not None:
                follow.setdefault(p.followup_to, []).append(p)
    return [q for p in kept for q in (p, *follow.get(p.id, []))]


def parse_problem_set(spec: str | dict[str, Any] | ProblemSet) -> ProblemSet:
    """A `ProblemSet` from a YAML file, an inline YAML mapping (`{source: published, per_standard: 5}`) or a dict."""
    if isinstance(spec, ProblemSet):
        return spec
    if isinstance(spec, str):
        import yaml

        text = Path(spec).read_text() if Path(spec).is_file() else spec
        spec = yaml.safe_load(text)
        if not isinstance(spec, dict):
            raise ProblemSetError(f"--problems must be a YAML file or mapping, got {text[:60]!r}")
        spec = spec.get("problems", spec)  # a whole config's `problems:` block is accepted too
    known = set(ProblemSet.__dataclass_fields__)
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ProblemSetError(f"problems: unknown key(s) {unknown}; the keys are {sorted(known)}")
    return ProblemSet(**spec)

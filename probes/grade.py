"""Regrade saved model responses with the rule-based grader, and report accuracy.

    python -m probes.grade responses.jsonl --out graded.jsonl
    python -m probes.grade responses.jsonl --problems ../shared/reference/mathcamps-v1/mathcamps.json
    python -m probes.grade together-llama.json          # a published results file (SPEC §5.4), as it is

RESPONSES is JSONL (or a JSON list) of rows with `id`, `standard`, `response` and `answer`; `answer` (and
`standard`, and the problem statement) may instead come from `--problems`, joined on `id`. A published results
file, a dict keyed by `(problem_id, model)` with `model_generation` and nested `followups`, is read as it is,
and then the report also gives the agreement with the published `correct` verdicts.

Prints accuracy per standard, per grade and overall (per model as well when there are several), each with the
unextractable rate; `--out` writes each row with its verdict.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from mathcamps.answers.grade import grade
from mathcamps.problem import GRADES, Problem, grade_of


@dataclass(frozen=True)
class Response:
    """One saved response to grade. `published` is the published verdict, when the file carries one."""

    id: str
    standard: str
    response: str
    answer: str | None
    question: str | None = None
    model: str | None = None
    published: bool | None = None
    row: dict[str, Any] = field(default_factory=dict, compare=False)


def read_problems(path: Path) -> dict[str, Problem]:
    """Problems by id, from a published `mathcamps.json`, a per-standard file (a list of dialogue groups) or
    a JSONL file of problem rows."""
    rows = _rows(path)
    flat: list[dict[str, Any]] = []
    for row in rows:
        flat.extend(row if isinstance(row, list) else [row])
    problems = {}
    for row in flat:
        if not isinstance(row, dict) or "id" not in row or "answer" not in row:
            raise ValueError(f"{path}: a problem row needs 'id' and 'answer', got {str(row)[:120]!r}")
        problems[row["id"]] = Problem.from_json({"statement": ""} | row)
    return problems


def read_responses(path: Path, problems: dict[str, Problem] | None = None) -> list[Response]:
    """The responses in `path` (JSONL rows, a JSON list, or a published results dict), joined with `problems`.

    Every row that has no answer (neither its own nor its problem's) is named in one ValueError.
    """
    data = _rows(path)
    if len(data) == 1 and isinstance(data[0], dict) and all(k.startswith("(") for k in data[0]):
        rows = list(_published_results(data[0]))
    else:
        rows = [_own_row(row, path) for row in data]
    joined, missing = [], []
    for r in rows:
        p = problems.get(r.id) if problems else None
        answer = r.answer if r.answer is not None else (p.answer if p else None)
        if answer is None:
            missing.append(r.id)
            continue
        joined.append(
            Response(
                r.id, r.standard or (p.standard if p else ""), r.response, answer,
                r.question or (p.statement if p and p.statement else None), r.model, r.published, r.row,
            )
        )  # fmt: skip
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        hint = "" if problems else " (pass --problems FILE to join answers on id)"
        raise ValueError(f"{len(missing)} responses have no answer: {shown}{hint}")
    return joined


def _rows(path: Path) -> list[Any]:
    text = path.read_text()
    stripped = text.lstrip()
    if stripped.startswith("["):
        return json.loads(text)
    if stripped.startswith("{") and "\n{" not in stripped.rstrip():
        try:
            return [json.loads(text)]
        except json.JSONDecodeError:
            pass
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not a JSON line ({e.msg})") from None
    return rows


def _own_row(row: Any, path: Path) -> Response:
    if not isinstance(row, dict) or "id" not in row or not isinstance(row.get("response"), str):
        raise ValueError(f"{path}: a response row needs 'id' and 'response' (a string), got {str(row)[:120]!r}")
    question = row.get("question") or row.get("statement")
    return Response(
        row["id"], row.get("standard", ""), row["response"], row.get("answer"), question, row.get("model"),
        row.get("correct") if isinstance(row.get("correct"), bool) else None, row,
    )  # fmt: skip


def _published_results(results: dict[str, Any]) -> Iterator[Response]:
    """Originals and their follow-ups from a published results dict (SPEC §5.4)."""
    for value in results.values():
        yield _published_one(value)
        yield from (_published_one(v) for v in (value.get("followups") or {}).values())


def _published_one(value: dict[str, Any]) -> Response:
    correct = value.get("correct")
    row = {k: v for k, v in value.items() if k != "followups"}
    return Response(
        value["problem"], value.get("standard", ""), value.get("model_generation") or "", value.get("answer"),
        value.get("question"), value.get("model"), bool(correct) if correct is not None else False, row,
    )  # fmt: skip


@dataclass
class Tally:
    """Counts for one group of responses."""

    n: int = 0
    correct: int = 0
    unextractable: int = 0
    published: int = 0  # responses with a published verdict
    published_correct: int = 0
    agree: int = 0

    def add(self, correct: bool, unextractable: bool, published: bool | None) -> None:
        self.n += 1
        self.correct += correct
        self.unextractable += unextractable
        if published is not None:
            self.published += 1
            self.published_correct += published
            self.agree += published == correct


def regrade(responses: list[Response]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Tally]]]:
    """Grade every response; return the output rows and tallies by standard, grade, model and overall."""
    out: list[dict[str, Any]] = []
    tallies: dict[str, dict[str, Tally]] = {k: defaultdict(Tally) for k in ("standard", "grade", "model", "all")}
    for r in responses:
        v = grade(r.response, r.answer or "", r.question)
        try:
            grade_name = grade_of(r.standard)
        except ValueError:
            grade_name = "?"
        for kind, key in (("standard", r.standard), ("grade", grade_name), ("model", r.model or "-"), ("all", "all")):
            tallies[kind][key].add(v.correct, v.unextractable, r.published)
        verdict = {"correct": v.correct, "extracted": v.extracted, "rule": v.rule, "reading": v.reading}
        row = {"id": r.id, "standard": r.standard, "answer": r.answer, "model": r.model, "response": r.response}
        out.append(row | {k: val for k, val in r.row.items() if k not in row and k != "model_generation"} | verdict)
    return out, tallies


def _table(title: str, tallies: dict[str, Tally], order: list[str], published: bool) -> Table:
    table = Table(title=title)
    for col in ("", "n", "accuracy", "unextractable"):
        table.add_column(col, justify="left" if not col else "right")
    if published:
        table.add_column("published acc", justify="right")
        table.add_column("agreement", justify="right")
    for key in order:
        t = tallies[key]
        cells = [key, str(t.n), f"{t.correct / t.n:.3f}", f"{t.unextractable / t.n:.3f}"]
        if published:
            p = t.published or 1
            cells += [f"{t.published_correct / p:.3f}", f"{t.agree / p:.3f}"] if t.published else ["-", "-"]
        table.add_row(*cells)
    return table


def report(tallies: dict[str, dict[str, Tally]], console: Console) -> None:
    """Print accuracy per standard, per grade, per model (when several) and overall."""
    published = tallies["all"]["all"].published > 0
    grades = sorted(tallies["grade"], key=lambda g: GRADES.index(g) if g in GRADES else len(GRADES))
    console.print(_table("per standard", tallies["standard"], sorted(tallies["standard"]), published))
    console.print(_table("per grade", tallies["grade"], grades, published))
    if len(tallies["model"]) > 1:
        console.print(_table("per model", tallies["model"], sorted(tallies["model"]), published))
    console.print(_table("overall", tallies["all"], ["all"], published))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m probes.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("responses", type=Path, help="JSONL/JSON responses, or a published results file")
    parser.add_argument("--problems", type=Path, help="problems to join on id (published mathcamps.json, ...)")
    parser.add_argument("--out", type=Path, help="write each response with its verdict here (JSONL)")
    args = parser.parse_args(argv)
    try:
        problems = read_problems(args.problems) if args.problems else None
        responses = read_responses(args.responses, problems)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    rows, tallies = regrade(responses)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    report(tallies, Console())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

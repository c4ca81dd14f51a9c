"""Regrade saved model responses with the rule-based grader, and report accuracy.

    python -m probes.grade responses.jsonl --out graded.jsonl
    python -m probes.grade responses.jsonl --rules paper --out graded.jsonl   # as the published authors graded
    python -m probes.grade responses.jsonl --problems ../shared/reference/mathcamps-v1/mathcamps.json
    python -m probes.grade together-llama.json          # a published results file (SPEC §5.4), as it is
    python -m probes.grade ../shared/reference/graded-dev/responses.jsonl.gz --rules paper --by model
    python -m probes.grade responses.jsonl --skip-bad-rows   # skip (and count) rows that cannot be graded

RESPONSES is JSONL (optionally gzipped) or a JSON list of rows with `id`, `standard`, `response` and `answer`
(or `expected`); `answer` (and `standard`, and the problem statement) may instead come from `--problems`, joined
on `id`. A row's `correct`, when it holds a boolean, is taken as a reference verdict. A published results file,
a dict keyed by `(problem_id, model)` with `model_generation` and nested `followups`, is read as it is.

`--rules principled` (the default) judges exact values; `--rules paper` reproduces the published verdicts
(`mathcamps.answers.paper_rules`). Each output row's `correct` is the verdict under those rules; `strict_correct` and
`flexible_correct` are the two extractions' verdicts. Prints accuracy per standard, per grade and overall (and
per `--by` column, `model` by default when there are several), for both extractions, with the format rate (the
share of responses that marked their answer: strict found one) and, where the input holds reference verdicts,
the agreement with them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from mathcamps import io
from mathcamps.answers.grade import MARKERS, Rules, grade
from mathcamps.answers.types import parse_answer
from mathcamps.cli import one_line, run_cli
from mathcamps.problem import GRADES, Problem, grade_of

if TYPE_CHECKING:  # the CLI starts without torch; a judge's backend is imported only when asked for
    from probes.backends import Backend


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
    a JSONL file of problem rows, checked whole as `mathcamps.io.read_problems` checks them."""
    return {p.id: p for p in io.read_problems(path)}


def read_responses(path: Path, problems: dict[str, Problem] | None = None,
                   skipped: list[str] | None = None) -> list[Response]:
    """The responses in `path` (JSONL rows, a JSON list, or a published results dict), joined with `problems`.

    A row that cannot be graded (not JSON, no id or response, an expected answer that does not read) raises a
    ValueError `file:line: what is wrong`, or, when a `skipped` list is given, is left out and its error kept
    there. Every row that has no answer at all (neither its own nor its problem's) is named in one ValueError.
    """
    data = io.read_rows(path, skipped=skipped)
    if len(data) == 1 and isinstance(data[0][1], dict) and all(k.startswith("(") for k in data[0][1]):
        located: list[tuple[str, Any]] = [(data[0][0], r) for r in _published_results(data[0][1])]
    else:
        located = data
    joined: list[Response] = []
    missing: list[str] = []
    for where, row in located:
        try:
            joined += _joined(row, where, problems, missing)
        except ValueError as err:
            if skipped is None:
                raise
            skipped.append(str(err))
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        hint = "" if problems else " (pass --problems FILE to join answers on id)"
        raise ValueError(f"{len(missing)} responses have no answer: {shown}{hint}")
    if not joined:
        raise ValueError(f"no rows to grade in {path} ({len(skipped or [])} bad rows skipped)")
    return joined


def _joined(row: Any, where: str, problems: dict[str, Problem] | None, missing: list[str]) -> list[Response]:
    """[the response of `row` joined with its problem], or [] with its id in `missing` when it has no answer.
    Raises ValueError naming `where` for a row that cannot be graded."""
    r = row if isinstance(row, Response) else _own_row(row, where)
    p = problems.get(r.id) if problems else None
    answer = r.answer if r.answer is not None else (p.answer if p else None)
    if answer is None:
        missing.append(r.id)
        return []
    response = Response(
        r.id, r.standard or (p.standard if p else ""), r.response, answer,
        r.question or (p.statement if p and p.statement else None), r.model, r.published, r.row,
    )  # fmt: skip
    return [_answer_reads(response, where)]


def _answer_reads(response: Response, where: str) -> Response:
    """`response`, once its expected answer is known to read as an answer (checked before any grading)."""
    try:
        parse_answer(response.answer or "")
    except ValueError:
        raise ValueError(f"{where} ({io.quote(response.id)}): expected answer {io.quote(response.answer)} does not "
                         f"read as a number, relation, list or mapping") from None
    return response


def _own_row(row: Any, where: str) -> Response:
    if isinstance(row, dict) and "response" in row and row["response"] is None:
        row = row | {"response": ""}  # no response (a failed request) is graded as no answer
    if not isinstance(row, dict) or "id" not in row or not isinstance(row.get("response"), str):
        raise ValueError(f"{where}: a response row needs 'id' and 'response' (a string), got {io.quote(row, 120)}")
    question = row.get("question") or row.get("statement")
    answer = row["answer"] if row.get("answer") is not None else row.get("expected")
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        answer = str(answer)  # a number written as a JSON number, not a string
    if answer is not None and not isinstance(answer, str):
        raise ValueError(f"{where}: 'answer' must be a string or a number, got {io.quote(answer)}")
    if question is None and isinstance(row.get("problem"), str):
        question = row["problem"]  # the graded-dev rows carry the statement as `problem`
    return Response(
        str(row["id"]), row.get("standard", ""), row["response"], answer, question, row.get("model"),
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
    """Counts for one group of responses: the verdicts under the chosen rules, and both extractions'."""

    n: int = 0
    correct: int = 0
    strict: int = 0
    flexible: int = 0
    unformatted: int = 0  # strict found no answer
    published: int = 0  # responses with a reference verdict
    published_correct: int = 0
    agree: int = 0
    tp: int = 0  # correct here and in the reference
    correct_on_reference: int = 0  # correct here, among responses with a reference verdict

    def add(self, correct: bool, strict: bool, flexible: bool, unformatted: bool, published: bool | None) -> None:
        self.n += 1
        self.correct += correct
        self.strict += strict
        self.flexible += flexible
        self.unformatted += unformatted
        if published is not None:
            self.published += 1
            self.published_correct += published
            self.agree += published == correct
            self.tp += published and correct
            self.correct_on_reference += correct

    @property
    def unextractable(self) -> int:
        return self.unformatted


def regrade(
    responses: list[Response],
    rules: Rules = "principled",
    markers: tuple[str, ...] = MARKERS,
    by: str = "model",
    judge: Backend | None = None,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Tally]]]:
    """Grade every response; return the output rows and tallies by standard, grade, the `by` column (keyed by
    its name) and overall. With a `judge`, responses whose answer the rules leave open are re-extracted by it
    (`probes.reextract`), and what it copies out is judged by our own comparison."""
    verdicts = [grade(r.response, r.answer or "", r.question, rules=rules, markers=markers) for r in responses]
    if judge is not None:
        from probes.reextract import reextract

        rows = [(r.response, r.answer or "", r.question) for r in responses]
        verdicts = reextract(rows, verdicts, judge, rules=rules)
    out: list[dict[str, Any]] = []
    tallies: dict[str, dict[str, Tally]] = {k: defaultdict(Tally) for k in ("standard", "grade", by, "all")}
    for r, v in zip(responses, verdicts, strict=True):
        try:
            grade_name = grade_of(r.standard)
        except ValueError:
            grade_name = "?"
        group = r.model if by == "model" else r.row.get(by)
        strict, flexible = v.strict, v.flexible
        assert strict is not None and flexible is not None
        for kind, key in (("standard", r.standard), ("grade", grade_name), (by, str(group or "-")), ("all", "all")):
            tallies[kind][key].add(v.correct, strict.correct, flexible.correct, not v.strict_found, r.published)
        verdict = {
            "correct": v.correct, "extracted": v.extracted, "rule": v.rule, "reading": v.reading, "rules": rules,
            "strict_correct": strict.correct, "strict_extracted": strict.extracted, "strict_rule": strict.rule,
            "flexible_correct": flexible.correct, "flexible_extracted": flexible.extracted,
            "flexible_rule": flexible.rule,
        }  # fmt: skip
        if r.published is not None:
            verdict["reference_correct"] = r.published
        row = {"id": r.id, "standard": r.standard, "answer": r.answer, "model": r.model, "response": r.response}
        skip = {"model_generation", "correct", "expected"}
        out.append(row | {k: val for k, val in r.row.items() if k not in row and k not in skip} | verdict)
    return out, tallies


def _table(title: str, tallies: dict[str, Tally], order: list[str], published: bool) -> Table:
    table = Table(title=title)
    for col in ("", "n", "accuracy", "strict acc", "flexible acc", "format rate"):
        table.add_column(col, justify="left" if not col else "right")
    if published:
        table.add_column("reference acc", justify="right")
        table.add_column("agreement", justify="right")
    for key in order:
        t = tallies[key]
        cells = [key, str(t.n), f"{t.correct / t.n:.3f}", f"{t.strict / t.n:.3f}", f"{t.flexible / t.n:.3f}",
                 f"{1 - t.unformatted / t.n:.3f}"]  # fmt: skip
        if published:
            p = t.published or 1
            cells += [f"{t.published_correct / p:.3f}", f"{t.agree / p:.4f}"] if t.published else ["-", "-"]
        table.add_row(*cells)
    return table


def report(tallies: dict[str, dict[str, Tally]], console: Console, by: str = "model") -> None:
    """Print accuracy per standard, per grade, per `by` group (when several) and overall.

    "format rate" is the share of responses whose answer the strict rules found (1 - the share without one)."""
    published = tallies["all"]["all"].published > 0
    grades = sorted(tallies["grade"], key=lambda g: GRADES.index(g) if g in GRADES else len(GRADES))
    console.print(_table("per standard", tallies["standard"], sorted(tallies["standard"]), published))
    console.print(_table("per grade", tallies["grade"], grades, published))
    if len(tallies.get(by, {})) > 1:
        console.print(_table(f"per {by}", tallies[by], sorted(tallies[by]), published))
    console.print(_table("overall", tallies["all"], ["all"], published))
    if published:
        t = tallies["all"]["all"]
        tp, fp = t.tp, t.correct_on_reference - t.tp
        fn, tn = t.published_correct - tp, t.published - t.published_correct - fp
        console.print(f"against the reference verdicts: TP {tp}  FP {fp}  FN {fn}  TN {tn}")


def _judge(name: str, model: str, batch_size: int) -> Backend:
    """The judge backend: an endpoint for a URL, else an HF model (hub id or folder) loaded here."""
    from probes.reextract import SETTINGS, EndpointBackend

    if name.startswith(("http://", "https://")):
        return EndpointBackend(name, model, batch_size=batch_size, api_key=os.environ.get("OPENAI_API_KEY"))
    from probes.backends.hf import load_hf_backend

    return load_hf_backend(name, SETTINGS, batch_size=batch_size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m probes.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("responses", type=Path, help="JSONL/JSON responses, or a published results file")
    parser.add_argument("--problems", type=Path, help="problems to join on id (published mathcamps.json, ...)")
    parser.add_argument("--out", type=Path, help="write each response with its verdict here (JSONL)")
    parser.add_argument(
        "--rules",
        choices=["principled", "paper"],
        default="principled",
        help="principled (exact values; default) or paper (the published grader's verdicts)",
    )
    parser.add_argument(
        "--marker",
        action="append",
        default=None,
        metavar="TEXT",
        help=f"an answer marker to read besides '### Answer:' (repeatable; default {MARKERS})",
    )
    parser.add_argument(
        "--by", default="model", metavar="COLUMN", help="a column of the input to report accuracy by (default: model)"
    )
    parser.add_argument(
        "--judge",
        metavar="URL_OR_MODEL",
        help="re-extract open answers with an LLM: an OpenAI-compatible endpoint URL, or an HF model id or folder",
    )
    parser.add_argument("--judge-model", default="judge", help="the model name sent to a --judge endpoint")
    parser.add_argument("--judge-batch-size", type=int, default=16, help="prompts per request or batch")
    parser.add_argument("--skip-bad-rows", action="store_true",
                        help="skip rows that cannot be graded, and count them, instead of stopping at the first")
    args = parser.parse_args(argv)  # fmt: skip
    skipped: list[str] | None = [] if args.skip_bad_rows else None
    try:
        problems = read_problems(args.problems) if args.problems else None
        responses = read_responses(args.responses, problems, skipped)
        judge = _judge(args.judge, args.judge_model, args.judge_batch_size) if args.judge else None
    except (OSError, ValueError) as e:
        print(f"error: {one_line(str(e))}", file=sys.stderr)
        return 2
    if skipped:
        print(f"skipped {len(skipped)} bad rows of {args.responses}; the first: {one_line(skipped[0])}",
              file=sys.stderr)
    markers = tuple(args.marker) if args.marker else MARKERS
    rows, tallies = regrade(responses, args.rules, markers, args.by, judge)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    report(tallies, Console(width=None if sys.stdout.isatty() else 140), args.by)
    return 0


if __name__ == "__main__":
    run_cli(main)

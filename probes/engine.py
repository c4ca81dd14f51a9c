"""Evaluation as data: problems in, one scored `Record` per problem and turn out.

The orchestration layer over a generation backend (`probes.backends`): it asks every original, then, as in the
published protocol (SPEC §4.2), asks each follow-up of a correctly answered original in the same conversation
(original question, the model's own response, follow-up), each follow-up separately and all of them batched
across problems. A follow-up whose original was answered wrongly is not asked; it still gets a record
(`asked=False`, `correct=False`), so the metrics can be computed from the records alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any

from mathcamps.answers.grade import grade
from mathcamps.problem import Problem
from probes.backends import Backend, Completion
from probes.prompts import Prompter, Turn


class SelectionError(ValueError):
    """A problem selection that leaves nothing to evaluate, or names an original that is not there."""


@dataclass(frozen=True)
class Record:
    """One scored problem in one turn: evaluation is data, one record per item.

    `turn` is 0 for an original and 1 for a follow-up (asked after its original). `asked` is False for a
    follow-up skipped because its original was answered wrongly: it has no prompt or response and counts as wrong.
    `correct`, `extracted` and `rule` are the grader's headline (flexible) verdict; `strict` is the verdict on
    the marked answer alone, and `in_format` whether the response marked one (`mathcamps.answers.grade`), so
    that learning the answer format shows as format, not as skill.
    """

    id: str
    standard: str
    grade: str
    prompt: str
    response: str
    expected: str
    extracted: str | None
    rule: str
    correct: bool
    new_tokens: int
    type: str = "original-problem"
    followup_to: str | None = None
    turn: int = 0
    asked: bool = True
    prompt_tokens: int = 0
    finish: str = ""
    strict: bool = False
    in_format: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Record:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in row.items() if k in names})

    @property
    def is_followup(self) -> bool:
        return self.turn > 0


def score(problem: Problem, prompt: str, completion: Completion) -> Record:
    """The record of `problem` answered with `completion`: the grader's extraction and verdict."""
    verdict = grade(completion.text, problem.answer, problem.statement)
    strict = verdict.strict or verdict  # a verdict built without its two judgements is its own strict one
    return Record(problem.id, problem.standard, problem.grade, prompt, completion.text, problem.answer,
                  verdict.extracted, verdict.rule, verdict.correct, completion.new_tokens, type=problem.type,
                  followup_to=problem.followup_to, turn=int(problem.is_followup),
                  prompt_tokens=completion.prompt_tokens, finish=completion.finish,
                  strict=strict.correct, in_format=verdict.strict_found)


def not_asked(problem: Problem) -> Record:
    """The record of a follow-up that was not asked because its original was answered wrongly."""
    return Record(problem.id, problem.standard, problem.grade, "", "", problem.answer, None, "not-asked", False, 0,
                  type=problem.type, followup_to=problem.followup_to, turn=1, asked=False, finish="not-asked")


def select(problems: list[Problem], limit: int | None = None, followups: bool = True) -> list[Problem]:
    """The first `limit` originals of each standard (all when None), each followed by its follow-ups if asked for.

    Follow-ups whose original is not in `problems` are dropped: they cannot be asked without it.
    """
    if limit is not None and limit < 1:
        raise SelectionError(f"--limit must be >= 1, got {limit}")
    kept: dict[str, int] = {}
    originals: list[Problem] = []
    for p in problems:
        if not p.is_followup and (limit is None or kept.get(p.standard, 0) < limit):
            kept[p.standard] = kept.get(p.standard, 0) + 1
            originals.append(p)
    if not originals:
        raise SelectionError(f"no original problems selected from {len(problems)} problems (limit={limit})")
    ids = {p.id for p in originals}
    follow = [p for p in problems if p.is_followup and p.followup_to in ids] if followups else []
    by_original: dict[str, list[Problem]] = {}
    for p in follow:
        by_original.setdefault(p.followup_to, []).append(p)  # type: ignore[arg-type]
    return [q for p in originals for q in (p, *by_original.get(p.id, []))]


def run(backend: Backend, prompter: Prompter, problems: list[Problem], done: dict[str, Record] | None = None,
        on_record: Callable[[Record], None] | None = None) -> list[Record]:
    """Evaluate `problems` (originals, then their follow-ups) and return their records in problem order.

    `done` holds records already made (a resumed run): those problems are not asked again, and a follow-up
    uses its original's recorded response. `on_record` sees every new record as soon as it is made.
    """
    done = {} if done is None else dict(done)

    def emit(records: Iterable[Record]) -> None:
        for r in records:
            done[r.id] = r
            if on_record is not None:
                on_record(r)

    originals = [p for p in problems if not p.is_followup and p.id not in done]
    emit(_ask(backend, [(p, prompter(p.statement)) for p in originals]))

    by_id = {p.id: p for p in problems}
    asks: list[tuple[Problem, str]] = []
    skipped: list[Record] = []
    for p in problems:
        if not p.is_followup or p.id in done:
            continue
        if p.followup_to not in by_id or p.followup_to not in done:
            raise SelectionError(f"follow-up {p.id} names original {p.followup_to!r}, which is not in the selection")
        first = done[p.followup_to]
        if first.correct:
            asks.append((p, prompter(p.statement, (Turn(by_id[p.followup_to].statement, first.response),))))
        else:
            skipped.append(not_asked(p))
    emit(skipped)
    emit(_ask(backend, asks))
    return [done[p.id] for p in problems if p.id in done]


def _ask(backend: Backend, asks: list[tuple[Problem, str]]) -> Iterable[Record]:
    for i, completion in backend.generate([prompt for _, prompt in asks]):
        problem, prompt = asks[i]
        yield score(problem, prompt, completion)

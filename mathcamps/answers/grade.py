"""Answer extraction and grading: which answer a response commits to, and whether it is the expected one.

Extraction is kept apart from judging so each can be seen and tested. `extract` finds the answer text by the
first rule that fires (see `RULES`); `grade` reads that text as a value of the expected answer's type
(`mathcamps.answers.types`) and judges it. "Unextractable" (no answer found) is reported apart from "wrong".

Model text is untrusted: nothing is evaluated, numbers come from the bounded grammar in `mathcamps.answers.numbers`, and
every input is cut to a fixed size first, so a verdict costs a bounded amount of work whatever the text.

    >>> grade("48/2 = 24 clips in May, 48 + 24 = 72 in all.\\n### Answer: 72 clips", "72")
    Verdict(correct=True, extracted='72 clips', rule='answer-line', reading='72')

Every verdict carries two judgements, as lm-evaluation-harness reports `strict-match` and `flexible-extract`:
`verdict.strict` reads only what the response marks as its answer (the rules in `RULES`), and
`verdict.flexible` also takes the concluded final answer of a response with no such mark (`mathcamps.answers.flexible`).
The share of responses where strict found an answer is the *format rate*: a change in format shows there, not as
a change in skill, since the headline verdict is the flexible one. A probe reports, per response:

    v = grade(response, expected, question, rules="principled")   # or rules="paper"
    v.correct            # the headline verdict (principled: flexible; paper: as the published grader)
    v.strict.correct     # strict accuracy
    v.flexible.correct   # flexible accuracy
    v.strict_found       # whether strict found an answer: its mean is the format rate

`rules="paper"` (see `mathcamps.answers.paper_rules`) reproduces the published verdicts, documented deviations aside;
the default `"principled"` judges exact values with the rounding rule in `mathcamps.answers.types`. Where the rules
leave an answer open, a judge model can re-extract it (`probes.reextract`), judged by the same comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from mathcamps.answers.extract import (
    MARKERS,
    MAX_ANSWER_CHARS,
    RULES,
    Extraction,
    clip,
    extract,
)
from mathcamps.answers.flexible import flexible_extract
from mathcamps.answers.numbers import Num, clean_latex, normalise, read_number, scan, show
from mathcamps.answers.paper_rules import regrade_accepts, rule_grade
from mathcamps.answers.readers import read_mapping, read_pairs, read_relation, read_values
from mathcamps.answers.types import (
    Answer,
    Mapping,
    Number,
    Pairs,
    Relation,
    Values,
    parse_answer,
)

Rules = Literal["principled", "paper"]


@dataclass(frozen=True)
class Judgement:
    """One extraction's judgement: correct or not, what was extracted, by which rule, and how it read."""

    correct: bool
    extracted: str | None
    rule: str
    reading: str | None = None  # the value read from the extracted text, in canonical form; None if unreadable


@dataclass(frozen=True)
class Verdict:
    """The judgement of one response: correct or not, what was extracted, by which rule, and how it read.

    The four leading fields are the headline verdict under the rules graded with; `strict` and `flexible` are
    the two extractions' own judgements (under the same rules), so that both accuracies can be reported.
    """

    correct: bool
    extracted: str | None
    rule: str
    reading: str | None = None  # the value read from the extracted text, in canonical form; None if unreadable
    strict: Judgement | None = field(default=None, compare=False, repr=False)
    flexible: Judgement | None = field(default=None, compare=False, repr=False)

    @property
    def unextractable(self) -> bool:
        return self.extracted is None

    @property
    def strict_found(self) -> bool:
        """Whether the strict rules found an answer (the response kept the answer format)."""
        return self.strict.extracted is not None if self.strict is not None else self.extracted is not None


def grade(
    response: str,
    expected: str,
    question: str | None = None,
    *,
    rules: Rules = "principled",
    markers: tuple[str, ...] = MARKERS,
) -> Verdict:
    """Whether `response` gives the answer `expected` (a published-style answer string).

    `question`, the problem statement, is optional: it fixes the variable order when a system's solution is
    given as bare values, and the order of the two sides when a comparison is restated back to front.
    `rules` picks the judgement: `"principled"` (the default; the headline verdict is the flexible one) or
    `"paper"` (the published grader's, `mathcamps.answers.paper_rules`). `markers` are extra answer markers.
    """
    if rules not in ("principled", "paper"):
        raise ValueError(f"rules must be 'principled' or 'paper', got {rules!r}")
    answer = parse_answer(expected)
    found = extract(response, markers)
    strict = _judged(answer, expected, found, question, rules)
    if strict.reading is not None:
        flexible = strict
    else:  # no answer line, or one that reads as nothing ("### Answer: see above")
        flexible = _judged(answer, expected, flexible_extract(response), question, rules)
    head = flexible  # what a careful reader takes as the answer: learning a format is not learning a skill
    if rules == "paper":
        # Deviation: the published rule grade of a text with no answer in it (no answer line, no concluded
        # value) reads its first number or sign wherever it stands; that credit for garbage is not given.
        concluded = strict.extracted is not None or flexible.extracted is not None
        published = concluded and bool(rule_grade(response, expected))
        head = _paper_verdict(published, strict, flexible)
        # the published rule grade reads the answer line: it credits strict where strict found one, and flexible
        strict = replace(strict, correct=strict.correct or (published and strict.extracted is not None))
        flexible = replace(flexible, correct=flexible.correct or published)
    return Verdict(head.correct, head.extracted, head.rule, head.reading, strict, flexible)


def _judged(answer: Answer, expected: str, found: Extraction, question: str | None, rules: Rules) -> Judgement:
    if found.text is None:
        return Judgement(False, None, found.rule)
    correct, reading = judge(answer, found.text, question)
    if rules == "paper":
        correct = paper_judge(answer, expected, found.text, reading, found.rule in RULES)
    return Judgement(correct, found.text, found.rule, reading)


def _paper_verdict(published: bool, strict: Judgement, flexible: Judgement) -> Judgement:
    """The published verdict: its rule-based grade, else the regrade of the final answer (ours for its LLM's)."""
    if published:
        return Judgement(True, strict.extracted, "published-rule", strict.reading)
    if strict.reading is not None or flexible.extracted is None:
        return strict  # an answer the strict rules could read is the one a re-extraction takes
    return flexible


def paper_judge(answer: Answer, expected: str, text: str, reading: str | None, marked: bool) -> bool:
    """The published regrade's judgement of an extracted answer `text` (read by us as `reading`).

    A marked answer that is one value (`9.5 mm`, `k ≈ 1.28`) is judged as written, less a leading variable name,
    as a re-extracting model copies it; otherwise the value we read is judged. Factor pairs pass when they are the
    pairs (a re-extraction writes them as the published list), relations when the relation is the one expected.
    """
    if isinstance(answer, Number):
        if marked:
            bare = _LEADING_NAME.sub("", text.strip())
            if len(scan(normalise(clean_latex(bare)))) == 1:
                return regrade_accepts(expected, bare)
        return reading is not None and regrade_accepts(expected, reading)
    if isinstance(answer, Pairs):
        return reading is not None and read_pairs(text) == answer
    if isinstance(answer, Relation):
        return reading is not None and regrade_accepts(expected, reading)
    return regrade_accepts(expected, text)


_LEADING_NAME = re.compile(r"^[A-Za-z]\s*(?:=|≈)\s*")


def equivalent(given: str, expected: str, question: str | None = None) -> bool:
    """Whether an extracted answer `given` is the published-style answer `expected` (see `grade`)."""
    return judge(parse_answer(expected), given[:MAX_ANSWER_CHARS], question)[0]


def judge(answer: Answer, text: str, question: str | None = None) -> tuple[bool, str | None]:
    """Read `text` as a value of `answer`'s type; return whether it is `answer`, and the reading (or None)."""
    if isinstance(answer, Number):
        num = read_number(text)
        return (num is not None and answer.accepts(num)), _show(num)
    if isinstance(answer, Relation):
        rel = read_relation(text, question)
        return rel == answer, (None if rel is None else str(rel))
    if isinstance(answer, Pairs):
        pairs = read_pairs(text)
        return pairs == answer, (None if pairs is None else str(pairs))
    if isinstance(answer, Values):
        nums = read_values(text)
        ok = nums is not None and _same_set(answer.values, nums)
        return ok, (None if nums is None else "[" + ", ".join(_show(n) or "" for n in nums) + "]")
    if isinstance(answer, Mapping):
        given = read_mapping(text, answer.names, question)
        if given is None:
            return False, None
        ok = all(num is not None and value.accepts(num) for (_, value), num in zip(answer.values, given, strict=True))
        return ok, "{" + ", ".join(f"{k}: {_show(n)}" for k, n in zip(answer.names, given, strict=True)) + "}"
    raise TypeError(f"not an answer type: {answer!r}")


def _same_set(expected: tuple[Number, ...], given: list[Num]) -> bool:
    return all(any(e.accepts(g) for g in given) for e in expected) and all(
        any(e.accepts(g) for e in expected) for g in given
    )


def _show(num: Num | None) -> str | None:
    return None if num is None else show(num)


__all__ = ["MARKERS", "RULES", "Extraction", "Judgement", "Verdict", "clip", "equivalent", "extract", "grade", "judge"]

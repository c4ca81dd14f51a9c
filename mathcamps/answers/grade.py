"""Answer extraction and grading: which answer a response commits to, and whether it is the expected one.

Extraction is kept apart from judging so each can be seen and tested. `extract` finds the answer text by the
first rule that fires (see `RULES`); `grade` reads that text as a value of the expected answer's type
(`mathcamps.answers.types`) and judges it. "Unextractable" (no answer found) is reported apart from "wrong".

Model text is untrusted: nothing is evaluated, numbers come from the bounded grammar in `mathcamps.answers.numbers`, and
every input is cut to a fixed size first, so a verdict costs a bounded amount of work whatever the text.

    >>> grade("48/2 = 24 clips in May, 48 + 24 = 72 in all.\\n### Answer: 72 clips", "72")
    Verdict(correct=True, extracted='72 clips', rule='answer-line', reading='72')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mathcamps.answers.numbers import Num, clean_latex, normalise, read_number, scan, show
from mathcamps.answers.types import (
    Answer,
    Mapping,
    Number,
    Pairs,
    Relation,
    Values,
    parse_answer,
    read_mapping,
    read_pairs,
    read_relation,
    read_values,
)

MAX_RESPONSE_CHARS = 32_000  # a 1,000-token response is ~5k characters; beyond this we read the head only
MAX_ANSWER_CHARS = 400  # an extracted answer is cut to this before it is read
MAX_CANDIDATES = 4  # answer lines tried per rule, last first, before the next rule (bounds work on spam)

RULES = ("answer-line", "answer-next-line", "answer-label", "boxed", "answer-is", "final-line", "none")
"""Extraction rules, in the order they are tried; `none` means nothing could be extracted."""


@dataclass(frozen=True)
class Extraction:
    """The answer text a response commits to, and the rule that found it (`none`: nothing found)."""

    text: str | None
    rule: str
    cut: bool = False  # a runaway continuation (a new turn or problem after the answer) was cut off first


@dataclass(frozen=True)
class Verdict:
    """The judgement of one response: correct or not, what was extracted, by which rule, and how it read."""

    correct: bool
    extracted: str | None
    rule: str
    reading: str | None = None  # the value read from the extracted text, in canonical form; None if unreadable

    @property
    def unextractable(self) -> bool:
        return self.extracted is None


# The patterns below run on an ASCII-lowercased copy of the response (same length, so positions carry over):
# a case-sensitive literal such as "answer" lets the regex engine skip ahead, ten times faster than re.I.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# New turns that a base model runs on into. Chat-template tokens end the answer wherever they are; a new
# "Problem:" or "Question:" line only once an answer has been given (a response may restate the problem first).
_HARD_TURN = re.compile(
    r"\|(?:user|assistant|system)\||@@@|<\|(?:im_start|im_end|eot_id|start_header_id|endoftext|user|assistant|end)\|>"
    r"|</s>|\[inst\]|<(?:start|end)_of_turn>"
)
_SOFT_TURN = re.compile(
    r"^[ \t#*>]*(?:problem|question|q|user|human|student|exercise|instruction)[ \t]*\d*[ \t]*[:：]", re.M
)
_ANSWER = re.compile(r"answer[*_]*[ \t]*[:：][*_ \t]*")
_HASHED = re.compile(r"#[ \t*_]*(?:final[ \t]+)?[*_]*$")
_ANSWER_IS = re.compile(r"answer[*_]*\s+(?:is|would\s+be|will\s+be|should\s+be|=)\s*:?\s*")
_SENTENCE_END = re.compile(r"(?<!\d)\.(?:\s|$)|\.(?=\s+[A-Z])|[!?;](?:\s|$)")
_VALUE_HINT = re.compile(
    r"\d|[<>=≤≥≠½¼¾⅓⅔]|\\[lg]t\b|&[lg]t;|\b(?:greater|less|equal|smaller|larger|bigger|zero|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety)\b",
    re.I,
)
_NEXT_SENTENCE = re.compile(r"\.\s+(?=[A-Z])")
_ANNOTATION = re.compile(r"<<[^<>\n]{0,200}>>")
_WRAPPED = re.compile(r"<<(.*)>>", re.S)
_MARKUP = re.compile(r"(?<![\d)])(?:\*\*|__)|(?:\*\*|__)(?![\d(])|`")  # bold marks, but not the power in `9**2`
_UNIT_WORDS = frozenset(
    """cm m km mm in inch inches ft feet foot yd yard yards mile miles g kg mg lb lbs pound pounds oz ounce ounces
    l liter liters litre litres ml gallon gallons cup cups quart quarts pint pints dollar dollars cent cents usd
    hour hours hr hrs minute minutes min mins second seconds sec secs day days week weeks month months year years
    unit units square sq cubic degree degrees percent and or by x meter meters metre metres centimeters
    centimetres millimeters kilometers kilograms grams""".split()
)
_NON_VALUE = re.compile(r"[\s$€£¢%()\[\]{},;:=<>*×·&.!?~≈≤≥≠°\\/'\"+-]+")


def extract(response: str) -> Extraction:
    """The answer text of a free-form response, and which rule found it.

    Rules, in order: the last `### Answer:` line (what follows it on that line, or on the next line when
    it is empty); a plain `Answer:` label; the last `\\boxed{}`; "the answer is ..."; a final line that holds
    only a value. A candidate with nothing value-like in it ("### Answer: see above") is passed over.
    A runaway continuation is cut off first: a chat-template turn marker anywhere, or a new `Problem:` /
    `Question:` line after the first answer.
    """
    text = response[:MAX_RESPONSE_CHARS]
    low = text.translate(_ASCII_LOWER)
    end, cut = _cut_runaway(low)
    text, low = text[:end], low[:end]
    labels: dict[bool, list[int]] = {True: [], False: []}
    for m in list(_ANSWER.finditer(low))[-2 * MAX_CANDIDATES :]:
        if m.start() and low[m.start() - 1].isalpha():
            continue  # "reanswer:", not a label
        line_start = low.rfind("\n", 0, m.start()) + 1
        labels[_HASHED.search(low, line_start, m.start()) is not None].append(m.end())
    for rule, hashed in (("answer-line", True), ("answer-label", False)):
        for start in reversed(labels[hashed][-MAX_CANDIDATES:]):
            stop = text.find("\n", start)
            rest = text[start : stop if stop >= 0 else len(text)]
            if (found := _candidate(rest)) is not None:
                return Extraction(found, rule, cut)
            if not rest.strip(" \t*_") and stop >= 0:
                nxt = text[stop : stop + 2 * MAX_ANSWER_CHARS].lstrip("\n").split("\n", 1)[0]
                if (found := _candidate(nxt)) is not None:
                    return Extraction(found, "answer-next-line" if hashed else rule, cut)
    boxed = _last_boxed(text)
    if boxed is not None and (found := _candidate(boxed)) is not None:
        return Extraction(found, "boxed", cut)
    for m in reversed(list(_ANSWER_IS.finditer(low))[-MAX_CANDIDATES:]):
        rest = text[m.end() : m.end() + 300].split("\n", 1)[0]
        stop = _SENTENCE_END.search(rest)
        if (found := _candidate(rest[: stop.start()] if stop else rest)) is not None:
            return Extraction(found, "answer-is", cut)
    last = text.rstrip().rsplit("\n", 1)[-1]
    if len(last) <= MAX_ANSWER_CHARS and (found := _candidate(last)) is not None and _only_value(found):
        return Extraction(found, "final-line", cut)
    return Extraction(None, "none", cut)


def _cut_runaway(low: str) -> tuple[int, bool]:
    """Where the response proper ends (an index into it), and whether a runaway continuation was cut."""
    start = len(low) - len(low.lstrip())
    while (lead := _HARD_TURN.match(low, start)) is not None:
        start = lead.end() + len(low[lead.end() :]) - len(low[lead.end() :].lstrip())
    end, cut = len(low), False
    if (hard := _HARD_TURN.search(low, start)) is not None:
        end, cut = hard.start(), True
    first = _ANSWER.search(low, start, end)
    if first is None:
        first = re.compile(r"\\boxed").search(low, start, end)
    if first is not None:
        line_end = low.find("\n", first.end(), end)
        if line_end >= 0 and (soft := _SOFT_TURN.search(low, line_end + 1, end)) is not None:
            end, cut = soft.start(), True
    return end, cut


def _candidate(raw: str) -> str | None:
    """`raw` tidied (calculator annotations, markdown, trailing full stop), or None if it holds no value."""
    s = _MARKUP.sub("", raw.strip()[:MAX_ANSWER_CHARS]).strip()
    if "<<" in s:
        for _ in range(3):  # the prompt's `<<...>>` placeholder, sometimes doubled
            wrapped = _WRAPPED.fullmatch(s)
            if wrapped is None:
                break
            s = wrapped.group(1).strip()
        if "<<" in s and ">>" in s:
            rest = _ANNOTATION.sub(" ", s).strip()
            s = rest if _VALUE_HINT.search(rest) else s
    s = _NEXT_SENTENCE.split(s, 1)[0].strip()  # "12 m. This is because 2 + 4 = 6 ..." -> "12 m"
    if s.endswith(".") and not s.endswith("..."):  # a full stop, not the ellipsis of a truncated decimal
        s = s[:-1].rstrip()
    return s if s and _VALUE_HINT.search(s) else None


def _last_boxed(text: str) -> str | None:
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    brace = text.find("{", start, start + 12)
    if brace < 0:
        return None
    depth = 0
    for i in range(brace, min(len(text), brace + MAX_ANSWER_CHARS)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[brace + 1 : i]
    return None


def _only_value(line: str) -> bool:
    """Whether a line holds a value and nothing else but units, punctuation, variable names, or a short noun
    after the value ("813 apples")."""
    s = normalise(clean_latex(line))
    nums = scan(s)
    if not nums and not any(c in s for c in "<>="):
        return False
    pieces, pos = [], 0
    for n in nums:
        pieces.append(s[pos : n.start])
        pos = n.end
    pieces.append(s[pos:])
    left = [w for w in _NON_VALUE.sub(" ", " ".join(pieces[:-1])).lower().split() if w not in _UNIT_WORDS]
    tail = [w for w in _NON_VALUE.sub(" ", pieces[-1]).lower().split() if w not in _UNIT_WORDS]
    # variable names may stand anywhere (`q = 1.2, s = 3.4`); a short noun may follow the value ("813 apples")
    return all(len(w) == 1 for w in left) and (len(tail) <= 2 if nums else not tail)


def grade(response: str, expected: str, question: str | None = None) -> Verdict:
    """Whether `response` gives the answer `expected` (a published-style answer string).

    `question`, the problem statement, is optional: it fixes the variable order when a system's solution is
    given as bare values, and the order of the two sides when a comparison is restated back to front.
    """
    answer = parse_answer(expected)
    found = extract(response)
    if found.text is None:
        return Verdict(False, None, found.rule)
    correct, reading = judge(answer, found.text, question)
    return Verdict(correct, found.text, found.rule, reading)


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


__all__ = ["RULES", "Extraction", "Verdict", "equivalent", "extract", "grade", "judge"]

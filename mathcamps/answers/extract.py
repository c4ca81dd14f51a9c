"""Strict answer extraction: the answer text a response marks as its answer, and the rule that found it.

Tried in order (`RULES`): the last `### Answer:` line (or the line after an empty one), an answer marker such as
GSM8K's `#### 42` (`MARKERS`, a setting), a plain `Answer:` label, the last `\\boxed{}`, "the answer is ...", and a
final line that holds only a value. A runaway continuation (a new turn or problem) is cut off first. Judging the
text is `mathcamps.answers.grade`; the concluded answer of a response with no mark is `mathcamps.answers.flexible`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mathcamps.answers.numbers import clean_latex, normalise, scan

MAX_RESPONSE_CHARS = 32_000  # a 1,000-token response is ~5k characters; beyond this we read head and tail only
MAX_ANSWER_CHARS = 400  # an extracted answer is cut to this before it is read
MAX_CANDIDATES = 4  # answer lines tried per rule, last first, before the next rule (bounds work on spam)

RULES = ("answer-line", "answer-next-line", "marker", "answer-label", "boxed", "answer-is", "final-line", "none")
"""Extraction rules, in the order they are tried; `none` means nothing could be extracted."""

MARKERS = ("####",)
"""Answer markers read by default besides `### Answer:` (GSM8K's `#### 42`); a user's own format is a setting."""

@dataclass(frozen=True)
class Extraction:
    """The answer text a response commits to, and the rule that found it (`none`: nothing found)."""

    text: str | None
    rule: str
    cut: bool = False  # a runaway continuation (a new turn or problem after the answer) was cut off first


# The patterns below run on an ASCII-lowercased copy of the response (same length, so positions carry over):
# a case-sensitive literal such as "answer" lets the regex engine skip ahead, ten times faster than re.I.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# New turns that a base model runs on into. Chat-template tokens end the answer wherever they are; a new
# "Problem:" or "Question:" line only once an answer has been given (a response may restate the problem first).
_HARD_TURN = re.compile(
    r"\|(?:user|assistant|system)\||@@@|<\|(?:im_start|im_end|eot_id|start_header_id|endoftext|user|assistant|system|end)\|>"
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


def clip(response: str) -> str:
    """`response` cut to `MAX_RESPONSE_CHARS`: its head and its tail, since an answer line ends a long response."""
    if len(response) <= MAX_RESPONSE_CHARS:
        return response
    half = MAX_RESPONSE_CHARS // 2
    return response[:half] + "\n" + response[-half:]


def extract(response: str, markers: tuple[str, ...] = MARKERS) -> Extraction:
    """The answer text of a free-form response, and which rule found it.

    Rules, in order: the last `### Answer:` line (what follows it on that line, or on the next line when
    it is empty); a plain `Answer:` label; the last `\\boxed{}`; "the answer is ..."; a final line that holds
    only a value. A candidate with nothing value-like in it ("### Answer: see above") is passed over.
    A runaway continuation is cut off first: a chat-template turn marker anywhere, or a new `Problem:` /
    `Question:` line after the first answer. `markers` are further answer markers (`####` by default): what
    follows the last of them on its line is the answer, rule `marker`.
    """
    text = clip(response)
    low = text.translate(_ASCII_LOWER)
    end, cut = _cut_runaway(low)
    text, low = text[:end], low[:end]
    labels: dict[bool, list[int]] = {True: [], False: []}
    for m in list(_ANSWER.finditer(low))[-2 * MAX_CANDIDATES :]:
        if m.start() and low[m.start() - 1].isalpha():
            continue  # "reanswer:", not a label
        line_start = low.rfind("\n", 0, m.start()) + 1
        labels[_HASHED.search(low, line_start, m.start()) is not None].append(m.end())
    for rule, hashed in (("answer-line", True), ("marker", None), ("answer-label", False)):
        if hashed is None:
            if (found := _marked(text, low, markers)) is not None:
                return Extraction(found, rule, cut)
            continue
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


def _marked(text: str, low: str, markers: tuple[str, ...]) -> str | None:
    """The answer after the last of `markers` that has one on its line, or None."""
    best: tuple[int, str] | None = None
    for marker in markers:
        mark = marker.translate(_ASCII_LOWER)
        pos = len(low)
        for _ in range(MAX_CANDIDATES):
            pos = low.rfind(mark, 0, pos)
            if pos < 0:
                break
            start = pos + len(mark)
            stop = text.find("\n", start)
            found = _candidate(text[start : stop if stop >= 0 else len(text)])
            if found is not None:
                if best is None or pos > best[0]:
                    best = (pos, found)
                break
    return None if best is None else best[1]


def _cut_runaway(low: str) -> tuple[int, bool]:
    """Where the response proper ends (an index into it), and whether a runaway continuation was cut."""
    start = len(low) - len(low.lstrip())
    while (lead := _HARD_TURN.search(low, start, start + 16)) is not None and not low[start : lead.start()].strip(
        "|\n "
    ):
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

"""Flexible extraction: the final answer a careful reader takes from a response that has no answer line.

The strict rules (`mathcamps.answers.extract`) read what a response marks as its answer. Many models conclude in
prose instead ("Therefore, the answer is 45.7.", "David has 25 + 34 = 59 pens now."). These rules read such a
conclusion, looking only at the end of the response and only at statements that conclude something:

- `conclusion`: the last sentence that opens with a concluding word ("Therefore", "So", "Thus", "In total", ...);
- `last-equation`: the result of the last equation in the closing lines, when its left side is a computation
  (`25 + 34 = 59`, `x = 190`), never a bare number said to equal another (`66 = 3` is not a result);
- `bold`: a bold value (`**59**`) in the closing lines;
- `last-value`: a closing line that holds only a value (`(4 / 8) < (2 / 1)`, `12 cm`);
- `last-pairs`: a closing line that lists pairs ("1 and 86, 2 and 43", `(1, 64), (2, 32)`);
- `last-statement`: a closing sentence that states one value ("Each side is 194 cm long.").

Rules are tried on the last lines first, and a line that holds no value ("I hope this helps!") is passed over,
up to `MAX_LINES` lines. A hedge ("5 or 6", "between 5 and 9", "not 5") concludes nothing.

    >>> flexible_extract("747 - 336 = 411\\n\\nTherefore, Jackson used 411 ml more.")
    Extraction(text='Jackson used 411 ml more', rule='conclusion', cut=False)
"""

from __future__ import annotations

import re

from mathcamps.answers.extract import _ANNOTATION, Extraction, _cut_runaway, _only_value
from mathcamps.answers.numbers import clean_latex, normalise, scan

TAIL_CHARS = 4_000  # the closing part of a response that these rules read
MAX_LINES = 4  # closing lines with a value in them that are tried, last first
MAX_SENTENCE = 400

FLEXIBLE_RULES = ("conclusion", "bold", "last-equation", "last-value", "last-pairs", "last-statement")

_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_CUE = re.compile(
    r"(?:^|(?<=[\s(*_>:,]))(?:therefore|thus|hence|so|consequently|finally|overall|altogether|in\s+total"
    r"|in\s+conclusion|in\s+summary|as\s+a\s+result|this\s+means|which\s+means|the\s+final\s+answer|the\s+answer"
    r"|the\s+result|the\s+solution|the\s+correct\s+(?:answer|symbol|sign|comparison))\b[,:]?\s*"
)
_SENTENCE = re.compile(r"(?<!\d)\.(?=\s|$)|(?<=\d)\.(?=\s+[A-Z(])|[!?;](?=\s|$)")
# A hedge offers more than one value, or none: "5 or 6", "between 5 and 9", "not 5", "either".
_HEDGE = re.compile(
    r"\bnot\s+(?:equal\s+to\s+|exactly\s+)?[-$\d]|\bbetween\s+\$?[-\d.]+\s*\S{0,12}\s*(?:and|&)\s*\$?[-\d]"
    r"|[\d%]\s*\S{0,12},?\s+or\s+\$?[-\d]|\beither\b|±|\+/-|[<>]\s*or\s*[<>=]",
    re.I,
)
# A closing line that refuses to answer ends the search: nothing before it is its answer.
_REFUSAL = re.compile(
    r"\b(?:cannot|can't|can\s+not|unable\s+to|impossible\s+to|not\s+(?:possible|enough|sufficient|sure)|insufficient"
    r"|unsure|(?:don't|do\s+not)\s+know)\b",
    re.I,
)
_CODE = re.compile(r"[{}|\\]|</|/>|&[a-z]+;|\bdef\b|\breturn\b|\bimport\b")
_PAIRED = re.compile(
    r"(?<![\d.])\d{1,6}\s*(?:and|x|×|\*|·|by|&)\s*\d{1,6}(?![\d.]|\s*/)|\(\s*\d{1,6}\s*,\s*\d{1,6}\s*\)"
)
_LABEL = re.compile(r"^[#*\s]*(?:reasoning|solution|explanation|work|working|result|step\s*\d+)[*\s]*[:：][*\s]*", re.I)
_UNREADABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]")
_GLUED = re.compile(r"(?:^|[^\dA-Za-z])[A-Za-z_]{1,4}\d")  # a token with digits in it (`<h2>`), not `225m2`
_EQUATION = re.compile(r"(?:=|≈)(?![=<>])")
_OPERATOR = re.compile(r"[-+*/×÷^]|\\times|\\div|\\cdot|[a-z]", re.I)
_BOLD = re.compile(r"\*\*([^*\n]{1,80})\*\*")
_VALUE = re.compile(r"\d|[<>≤≥]|\b(?:greater|less|equal|smaller|larger|bigger)\b", re.I)
_WORDISH = re.compile(r"[A-Za-z]{2,}")


def flexible_extract(response: str) -> Extraction:
    """The concluded final answer of a response with no answer line, and the rule that found it."""
    text = response[-TAIL_CHARS:] if len(response) > TAIL_CHARS else response
    low = text.translate(_LOWER)
    end, cut = _cut_runaway(low)
    text = text[:end]
    lines = [ln for ln in (s.strip() for s in text.split("\n")) if ln]
    tried = 0
    for line in reversed(lines):
        line = line[-MAX_SENTENCE * 2 :]
        if _REFUSAL.search(line):
            break
        if not _VALUE.search(line):
            continue
        tried += 1
        if tried > MAX_LINES:
            break
        if _UNREADABLE.search(line):
            continue  # bytes that are not text (an untrained model's output): nothing is concluded there
        found = _from_line(line)
        if found is not None:
            text_, rule = found
            return Extraction(text_, rule, cut)
    return Extraction(None, "none", cut)


def _sentences(line: str) -> list[str]:
    parts, pos = [], 0
    for m in _SENTENCE.finditer(line):
        parts.append(line[pos : m.start()].strip())
        pos = m.end()
    parts.append(line[pos:].strip())
    return [p for p in parts if p]


def _from_line(line: str) -> tuple[str, str] | None:
    """The value a closing line concludes, and the rule, or None."""
    line = _ANNOTATION.sub(" ", line)  # calculator annotations `<<62-28=34>>` repeat what stands beside them
    line = line.replace("<<", " ").replace(">>", " ").strip()  # and an unclosed one's brackets are not relations
    line = _LABEL.sub("", line, count=1)  # "Reasoning: 2 < 10", "Solution: 8 m"
    if not line:
        return None
    sentences = [s for s in _sentences(line) if _VALUE.search(s)]
    for sentence in reversed(sentences):
        low = sentence.translate(_LOWER)
        for cue in _CUE.finditer(low):  # the first cue opens the conclusion: "So 12 parts in total for 4 cars"
            if not _opens(low, cue):
                continue
            clause = sentence[cue.end() :].strip(" *_:,")
            if _VALUE.search(clause):
                return _concluded(_after_verb(clause), "conclusion")
        if (bold := _BOLD.findall(sentence)) and _VALUE.search(bold[-1]):
            return _concluded(bold[-1], "bold")
        eq = list(_EQUATION.finditer(sentence))
        if eq:
            left, right = sentence[: eq[-1].start()], sentence[eq[-1].end() :]
            right = right.strip(" *_$")
            if _VALUE.search(right) and _is_computation(left):
                return _concluded(right, "last-equation")
            return None
        if _only_value(sentence):
            return _concluded(sentence, "last-value")
        if (stated := _statement(sentence)) is not None:
            return _concluded(stated, "last-statement")
        if _PAIRED.search(sentence) and not _CODE.search(sentence):
            return _concluded(sentence, "last-pairs")  # "1 and 86, 2 and 43": a listing of pairs
        return None
    return None


_OPENING_ANYWHERE = ("so", "therefore", "thus", "hence", "which", "this", "the")


def _opens(low: str, cue: re.Match[str]) -> bool:
    """Whether a cue opens a conclusion: at the start of its sentence, or (for "so", "therefore", "the answer"
    and the like) after a comma; "in total" in mid-sentence is not a conclusion ("75 + 10 = 85 in total, ...")."""
    before = low[: cue.start()].rstrip(" *_>#-(")
    if not before:
        return True
    return before.endswith((",", ":", ";")) and low[cue.start() :].startswith(_OPENING_ANYWHERE)


def _after_verb(clause: str) -> str:
    """The part of a concluding clause after its last verb when only that part holds a value
    ("after 11 seconds, the rocket has consumed 99 units" -> "99 units")."""
    t = normalise(clean_latex(clause))
    if len(scan(t)) < 2:
        return clause
    verbs = list(_COPULA.finditer(t))
    if verbs and len(scan(t[verbs[-1].end() :])) == 1 and "=" not in t[verbs[-1].end() :]:
        return t[verbs[-1].end() :]
    return clause


def _concluded(text: str, rule: str) -> tuple[str, str] | None:
    text = text.strip().rstrip(".").strip()
    if not text or _HEDGE.search(text):
        return None
    return text[:MAX_SENTENCE], rule


def _is_computation(left: str) -> bool:
    """Whether the left side of an equation computes something: an operator or a named quantity, not one
    bare number (`66 = 3` states nothing)."""
    tail = normalise(clean_latex(left[-80:]))
    nums = scan(tail)
    if not nums:  # a named quantity just before the `=`: "x =", "Total cost ="
        return re.search(r"(?:^|[\s(])[A-Za-z][A-Za-z' ]{0,40}$", tail.rstrip()) is not None
    head = tail[: nums[-1].start].rstrip()
    return bool(_OPERATOR.search(tail[nums[0].start :])) or bool(re.search(r"[A-Za-z)]\s*$", head))


_COPULA = re.compile(
    r"\b(?:is|are|was|were|equals|will\s+be|would\s+be|has|have|had|gets?|got|gives|leaves|needs|costs|makes)\s+"
)
# a comparison stated between two values: `4/8 < 2/1`, "(4 / 8) is less than the fraction (2 / 1)"
_RELATION_WORD = re.compile(
    r"[\d)][ \t]*(?:[A-Za-z]+[ \t]+){0,3}(?:[<>]|(?:greater|less|more|fewer|smaller|larger|bigger)[ \t]+than"
    r"|equal[ \t]+to)[ \t]*(?:[A-Za-z]+[ \t]+){0,3}[(\d$]",
    re.I,
)


def _statement(sentence: str) -> str | None:
    """The value a plain closing statement gives: its one value ("There are 2 trays."), the value after its
    last verb ("The value of 5^4 is 625."), or a comparison between two values ("4/8 is less than 2/1")."""
    t = normalise(clean_latex(sentence))
    if len(_WORDISH.findall(t)) < 2 or _HEDGE.search(t) or _CODE.search(t) or _GLUED.search(t):
        return None  # prose only: not markup or code, where digits sit inside tokens (`<h2>`)
    nums = scan(t)
    if len(nums) == 1:
        return sentence
    if not nums and len(re.findall(r"[<>]", t)) == 1:
        return sentence  # "The symbol < goes in the blank."
    if len(nums) >= 2 and _RELATION_WORD.search(t):
        return sentence
    verbs = list(_COPULA.finditer(t))
    if verbs and len(scan(t[verbs[-1].end() :])) == 1:
        return t[verbs[-1].end() :]
    if verbs and re.fullmatch(r"\s*[<>=]\s*", t[verbs[-1].end() :]):
        return t[verbs[-1].end() :]  # "The symbol to place between 3 and 8 is <."
    return None


__all__ = ["FLEXIBLE_RULES", "TAIL_CHARS", "flexible_extract"]

"""The published MathCAMPS grading, reproduced so that a new model can be put beside the published leaderboard.

The published verdict (SPEC §4.4-4.6) is the rule-based grade, and where that fails, an LLM's re-extraction of
the final answer judged by a second, more lenient comparison. `rule_grade` reproduces the first part. In place
of the LLM we use our own reading of the concluded final answer (`mathcamps.answers.flexible`); `regrade_accepts` is the
comparison the published regrade applied to what the LLM extracted. `mathcamps.answers.grade(..., rules="paper")`
puts the two together.

Where the paper mode differs from the principled default (`mathcamps.answers.types.Number.accepts`), each a
behaviour of the published grader that the published numbers rest on:
- decimals: the published rule compares a decimal digit by digit, and its last digit not at all, so 33.9 is
  taken for 33.06 and 2.59 for 2.5921, but 33 is not taken for 33.06. The default asks for the exact value, or a
  correct rounding of at least two places when the expansion does not terminate.
- a decimal for a fraction answer (1.9 for 19/10) fails the rule-based grade; the regrade accepts it when it
  equals the fraction as a float (27.25 for 109/4; 2.972972972972973 for 110/37), and only when written bare:
  `9.5 mm` for 19/2 and `0.33` for 1/3 fail. The default accepts exact decimals and correct roundings alike.
- signs are ignored (the number pattern has none), so -5 is read as 5.
- the rule-based grade reads the first `Answer: ` (case and space as written) up to the end of the text, or,
  with none, the whole text; and there the first number, sign or fraction, not the concluded one: `48 + 24 = 72`
  is read as 48, `5, 6, 7` as 5, `7 > 8` for `<` as `>`. The default reads the last answer line's concluded value
  and gives hedges nothing.
- factor pairs are compared as the set of all numbers written (`1, 2, 4, 8, 16, 32, 64` passes for 64), systems
  as the set of their values (names ignored); the default compares pairs as pairs and values by name.
- a percentage is read as its number (`50%` is 50, wrong for 0.5); the default also reads it as a share.
- every "and" is deleted before reading, so `1 and 1/2` is `1 1/2`, as in the default.
- where the rules find nothing, the published LLM re-extraction read the final answer; the headline verdict then
  uses our flexible extraction instead, judged by `regrade_accepts`. The default headline is the flexible verdict.

Where the paper mode deviates from the published grader, on purpose:
- no LLM: our flexible rules stand in for it, so responses on which that model guessed or erred differ
  (measured on the graded dev set: 99.3% agreement, see `tests/mathcamps/test_paper_rules.py`);
- no credit for garbage: the rule-based grade is not counted where neither extraction finds any answer in the
  text (the published grader read the first number or sign of any text, random text included);
- nothing is evaluated: where the published code called `eval`, we compare values of plain number literals;
- text is bounded (head and tail of `MAX_CHARS`), and the published regular expressions that are quadratic on
  hostile text are reimplemented in linear time with the same results;
- the published grader graded a locally run model's text without first checking its raw last line; we skip that
  check where the text ends with a newline (as a locally run model's does), since the model is not known.

    >>> rule_grade("So 33.06.\\n### Answer: 33.9", "33.0600000000000")
    True
    >>> regrade_accepts("109/4", "27.25"), regrade_accepts("1/3", "0.33")
    (True, False)
"""

from __future__ import annotations

import re
from fractions import Fraction

MAX_CHARS = 32_000  # the published grader read everything; a bound keeps hostile text cheap

_SPACES = re.compile(r"\s+")
_SLASH = re.compile(r"\s/\s")
_ANSWER = re.compile(r"Answer: (.*)")
_COMMA_DIGIT = re.compile(r",(?=\d)")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?(?:/\d+)?")
_SIGN = re.compile(r"[><=]")
# `(?<!\d)`: a match that starts inside a run of digits also starts at the run's head, so the published pattern
# finds the same match; anchored, the search is linear on a long run of digits.
_FRACTION = re.compile(r"(?<!\d)(?:(\d+)[ +(]+)?(\d+/\d+)")
_DECIMAL = re.compile(r"(?<!\d)\d+\.\d+")
_LETTER = re.compile(r"[a-zA-Z]")
_CORE = re.compile(r"[0-9.\-+>=<][0-9.\-+/ ]*%?")


def normalise(text: str) -> str:
    """The response as the published grader saw it: `\\frac{a}{b}` as `a/b`, every "and" deleted, all
    whitespace (newlines too) collapsed to single spaces, ` / ` as `/`."""
    text = text.strip()
    if "\\" in text:
        text = "\n".join(_unbackslash(_untex(line)) for line in text.split("\n"))
    text = text.replace("and", "")
    text = _SPACES.sub(" ", text)
    return _SLASH.sub("/", text)


def _untex(line: str) -> str:
    """The published `\\frac{(.*)}{(.*)}` rewrite of one line (both groups greedy), in linear time."""
    p = line.find("\\frac{")
    if p < 0:
        return line
    r = line.rfind("}")  # the second group runs to the last `}` of the line ...
    q = line.rfind("}{", p + 6, r) if r > p else -1  # ... and the first to the last `}{` before it
    if q < 0:
        return line
    return line[:p] + line[p + 6 : q] + "/" + line[q + 2 : r] + line[r + 1 :]


def _unbackslash(line: str) -> str:
    """The published `\\((.*)\\)` rewrite of one line, meant to strip `\\(`: its effect is to drop the first of
    two or more backslashes."""
    first = line.find("\\")
    return line[:first] + line[first + 1 :] if first >= 0 and line.find("\\", first + 1) >= 0 else line


def _first_number(s: str) -> str | None:
    m = _NUMBER.search(s)
    return m.group(0) if m else None


def _first_sign(s: str) -> str | None:
    m = _SIGN.search(s)
    return m.group(0) if m else None


def _fraction(s: str) -> str | None:
    m = _FRACTION.search(normalise(s))
    if m is None:
        return None
    return f"{m.group(1)} {m.group(2)}" if m.group(1) else m.group(2)


def _extractor(answer: str):  # noqa: ANN202 - a reader of str -> str | None
    """The reader the published grader chose from the expected answer's form."""
    if answer in "<=>":
        return _first_sign
    if answer.startswith(("{", "[")):
        return _set_of(_extractor(answer[1:].split(",")[0]))
    if "/" in answer:
        return _fraction
    return _first_number


def _set_of(one):  # noqa: ANN001, ANN202
    def read(s: str) -> str:
        found: list[str] = []
        for _ in range(40):  # bounded (no published answer has more than 12 values); the published reader recursed
            a = one(s)
            if a is None or a not in s:
                break
            if a not in found:
                found.append(a)
            s = s.split(a, 1)[1]
        return ";".join(found)

    return read


def _mixed(s: str) -> Fraction:
    whole, _, frac = s.rpartition(" ")
    return Fraction(frac) + int(whole or 0)


def _float(s: str) -> float:
    if len(s) > 60:  # the published grader would read it; we refuse what no answer needs
        raise ValueError(s)
    return float(s)


def _floats_match(answer: str, prediction: str) -> bool:
    """The published decimal comparison: integer parts equal, the answer's decimals start with the
    prediction's decimals minus the last one."""
    if prediction.count(".") > 1:
        m = _DECIMAL.search(prediction)
        if m is None:
            return False
        prediction = m.group(0)
    if "." not in answer or _float(answer).is_integer():
        return _float(prediction).is_integer() and _float(answer) == _float(prediction)
    if "." not in prediction or _float(prediction).is_integer():
        return False
    a, b = answer.split(".", 1)
    p, q = prediction.split(".", 1)
    return a == p and b.startswith(q[:-1])


def _sets(answers: str, predictions: str) -> bool:
    a, p = answers.split(";"), predictions.split(";")
    if "." in a[0] or "." in p[0]:
        return {_float(x) for x in a} == {_float(x) for x in p}
    if "/" in a[0]:
        try:
            return {_mixed(x) for x in a} == {_mixed(x) for x in p}
        except ZeroDivisionError:
            return False
    return set(a) == set(p)


def compare(answer: str, prediction: str) -> bool:
    """The published `answer` (as its reader gives it) against an extracted `prediction`; raises ValueError
    where the published grader raised."""
    prediction = prediction.strip()
    if ";" in answer:
        return _sets(answer, prediction)
    if "%" in prediction:
        first = _first_number(prediction)
        if first is None:
            raise ValueError(prediction)
        value = _mixed(first) if "/" in first else Fraction(first)
        prediction = str(float(value / 100))
    if _LETTER.search(prediction) or "$" in prediction or "¢" in prediction:
        first = _first_number(prediction)
        if first is None:
            return False
        prediction = first
    if "." in answer or "." in prediction:
        return _floats_match(answer, prediction)
    if "/" in answer:
        try:
            if "/" in prediction:
                return _mixed(answer) == _mixed(prediction)
            return abs(float(_mixed(answer)) - _float(prediction)) < 1e-6
        except ZeroDivisionError:
            return False
    return answer == prediction


def rule_grade(response: str, expected: str) -> bool | None:
    """The published rule-based verdict on `response` for the published answer string `expected`:
    True, False, or None where it found no answer (or its reader failed)."""
    read = _extractor(expected)
    if len(response) > MAX_CHARS:  # head and tail: an answer line ends a long response
        response = response[: MAX_CHARS // 2] + "\n" + response[-MAX_CHARS // 2 :]
    # The published grader first read the raw text (its first `Answer: ` line, or its last line) and gave no
    # verdict when that held nothing; only then did it read the normalised text, where that line runs to the end.
    # A locally run model's text ends with a newline (its stop string came after it), and locally run models
    # were graded without that first reading; so a text that ends with an empty line skips it.
    raw = _answer_line(response)
    if (raw.strip() or _ANSWER.search(response)) and not read(raw):
        return None
    found = read(_answer_line(normalise(response)))
    if not found:
        return None
    try:
        truth = read(expected)
        return None if truth is None else compare(truth, found.strip())
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


def _answer_line(text: str) -> str:
    m = _ANSWER.search(text)
    return _COMMA_DIGIT.sub("", m.group(1) if m else text.split("\n")[-1])


def _value(s: str) -> float | None:
    """The value of a plain number literal (`12`, `-0.75`, `109/4`) as Python's `eval` gave it (a float for a
    division), or None: our stand-in for the published `eval`, which read nothing but such literals here."""
    m = re.fullmatch(r"([-+]?)(\d{1,30}(?:\.\d{1,30})?)(?:\s*/\s*(\d{1,30}))?", s.strip())
    if m is None or m.group(3) is not None and int(m.group(3)) == 0:
        return None
    value = float(Fraction(m.group(2)) / int(m.group(3))) if m.group(3) else float(m.group(2))
    return -value if m.group(1) == "-" else value


def regrade_accepts(expected: str, extracted: str) -> bool:
    """Whether the published regrade accepted an answer its LLM extracted: the published comparison on the
    text, then on its first numeric-looking span, then equality of the two values as floats (so
    2.972972972972973 is 110/37, as `eval` had it)."""
    extracted = extracted[:400]
    for candidate in (extracted, _core(extracted)):
        if candidate is None:
            continue
        try:
            if compare(expected, candidate):
                return True
        except (ValueError, ZeroDivisionError, OverflowError):
            pass
    truth, given = _value(expected), _value(extracted)
    return truth is not None and truth == given


def _core(s: str) -> str | None:
    m = _CORE.search(s)
    return m.group(0) if m else None


__all__ = ["compare", "normalise", "regrade_accepts", "rule_grade"]

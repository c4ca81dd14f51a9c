"""A small, bounded grammar for the numbers that appear in maths answers, written for untrusted model text.

Grading reads numbers out of whatever a model wrote, so nothing here evaluates an expression: a number is a
literal (integer, decimal, fraction, mixed number, LaTeX fraction, percent) and nothing else. Sizes are capped
(`MAX_DIGITS` digits per literal, `MAX_EXPONENT` for scientific notation), so every call is linear in its input
and a hostile string such as `10^100000` or `9**9**9**9` is read as a few small literals, never expanded.

    >>> [str(n.value) for n in scan("1 1/2 cups, or 1.5 cups")]
    ['3/2', '3/2']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MAX_DIGITS = 40  # a literal with more digits than this is not a number we grade (K-8 answers have < 20)
MAX_EXPONENT = 30  # bound on the e-notation exponent, so `1e999999` never builds a huge integer


@dataclass(frozen=True, slots=True)
class Num:
    """A number literal read from text.

    `places` is the count of digits after the decimal point when the literal was written as a decimal
    (`0.750` -> 3), and None for integers and fractions; the rounding rule needs to know how a value was written.
    `percent` is set when a `%` or "percent" followed the literal; the value is the literal's, not divided by 100.
    `truncated` is set when an ellipsis followed a decimal (`0.3333...`): more digits were left off.
    """

    value: Fraction
    places: int | None = None
    percent: bool = False
    start: int = 0
    end: int = 0
    truncated: bool = False


# One literal. Alternatives are tried in order: mixed number, fraction, decimal or integer (with e-notation).
# A sign must touch its digits; whether it is a sign or a binary minus is decided in `scan` from what precedes it.
_LITERAL = re.compile(
    r"(?P<sign>[-+])?(?:"
    r"(?P<whole>\d+)(?:[ \t]+(?:and[ \t]+)?)(?P<mnum>\d+)[ \t]*/[ \t]*(?P<mden>\d+)(?!\d|\.\d)"
    r"|(?P<fnum>\d+(?:\.\d+)?)[ \t]*/[ \t]*(?P<fden>\d+(?:\.\d+)?)(?!\d|\.\d)"
    r"|(?P<int>\d*)(?:\.(?P<frac>\d+))?(?:[eE](?P<exp>[-+]?\d+)\b)?"
    r")(?P<dots>\.{3}|…)?(?P<pct>[ \t]*(?:%|percent\b))?"
)
_STARTS = re.compile(r"[-+]?\.?\d")

# Repeating decimals in LaTeX, `0.\overline{3}`, are exact rationals; they are rewritten to a fraction literal.
_OVERLINE = re.compile(r"(\d{0,20})\.(\d{0,20})\\overline\{(\d{1,20})\}")
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,]|\.\d)|(?<![\d.,])\d{1,3}(?:,\d{3})+\.\d+")

_VULGAR = {
    "½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅕": "1/5", "⅖": "2/5", "⅗": "3/5", "⅘": "4/5",
    "⅙": "1/6", "⅚": "5/6", "⅐": "1/7", "⅛": "1/8", "⅜": "3/8", "⅝": "5/8", "⅞": "7/8", "⅑": "1/9", "⅒": "1/10",
}  # fmt: skip
_VULGAR_RE = re.compile(r"(\d?)([" + "".join(_VULGAR) + r"])")

_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_WORD_RE = re.compile(
    r"\b(" + "|".join([*_TENS, *_WORDS]) + r")(?:[- ](one|two|three|four|five|six|seven|eight|nine))?\b"
)


def _overline(m: re.Match[str]) -> str:
    whole, fixed, rep = m.group(1) or "0", m.group(2), m.group(3)
    # x = whole.fixed(rep)(rep)...  =  whole + (fixed.rep - fixed) / (10^len(fixed) * (10^len(rep) - 1))
    head = int(fixed or "0")
    tail = int((fixed or "") + rep)
    value = int(whole) + Fraction(tail - head, 10 ** len(fixed) * (10 ** len(rep) - 1))
    return f"{value.numerator}/{value.denominator}"


def _vulgar(m: re.Match[str]) -> str:
    return (m.group(1) + " " if m.group(1) else "") + _VULGAR[m.group(2)]


def normalise(text: str, *, thousands: bool = True) -> str:
    """Rewrite the spellings of numbers that `scan` does not read directly into ones it does.

    Unicode minus and fraction characters, `\\overline` repeats and (when `thousands`) digit-group commas:
    `1,234.5` -> `1234.5`. Digit groups are left alone for lists such as `(2,128)` when `thousands` is False.
    """
    text = text.replace("\u2212", "-").replace("\u2044", "/").replace("\u2215", "/")
    if "\\overline" in text:
        text = _OVERLINE.sub(_overline, text)
    if any(c in text for c in _VULGAR):
        text = _VULGAR_RE.sub(_vulgar, text)
    if thousands and "," in text:
        text = _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), text)
    return text


def _literal(m: re.Match[str]) -> tuple[Fraction, int | None] | None:
    """The value and decimal places of one regex match, or None when it is out of bounds or not a number."""
    g = m.groupdict()
    if g["whole"] is not None:
        whole, num, den = g["whole"], g["mnum"], g["mden"]
        if len(whole) + len(num) + len(den) > MAX_DIGITS or int(den) == 0 or int(num) >= int(den):
            return None
        return int(whole) + Fraction(int(num), int(den)), None
    if g["fnum"] is not None:
        num, den = g["fnum"], g["fden"]
        if len(num) + len(den) > MAX_DIGITS:
            return None
        d = Fraction(den)
        return (Fraction(num) / d, None) if d else None
    digits, frac, exp = g["int"] or "", g["frac"], g["exp"]
    if not digits and frac is None:
        return None
    if len(digits) + len(frac or "") > MAX_DIGITS:
        return None
    value = Fraction(f"{digits or '0'}.{frac}") if frac is not None else Fraction(int(digits))
    places = len(frac) if frac is not None else None
    if exp is not None:
        if len(exp.lstrip("+-")) > 6:  # `1e999999999` is out of bounds, not the literal 1
            return None
        e = int(exp)
        if abs(e) > MAX_EXPONENT:
            return None
        value *= Fraction(10) ** e
        places = max(0, (places or 0) - e) or None
    return value, places


def scan(text: str) -> list[Num]:
    """Every number literal in `text`, left to right (call `normalise` first for commas and Unicode forms).

    A `-` directly before digits is a sign unless a digit or `)` precedes it (then it is subtraction).
    Literals that break the size bounds are skipped, not clipped.
    """
    found: list[Num] = []
    pos, n = 0, len(text)
    while pos < n:
        m = _STARTS.search(text, pos)
        if m is None:
            break
        lit = _LITERAL.match(text, m.start())
        if lit is None or lit.end() == m.start():
            pos = m.start() + 1
            continue
        start = lit.start()
        sign = lit.group("sign")
        if sign:
            before = text[:start].rstrip()
            if before and (before[-1].isdigit() or before[-1] == ")"):
                sign, start = None, start + 1  # binary minus or plus: read the literal unsigned
                lit = _LITERAL.match(text, start)
                if lit is None:
                    pos = start
                    continue
        parsed = _literal(lit)
        if parsed is not None:
            value, places = parsed
            pct, dots = lit.group("pct") is not None, lit.group("dots") is not None and places is not None
            found.append(Num(-value if sign == "-" else value, places, pct, start, lit.end(), dots))
        elif lit.group("whole") is not None:
            # an improper "mixed number" such as `2 5/4` is two literals: read the whole part alone and go on
            whole_end = lit.start("whole") + len(lit.group("whole"))
            found.append(Num(Fraction(int(lit.group("whole")[:MAX_DIGITS])), None, False, start, whole_end))
            pos = whole_end
            continue
        pos = max(lit.end(), pos + 1)
    return found


def parse(text: str) -> Num | None:
    """The single literal that `text` consists of (surrounding spaces allowed), or None."""
    text = normalise(text.strip())
    found = scan(text)
    if len(found) != 1 or found[0].start != 0 or found[0].end != len(text):
        return None
    return found[0]


def words(text: str) -> list[Num]:
    """Numbers written as English words from zero to ninety-nine ("twenty-five"), for answers with no digits."""
    found = []
    for m in _WORD_RE.finditer(text.lower()):
        head, unit = m.group(1), m.group(2)
        value = _TENS.get(head, _WORDS.get(head, 0)) + (_WORDS[unit] if unit and head in _TENS else 0)
        found.append(Num(Fraction(value), None, False, m.start(), m.end()))
    return found


def terminates(value: Fraction) -> bool:
    """Whether `value` has a finite decimal expansion (its reduced denominator has no prime factor but 2 and 5)."""
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def round_to(value: Fraction, places: int) -> Fraction:
    """`value` rounded to `places` decimal places, halves away from zero."""
    scale = 10**places
    scaled = abs(value) * scale
    q, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r >= scaled.denominator:
        q += 1
    return Fraction(q if value >= 0 else -q, scale)


def decimal_places(value: Fraction) -> int | None:
    """How many decimal places `value` needs when its expansion terminates (0.75 -> 2), else None."""
    d, twos, fives = value.denominator, 0, 0
    while d % 2 == 0:
        d, twos = d // 2, twos + 1
    while d % 5 == 0:
        d, fives = d // 5, fives + 1
    return max(twos, fives) if d == 1 else None


# LaTeX that wraps or spells numbers and relations. Only numeric \frac arguments are rewritten: `\frac{a+b}{c}`
# stays as it is and reads as nothing, rather than as a wrong number.
_FRAC = re.compile(
    r"(\d?)[ \t]*\\[dt]?frac[ \t]*(?:\{[ \t]*([-+]?\d+(?:\.\d+)?)[ \t]*\}|(\d))"
    r"[ \t]*(?:\{[ \t]*(\d+(?:\.\d+)?)[ \t]*\}|(\d))"
)
_WRAPPER = re.compile(r"\\(?:text|mathrm|textbf|mathbf|boxed|fbox|mbox|operatorname|displaystyle)[ \t]*\{([^{}]*)\}")
_TOKENS = {
    "\\left": "", "\\right": "", "\\(": " ", "\\)": " ", "\\[": " ", "\\]": " ", "\\,": " ", "\\;": " ", "\\!": "",
    "\\quad": " ", "\\ ": " ", "\\times": "×", "\\cdot": "·", "\\approx": "≈", "\\leq": "≤", "\\geq": "≥",
    "\\le": "≤", "\\ge": "≥", "\\neq": "≠", "\\ne": "≠", "\\lt": "<", "\\gt": ">", "\\%": "%", "\\$": "$",
    "\\{": "{", "\\}": "}", "&lt;": "<", "&gt;": ">", "&amp;": "&", "\\displaystyle": "",
}  # fmt: skip


def _frac(m: re.Match[str]) -> str:
    whole, num, den = m.group(1), m.group(2) or m.group(3), m.group(4) or m.group(5)
    return f"{whole} {num}/{den}" if whole else f"{num}/{den}"


def clean_latex(text: str) -> str:
    """`text` with LaTeX and HTML spellings of numbers and relations rewritten plainly (`3\\frac{1}{2}` -> `3 1/2`)."""
    if "\\" not in text and "&" not in text:
        return text
    text = _FRAC.sub(_frac, text)
    for _ in range(3):  # wrappers nest (\boxed{\text{5}}); three levels is plenty, and bounded
        text, n = _WRAPPER.subn(r"\1", text)
        if not n:
            break
    for token, plain in _TOKENS.items():
        if token in text:
            text = text.replace(token, plain)
    return text


_EQUALS = re.compile(r"=|≈|≅|:=")
_ASIDE = re.compile(r"\([^()]*\)")
_CUE = re.compile(r"\b(?:is|are|was|were|be|equals|gives)\b|:", re.I)


def read_number(text: str) -> Num | None:
    """The number an answer text commits to, or None if it holds none.

    A chain of equalities gives its last value (`48 + 24 = 72` -> 72); an aside in parentheses yields to a
    number outside it (`3/4 (0.75)`); then the first number after the last "is"/":" cue; then the first number.
    A number that is an operand of arithmetic left undone (`5 - 3`, `9**9`) is not a value: None.
    """
    num, part = _pick_number(text)
    if num is None or _OPERATOR_AFTER.match(part, num.end) or _OPERATOR_BEFORE.search(part, 0, num.start):
        return None
    if _hedged(text) or _contradicts(text, num):
        return None
    return num


# A hedge gives several values or none: "5, 6, 7", "5 or 6", "between 5 and 9", "not 5", "5 to 9".
_HEDGE_WORD = re.compile(
    r"\bnot\s+(?:equal\s+to\s+|exactly\s+|more\s+than\s+|less\s+than\s+)?[-$\d]|\bbetween\s+\$?[-\d.]"
    r"|\beither\b|\bor\s+so\b|±|\+/-",
    re.I,
)
_LIST_GAP = re.compile(r"\s*(?:,|;|&|\bor\b|\band\b|\bto\b|–)\s*\$?\s*$", re.I)


def _hedged(text: str) -> bool:
    """Whether an answer text hedges: offers several values side by side, a range, or a negation."""
    t = _ASIDE.sub(lambda m: " " * len(m.group(0)), normalise(clean_latex(text)))
    if _HEDGE_WORD.search(t):
        return True
    nums = scan(t)
    for a, b in zip(nums, nums[1:]):
        if a.value != b.value and _LIST_GAP.fullmatch(t[a.end : b.start] + " ") is None:
            continue
        if a.value != b.value:
            return True
    return False


def _contradicts(text: str, num: Num) -> bool:
    """Whether an equality chain says a bare number equals a different one (`66 = 3`): no value is concluded."""
    t = normalise(clean_latex(text))
    if "=" not in t:
        return False
    for side in _EQUALS.split(t)[:-1]:
        found = scan(side)
        if len(found) == 1 and side.strip(" \t$*") == side[found[0].start : found[0].end].strip():
            if found[0].value != num.value:
                return True
    return False


_OPERATOR_AFTER = re.compile(r"[ \t]*(?:[-+*×÷^x]|\*\*)[ \t]*[-+]?[\d(.]")
_OPERATOR_BEFORE = re.compile(r"[\d)][ \t]*(?:[-+*×÷^]|\*\*)[ \t]*[(]?[ \t]*$")


def _pick_number(text: str) -> tuple[Num | None, str]:
    t = normalise(clean_latex(text))
    nums: list[Num] = []
    part = t
    for part in reversed(_EQUALS.split(t)):
        if nums := scan(part):
            break
    if not nums:
        found = words(t)
        return (found[0] if len(found) == 1 else None), t
    if len(nums) == 1:
        return nums[0], part
    if "(" in part:
        outside = scan(_ASIDE.sub(lambda m: " " * len(m.group(0)), part))
        if outside:
            nums = outside
            if len(nums) == 1:
                return nums[0], part
    cues = list(_CUE.finditer(part))
    if cues:
        after = [n for n in nums if n.start >= cues[-1].end()]
        if after:
            return after[0], part
    return nums[0], part


def show(num: Num) -> str:
    """A number as it was written, canonically: `3/4`, `0.750`, `12`, `45%`."""
    v = num.value
    if num.places is not None:
        scaled = abs(v) * 10**num.places  # an integer: a decimal literal has exactly `places` places
        digits = str(scaled.numerator // scaled.denominator).rjust(num.places + 1, "0")
        text = ("-" if v < 0 else "") + digits[: -num.places] + "." + digits[-num.places :]
    else:
        text = str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    return text + ("%" if num.percent else "")

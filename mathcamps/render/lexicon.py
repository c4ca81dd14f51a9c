"""Words the story renderer and its re-reader share: people's names with their pronouns, and how numbers are written.

A problem's text names its people from `NAMES`; the re-reader knows the same list, as any reader knows which words
are names. Numbers are written as the structure writes them (`7`, `6.75`, `3/4`); money gets a dollar sign and
cents (`$6.70`), and a fraction whose denominator is 1 is written as the whole number it is (`8`, not `8/1`).
"""

from __future__ import annotations

from fractions import Fraction

from mathcamps.grammar.tree import Expr, Num, Op, Value, is_fraction_literal

# (name, pronoun): two lists so that a story can pick people a pronoun tells apart.
NAMES: tuple[tuple[str, str], ...] = (
    ("Ava", "she"), ("Chloe", "she"), ("Ella", "she"), ("Grace", "she"), ("Isla", "she"), ("Kira", "she"),
    ("Maya", "she"), ("Olivia", "she"), ("Priya", "she"), ("Rosa", "she"), ("Tara", "she"), ("Vera", "she"),
    ("Yuki", "she"), ("Zara", "she"), ("Lena", "she"), ("Nora", "she"), ("Amara", "she"), ("Sofia", "she"),
    ("Ben", "he"), ("Diego", "he"), ("Finn", "he"), ("Hugo", "he"), ("Jamal", "he"), ("Leo", "he"),
    ("Noah", "he"), ("Umar", "he"), ("Will", "he"), ("Omar", "he"), ("Theo", "he"), ("Ravi", "he"),
    ("Kenji", "he"), ("Mateo", "he"), ("Felix", "he"), ("Arjun", "he"),
)  # fmt: skip
PRONOUN = dict(NAMES)
OBJECT = {"she": "her", "he": "him"}
POSSESSIVE = {"she": "her", "he": "his"}


def literal_value(e: Expr) -> Value:
    """The exact value of a literal: a `Num`, or a fraction literal `(n / d)`."""
    if isinstance(e, Num):
        return e.value
    assert is_fraction_literal(e), e
    assert isinstance(e, Op) and isinstance(e.lhs, Num) and isinstance(e.rhs, Num)
    v = Fraction(e.lhs.value) / Fraction(e.rhs.value)
    return v.numerator if v.denominator == 1 else v


def literal_text(e: Expr) -> str:
    """A literal as a problem writes it: `7`, `6.7`, `3/4`; a fraction `8/1` is written `8`."""
    if isinstance(e, Num):
        return e.text
    assert isinstance(e, Op) and isinstance(e.lhs, Num) and isinstance(e.rhs, Num)
    if e.rhs.value == 1:
        return e.lhs.text
    return f"{e.lhs.text}/{e.rhs.text}"


def is_whole_text(text: str) -> bool:
    """Whether a literal as written is a whole number (`12`, not `12.0` nor `24/2`)."""
    return text.isdigit()


def money(text: str) -> str:
    """Dollars as a shop writes them: `7` -> `$7`, `6.7` -> `$6.70`, `6.75` -> `$6.75`."""
    if "." not in text:
        return f"${text}"
    whole, cents = text.split(".")
    return f"${whole}.{cents:0<2}"


def money_value(text: str) -> str:
    """The number inside a written amount of money: `$6.70` -> `6.70`."""
    return text.removeprefix("$")


def plural(value_text: str, singular: str, plural_form: str) -> str:
    """The noun that follows a number: `1 apple`, `2 apples`, `3/4 cup`, `0.5 liters`."""
    if value_text == "1" or ("/" in value_text and Fraction(value_text) < 1):
        return singular
    return plural_form


def number_value(text: str) -> Value:
    """The exact value of a number as written in a problem (`12`, `6.70`, `3/4`)."""
    v = Fraction(text)
    return v.numerator if v.denominator == 1 else v

"""Sentence forms: one template per way of telling one step of a problem, with the step it tells written beside it.

A form is a template and its meaning. The renderer picks forms by their meaning (`P = a + b`: a new holder `P`
gets the sum of two numbers) and fills them in; the re-reader (`mathcamps.render.reread`) matches sentences against
the same templates and carries out the meanings, without the structure, so a text that can be read two ways, or
that tells a different computation, is caught. Each form tells at most one operation, so grouping is never left
to the reader.

Template slots:

- `{P}`, `{Q}`, `{R}`: a person (a name, or a pronoun where only one person it could mean has been named);
  `{X}`, `{Y}`: any quantity of the story, written as a clause (`Maya has`, `each friend gets`). Modifiers:
  `:pos` possessive (`Maya's`, `her`), `:obj` object (`Maya`, `her`), `:has` the quantity as a clause.
- `{a}`, `{b}`, `{c}`: a number as written; `:T` with its unit and what is measured (`12 apples`, `3.5 liters of
  juice`, `$4.50`), `:U` with its unit only (`3.5 liters`), `:G` a count of the world's groups (`4 bags`), `:S` a
  count of the people it is shared among (`4 friends`), `:list` several amounts (`12 m, 15 m and 9 m`).
- `{word}` (two letters or more): a word of the story's world (`{items}`, `{gain}`, `{place}`).

Meanings: `P = a + b`, `P = P - b` (P changes), `@each = a / b` (a fixed holder such as "each friend"),
`? P` (the question asks P's amount), `? Q + R` (the question asks for a sum it names), and for whole-problem
forms (equations, perimeters) any expression over the slots, e.g. `@side = (p - 2 * a) / 2`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

SLOT = re.compile(r"\{([A-Za-z@_][A-Za-z@_0-9]*)(?::(\w+))?\}")
HOLDER_LETTERS = "PQRXY"
PERSON_LETTERS = "PQR"
COMMUTATIVE = {"+", "*"}


@dataclass(frozen=True)
class Meaning:
    """What a form says: `target = lhs op rhs` (op None for `target = lhs`); target None for a question."""

    target: str | None
    op: str | None
    lhs: str
    rhs: str | None
    expr: str  # the right-hand side as written, for whole-problem forms

    @cached_property
    def atoms(self) -> tuple[str, ...]:
        return (self.lhs,) if self.rhs is None else (self.lhs, self.rhs)

    @cached_property
    def is_update(self) -> bool:
        return self.target is not None and self.target in self.atoms


_SIMPLE = re.compile(r"^\s*([A-Za-z@_]+)\s*(?:([-+*/%])\s*([A-Za-z@_]+))?\s*$")


def parse_meaning(sem: str) -> Meaning:
    """`"P = a + b"` -> Meaning('P', '+', 'a', 'b'); `"? Q + R"` -> a question; other right sides are kept whole."""
    if sem.startswith("?"):
        target, expr = None, sem[1:].strip()
    else:
        target, _, expr = (s.strip() for s in sem.partition("="))
    m = _SIMPLE.match(expr)
    if m is None:
        return Meaning(target, None, "", None, expr)
    return Meaning(target, m.group(2), m.group(1), m.group(3), expr)


@dataclass(frozen=True)
class Form:
    """A template (one or more sentences) and its meaning.

    `has` is how the quantity this form creates is named as a clause later (`each {share} gets`), for fixed
    holders such as `@each`; `needs` lists world words beyond the template's own that the form requires; `tags`
    steer the choice (`update`: may follow a connective such as "Then"; `left`, `now`, `all`: question wordings
    that suit what happened last); `shape` names the structure shape a whole-problem form tells.
    """

    sem: str
    text: str
    has: str | None = None
    tags: frozenset[str] = frozenset()
    shape: str | None = None
    needs: frozenset[str] = frozenset()
    key: str = field(default="", compare=False)

    @cached_property
    def meaning(self) -> Meaning:
        return parse_meaning(self.sem)

    @cached_property
    def sentences(self) -> tuple[str, ...]:
        return tuple(split_sentences(self.text))

    @cached_property
    def words(self) -> frozenset[str]:
        """World words the template uses."""
        slots = SLOT.findall(self.text + (self.has or ""))
        found = {name for name, _ in slots if len(name) > 1 and "@" not in name}
        mods = {mod for _, mod in slots}
        found |= {"group", "groups"} if "G" in mods else set()
        found |= {"share", "shares"} if "S" in mods else set()
        return frozenset(found) | self.needs

    @cached_property
    def slots(self) -> tuple[tuple[str, str], ...]:
        return tuple((n, m) for n, m in SLOT.findall(self.text) if len(n) == 1)

    @cached_property
    def mentions(self) -> tuple[str, ...]:
        """Holder letters the template names that its meaning does not use (people who only act)."""
        used = set(self.meaning.atoms) | {self.meaning.target or ""} | set(re.findall(r"\b[A-Z]\b", self.meaning.expr))
        return tuple(dict.fromkeys(n for n, _ in self.slots if n in HOLDER_LETTERS and n not in used))


def forms(*rows: tuple, prefix: str) -> tuple[Form, ...]:
    """Forms from `(sem, text, **options)` rows, keyed `prefix.<n>`."""
    out = []
    for i, row in enumerate(rows):
        sem, text, *rest = row
        opts = rest[0] if rest else {}
        out.append(
            Form(
                sem,
                text,
                has=opts.get("has"),
                tags=frozenset(opts.get("tags", ())),
                shape=opts.get("shape"),
                needs=frozenset(opts.get("needs", ())),
                key=f"{prefix}.{i}",
            )
        )
    return tuple(out)


_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z0-9${\"(])|\n+")


def split_sentences(text: str) -> list[str]:
    """Sentences of a problem: split after `.`, `?` or `!` before a capital (decimals such as `6.5` stay whole)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def capitalize(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


CONNECTIVES = ("Then", "After that,", "Later,", "Next,")

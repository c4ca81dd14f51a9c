"""Filling a form's template: amounts with their units, people by name or pronoun, holders as clauses.

The pronoun rule is the one the re-reader applies: `she` or `he` may stand for a person only when that person is
the one person of that pronoun named so far (in earlier sentences or in this one), so a pronoun never has two
readings. The writer is stricter still: it uses a pronoun only for the subject of the sentence before, or for a
person already named earlier in the same sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from mathcamps.render.forms import SLOT, capitalize
from mathcamps.render.forms_shapes import NUMBER_WORDS, POLYGONS
from mathcamps.render.lexicon import OBJECT, POSSESSIVE, money, plural
from mathcamps.render.worlds import World


@dataclass(frozen=True)
class Holder:
    """Who or what a quantity belongs to: a person (`key` is the name) or a fixed holder (`@each`, `@place`)."""

    key: str
    pronoun: str | None = None  # people only
    has: str | None = None  # fixed holders: the quantity as a clause, already written ("each friend gets")
    count: bool = False  # a number of groups rather than an amount of the world's things
    compound: bool = False  # named by a clause that joins two people ("Maya and Leo have together")
    actor: str | None = None  # the person who made this quantity (who shared, who packed)

    @property
    def is_person(self) -> bool:
        return self.pronoun is not None


@dataclass
class Voice:
    """Who has been named so far, for the pronoun rule."""

    named: list[str] = field(default_factory=list)
    pronouns: dict[str, str] = field(default_factory=dict)
    last_subject: str | None = None

    def copy(self) -> Voice:
        return Voice(list(self.named), dict(self.pronouns), self.last_subject)


def amount(world: World, text: str, mod: str) -> str:
    """A number with what it counts: `T` the world's amount (`12 apples`, `3.5 liters of juice`, `$4.50`), `U` the
    unit alone, `G` a number of groups, `S` a number of people sharing, `` the bare number."""
    w = world.words
    if mod == "poly":
        return POLYGONS[int(text)]
    if mod == "word":
        return NUMBER_WORDS[int(text)]
    if mod == "G":
        return f"{text} {plural(text, w['group'], w['groups'])}"
    if mod == "S":
        return f"{text} {plural(text, w['share'], w['shares'])}"
    if mod == "" or mod is None:
        return text
    if world.family == "count":
        return f"{text} {plural(text, w['item'], w['items'])}"
    if "unit" not in w:  # dollars
        return money(text)
    unit = f"{text} {plural(text, w['unit'], w['units'])}"
    return f"{unit} of {w['stuff']}" if mod == "T" and "stuff" in w else unit


def person_has(world: World, name: str) -> str:
    """A person's quantity as a clause: `Maya has`; `Maya does` for distances; `Maya's number` in puzzles."""
    if world.family == "number":
        return f"{name}'s number" if name[0].isupper() else f"{POSSESSIVE[name]} number"
    assert world.family != "next", "a next step names no people"
    if world.family == "rate":
        return f"{name} does" if "move" in world.words else f"{name} pays"
    return f"{name} has"


def fill(template: str, world: World, numbers: dict[str, str | list[str]], holders: dict[str, Holder],
         voice: Voice, pronouns: bool = True, changed: dict[str, str] | None = None) -> str:  # fmt: skip
    """The template with its slots written out; `voice` is updated with the people named.

    `pronouns=False` names every person (a pronoun bound to the sentence's own subject, "Noah adds 6 to his
    number", is still used); `changed` marks a counterfactual's new number with the old one: `17 crayons (not 9)`.
    """
    people = {h.key: h.pronoun for h in holders.values() if h.is_person}
    named_before = list(voice.named)
    all_here = set(named_before) | set(people)
    said: set[str] = set()
    first_holder: list[str] = []

    def may_pronoun(name: str, subject_slot: bool) -> bool:
        p = people[name]
        if not subject_slot and first_holder and first_holder[0] == name and name in said:
            # bound to the sentence's subject, as in "Hugo adds 3 to his number": no one else here is `he`
            return [n for n in people if people[n] == p] == [name]
        if not pronouns:
            return False
        same = [n for n in all_here if voice.pronouns.get(n, people.get(n)) == p]
        return same == [name] and (name in said or (name == voice.last_subject and name in named_before))

    def person(name: str, mod: str, subject_slot: bool) -> str:
        use = may_pronoun(name, subject_slot)
        said.add(name)
        p = people[name]
        if mod == "pos":
            return POSSESSIVE[p] if use else f"{name}'s"
        if mod == "obj":
            return OBJECT[p] if use else name
        if mod == "has":
            return person_has(world, p if use else name)
        return p if use else name

    def one(m: re.Match[str]) -> str:
        name, mod = m.group(1), m.group(2) or ""
        if len(name) == 1 and name.isupper():
            h = holders[name]
            subject_slot = not first_holder
            if not first_holder:
                first_holder.append(h.key if h.is_person else "")
            if h.is_person:
                return person(h.key, mod, subject_slot)
            assert h.has is not None, h
            return h.has
        if len(name) == 1:
            value = numbers[name]
            if mod == "list":
                assert isinstance(value, list)
                parts = [amount(world, v, "U") for v in value]
                text = ", ".join(parts[:-1]) + " and " + parts[-1]
                return f"{text} (not {changed[name]})" if changed and name in changed else text
            assert isinstance(value, str)
            text = amount(world, value, mod)
            return f"{text} (not {changed[name]})" if changed and name in changed else text
        return world.words[name]

    text = SLOT.sub(one, template)
    for name, p in people.items():
        if name not in voice.pronouns:
            voice.named.append(name)
            voice.pronouns[name] = p
    voice.last_subject = first_holder[0] if first_holder and first_holder[0] else None
    return agree(capitalize(text), world)


def agree(sentence: str, world: World) -> str:
    """Number agreement after a `1`: `1 more apples` -> `1 more apple`, `There are 1 apple` -> `There is 1 apple`."""
    if "1" not in sentence:
        return sentence
    for rx, singular in _agreements(world):
        sentence = rx.sub(singular, sentence)
    sentence = re.sub(r"^1 of them are\b", "1 of them is", sentence)
    return re.sub(r"\bThere are 1 ", "There is 1 ", sentence)


@cache
def _agreements(world: World) -> tuple[tuple[re.Pattern[str], str], ...]:
    w, out = world.words, []
    for sg_key, pl_key in (("item", "items"), ("unit", "units"), ("group", "groups"), ("share", "shares")):
        if sg_key in w and w[pl_key] != w[sg_key]:
            rx = re.compile(rf"(?<![\d./])1 ((?:\(not [^)]*\) )?(?:\w+ )?){re.escape(w[pl_key])}\b")
            out.append((rx, rf"1 \g<1>{w[sg_key]}"))
    return tuple(out)


def holder_has(template: str, world: World, holders: dict[str, Holder]) -> str:
    """A fixed holder's clause (`each {share} gets`, `{Q} spends`), people by name."""
    text = fill(template, world, {}, holders, Voice(), pronouns=False)
    return text if template[:2] in {"{" + c for c in "PQRXY"} else text[:1].lower() + text[1:]

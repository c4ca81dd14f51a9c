"""The re-reader: a word problem read back to its answer from the text alone, as the checker of the templates.

It knows the sentence forms and the words of the problem's world (named by its theme line), as a reader knows
English; it does not see the structure. Each sentence must match exactly one form; names and pronouns are resolved
as a reader would (a pronoun must have exactly one person it can mean); every quantity a sentence names must have
been given a value before; the last sentence is the question. A text that fails any of these is `Unreadable`, and
a text whose reading gives another answer than its structure is a wrong text: `tests/mathcamps/test_ambiguity.py`
reads every generated problem back this way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from mathcamps.grammar.tree import Value
from mathcamps.render.forms import CONNECTIVES, SLOT, Form, split_sentences
from mathcamps.render.forms_shapes import NUMBER_WORDS, POLYGONS
from mathcamps.render.lexicon import NAMES, PRONOUN, number_value
from mathcamps.render.notation import ReadError, parse, value
from mathcamps.render.worlds import World

NAME = "|".join(sorted((n for n, _ in NAMES), key=len, reverse=True))
NUM = r"\d+(?:\.\d+)?(?:/\d+)?"
_PLURALS = {"items": "item", "units": "unit", "groups": "group", "shares": "share", "bases": "base"}
_PRONOUN_FORMS = {"she": "she", "he": "he", "her": "she", "him": "he", "his": "he"}


class Unreadable(ValueError):
    """A problem text the re-reader cannot read in exactly one way."""


# ---------------------------------------------------------------- templates as patterns


def _word(world: World, key: str) -> str:
    w = world.words
    if key in _PLURALS and _PLURALS[key] in w:
        return f"(?:{re.escape(w[key])}|{re.escape(w[_PLURALS[key]])})"
    return re.escape(w[key])


def _amount(world: World, mod: str, group: str) -> str:
    n = f"(?P<{group}>{NUM})"
    w = world.words
    if mod in ("", None):
        return n
    if mod == "poly":
        return f"(?P<{group}>" + "|".join(re.escape(p) for p in POLYGONS.values()) + ")"
    if mod == "word":
        words = [w for v in NUMBER_WORDS.values() for w in (v, v.capitalize())]
        return f"(?P<{group}>" + "|".join(words) + ")"
    if mod == "G":
        return f"{n} {_word(world, 'groups')}"
    if mod == "S":
        return f"{n} {_word(world, 'shares')}"
    if world.family == "count":
        return f"{n} {_word(world, 'items')}"
    if "unit" not in w:
        return rf"\$(?P<{group}>\d+(?:\.\d+)?)"
    unit = f"{n} {_word(world, 'units')}"
    return f"{unit} of {re.escape(w['stuff'])}" if mod == "T" and "stuff" in w else unit


def person_has_pattern(world: World) -> str:
    if world.family == "next":
        return r"(?!)"
    if world.family == "number":
        return rf"(?:(?:{NAME})'s|her|his) number"
    if world.family == "rate":
        return rf"(?:{NAME}|she|he) {'does' if 'move' in world.words else 'pays'}"
    return rf"(?:{NAME}|she|he) has"


def _literal(chunk: str) -> str:
    """Template text as a pattern; `are` may be `is` where the writer agreed it with a `1`."""
    text = re.escape(chunk)
    for before in (r"there\ are", r"There\ are", r"of\ them\ are"):
        text = text.replace(before, before.removesuffix("are") + "(?:are|is)")
    return text


def _pattern(template: str, world: World, has: str, groups: list[tuple[str, str, str]]) -> str:
    """A regex for one sentence template; `groups` collects (group name, slot letter, modifier)."""
    out, pos = [], 0
    for m in SLOT.finditer(template):
        out.append(_literal(template[pos : m.start()]))
        pos = m.end()
        name, mod = m.group(1), m.group(2) or ""
        g = f"g{len(groups)}"
        if len(name) > 1:
            out.append(_word(world, name))
            continue
        groups.append((g, name, mod))
        if name.islower():
            if mod == "list":
                one = _amount(world, "U", "x").replace("(?P<x>", "(?:")
                out.append(f"(?P<{g}>{one}(?:, {one})* and {one})")
            else:
                out.append(_amount(world, mod, g))
        elif mod == "pos":
            out.append(rf"(?P<{g}>(?:{NAME})'s|her|his)")
        elif mod == "obj":
            out.append(rf"(?P<{g}>{NAME}|her|him)")
        elif mod == "has":
            out.append(f"(?P<{g}>{has})")
        else:
            out.append(rf"(?P<{g}>{NAME}|she|he)")
    out.append(_literal(template[pos:]))
    return "".join(out)


def has_pattern(template: str, world: World) -> str:
    """A fixed holder's clause as a pattern, people as any name."""
    text = SLOT.sub(lambda m: "\x00" if len(m.group(1)) == 1 else m.group(0), template)
    text = SLOT.sub(lambda m: world.words[m.group(1)], text)
    return "(?:" + re.escape(_lower_first(text)).replace("\x00", f"(?:{NAME})") + ")"


_EXTRA_CLAUSES = {"next": {"your answer"}}  # named by the follow-up itself, not by a form


@dataclass(frozen=True)
class Compiled:
    """One sentence of a form as a pattern: `index` of `form.sentences`."""

    form: Form
    index: int
    regex: re.Pattern[str]
    groups: tuple[tuple[str, str, str], ...]


@cache
def compiled(world: World, family: tuple[Form, ...]) -> tuple[Compiled, ...]:
    """Every sentence of the world's forms as a pattern."""
    usable = [f for f in family if f.words <= set(world.words)]
    clauses = sorted({has_pattern(f.has, world) for f in usable if f.has} | _EXTRA_CLAUSES.get(world.family, set()))
    has = "|".join([person_has_pattern(world)] + clauses)
    out = []
    for f in usable:
        for i, sentence in enumerate(f.sentences):
            groups: list[tuple[str, str, str]] = []
            rx = re.compile(_pattern(_lower_first(sentence), world, has, groups))
            out.append(Compiled(f, i, rx, tuple(groups)))
    return tuple(out)


@cache
def step_patterns(world: World, family: tuple[Form, ...]) -> tuple[Compiled, ...]:
    return tuple(c for c in compiled(world, family) if len(c.form.sentences) == 1 and c.form.shape is None)


def _lower_first(s: str) -> str:
    first = s.split(" ", 1)[0].strip(",.'s")
    return s if first in PRONOUN or s.startswith("{") else s[:1].lower() + s[1:]


def normalize(sentence: str) -> str:
    """A sentence without its leading connective, first letter lowered unless it starts with a name."""
    for c in CONNECTIVES:
        if sentence.startswith(c + " "):
            sentence = sentence[len(c) + 1 :]
            break
    return _lower_first(sentence)


# ---------------------------------------------------------------- carrying out what the sentences say


@dataclass
class Scene:
    """What the reader knows so far: each holder's amount, who has been named, the clauses that name quantities."""

    values: dict[str, Value] = field(default_factory=dict)
    named: list[str] = field(default_factory=list)
    clauses: dict[str, str] = field(default_factory=dict)
    answer: Value | None = None
    read: list[tuple[Form, set[str], str]] = field(default_factory=list)  # each sentence: its form, its holders

    def copy(self) -> Scene:
        return Scene(dict(self.values), list(self.named), dict(self.clauses), self.answer, list(self.read))


def slot_value(text: str, mod: str) -> Value:
    """The number a slot's text says: `12`, `$6.70`, `a regular hexagon` (6), `five`, or a list's sum."""
    if mod == "poly":
        return {v: k for k, v in POLYGONS.items()}[text]
    if mod == "word":
        return {v: k for k, v in NUMBER_WORDS.items()}[text.lower()]
    if mod == "list":
        return sum(number_value(x) for x in re.findall(NUM, text))
    return number_value(text)


def _names_in(text: str) -> list[str]:
    return re.findall(rf"\b(?:{NAME})\b", text)


def resolve_person(word: str, scene: Scene, here: list[str], subject: str | None = None) -> str:
    """A name, or the one person a pronoun can mean: the sentence's subject when no one else named in the sentence
    could be meant ("Hugo adds 3 to his number"), else the one person of that pronoun named so far."""
    name = word.removesuffix("'s")
    if name in PRONOUN:
        return name
    p = _PRONOUN_FORMS.get(word.lower())
    if p is None:
        raise Unreadable(f"{word!r} is not a person")
    if subject is not None and PRONOUN[subject] == p and all(PRONOUN[n] != p or n == subject for n in here):
        return subject
    people = {n for n in scene.named + here if PRONOUN[n] == p}
    if len(people) != 1:
        raise Unreadable(f"{word!r} could mean {sorted(people) or 'nobody'}")
    return people.pop()


def resolve_has(text: str, world: World, scene: Scene, here: list[str], subject: str | None = None) -> str:
    """The holder a clause names: a person (`Maya has`, `her number`) or a fixed holder named earlier."""
    if text in scene.clauses:
        return scene.clauses[text]
    m = re.fullmatch(person_has_pattern(world).replace("(?:", "(", 1), text)
    if m is not None:
        return resolve_person(m.group(1), scene, here, subject)
    raise Unreadable(f"{text!r} names no quantity of the story")


def carry_out(c: Compiled, m: re.Match[str], world: World, scene: Scene, sentence: str) -> None:
    """Do what one matched sentence says; raises `Unreadable` when it names what is not there."""
    here = [n for g, name, mod in c.groups if name.isupper() for n in _names_in(m.group(g))]
    letters: dict[str, str] = {}
    env: dict[str, Value] = {}
    subject: str | None = None
    for i, (g, name, mod) in enumerate(c.groups):
        text = m.group(g)
        if name.islower():
            v = slot_value(text, mod)
            if name in env and env[name] != v:
                raise Unreadable(f"{name} has two values in {sentence!r}")
            env[name] = v
            continue
        if mod == "has":
            key = resolve_has(text, world, scene, here, subject)
        else:
            key = resolve_person(text, scene, here, subject)
        if subject is None and not any(n.isupper() for _, n, _ in c.groups[:i]) and key in PRONOUN:
            subject = key  # the first person slot of the sentence
        if letters.setdefault(name, key) != key:
            raise Unreadable(f"{name} names two holders in {sentence!r}")
    meaning = c.form.meaning
    in_expr = set(re.findall(r"(?<![@\w])[A-Za-z](?!\w)", meaning.expr))
    for letter, key in letters.items():
        if letter in in_expr:
            if key not in scene.values and letter != meaning.target:
                raise Unreadable(f"{key} has no amount yet in {sentence!r}")
            if key in scene.values:
                env[letter] = scene.values[key]
    for atom in re.findall(r"@\w+", meaning.expr):
        if atom not in scene.values:
            raise Unreadable(f"{atom} has no amount yet in {sentence!r}")
        env[atom] = scene.values[atom]
    target = meaning.target
    if target is not None and target in letters and target not in meaning.atoms and letters[target] in scene.values:
        raise Unreadable(f"{letters[target]} already has an amount in {sentence!r}")
    try:
        result = value(_parsed(meaning.expr), env)
    except ReadError as err:
        raise Unreadable(f"{sentence!r}: {err}") from err
    key = target if target is None or target.startswith("@") else letters[target]
    if key is None:
        scene.answer = result
        key = "@ans"
    scene.values[key] = result
    if c.form.has:
        clause = SLOT.sub(lambda x: letters[x.group(1)] if len(x.group(1)) == 1 else world.words[x.group(1)],
                          c.form.has)  # fmt: skip
        scene.clauses[_lower_first(clause)] = key
    for n in here:
        if n in PRONOUN and n not in scene.named:
            scene.named.append(n)
    scene.read.append((c.form, set(letters.values()) | set(here), sentence))


@cache
def _parsed(expr: str):  # noqa: ANN202
    return parse(expr)


def read_sentence(sentence: str, world: World, family: tuple[Form, ...], scene: Scene) -> None:
    s = normalize(sentence)
    hits = [(c, m) for c in step_patterns(world, family) if (m := c.regex.fullmatch(s)) is not None]
    if len(hits) != 1:
        raise Unreadable(f"{sentence!r} matches {len(hits)} forms" + (f": {[c.form.key for c, _ in hits]}" if hits
                                                                         else ""))  # fmt: skip
    carry_out(hits[0][0], hits[0][1], world, scene, sentence)


def read_story(text: str, world: World, family: tuple[Form, ...], scene: Scene | None = None) -> Scene:
    """Read every sentence of `text` into `scene`; the last must be a question."""
    scene = scene or Scene()
    sentences = split_sentences(text)
    for s in sentences:
        scene.answer = None
        read_sentence(s, world, family, scene)
    if scene.answer is None or not sentences[-1].endswith("?"):
        raise Unreadable(f"{text!r} does not end with a question")
    return scene

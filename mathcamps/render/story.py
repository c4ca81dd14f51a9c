"""Telling a structure as a story: its operations as steps, each step one sentence of a world's forms.

A structure's statements are flattened into steps (`44 - a`, then `that * q`), each producing a quantity that
belongs to a holder: a person (`Maya has ...`) or a fixed holder (`each friend gets ...`). A step is told by a
form whose meaning fits it; a person's amount may change in place (`Then she eats 3 of them.`) only when the old
amount is not needed again, so every quantity a later sentence names still has its value. The question names the
holder of the asked quantity, or folds the last step into itself (`How many do Maya and Leo have together?`).

Choices (world, people, forms, connectives) come from the problem's own random stream, so the text is a pure
function of (standard, structure, stream).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cache

from mathcamps.grammar.tree import Value
from mathcamps.render.forms import COMMUTATIVE, CONNECTIVES, PERSON_LETTERS, Form, capitalize
from mathcamps.render.forms_more import NEXT, NUMBER, RATE
from mathcamps.render.forms_story import COUNT, MEASURE, MONEY
from mathcamps.render.lexicon import NAMES
from mathcamps.render.steps import Arg, Step
from mathcamps.render.telling import Holder, Voice, fill, holder_has
from mathcamps.render.worlds import World

FAMILY_FORMS: dict[str, tuple[Form, ...]] = {
    "count": COUNT, "measure": MEASURE, "money": MONEY, "rate": RATE, "number": NUMBER, "next": NEXT,
}  # fmt: skip
_COUNT_HOLDERS = {"@groups", "@left"}  # numbers of things, always whole
_BASE_HOLDERS = {"@time", "@amount"}  # hours or kilograms: as fine-grained as the world's amounts


@dataclass
class Told:
    """One sentence of a story: the form and sentence template, what filled its slots, and the text."""

    form: Form
    template: str
    numbers: dict[str, str | list[str]]
    holders: dict[str, Holder]
    slots: dict[str, tuple[int, ...]]  # number letter -> the literals it writes (indices in `literal_order`)
    text: str

    @property
    def lits(self) -> set[int]:
        return {i for lits in self.slots.values() for i in lits}


@dataclass
class Story:
    """How a problem was told: its world, its sentences (the question last), and where every quantity ended up."""

    world: World
    told: list[Told]
    tally: Tally
    steps: list[Step] | None  # None for a whole-problem form
    asked: int

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.told)


@dataclass
class Tally:
    """Where each quantity is: which holder holds which step, and how often each step is still needed."""

    holders: dict[str, Holder] = field(default_factory=dict)
    holds: dict[str, int] = field(default_factory=dict)
    where: dict[int, str] = field(default_factory=dict)
    left: dict[int, int] = field(default_factory=dict)
    voice: Voice = field(default_factory=Voice)
    cast: list[tuple[str, str]] = field(default_factory=list)  # people not yet in the story, in order of entry
    lead: str | None = None
    connective: str | None = None
    loose: bool = False  # a follow-up: amounts may pass the world's `top`

    def copy(self) -> Tally:
        return Tally(dict(self.holders), dict(self.holds), dict(self.where), dict(self.left), self.voice.copy(),
                     list(self.cast), self.lead, self.connective, self.loose)  # fmt: skip

    def person(self) -> Holder:
        name, pronoun = self.cast.pop(0)
        h = Holder(name, pronoun)
        self.holders[name] = h
        self.lead = self.lead or name
        return h


def cast_of(rng: random.Random) -> list[tuple[str, str]]:
    """People in order of entry, alternating pronouns so that the first two can both be `she`/`he`."""
    names = list(NAMES)
    rng.shuffle(names)
    first = [n for n in names if n[1] == names[0][1]]
    other = [n for n in names if n[1] != names[0][1]]
    return [p for pair in zip(first, other) for p in pair]


# ---------------------------------------------------------------- checking amounts against the world


def fits(world: World, text: str | None, value: Value, kind: str = "amount", loose: bool = False) -> bool:
    """Whether an amount makes sense in the world: counted things whole, money in cents, nothing above `top`
    (`loose`: a follow-up may go past `top`, the story being set already)."""
    if value <= 0 or (value > world.top and not loose):
        return False
    if text is not None and "/" in text and (world.amounts != "any" or not world.fractions):
        return False
    if kind == "count" or (kind == "amount" and world.amounts == "whole"):
        return isinstance(value, int) and (text is None or text.isdigit())
    if world.amounts == "cents":
        return (Fraction(value) * 100).denominator == 1 and (text is None or "/" not in text)
    return True


@cache
def _number_kinds(form: Form) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for name, mod in form.slots:
        if name.islower():
            kinds[name] = "count" if mod in ("G", "S") or kinds.get(name) == "count" else "amount"
    return kinds


# ---------------------------------------------------------------- binding a form to a step


@dataclass
class Binding:
    form: Form
    numbers: dict[str, str] = field(default_factory=dict)
    slots: dict[str, tuple[int, ...]] = field(default_factory=dict)
    holders: dict[str, str] = field(default_factory=dict)  # letter -> holder key, "" for a new person
    target: str = ""
    update: bool = False


def bind(form: Form, step: Step, tally: Tally, world: World, asking: bool = False) -> Binding | None:
    """How `form` tells `step` now, or None when it cannot (wrong operation, a quantity no longer at hand, ...)."""
    m = form.meaning
    if (m.target is None) != asking or m.op != step.op or len(m.atoms) != len(step.args):
        return None
    orders = [step.args]
    if step.op in COMMUTATIVE:
        orders.append(step.args[::-1])
    for args in orders:
        b = _bind_atoms(form, args, tally, world)
        if b is not None and _bind_target(b, step, tally, world):
            return b
    return None


def _bind_atoms(form: Form, args: tuple[Arg, ...], tally: Tally, world: World) -> Binding | None:
    b = Binding(form)
    kinds = _number_kinds(form)
    for atom, arg in zip(form.meaning.atoms, args):
        if len(atom) == 1 and atom.islower():
            if arg.ref is not None or b.numbers.get(atom, arg.text) != arg.text:
                return None
            if not fits(world, arg.text, arg.value, kinds.get(atom, "amount"), tally.loose):
                return None
            if kinds.get(atom) == "count" and arg.value < 2:
                return None  # "1 box with 3 cookies each", "shares among 1 friend"
            b.numbers[atom] = arg.text
            b.slots[atom] = arg.lits
            continue
        if arg.ref is None:
            return None
        key = tally.where.get(arg.ref)
        if key is None or tally.holds.get(key) != arg.ref:
            return None
        h = tally.holders[key]
        if atom.startswith("@"):
            if key != atom:
                return None
        elif atom in PERSON_LETTERS and not h.is_person:
            return None
        elif h.count:
            return None  # "more tickets than Maya has rolls": a number of groups is only ever asked for
        if atom in b.holders and b.holders[atom] != key:
            return None
        if atom not in b.holders and key in b.holders.values():
            return None  # two letters, one holder: `X + Y` with X = Y reads badly; `X + X` has its own forms
        if h.compound and sum(a.isupper() for a in form.meaning.atoms) > 1:
            return None
        if atom in "XY" and h.is_person and form.sem.endswith("= X + Y") and world.family != "number":
            other = b.holders.get("X" if atom == "Y" else "Y")
            if other is not None and tally.holders[other].is_person:
                return None  # two people: "as many as Maya and Leo together" says it better
        b.holders[atom] = key
    if "times" in form.tags and not (Fraction(b.numbers["b"]) > 1):
        return None
    if "part" in form.tags and not (0 < Fraction(b.numbers["b"]) < 1):
        return None
    if "rows" in form.tags and Fraction(b.numbers["a"]) < 2:
        return None
    if form.meaning.target in _COUNT_HOLDERS and not all(str(t).isdigit() for t in b.numbers.values()):
        return None  # "pieces of 26.77 feet each": a changed number could leave a fraction of a piece
    return b


def _bind_target(b: Binding, step: Step, tally: Tally, world: World) -> bool:
    m = b.form.meaning
    if m.target is None:  # a question that tells the last step itself
        return fits(world, None, step.value, loose=tally.loose) or world.family in ("number", "next")
    kind = "count" if m.target in _COUNT_HOLDERS else "base" if m.target in _BASE_HOLDERS else "amount"
    if world.family not in ("number", "next") and kind != "base":
        if not fits(world, None, step.value, kind, tally.loose):
            return False
    if kind == "base" and (step.value <= 0 or (step.value > world.top and not tally.loose)):
        return False
    used = {a.ref for a in step.args if a.ref is not None}
    if m.target in b.holders:  # a change in place: the old amount must not be needed again
        old = tally.holds[b.holders[m.target]]
        uses = sum(a.ref == old for a in step.args)
        if tally.left.get(old, 0) - uses > 0:
            return False
        b.target, b.update = b.holders[m.target], True
        return True
    if m.target.startswith("@"):
        old = tally.holds.get(m.target)
        if old is not None:
            uses = sum(a.ref == old for a in step.args) if old in used else 0
            if tally.left.get(old, 0) - uses > 0:
                return False
        b.target = m.target
        return True
    b.target = ""  # a new person
    return True


# ---------------------------------------------------------------- telling


def tell_step(b: Binding, step_index: int, step: Step | None, tally: Tally, world: World,
              rng: random.Random, names: bool = False) -> Told:  # fmt: skip
    """Write the sentence for a binding and move the quantities: `tally` afterwards says where everything is."""
    form = b.form
    holders: dict[str, Holder] = {k: tally.holders[v] for k, v in b.holders.items()}
    actor: Holder | None = None
    for letter in form.mentions:
        if letter in holders:
            continue
        lead_busy = tally.lead is not None and tally.left.get(tally.holds.get(tally.lead, -1), 0) > 0
        if tally.lead is not None and not lead_busy and all(h.key != tally.lead for h in holders.values()):
            holders[letter] = tally.holders[tally.lead]
        else:
            holders[letter] = tally.person()
        actor = holders[letter]
    actor = actor or next((h for h in holders.values() if h.is_person), None)
    m = form.meaning
    target: Holder | None = None
    if m.target is not None and not b.update:
        if m.target.startswith("@"):
            # numbers of things, hours and kilograms are asked for, never compared with the world's amounts
            counted = m.target in _COUNT_HOLDERS | _BASE_HOLDERS
            target = Holder(m.target, actor=actor.key if actor else None, count=counted)
        else:
            target = tally.person()
            holders[m.target] = target
    elif b.update:
        target = tally.holders[b.target]
    if step is not None:
        for a in step.args:
            if a.ref is not None:
                tally.left[a.ref] = tally.left.get(a.ref, 0) - 1
    if m.target is None:  # a folding question: the asked quantity gets a clause of its own, where it has one
        target = Holder("@ans", compound=True) if form.has else None
    if target is not None and target.key.startswith("@") and (form.has or not target.has):
        has = holder_has(form.has, world, holders) if form.has else None
        target = replace(target, has=has)
    if target is not None:
        tally.holders[target.key] = target
        old = tally.holds.get(target.key)
        if old is not None:
            tally.where.pop(old, None)
        tally.holds[target.key] = step_index
        tally.where[step_index] = target.key
    subject = tally.voice.last_subject
    text = fill(
        form.text, world, dict(b.numbers), holders, tally.voice, pronouns=not names and "names" not in form.tags
    )
    same_subject = subject is not None and subject == tally.voice.last_subject
    if "update" in form.tags and same_subject and not names and " then " not in form.text:
        if rng.random() < 0.5:
            word = rng.choice([c for c in CONNECTIVES if c != tally.connective])
            tally.connective = word
            text = f"{word} {text[:1].lower() if text.split()[0] not in dict(NAMES) else text[:1]}{text[1:]}"
    return Told(form, form.text, dict(b.numbers), holders, dict(b.slots), text)


def _signature(form: Form, holders: dict[str, str], numbers: dict) -> tuple:
    """What a sentence says: its form, the holders its meaning names, its numbers (not who merely acts)."""
    named = set(form.meaning.atoms) | {form.meaning.target}
    people = tuple(sorted((k, v) for k, v in holders.items() if k in named))
    return form.key, people, tuple(sorted((k, str(v)) for k, v in numbers.items()))


@cache
def family_forms(world: World) -> tuple[Form, ...]:
    """The step forms (and questions) of the world's family that its words can fill."""
    return tuple(f for f in FAMILY_FORMS[world.family] if f.words <= set(world.words) and f.shape is None)


@cache
def forms_for(world: World, op: str | None, asking: bool) -> tuple[Form, ...]:
    """The world's forms that tell one operation `op`: as a statement, or folded into the question."""
    return tuple(f for f in family_forms(world) if f.meaning.op == op and (f.meaning.target is None) == asking)


def tell_steps(steps: list[Step], start: int, asked: int, tally: Tally, world: World, rng: random.Random,
               told: list[Told]) -> bool:  # fmt: skip
    """Tell steps `start..` and ask for step `asked`; appends to `told`, False when some step cannot be told."""
    for i in range(start, len(steps)):
        step = steps[i]
        if i == asked and i == len(steps) - 1 and rng.random() < 0.6:
            folds = [b for f in forms_for(world, step.op, True) if (b := bind(f, step, tally, world, True))]
            if folds:
                told.append(tell_step(rng.choice(folds), i, step, tally, world, rng))
                return True
        found = [b for f in forms_for(world, step.op, False) if (b := bind(f, step, tally, world)) is not None]
        # a sentence said twice ("She fills 18 more rolls." again) could not be told apart by a counterfactual
        said = {_signature(t.form, {k: h.key for k, h in t.holders.items()}, t.numbers) for t in told}
        found = [b for b in found if not b.update or _signature(b.form, b.holders, b.numbers) not in said]
        if not found:
            return False
        last = told[-1].form.key if told else None
        weights = [(3.0 if b.update else 1.0) * (0.2 if b.form.key == last else 1.0) for b in found]
        told.append(tell_step(rng.choices(found, weights)[0], i, step, tally, world, rng))
    question = ask(asked, steps, tally, world, rng, told)
    if question is None:
        return False
    told.append(question)
    return True


def ask(asked: int, steps: list[Step], tally: Tally, world: World, rng: random.Random,
        told: list[Told]) -> Told | None:  # fmt: skip
    """The question for step `asked`'s holder, worded for what happened last (`left` after a removal)."""
    key = tally.where[asked]
    h = tally.holders[key]
    last = told[-1].form.meaning if told else None
    wanted: tuple[str, ...] = ("plain",)
    if last is not None and last.op in ("+", "-") and (last.is_update or (last.lhs + (last.rhs or "")).islower()):
        wanted = ("left", "now") if last.op == "-" else ("all", "now")
    options = []
    for f in family_forms(world):
        m = f.meaning
        if m.target is not None or m.op is not None:
            continue
        if (h.is_person and m.lhs == "P") or m.lhs == key:
            options.append(f)
    tagged = [f for f in options if f.tags & set(wanted)] or [f for f in options if not f.tags] or options
    if not tagged:
        return None
    form = rng.choice(tagged)
    letters = {"P": key} if form.meaning.lhs == "P" else {}
    b = Binding(form, holders=letters)
    for letter in form.mentions:
        b.holders[letter] = h.actor or tally.lead or key
    holders = {k: tally.holders[v] for k, v in b.holders.items()}
    text = fill(form.text, world, {}, holders, tally.voice)
    return Told(form, form.text, {}, holders, {}, capitalize(text))

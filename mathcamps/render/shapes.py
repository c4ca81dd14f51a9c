"""Structure shapes that whole-problem forms tell: `N = a + x`, `N = 3 * x`, a sum of sides, a rectangle, ...

`shape_of` names the shape of a structure and the numbers its form's slots take (`n` the total, `a` the known
operand, `l` the known sides), each with the index of the literal it came from, so a counterfactual can find the
sentence that writes the changed number.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from mathcamps.grammar.tree import Expr, Num, Op, Structure, Value, Var
from mathcamps.render.forms import SLOT, Form
from mathcamps.render.forms_shapes import EQUATIONS, GEOMETRY, NUMBER_WORDS, POLYGONS
from mathcamps.render.lexicon import number_value
from mathcamps.render.notation import ReadError, parse, value
from mathcamps.render.story import Story, Tally, Told, cast_of, fits
from mathcamps.render.telling import fill
from mathcamps.render.worlds import World
from mathcamps.standards import Standard

SHAPE_FORMS = EQUATIONS + GEOMETRY


@dataclass(frozen=True)
class Slot:
    """A number a form writes: its text, and the index of the literal it came from (a list for `:list`)."""

    text: str | tuple[str, ...]
    lit: int | tuple[int, ...]


def literal_order(structure: Structure) -> list[Num]:
    """Every literal in a fixed order (equation constants first, then operands left to right): the order a
    counterfactual's changed literal is found by, shared by `shape_of` and the step planner."""
    out: list[Num] = []

    def walk(e: Expr) -> None:
        if isinstance(e, Num):
            out.append(e)
        elif isinstance(e, Op):
            walk(e.lhs)
            walk(e.rhs)

    for st in structure.statements:
        if isinstance(st.target, Num):
            out.append(st.target)
        walk(st.expr)
    return out


def shape_of(structure: Structure, std: Standard) -> tuple[str, dict[str, Slot]] | None:
    """The whole-problem shape of `structure` and its slots, or None when it is told step by step (or not at all)."""
    contains_ten = std.contains_ten
    lits = literal_order(structure)
    index = {id(n): i for i, n in enumerate(lits)}

    def slot(n: Num) -> Slot:
        return Slot(n.text, index[id(n)])

    if len(structure.statements) != 1:
        return None
    st = structure.statements[0]
    e = st.expr
    if not isinstance(st.target, Num):  # a definition: only the rectangle standard has shapes
        if not {"rectangle_area", "rectangle_perimeter"} & set(std.rules):
            return None
        if isinstance(e, Op) and e.op == "+" and _is_times(e.lhs, 2) and _is_times(e.rhs, 2):
            a, b = e.lhs.rhs, e.rhs.rhs  # type: ignore[union-attr]
            return "rect_perimeter", {"a": slot(a), "b": slot(b)}
        if isinstance(e, Op) and e.op == "*" and isinstance(e.lhs, Num) and isinstance(e.rhs, Num):
            return "rect_area", {"a": slot(e.lhs), "b": slot(e.rhs)}
        return None
    n = slot(st.target)
    if not isinstance(e, Op):
        return None
    known, unknown_left = _one_side(e)
    if e.op == "**" and isinstance(e.lhs, Var) and isinstance(e.rhs, Num) and e.rhs.value in (2, 3):
        return ("square" if e.rhs.value == 2 else "cube"), {"n": n}
    if e.op == "*" and known is not None and known.fixed and known.value in POLYGONS:
        return "regular", {"n": n, "k": Slot(known.text, -1)}
    if known is not None and not known.fixed:
        a = slot(known)
        if e.op == "+":
            if contains_ten and known.value == 10:
                return "teen", {"n": n, "t": a, "a": a}
            if contains_ten and st.target.value == 10:
                return "ten", {"t": n, "a": a, "n": n}
            return "add", {"n": n, "a": a}
        shape = {("-", True): "sub_start", ("-", False): "sub_change", ("*", True): "mul", ("*", False): "mul",
                 ("/", True): "div_start", ("/", False): "div_divisor"}.get((e.op, unknown_left))  # fmt: skip
        return (shape, {"n": n, "a": a}) if shape else None
    if e.op == "+" and _is_times(e.lhs, 2) and _is_times(e.rhs, 2):
        sides = [e.lhs.rhs, e.rhs.rhs]  # type: ignore[union-attr]
        nums = [s for s in sides if isinstance(s, Num)]
        if len(nums) == 1 and any(isinstance(s, Var) for s in sides):
            return "rectangle_side", {"n": n, "a": slot(nums[0])}
        return None
    terms = _sum_terms(e)
    if terms is not None and sum(isinstance(t, Var) for t in terms) == 1 and len(terms) >= 3:
        nums = [t for t in terms if isinstance(t, Num)]
        texts, idx = tuple(t.text for t in nums), tuple(index[id(t)] for t in nums)
        slots = {"n": n, "l": Slot(texts, idx)}
        if len(terms) in (3, 4):
            return f"missing{len(terms)}", slots
        if len(nums) in NUMBER_WORDS:
            return "missing", slots | {"k": Slot(str(len(terms)), -1), "c": Slot(str(len(nums)), -1)}
    return None


def _one_side(e: Op) -> tuple[Num | None, bool]:
    """For `a op x` or `x op a`: the literal and whether the unknown is on the left."""
    if isinstance(e.lhs, Var) and isinstance(e.rhs, Num):
        return e.rhs, True
    if isinstance(e.lhs, Num) and isinstance(e.rhs, Var):
        return e.lhs, False
    return None, False


def _is_times(e: Expr, c: int) -> bool:
    return isinstance(e, Op) and e.op == "*" and isinstance(e.lhs, Num) and e.lhs.fixed and e.lhs.value == c


def _sum_terms(e: Expr) -> list[Expr] | None:
    if isinstance(e, Op) and e.op == "+":
        lhs, rhs = _sum_terms(e.lhs), _sum_terms(e.rhs)
        return None if lhs is None or rhs is None else lhs + rhs
    return [e] if isinstance(e, (Num, Var)) else None


# ---------------------------------------------------------------- telling a shape


def tell_shape(shape: tuple[str, dict[str, Slot]], world: World, rng: random.Random) -> Story | None:
    """The structure told by one of the whole-problem forms for its shape, in `world`; None if none fits."""
    name, slots = shape
    names = {name, "add"} if name in ("ten", "teen") else {name}  # a ten or a teen number is a sum too
    options = [f for f in SHAPE_FORMS if f.shape in names and f.words <= set(world.words)]
    rng.shuffle(options)
    for form in options:
        numbers = _fitting(form, slots, world)
        if numbers is None:
            continue
        tally = Tally(cast=cast_of(rng))
        holders = {letter: tally.person() for letter in form.mentions}
        told = []
        for sentence in form.sentences:
            letters = {n for n, _ in SLOT.findall(sentence) if len(n) == 1 and n.islower()}
            text = fill(sentence, world, numbers, holders, tally.voice, pronouns="names" not in form.tags)
            used = {k: v for k, v in holders.items() if "{" + k in sentence}
            lits = {k: (slots[k].lit if isinstance(slots[k].lit, tuple) else (slots[k].lit,)) for k in letters}
            told.append(Told(form, sentence, {k: numbers[k] for k in letters}, used,
                             {k: tuple(i for i in v if i >= 0) for k, v in lits.items()}, text))  # fmt: skip
        return Story(world, told, tally, None, -1)
    return None


def _fitting(form: Form, slots: dict[str, Slot], world: World) -> dict[str, str | list[str]] | None:
    numbers: dict[str, str | list[str]] = {}
    env: dict[str, Value] = {}
    for letter, mod in form.slots:
        if letter.isupper():
            continue
        slot = slots.get(letter)
        if slot is None:
            return None
        texts = list(slot.text) if isinstance(slot.text, tuple) else [slot.text]
        for t in texts:
            v = number_value(t)
            if mod in ("G", "S") and (not isinstance(v, int) or v < 2):
                return None
            if mod not in ("poly", "word") and not fits(world, t, v, "count" if mod in ("G", "S") else "amount"):
                return None
        numbers[letter] = texts if mod == "list" else texts[0]
        env[letter] = sum(number_value(t) for t in texts)
    try:
        result = value(parse(form.meaning.expr), env)
    except ReadError:
        return None
    if not fits(world, None, result):
        return None
    return numbers

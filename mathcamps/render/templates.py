"""The template renderer, the offline default: a structure becomes a word problem, a follow-up the next turn.

    >>> from mathcamps.grammar.sample import sample_structure, problem_rng
    >>> from mathcamps.standards import get_standard
    >>> std = get_standard("2.NBT.B.5")
    >>> render(std, sample_structure(std, seed=0, index=0), problem_rng("2.NBT.B.5/text", 0, 0)).text
    'Kenji buys 86 pencils, but then gives away 33 of them. How many pencils does he have now?'

A standard's problems are told in the worlds `mathcamps.render.tables` lists for it: step by step, one sentence
per operation (`mathcamps.render.story`), or, for equations and geometry, by a whole-problem form
(`mathcamps.render.shapes`). Standards that are exercises in the published set (comparisons, factor pairs,
powers, grade-8 equations) are written in notation (`mathcamps.render.exercises`). A follow-up continues the same
story: a counterfactual restates the one sentence whose number changed, an incremental adds steps about the same
people. `mathcamps.render.readback` reads every text back to its answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from mathcamps.grammar.tree import Structure, Var
from mathcamps.render import story as st
from mathcamps.render.exercises import EXERCISE_LEADS, next_step, write_exercise
from mathcamps.render.forms import SLOT
from mathcamps.render.lexicon import literal_text
from mathcamps.render.shapes import literal_order, shape_of, tell_shape
from mathcamps.render.steps import Step, flatten
from mathcamps.render.story import Story
from mathcamps.render.tables import PUZZLE, TELLING
from mathcamps.render.telling import Holder, Voice, amount, fill
from mathcamps.render.worlds import NEXT_STEP, World
from mathcamps.standards import FollowupKind, Standard

Style = Literal["story", "exercise"]
"""How problems read: word problems where the standard has them, or bare arithmetic exercises."""

_LEADS = ("Suppose instead that {s}", "Now imagine that {s}", "Go back to the start, but this time {s}")
_QUESTION_LEADS = ("Now change the question: {s}", "Here is a new question about the same story: {s}")


@dataclass(frozen=True)
class Rendering:
    """A problem's text, the theme line its structure carries (None for exercises), and how it was told."""

    text: str
    theme: str | None
    story: Story | None = None
    structure: Structure | None = None


def number_text(e) -> str:  # noqa: ANN001
    """A literal as it is written in a problem: `7`, `6.7`, `3/4` (`8/1` as `8`)."""
    return literal_text(e)


def render(std: Standard, structure: Structure, rng: random.Random, style: Style = "story") -> Rendering:
    """The problem text for `structure`; every choice is drawn from `rng`.

    `style="story"` writes a word problem where the standard has story forms; `"exercise"` always writes the
    bare arithmetic (shorter text, e.g. for tiny models that must learn quickly).
    """
    if style == "exercise":
        return Rendering(write_exercise(std, structure, rng, pretty=False), None, structure=structure)
    telling = TELLING[std.id]
    if telling.worlds and rng.random() < telling.stories:
        told = tell(std, structure, rng, telling.worlds, telling.puzzles)
        if told is not None:
            return Rendering(told.text, told.world.theme, told, structure)
    return Rendering(write_exercise(std, structure, rng, pretty=True), None, structure=structure)


def tell(std: Standard, s: Structure, rng: random.Random, worlds: tuple, puzzles: bool) -> Story | None:
    """The structure as a story in the first of the (shuffled) worlds that can tell it."""
    order = list(worlds)
    rng.shuffle(order)
    shape = shape_of(s, std)
    if shape is not None:
        for world in order:
            told = tell_shape(shape, world, rng)
            if told is not None:
                return told
        return None
    if std.is_equation or not all(isinstance(a, Var) for a in s.asked):
        return None
    steps, asked = flatten(s, "fraction" in std.number_types)
    cast = st.cast_of(rng)
    for world in order + ([PUZZLE] if puzzles else []):
        if not _plausible(world, steps):
            continue
        for _ in range(2):  # a second try, as a change in place chosen early can leave a later step no form
            tally = st.Tally(cast=list(cast), left=_uses(steps, asked))
            told: list[st.Told] = []
            if st.tell_steps(steps, 0, asked, tally, world, rng, told):
                return Story(world, told, tally, steps, asked)
    return None


def _plausible(world, steps: list[Step]) -> bool:  # noqa: ANN001
    big = max(max(s.value for s in steps), max(a.value for s in steps for a in s.args))
    return world.family == "number" or (big <= world.top and big >= world.bottom)


def _uses(steps: list[Step], asked: int) -> dict[int, int]:
    left = {asked: 1}
    for s in steps:
        for a in s.args:
            if a.ref is not None:
                left[a.ref] = left.get(a.ref, 0) + 1
    return left


def render_followup(
    std: Standard,
    original: Rendering,
    followup: Structure,
    kind: FollowupKind,
    rng: random.Random,
    style: Style = "story",
) -> str:
    """The follow-up as the next turn of the dialogue that posed `original`, in the same story."""
    assert original.structure is not None
    if original.story is None:
        return _exercise_followup(std, original.structure, followup, kind, rng, style)
    told = original.story
    if kind == "counterfactual":
        return _counterfactual(told, original.structure, followup, rng)
    text = _continue(std, told, followup, rng) or _continue(std, told, followup, rng, NEXT_STEP)
    return text if text is not None else _exercise_followup(std, original.structure, followup, kind, rng, style)


def _counterfactual(told: Story, before: Structure, after: Structure, rng: random.Random) -> str:
    old, new = literal_order(before), literal_order(after)
    k = next(i for i, (a, b) in enumerate(zip(old, new)) if a.text != b.text)
    i = next(i for i, t in enumerate(told.told) if k in t.lits)
    sentence = told.told[i]
    numbers = dict(sentence.numbers)
    was: dict[str, str] = {}
    for letter, lits in sentence.slots.items():
        if k in lits:
            texts = [new[j].text for j in lits]
            numbers[letter] = _rewrite(sentence.numbers[letter], texts, lits, new)
            mod = next(m for n, m in SLOT.findall(sentence.template) if n == letter)
            before = sentence.numbers[letter]
            if isinstance(before, list):
                before, mod = before[lits.index(k)], "U"
            was[letter] = amount(told.world, before, "U" if mod in ("T", "list") else mod)
    changed = fill(sentence.template, told.world, numbers, sentence.holders, Voice(), pronouns=False, changed=was)
    question = told.told[-1]
    if i == len(told.told) - 1:
        return rng.choice(_QUESTION_LEADS).format(s=changed)
    s = changed if changed.split(" ", 1)[0].strip(",'s") in {h.key for h in sentence.holders.values()} else (
        changed[:1].lower() + changed[1:])  # fmt: skip
    again = fill(question.template, told.world, dict(question.numbers), question.holders, Voice(), pronouns=False)
    return f"{rng.choice(_LEADS).format(s=s)} {again}"


def _rewrite(old: str | list[str], texts: list[str], lits: tuple[int, ...], new: list) -> str | list[str]:  # noqa: ANN001
    if isinstance(old, list):  # the known sides of a polygon: one of them changed
        return [new[j].text for j in lits]
    if len(texts) == 2:  # a fraction
        return texts[0] if texts[1] == "1" else f"{texts[0]}/{texts[1]}"
    return texts[0]


def _continue(std: Standard, told: Story, followup: Structure, rng: random.Random,
              world: World | None = None) -> str | None:  # fmt: skip
    """An incremental follow-up: the new steps told about the same people, then the new question; with `world`
    NEXT_STEP, told about "your answer" instead, when the story's own forms cannot tell them."""
    if told.steps is None:
        return None
    steps, asked = flatten(followup, "fraction" in std.number_types)
    tally = told.tally.copy()
    tally.loose = True
    if world is not None:
        answer = Holder("@answer", has="your answer")
        tally = st.Tally(holders={"@answer": answer}, holds={"@answer": told.asked}, where={told.asked: "@answer"},
                         left=dict(tally.left), loose=True)  # fmt: skip
    before, after = _uses(told.steps, told.asked), _uses(steps, asked)
    tally.left = {j: after.get(j, 0) for j in range(len(steps))}
    for j in range(len(told.steps)):
        tally.left[j] = told.tally.left.get(j, 0) + after.get(j, 0) - before.get(j, 0)
    tally.voice.last_subject = None
    out: list[st.Told] = []
    if not st.tell_steps(steps, len(told.steps), asked, tally, world or told.world, rng, out):
        return None
    return " ".join(t.text for t in out)


def _exercise_followup(std: Standard, before: Structure, after: Structure, kind: FollowupKind,
                       rng: random.Random, style: Style) -> str:  # fmt: skip
    pretty = style != "exercise"
    if kind == "counterfactual":
        return rng.choice(EXERCISE_LEADS).format(e=write_exercise(std, after, rng, pretty))
    return next_step(std, before, after, rng, pretty)


__all__ = ["Rendering", "Style", "number_text", "render", "render_followup"]

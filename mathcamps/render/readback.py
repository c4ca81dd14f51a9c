"""Reading a generated problem back to its answer: stories, whole-problem stories, exercises, and follow-ups.

    read_problem(text, theme)                        -> the answer the text asks for
    read_followup(original, followup, theme, kind)   -> the answer of the follow-up turn

`theme` is the structure's theme line (None for an exercise): it names the world whose words the text uses. A
counterfactual is read by finding the one sentence of the original it restates (the same form, one number
different), putting it in place, and reading the changed story; an incremental by reading its sentences after the
original's, with the same people and quantities.
"""

from __future__ import annotations

import re
from functools import cache

from mathcamps.grammar.tree import Value
from mathcamps.render.exercises import EXERCISE_LEADS, EXERCISE_NEXT, Reading, read_exercise
from mathcamps.render.forms import capitalize, split_sentences
from mathcamps.render.forms_more import NEXT
from mathcamps.render.lexicon import number_value
from mathcamps.render.notation import ReadError, parse, value
from mathcamps.render.reread import (
    NUM,
    Compiled,
    Scene,
    Unreadable,
    _names_in,
    compiled,
    normalize,
    read_story,
    resolve_person,
    slot_value,
)
from mathcamps.render.shapes import SHAPE_FORMS
from mathcamps.render.story import FAMILY_FORMS
from mathcamps.render.worlds import BY_THEME, NEXT_STEP, World

_STORY_LEADS = ("Suppose instead that ", "Now imagine that ", "Go back to the start, but this time ")
_QUESTION_LEADS = ("Now change the question: ", "Here is a new question about the same story: ")


def read_problem(text: str, theme: str | None) -> Reading:
    """The answer `text` asks for, read without its structure; raises `Unreadable` unless there is one reading."""
    if theme is None:
        try:
            return read_exercise(text)
        except ReadError as err:
            raise Unreadable(str(err)) from err
    world = BY_THEME[theme]
    readings: list[Value] = []
    errors = []
    for read in (_read_steps, _read_shape):
        try:
            readings.append(read(text, world))
        except Unreadable as err:
            errors.append(str(err))
    if not readings:
        raise Unreadable("; ".join(errors))
    if len(set(readings)) > 1:
        raise Unreadable(f"{text!r} reads as {readings}")
    return readings[0]


def _read_steps(text: str, world: World) -> Value:
    answer = read_story(text, world, FAMILY_FORMS[world.family]).answer
    assert answer is not None
    return answer


@cache
def _shape_patterns(world: World) -> tuple[Compiled, ...]:
    return tuple(c for c in compiled(world, SHAPE_FORMS))


@cache
def _shape_forms(world: World) -> tuple[tuple[Compiled, ...], ...]:
    by_form: dict[str, list[Compiled]] = {}
    for c in _shape_patterns(world):
        by_form.setdefault(c.form.key, []).append(c)
    return tuple(tuple(parts) for parts in by_form.values())


def _read_shape(text: str, world: World) -> Value:
    """`text` as one whole-problem form: every sentence matches the form's sentence at its place."""
    sentences = [normalize(s) for s in split_sentences(text)]
    results = []
    for parts in _shape_forms(world):
        if len(parts) != len(sentences):
            continue
        matches = [c.regex.fullmatch(s) for c, s in zip(parts, sentences)]
        if all(m is not None for m in matches):
            results.append(_carry_shape(parts, matches, world))  # type: ignore[arg-type]
    if len(results) != 1:
        raise Unreadable(f"{text!r} fits {len(results)} whole-problem forms")
    return results[0]


def _carry_shape(parts: list[Compiled], matches: list[re.Match[str]], world: World) -> Value:
    scene = Scene()
    env: dict[str, Value] = {}
    for c, m in zip(parts, matches):
        here = [n for g, name, _ in c.groups if name.isupper() for n in _names_in(m.group(g))]
        for g, name, mod in c.groups:
            if name.islower():
                v = slot_value(m.group(g), mod)
                if env.setdefault(name, v) != v:
                    raise Unreadable(f"{name} has two values")
            else:
                resolve_person(m.group(g), scene, here)
        scene.named += [n for n in here if n not in scene.named]
    try:
        return value(parse(parts[0].form.meaning.expr), env)
    except ReadError as err:
        raise Unreadable(str(err)) from err


def read_followup(original: str, followup: str, theme: str | None, kind: str) -> Reading:
    """The answer of a follow-up turn, read in the context of the original problem's text."""
    if theme is None:
        return _exercise_followup(original, followup, kind)
    world = BY_THEME[theme]
    if kind == "incremental":
        return _read_next(original, followup, world)
    return read_problem(changed_story(original, followup, world), theme)


def _read_next(original: str, followup: str, world: World) -> Value:
    """An incremental: more sentences of the same story, or steps on "your answer", or notation on it."""
    scene = read_story(original, world, FAMILY_FORMS[world.family])
    before = scene.answer
    assert before is not None
    readings, errors = [], []
    ways = (
        lambda: read_story(followup, world, FAMILY_FORMS[world.family], scene.copy()).answer,
        lambda: (
            read_story(followup, NEXT_STEP, NEXT, Scene({"@answer": before}, clauses={"your answer": "@answer"})).answer
        ),
        lambda: _exercise_next(followup, before),
    )
    for way in ways:
        try:
            readings.append(way())
        except Unreadable as err:
            errors.append(str(err))
    if len(readings) != 1:
        raise Unreadable(f"{followup!r} reads {len(readings)} ways: {errors}")
    return readings[0]


def changed_story(original: str, followup: str, world: World) -> str:
    """The original story with the sentence the counterfactual restates put in place, and its question."""
    old = split_sentences(original)
    new = split_sentences(followup)
    for lead in _QUESTION_LEADS:
        if new[0].startswith(lead) and len(new) == 1:
            question = re.sub(r" \(not [^)]+\)", "", new[0][len(lead) :], count=1)
            return " ".join(old[:-1] + [question])
    lead = next((x for x in _STORY_LEADS if new[0].startswith(x)), None)
    if lead is None or len(new) != 2:
        raise Unreadable(f"{followup!r} does not restate one sentence and ask again")
    restated = capitalize(new[0][len(lead) :])
    m = re.search(r" \(not ([^)]+)\)", restated)
    if m is None:
        raise Unreadable(f"{restated!r} does not say which number it changes")
    was = number_value(re.findall(NUM, m.group(1))[0])
    restated = restated[: m.start()] + restated[m.end() :]
    people = _people_by_sentence(" ".join(old), world)
    spots = [i for i, s in enumerate(old[:-1]) if _restates(s, restated, world, was, people.get(i))]
    if len(spots) != 1:
        raise Unreadable(f"{restated!r} restates {len(spots)} sentences of {original!r}")
    i = spots[0]
    return " ".join(old[:i] + [restated] + old[i + 1 : -1] + [new[1]])


def _people_by_sentence(text: str, world: World) -> dict[int, set[str]]:
    """Who each sentence of a step story is about, pronouns resolved (empty for a whole-problem story)."""
    try:
        scene = read_story(text, world, FAMILY_FORMS[world.family])
    except Unreadable:
        return {}
    return {i: set(people) for i, (_, people, _) in enumerate(scene.read)}


def _restates(old: str, new: str, world: World, was: Value, people: set[str] | None) -> bool:
    """Whether `new` is `old` with its number `was` changed: the same form, the same people (pronouns in `old`
    resolved by reading the story), one number different."""
    patterns = compiled(world, FAMILY_FORMS[world.family]) + _shape_patterns(world)
    a, b = normalize(old), normalize(new)
    for c in patterns:
        ma, mb = c.regex.fullmatch(a), c.regex.fullmatch(b)
        if ma is None or mb is None:
            continue
        numbers = [g for g, name, _ in c.groups if name.islower()]
        holder_groups = [g for g, name, _ in c.groups if name.isupper()]
        changed = sum(ma.group(g) != mb.group(g) for g in numbers)
        olds = [x for g in numbers if ma.group(g) != mb.group(g) for x in re.findall(NUM, ma.group(g))]
        if was not in [number_value(x) for x in olds]:
            continue
        named = {n for g in holder_groups for n in _names_in(mb.group(g))}
        if people is not None:
            same_people = named <= people and all(
                ma.group(g) == mb.group(g) or ma.group(g).lower() in _PRONOUNS for g in holder_groups
            )
        else:
            same_people = all(ma.group(g) == mb.group(g) or ma.group(g).lower() in _PRONOUNS for g in holder_groups)
        if changed == 1 and same_people:
            return True
    return False


_PRONOUNS = {"she", "he", "her", "him", "his", "she has", "he has", "her number", "his number", "she does",
             "he does", "she pays", "he pays"}  # fmt: skip


def _exercise_followup(original: str, followup: str, kind: str) -> Reading:
    try:
        if kind == "counterfactual":
            for lead in EXERCISE_LEADS:
                head = lead.split("{e}")[0]
                if followup.startswith(head):
                    return read_exercise(followup[len(head) :])
            raise Unreadable(f"{followup!r} does not restate the exercise")
        return _exercise_next(followup, read_exercise(original))
    except ReadError as err:
        raise Unreadable(str(err)) from err


def _exercise_next(followup: str, before: Reading) -> Value:
    try:
        for form in EXERCISE_NEXT:
            rx = re.escape(form).replace(r"\{a\}", r"(?P<a>\w+)").replace(r"\{e\}", r"(?P<e>.+)")
            m = re.fullmatch(rx, followup)
            if m is not None:
                return value(parse(m.group("e")), {m.group("a"): before})  # type: ignore[dict-item]
    except ReadError as err:
        raise Unreadable(str(err)) from err
    raise Unreadable(f"{followup!r} is not a next step")

"""The template renderer, the offline default: a structure becomes a word problem, a follow-up the next turn.

Every literal of the structure that is not a formula constant is written out in the text (fractions as `n/d`,
decimals as written) and the question asks for the questioned variable. Phrasing varies with the problem's own
random stream: a theme (a person and the things they count), one of several sentence forms per operation, and
one of several question forms. Standards whose problems are exercises rather than stories (comparisons, factor
pairs, equations, powers, fraction arithmetic) have their own forms.

    >>> from mathcamps.grammar.sample import sample_structure, problem_rng
    >>> s = sample_structure("2.NBT.B.5", seed=0, index=0)
    >>> render("2.NBT.B.5", s, problem_rng("2.NBT.B.5/text", 0, 0)).text  # doctest: +SKIP
    'Lena has 53 stickers and gets 12 more. How many stickers does Lena have now?'
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from mathcamps.grammar.tree import Compare, Expr, Num, Op, Structure, Var, expr_text, is_fraction_literal, literals
from mathcamps.standards import FollowupKind, Standard, get_standard

NAMES = (
    "Ava", "Ben", "Chloe", "Diego", "Ella", "Finn", "Grace", "Hugo", "Isla", "Jamal", "Kira", "Leo", "Maya", "Noah",
    "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Yuki", "Zara", "Omar", "Lena", "Theo",
)  # fmt: skip

# (theme, unit of counting, where the things are): the story is told about one person and one kind of thing.
THEMES = (
    ("stickers", "sticker", "album"), ("marbles", "marble", "jar"), ("apples", "apple", "basket"),
    ("books", "book", "shelf"), ("shells", "shell", "bucket"), ("coins", "coin", "purse"),
    ("pencils", "pencil", "box"), ("cookies", "cookie", "tin"), ("toy cars", "toy car", "garage"),
    ("balloons", "balloon", "bunch"), ("stamps", "stamp", "collection"), ("beads", "bead", "bag"),
    ("flowers", "flower", "vase"), ("cards", "card", "deck"), ("blocks", "block", "tower"),
    ("seeds", "seed", "packet"), ("crayons", "crayon", "case"), ("rocks", "rock", "pile"),
    ("muffins", "muffin", "tray"), ("fish", "fish", "tank"), ("kites", "kite", "shed"), ("eggs", "egg", "carton"),
)  # fmt: skip

MEASURES = {
    "2.MD.B.5": (("ribbon", "centimeters"), ("rope", "meters"), ("fence", "feet"), ("string", "inches")),
    "2.MD.C.8": (("money", "dollars"), ("savings", "cents"), ("allowance", "dollars")),
    "4.MD.A.2-decimal": (("juice", "liters"), ("flour", "kilograms"), ("trail", "kilometers"), ("money", "dollars")),
    "4.MD.A.2-fraction": (("water", "liters"), ("sand", "kilograms"), ("track", "miles"), ("practice", "hours")),
}

STORY = {"1.OA.A.1", "1.OA.A.2", "K.OA.A.5", "2.NBT.B.6", "2.NBT.B.7", "3.OA.A.3", "3.OA.D.8", "4.OA.A.3"}
STORY |= {"2.NBT.B.5", "3.NBT.A.2", "3.OA.C.7", "5.NF.A.2"} | set(MEASURES)


Style = Literal["story", "exercise"]
"""How problems read: word problems where the standard has them, or bare arithmetic exercises."""


@dataclass(frozen=True)
class Rendering:
    """A problem's text and the theme line its structure carries (`theme: X` or None for exercises)."""

    text: str
    theme: str | None


def number_text(e: Expr) -> str:
    """A literal as it is written in a problem: `7`, `6.7`, `3/4`."""
    if isinstance(e, Op) and _is_frac(e):
        return f"{e.lhs.text}/{e.rhs.text}"  # type: ignore[union-attr]
    assert isinstance(e, Num)
    return e.text


def _is_frac(e: Expr) -> bool:
    """A fraction literal: `(n / d)` in a standard whose literals may be fractions (elsewhere it is a division)."""
    return _FRACTIONS[0] and is_fraction_literal(e)


# Whether the standard being rendered writes fractions; set by the entry points, read by the helpers below.
_FRACTIONS = [False]


def _math(e: Expr) -> str:
    """An expression in plain notation: `(53 + 12) * 3`, fractions as `3/4`."""
    if isinstance(e, (Num,)) or _is_frac(e):
        return number_text(e)
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Compare):
        return f"{_math(e.lhs)} _ {_math(e.rhs)}"
    assert isinstance(e, Op)
    op = {"*": "*", "/": "/", "%": "mod", "**": "^"}.get(e.op, e.op)
    return f"({_math(e.lhs)} {op} {_math(e.rhs)})"


def _bare(e: Expr) -> str:
    t = _math(e)
    return t[1:-1] if t.startswith("(") and t.endswith(")") and isinstance(e, Op) else t


# ---------------------------------------------------------------- words for expressions

_OP_WORDS = {
    "+": ("the sum of {a} and {b}", "{a} plus {b}", "{a} added to {b}", "{a} together with {b}"),
    "-": ("{a} minus {b}", "the difference between {a} and {b}", "{a} take away {b}", "{b} less than {a}"),
    "*": ("the product of {a} and {b}", "{a} times {b}", "{a} multiplied by {b}"),
    "/": ("{a} divided by {b}", "the quotient of {a} and {b}", "{a} shared equally into {b} parts"),
    "%": ("the remainder when {a} is divided by {b}", "what is left over after dividing {a} by {b}"),
    "**": ("{a} raised to the power {b}", "{a} to the power of {b}"),
}


def _words(e: Expr, labels: dict[str, str], rng: random.Random) -> str:
    if isinstance(e, Num) or _is_frac(e):
        return number_text(e)
    if isinstance(e, Var):
        return labels[e.name]
    assert isinstance(e, Op)
    if e.op == "**" and isinstance(e.rhs, Num) and e.rhs.fixed:
        return f"{_words(e.lhs, labels, rng)} {'squared' if e.rhs.value == 2 else 'cubed'}"
    form = rng.choice(_OP_WORDS[e.op])
    return form.format(a=_words(e.lhs, labels, rng), b=_words(e.rhs, labels, rng))


# ---------------------------------------------------------------- stories

_SIMPLE = {
    "+": (
        "{who} has {a} {items} and gets {b} more.",
        "{who} starts with {a} {items}, then finds another {b}.",
        "There are {a} {items} in the {place}, and {who} puts in {b} more.",
    ),
    "-": (
        "{who} has {a} {items} and gives away {b} of them.",
        "There are {a} {items} in the {place}; {who} takes out {b}.",
        "{who} had {a} {items} but lost {b}.",
    ),
    "*": (
        "{who} fills {a} {place}s with {b} {items} each.",
        "{who} has {a} groups of {b} {items}.",
        "{who} makes {a} rows with {b} {items} in every row.",
    ),
    "/": (
        "{who} shares {a} {items} equally among {b} friends, and each friend gets the same number.",
        "{who} packs {a} {items} into {b} {place}s, the same number in each.",
    ),
}
_QUESTIONS = (
    "How many {items} is that?",
    "What number of {items} does {who} end up with?",
    "How many {items} are there in the end?",
)


def _story(std: Standard, s: Structure, rng: random.Random) -> Rendering:
    who = rng.choice(NAMES)
    if std.id in MEASURES:
        thing, unit = rng.choice(MEASURES[std.id])
        items, place, theme = unit + " of " + thing, "part", thing
    else:
        theme, _unit, place = rng.choice(THEMES)
        items = theme
    labels: dict[str, str] = {}
    ordinals = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh")
    sentences = []
    for k, st in enumerate(s.statements):
        name = st.target
        assert isinstance(name, str)
        e = st.expr
        label = f"the {ordinals[min(k, 6)]} amount"
        simple = (
            isinstance(e, Op)
            and e.op in _SIMPLE
            and not _is_frac(e)
            and all(isinstance(x, Num) or _is_frac(x) for x in (e.lhs, e.rhs))
        )
        if k == 0 and simple and len(s.statements) > 0:
            form = rng.choice(_SIMPLE[e.op])  # type: ignore[union-attr]
            sentences.append(
                form.format(who=who, items=items, place=place, a=number_text(e.lhs), b=number_text(e.rhs))  # type: ignore[union-attr]
                + f" Call the result {label}."
            )
        elif isinstance(e, Num) or _is_frac(e):
            sentences.append(
                rng.choice(("{L} is {n} {items}.", "{who} counts {n} {items}; this is {l}.")).format(
                    L=label.capitalize(), l=label, n=number_text(e), items=items, who=who
                )
            )
        else:
            sentences.append(
                rng.choice(
                    (
                        "{L} is {w}, in {items}.",
                        "Next, {who} works out {l}: {w}.",
                        "{who} finds that {l} equals {w}.",
                    )
                ).format(L=label.capitalize(), l=label, w=_words(e, labels, rng), items=items, who=who)
            )
        labels[name] = label
    asked = s.asked[0]
    target = labels[asked.name] if isinstance(asked, Var) else _words(asked, labels, rng)
    question = rng.choice(
        ("What is {t}, in {items}?", "How many {items} is {t}?", "Find {t}, counted in {items}.")
    ).format(t=target, items=items)
    intro = rng.choice(("{who} is keeping track of {items}.", "This is about {who} and some {items}.", ""))
    text = " ".join(x for x in [intro.format(who=who, items=items), *sentences, question] if x)
    return Rendering(text, theme.capitalize())


# ---------------------------------------------------------------- exercises


def _exercise(std: Standard, s: Structure, rng: random.Random) -> Rendering:
    lines = [f"{st.target} = {_bare(st.expr)}" for st in s.statements]
    asked = s.asked[0]
    if std.answer_kind == "compare":
        form = rng.choice(
            (
                "Compare the two numbers and fill in the blank with <, > or =:\n{e}",
                "Which symbol, <, > or =, makes this true?\n{e}",
                "Put <, > or = in the blank: {e}",
            )
        )
        return Rendering(form.format(e=_math(asked)), None)
    if std.answer_kind == "factor-pairs":
        form = rng.choice(
            (
                "List every factor pair of {n}.",
                "Find all pairs of whole numbers whose product is {n}.",
                "What are all the factor pairs of {n}? Write each pair smaller number first.",
            )
        )
        return Rendering(form.format(n=number_text(asked)), None)
    if len(lines) == 1 and isinstance(asked, Var) and asked.name == s.statements[0].target:
        form = rng.choice(("Calculate {e}.", "What is {e}?", "Work out the value of {e}.", "Evaluate {e}."))
        text = form.format(e=_bare(s.statements[0].expr))
        if std.number_types == ("fraction",):
            text += rng.choice(
                ("", " Give your answer as a simplified fraction.", " Write the answer in lowest terms.")
            )
        return Rendering(text, None)
    target = asked.name if isinstance(asked, Var) else _bare(asked)
    form = rng.choice(
        ("Let {defs}. What is the value of {t}?", "Suppose {defs}. Find {t}.", "Given {defs}, calculate {t}.")
    )
    return Rendering(form.format(defs=_join(lines), t=target), None)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _equation(std: Standard, s: Structure, rng: random.Random) -> Rendering:
    unknowns = [a.name for a in s.asked if isinstance(a, Var)]
    eqs = [f"{_bare(st.expr)} = {st.target.text}" for st in s.statements]  # type: ignore[union-attr]
    rule = std.rules[0]
    st = s.statements[0]
    x = unknowns[0]
    known = [number_text(n) for n in literals(st.expr) if not n.fixed]
    total = st.target.text  # type: ignore[union-attr]
    if rule.endswith("_perimeter") and rule != "rectangle_perimeter":
        shape = {"triangle_perimeter": "triangle", "quadrilateral_perimeter": "four-sided shape"}.get(rule, "polygon")
        e = st.expr
        if isinstance(e, Op) and e.op == "*" and isinstance(e.lhs, Num) and e.lhs.fixed:
            n = e.lhs.value
            kind = {3: "an equilateral triangle", 4: "a square"}.get(n, f"a regular polygon with {n} equal sides")
            text = rng.choice(
                (
                    "The perimeter of {k} is {p} units. How long is each side?",
                    "A garden shaped like {k} has a fence {p} meters long around it. What is the length of one side?",
                )
            ).format(k=kind, p=total)
        elif isinstance(e, Op) and e.op == "+" and isinstance(e.lhs, Op) and e.lhs.op == "*" and e.lhs.lhs.fixed:  # type: ignore[union-attr]
            text = rng.choice(
                (
                    "A rectangle has a perimeter of {p} units and one side of length {k}. How long is the other side?",
                    "The fence around a rectangular yard is {p} feet long. One side of the yard is {k} feet. "
                    "How long is the side next to it?",
                )
            ).format(p=total, k=_join(known))
        else:
            text = rng.choice(
                (
                    "A {shape} has sides of {k} units and one side of unknown length. Its perimeter is {p} units. "
                    "How long is the unknown side?",
                    "The perimeter of a {shape} is {p} cm. The known sides measure {k} cm. "
                    "What is the length of the remaining side?",
                )
            ).format(shape=shape, k=_join(known), p=total)
        return Rendering(text, None)
    if rule in ("square", "cube"):
        text = rng.choice(
            (
                "A {shape} has {what} {p}. How long is one side?",
                "Find the whole number {x} such that {x}{pow} = {p}.",
            )
        ).format(
            shape="square" if rule == "square" else "cube",
            what="an area of" if rule == "square" else "a volume of",
            p=total,
            x=x,
            pow="^2" if rule == "square" else "^3",
        )
        return Rendering(text, None)
    if std.contains_ten and std.id == "K.OA.A.4":
        (n,) = known
        text = rng.choice(
            (
                "What number do you add to {n} to make 10?",
                "{who} has {n} {items}. How many more does {who} need to have 10?",
            )
        ).format(n=n, who=rng.choice(NAMES), items=rng.choice(THEMES)[0])
        return Rendering(text, None)
    if len(eqs) == 2:
        text = rng.choice(
            (
                "Solve the system of equations for {u}:\n{e1}\n{e2}",
                "Find {u} if\n{e1}\n{e2}",
            )
        ).format(u=" and ".join(unknowns), e1=eqs[0], e2=eqs[1])
        return Rendering(text, None)
    text = rng.choice(("Solve for {x}: {e}.", "What value of {x} makes {e} true?", "Find {x} when {e}.")).format(
        x=x, e=eqs[0]
    )
    return Rendering(text, None)


# ---------------------------------------------------------------- entry points


def render(standard: Standard | str, structure: Structure, rng: random.Random, style: Style = "story") -> Rendering:
    """The problem text for `structure`; the phrasing is drawn from `rng`.

    `style="story"` writes a word problem where the standard has story forms; `"exercise"` always writes the
    bare arithmetic (shorter text, e.g. for tiny models that must learn quickly).
    """
    std = get_standard(standard) if isinstance(standard, str) else standard
    _FRACTIONS[0] = "fraction" in std.number_types
    if std.is_equation:
        return _equation(std, structure, rng)
    if style == "story" and std.id in STORY and structure.statements and isinstance(structure.asked[0], Var):
        return _story(std, structure, rng)
    return _exercise(std, structure, rng)


def render_followup(
    standard: Standard | str,
    original: Structure,
    followup: Structure,
    kind: FollowupKind,
    rng: random.Random,
    style: Style = "story",
) -> str:
    """The follow-up as the next turn of the dialogue that posed `original`."""
    std = get_standard(standard) if isinstance(standard, str) else standard
    _FRACTIONS[0] = "fraction" in std.number_types
    if kind == "counterfactual":
        old, new = _changed_literal(original, followup)
        again = render(std, followup, rng, style).text
        lead = rng.choice(
            (
                "Now suppose that {old} had been {new} instead.",
                "Let's change one thing: instead of {old}, use {new}.",
                "What if the {old} in the last problem were {new}?",
            )
        ).format(old=old, new=new)
        return f"{lead} Here is the changed problem: {again}"
    added = followup.statements[-1]
    answer_name = original.asked[0].name  # type: ignore[union-attr]
    labels: dict[str, str] = {st.target: st.target for st in original.statements}  # type: ignore[misc]
    labels[answer_name] = "the answer to the last problem"
    words = _words(added.expr, labels, rng)
    others = [
        st
        for st in original.statements
        if st.target != answer_name and st.target in {v.name for v in _vars(added.expr)}
    ]
    defs = "; ".join(f"{st.target} = {_bare(st.expr)}" for st in others)
    context = f" (where {defs})" if defs else ""
    return rng.choice(
        (
            "Continuing from that answer: the new amount is {w}{c}. What is the new amount?",
            "Building on the last problem, take {w}{c}. What do you get?",
            "Next step: work out {w}{c}. What is the result?",
        )
    ).format(w=words, c=context)


def _vars(e: Expr) -> list[Var]:
    if isinstance(e, Var):
        return [e]
    if isinstance(e, (Op, Compare)):
        return _vars(e.lhs) + _vars(e.rhs)
    return []


def _changed_literal(a: Structure, b: Structure) -> tuple[str, str]:
    """The first literal that differs between two structures of the same shape, as written."""
    la = [t for st in a.statements for t in _targets_and_literals(st)] + [n for e in a.asked for n in literals(e)]
    lb = [t for st in b.statements for t in _targets_and_literals(st)] + [n for e in b.asked for n in literals(e)]
    for x, y in zip(la, lb):
        if x.text != y.text:
            return x.text, y.text
    return expr_text(a.asked[0]), expr_text(b.asked[0])


def _targets_and_literals(st) -> list[Num]:  # noqa: ANN001
    return ([st.target] if isinstance(st.target, Num) else []) + literals(st.expr)

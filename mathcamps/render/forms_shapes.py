"""Whole-problem forms: stories for equation standards (a missing part, a missing start, a missing factor) and
for the geometry standards (perimeters with a missing side, rectangles, squares and cubes).

Each form tells one structure shape (`shape`, see `mathcamps.render.shapes`) in a few sentences; its meaning is
the unknown worked out from the numbers the text gives (`? n - a`: the rest of a whole), which the re-reader
computes. Slots: `n` the total the equation names, `a` the known operand, `t` the ten, `k` a regular polygon's
number of sides (`:poly` writes its name), `l` the known sides (`:list`), `c` how many they are (`:word`).
"""

from __future__ import annotations

from mathcamps.render.forms import Form, forms

_ADD = {"shape": "add"}
_SUB_START = {"shape": "sub_start"}
_SUB_CHANGE = {"shape": "sub_change"}
_MUL = {"shape": "mul"}
_DIV_START = {"shape": "div_start"}
_DIV_DIVISOR = {"shape": "div_divisor"}

EQUATIONS: tuple[Form, ...] = forms(
    ("? n - a", "{P} has {n:T}. {a} of them are {color1} and the rest are {color2}. "
                "How many {color2} {items} does {P} have?", _ADD),
    ("? n - a", "{P} has {a:T}. How many more {items} does {P} need to have {n} in all?", _ADD),
    ("? n - a", "{P} has some {items}. {P} {gain} {a} more and now has {n}. "
                "How many {items} did {P} have at first?", _ADD),
    ("? n - a", "There are {n:T} in the {place}. {a} of them are {color1}. How many are not {color1}?", _ADD),
    ("? n - a", "{P} and {Q} have {n:T} together. {P} has {a} of them. How many {items} does {Q} have?",
     {"shape": "add", "tags": ["names"]}),
    ("? n + a", "{P} has some {items}. {P} {lose} {a} of them and has {n} left. "
                "How many {items} did {P} have at first?", _SUB_START),
    ("? n + a", "{P} gives {a} {items} to {Q} and has {n} left. How many {items} did {P} have to begin with?",
     _SUB_START),
    ("? a - n", "{P} has {a:T}. After giving some away, {P} has {n} left. "
                "How many {items} did {P} give away?", _SUB_CHANGE),
    ("? a - n", "There are {a:T} in the {place}. {P} takes some out, and {n} are left. "
                "How many {items} did {P} take out?", _SUB_CHANGE),
    ("? n / a", "{P} puts the same number of {items} in each of {a:G} and uses {n:T} in all. "
                "How many {items} are in each {group}?", _MUL),
    ("? n / a", "{P} packs {n:T} into {groups} of {a}. How many {groups} does {P} fill?", _MUL),
    ("? n / a", "{P} shares {n:T} equally among {a:S}. How many {items} does each {share} get?", _MUL),
    ("? n * a", "{P} shares some {items} equally among {a:S}, and each {share} gets {n}. "
                "How many {items} did {P} share?", _DIV_START),
    ("? n * a", "{P} fills {a:G} with {n} {items} each. How many {items} does {P} use?", _DIV_START),
    ("? a / n", "{P} shares {a:T} equally, and each {share} gets {n}. How many {shares} are there?",
     _DIV_DIVISOR),
    ("? a / n", "{P} packs {a:T} into {groups}, {n} in each. How many {groups} does {P} fill?", _DIV_DIVISOR),
    # teen numbers and making ten
    ("? n - t", "{P} has {n:T}: a full {group} of {t} and some loose ones. "
                "How many loose {items} does {P} have?", {"shape": "teen"}),
    ("? n - t", "{P} has {n:T}. {t} of them are in a {group}. How many are not in the {group}?",
     {"shape": "teen"}),
    ("? t - a", "{P} has {a:T}. How many more {items} does {P} need to have {t}?", {"shape": "ten"}),
    ("? t - a", "{P} wants {t:T}. {P} already has {a}. How many more {items} does {P} need?", {"shape": "ten"}),
    prefix="equation",
)  # fmt: skip

_RECTANGLE = {"shape": "rectangle_side", "needs": ["fence"]}
_REGULAR = {"shape": "regular", "needs": ["fence"]}
GEOMETRY: tuple[Form, ...] = forms(
    ("? n / k", "A {place} in the shape of {k:poly} has a {fence} {n:U} long all the way around it. "
                "How long is each side?", _REGULAR),
    ("? n / k", "The perimeter of {k:poly} is {n:U}. How long is one side?", _REGULAR),
    ("? n / k", "The sides of {k:poly} add up to {n:U}. How long is each side?", _REGULAR),
    ("? n / k", "It takes {n:U} of {fence} to go once around a {place} shaped like {k:poly}. How long is one side of "
                "the {place}?", _REGULAR),
    ("? n - l", "A triangular {place} has a {fence} {n:U} long all the way around it. Two of its sides are "
                "{l:list} long. How long is the third side?", {"shape": "missing3", "needs": ["fence"]}),
    ("? n - l", "A triangle has a perimeter of {n:U}. Two of its sides measure {l:list}. "
                "How long is the third side?", {"shape": "missing3", "needs": ["fence"]}),
    ("? n - l", "The three sides of a triangle add up to {n:U}. Two of them are {l:list}. How long is the other one?",
     {"shape": "missing3", "needs": ["fence"]}),
    ("? n - l", "A {place} with four sides has a {fence} {n:U} long all the way around it. Three of its sides "
                "measure {l:list}. How long is the fourth side?", {"shape": "missing4", "needs": ["fence"]}),
    ("? n - l", "A four-sided shape has a perimeter of {n:U}. Three of its sides are {l:list} long. "
                "How long is the fourth side?", {"shape": "missing4", "needs": ["fence"]}),
    ("? n - l", "A {place} with {k} sides has a {fence} {n:U} long all the way around it. {c:word} of its sides "
                "measure {l:list}. How long is the last side?", {"shape": "missing", "needs": ["fence"]}),
    ("? n - l", "A polygon with {k} sides has a perimeter of {n:U}. {c:word} of its sides are {l:list} long. "
                "How long is the remaining side?", {"shape": "missing", "needs": ["fence"]}),
    ("? (n - 2 * a) / 2", "A rectangular {place} has a {fence} {n:U} long all the way around it. One side of the "
                          "{place} is {a:U} long. How long is the side next to it?", _RECTANGLE),
    ("? (n - 2 * a) / 2", "A rectangle has a perimeter of {n:U}. One of its sides is {a:U} long. "
                          "How long is each of the two sides next to that side?", _RECTANGLE),
    ("? 2 * a + 2 * b", "A rectangular {place} is {a:U} long and {b:U} wide. How many {units} of {fence} "
                        "go all the way around it?", {"shape": "rect_perimeter", "needs": ["fence"]}),
    ("? 2 * a + 2 * b", "A rectangle is {a:U} long and {b:U} wide. What is its perimeter, in {units}?",
     {"shape": "rect_perimeter", "needs": ["fence"]}),
    ("? a * b", "A rectangular {place} is {a:U} long and {b:U} wide. What is its area, in square {units}?",
     {"shape": "rect_area", "needs": ["fence"]}),
    ("? a * b", "A rectangle has sides of {a:U} and {b:U}. How many square {units} does it cover?",
     {"shape": "rect_area", "needs": ["fence"]}),
    ("? n ** (1/2)", "A square {place} has an area of {n} square {units}. How long is each side?",
     {"shape": "square", "needs": ["fence"]}),
    ("? n ** (1/2)", "A square has an area of {n} square {units}. What is the length of one side, in {units}?",
     {"shape": "square", "needs": ["fence"]}),
    ("? n ** (1/3)", "A box shaped like a cube has a volume of {n} cubic {units}. How long is each edge?",
     {"shape": "cube", "needs": ["fence"]}),
    ("? n ** (1/3)", "A cube has a volume of {n} cubic {units}. What is the length of one edge, in {units}?",
     {"shape": "cube", "needs": ["fence"]}),
    prefix="geometry",
)  # fmt: skip

POLYGONS = {
    3: "an equilateral triangle", 4: "a square", 5: "a regular pentagon", 6: "a regular hexagon",
    7: "a regular heptagon", 8: "a regular octagon", 9: "a regular nonagon", 10: "a regular decagon",
    11: "a regular polygon with 11 sides",
}  # fmt: skip
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}

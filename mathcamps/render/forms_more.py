"""The step forms of the `rate` family (speed, prices, areas) and of the `number` family (think-of-a-number puzzles).

The number family can tell any step, one operation per sentence, so it is where a structure goes when no world
of its standard can tell it as a story about things.
"""

from __future__ import annotations

from mathcamps.render.forms import Form, forms

_MOVE, _PRICED, _AREA = {"needs": ["move"]}, {"needs": ["priced"]}, {"needs": ["area"]}
_AREA_CHANGE = {"tags": ["update"], "needs": ["area"]}

RATE: tuple[Form, ...] = forms(
    # moving at a steady speed (worlds with `move`)
    ("P = a", "{P} {move} {a:U}.", _MOVE),
    ("P = a + b", "{P} {move} {a:U} in the morning and {b:U} in the afternoon.", _MOVE),
    ("P = P + b", "{P} then {move} another {b:U}.", {"tags": ["update"], "needs": ["move"]}),
    ("P = X + b", "{P} {move} {b:U} farther than {X:has}.", _MOVE),
    ("P = X - b", "{P} {move} {b:U} less than {X:has}.", _MOVE),
    ("P = X * b", "{P} {move} {b} times as far as {X:has}.", {"tags": ["times"], "needs": ["move"]}),
    ("P = a * b", "{P} {move} for {a} {bases} at {b:U} per {each}.", _MOVE),
    ("P = a * b", "{P} {move} {b:U} every {each} for {a} {bases}.", _MOVE),
    ("@speed = a / b", "{Q} {move} {a:U} in {b} {bases}, going the same distance every {each}.",
     {"has": "{Q} {move} each {each}", "needs": ["move"]}),
    ("@time = a / b", "{Q} {move} {a:U} at a steady {b:U} per {each}.", {"has": "the trip takes", "needs": ["move"]}),
    ("@time = @time + b", "A stop on the way adds {b} {bases} to the trip.", {"tags": ["update"], "needs": ["move"]}),
    ("@speed = @speed + b", "{Q} then goes {b:U} farther every {each}.", {"tags": ["update"], "needs": ["move"]}),
    ("@speed = @speed - b", "{Q} then goes {b:U} less every {each}.", {"tags": ["update"], "needs": ["move"]}),
    ("? P", "How far does {P} {moving} in all?", {"tags": ["all"], "needs": ["move"]}),
    ("? P", "How many {units} does {P} {moving}?", {"tags": ["plain"], "needs": ["move"]}),
    ("? P", "How far does {P} {moving}?", {"tags": ["plain"], "needs": ["move"]}),
    ("? @speed", "How far does {Q} {moving} each {each}?", _MOVE),
    ("? @time", "How many {bases} does the trip take?", _MOVE),
    ("? Q + R", "How far do {Q} and {R} {moving} together?",
     {"has": "{Q} and {R} {moving} together", "tags": ["names"], "needs": ["move"]}),
    ("? Q - R", "How much farther does {Q} {moving} than {R}?",
     {"tags": ["names"], "needs": ["move"]}),
    # prices by weight or length (worlds with `priced`)
    ("@cost = a * b", "{Q} buys {a} {bases} of {stuff} at {b:T} per {each}.", {"has": "{Q} pays", "needs": ["priced"]}),
    ("@cost = a * b", "{Q} buys {stuff} that costs {b:T} per {each}, and gets {a} {bases}.",
     {"has": "{Q} pays", "needs": ["priced"]}),
    ("@price = a / b", "{Q} pays {a:T} for {b} {bases} of {stuff}.", {"has": "one {each} costs", "needs": ["priced"]}),
    ("@amount = a / b", "{Q} spends {a:T} on {stuff} that costs {b:T} per {each}.",
     {"has": "{Q} gets", "needs": ["priced"]}),
    ("P = a", "{P} has {a:T}.", _PRICED),
    ("P = X + b", "{P} pays {b:T} more than {X:has}.", _PRICED),
    ("P = X - b", "{P} pays {b:T} less than {X:has}.", _PRICED),
    ("@cost = @cost + b", "{Q} also pays {b:T} for a bag.", {"tags": ["update"], "needs": ["priced"]}),
    ("@cost = @cost - b", "{Q} then uses a coupon for {b:T} off.", {"tags": ["update"], "needs": ["priced"]}),
    ("@price = @price + b", "The price goes up by {b:T} per {each}.", {"tags": ["update"], "needs": ["priced"]}),
    ("? @cost", "How much does {Q} pay?", _PRICED),
    ("? @cost", "How much does {Q} pay now?", _PRICED),
    ("? @price", "How much does one {each} of {stuff} cost?", _PRICED),
    ("? @amount", "How many {bases} of {stuff} does {Q} get?", _PRICED),
    # areas of rectangles (worlds with `area`)
    ("@area = a * b", "A rectangular {place} is {a:U} long and {b:U} wide.",
     {"has": "the {place} covers", "needs": ["area"]}),
    ("@side = a / b", "A rectangular {place} covers {a} square {units} and is {b:U} wide.",
     {"has": "the {place} is long", "needs": ["area"]}),
    ("@area = @area + b", "Another {b} square {units} are added to the {place}.", _AREA_CHANGE),
    ("@area = @area - b", "A part of the {place}, {b} square {units}, is paved over.", _AREA_CHANGE),
    ("@side = @side + b", "The {place} is then made {b:U} longer.", _AREA_CHANGE),
    ("? @area", "What is the area of the {place}, in square {units}?", _AREA),
    ("? @area", "How many square {units} does the {place} cover now?", _AREA),
    ("? @side", "How long is the {place}?", _AREA),
    prefix="rate",
)  # fmt: skip

NUMBER: tuple[Form, ...] = forms(
    ("P = a", "{P} thinks of the number {a}."),
    ("P = a + b", "{P} starts with {a} and adds {b}."),
    ("P = a - b", "{P} starts with {a} and takes away {b}."),
    ("P = a * b", "{P} starts with {a} and multiplies it by {b}."),
    ("P = a / b", "{P} starts with {a} and divides it by {b}."),
    ("P = a % b", "{P} divides {a} by {b} and keeps the remainder."),
    ("P = P + b", "{P} adds {b} to {P:pos} number.", {"tags": ["update"]}),
    ("P = P - b", "{P} subtracts {b} from {P:pos} number.", {"tags": ["update"]}),
    ("P = P * b", "{P} multiplies {P:pos} number by {b}.", {"tags": ["update"]}),
    ("P = P / b", "{P} divides {P:pos} number by {b}.", {"tags": ["update"]}),
    ("P = b - P", "{P} subtracts {P:pos} number from {b}.", {"tags": ["update"]}),
    ("P = b / P", "{P} divides {b} by {P:pos} number.", {"tags": ["update"]}),
    ("P = P + P", "{P} doubles {P:pos} number.", {"tags": ["update"]}),
    ("P = X + b", "{P:pos} number is {b} more than {X:has}."),
    ("P = X - b", "{P:pos} number is {b} less than {X:has}."),
    ("P = b - X", "{P:pos} number is {b} minus {X:has}."),
    ("P = X * b", "{P:pos} number is {b} times {X:has}."),
    ("P = X / b", "{P:pos} number is {X:has} divided by {b}."),
    ("P = b / X", "{P:pos} number is {b} divided by {X:has}."),
    ("P = X % b", "{P:pos} number is the remainder when {X:has} is divided by {b}."),
    ("P = X + Y", "{P:pos} number is the sum of {X:has} and {Y:has}."),
    ("P = X - Y", "{P:pos} number is {X:has} minus {Y:has}."),
    ("P = X * Y", "{P:pos} number is the product of {X:has} and {Y:has}."),
    ("P = X / Y", "{P:pos} number is {X:has} divided by {Y:has}."),
    ("P = X + X", "{P:pos} number is twice {X:has}."),
    ("P = X", "{P:pos} number is the same as {X:has}."),
    ("? P", "What is {P:pos} number now?", {"tags": ["now"]}),
    ("? P", "What number does {P} end up with?", {"tags": ["now"]}),
    ("? P", "What is {P:pos} number?", {"tags": ["plain"]}),
    prefix="number",
)  # fmt: skip

# A follow-up step no form of the story's world can tell is told about "your answer" (the last question's answer,
# `@answer`), one operation a sentence, each on "the result" of the one before.
_R = {"has": "the result"}
NEXT: tuple[Form, ...] = forms(
    ("@r = X + b", "Add {b} to {X:has}.", _R),
    ("@r = X - b", "Subtract {b} from {X:has}.", _R),
    ("@r = b - X", "Subtract {X:has} from {b}.", _R),
    ("@r = X * b", "Multiply {X:has} by {b}.", _R),
    ("@r = X / b", "Divide {X:has} by {b}.", _R),
    ("@r = b / X", "Divide {b} by {X:has}.", _R),
    ("@r = X % b", "Find the remainder when {X:has} is divided by {b}.", _R),
    ("@r = X + Y", "Add {X:has} and {Y:has}.", _R),
    ("@r = X - Y", "Subtract {Y:has} from {X:has}.", _R),
    ("@r = X * Y", "Multiply {X:has} by {Y:has}.", _R),
    ("@r = X / Y", "Divide {X:has} by {Y:has}.", _R),
    ("@r = X + X", "Double {X:has}.", _R),
    ("@r = X * X", "Multiply {X:has} by itself.", _R),
    ("@s = a + b", "Add {a} and {b}.", {"has": "that sum"}),
    ("@s = a - b", "Subtract {b} from {a}.", {"has": "that difference"}),
    ("@s = a * b", "Multiply {a} by {b}.", {"has": "that product"}),
    ("@s = a / b", "Divide {a} by {b}.", {"has": "that quotient"}),
    ("? @r", "What do you get?"),
    ("? @r", "What is the result?"),
    prefix="next",
)  # fmt: skip

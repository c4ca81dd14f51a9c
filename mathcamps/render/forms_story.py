"""The step forms of the `count`, `measure` and `money` families: one sentence per step, and the questions.

Read a row as "this sentence means this step". `P` is the person the step's result belongs to; a new person when
the meaning does not use `P`, the same person when it does (`P = P - b`: P gives some away). `X`, `Y` are earlier
quantities of any holder. Rows are grouped by what they tell: setting up, changing, comparing, grouping and
sharing, asking.
"""

from __future__ import annotations

from mathcamps.render.forms import Form, forms

_TOGETHER = {"has": "{Q} and {R} have together", "tags": ["names"]}

COUNT: tuple[Form, ...] = forms(
    # setting up
    ("P = a", "{P} has {a:T}."),
    ("P = a", "{P} {gain} {a:T}."),
    ("@place = a", "There are {a:T} in the {place}.", {"has": "there are in the {place}"}),
    ("P = a + b", "{P} has {a:T} and {gain} {b} more."),
    ("P = a + b", "{P} {gain} {a:T} in the morning and {b} more in the afternoon."),
    ("P = a + b", "{P} has {a} {color1} {items} and {b} {color2} {items}."),
    ("P = a + b", "{P} has {a:T} in one {group} and {b} in another."),
    ("P = a - b", "{P} has {a:T} and {lose} {b} of them."),
    ("P = a - b", "{P} {gain} {a:T}, but then {lose} {b} of them."),
    ("@place = a + b", "There are {a:T} in the {place}, and {Q} puts in {b} more.",
     {"has": "there are in the {place}"}),
    ("@place = a - b", "There are {a:T} in the {place}, and {Q} takes out {b}.",
     {"has": "there are in the {place}"}),
    # changing what someone has
    ("P = P + b", "{P} {gain} {b} more.", {"tags": ["update"]}),
    ("P = P + b", "{P} gets {b} more {items} from {pal}.", {"tags": ["update"]}),
    ("P = P - b", "{P} {lose} {b} of {P:pos} {items}.", {"tags": ["update"]}),
    ("P = P - b", "{P} gives {b} of {P:pos} {items} to {pal}.", {"tags": ["update"]}),
    ("P = P + P", "{P} then gets the same number of {items} again.", {"tags": ["update"]}),
    ("@place = @place + b", "{Q} puts {b} more {items} in the {place}.", {"tags": ["update"]}),
    ("@place = @place - b", "{Q} takes {b} {items} out of the {place}.", {"tags": ["update"]}),
    # comparing
    ("P = X + b", "{P} has {b} more {items} than {X:has}."),
    ("P = X - b", "{P} has {b} fewer {items} than {X:has}."),
    ("P = b - Q", "{P} and {Q} have {b:T} together.", {"tags": ["names"]}),
    ("P = b - X", "{P} has {b:T} and gives away as many as {X:has}."),
    ("P = Q + R", "{P} has as many {items} as {Q} and {R} together."),
    ("P = X + Y", "{P} has as many {items} as {X:has}, plus as many as {Y:has}."),
    ("P = Q - R", "{Q} has more {items} than {R}, and {P} has as many as the difference."),
    ("P = X", "{P} has as many {items} as {X:has}."),
    ("P = X + X", "{P} has twice as many {items} as {X:has}."),
    ("P = X * b", "{P} has {b} times as many {items} as {X:has}.", {"tags": ["times"]}),
    # equal groups, arrays, sharing
    ("P = a * b", "{P} fills {a:G} with {b} {items} each."),
    ("P = a * b", "{P} has {a:G} with {b:T} in each."),
    ("P = a * b", "{P} puts {a:T} in each of {b:G}."),
    ("P = a * b", "{P} sets out {a} rows of {items} with {b} in each row.", {"tags": ["rows"], "needs": ["rows"]}),
    ("P = X * b", "{P} fills {b:G} with as many {items} in each as {X:has}."),
    ("P = X * Y", "{P} fills as many {groups} as {X:has} {items}, with as many {items} in each as {Y:has}."),
    ("P = X * X", "{P} sets out {items} in a square, with as many rows as {X:has} and that many in each row.",
     {"needs": ["rows"]}),
    ("@each = a / b", "{Q} shares {a:T} equally among {b:S}.", {"has": "each {share} gets"}),
    ("@each = Q / b", "{Q} shares {Q:pos} {items} equally among {b:S}.", {"has": "each {share} gets"}),
    ("@groups = a / b", "{Q} packs {a:T} into {groups} of {b}.", {"has": "{Q} has {groups}"}),
    ("@groups = a / b", "{Q} has {a:T} and puts {b} of them in each {group}.", {"has": "{Q} has {groups}"}),
    ("@per = a / b", "{Q} puts {a:T} into {b:G}, the same number in each.", {"has": "each {group} holds"}),
    ("@left = a % b", "{Q} has {a:T} and puts them into {groups} of {b}, as many full {groups} as possible.",
     {"has": "are left over"}),
    ("@groups = Q / b", "{Q} packs {Q:pos} {items} into {groups} of {b}.", {"has": "{Q} has {groups}"}),
    ("@left = a % b", "{Q} packs {a:T} into {groups} of {b}, filling as many {groups} as {Q} can.",
     {"has": "are left over"}),
    ("@left = a % b", "{Q} shares {a:T} equally among {b:S}, giving each as many as possible.",
     {"has": "are left over"}),
    # asking
    ("? P", "How many {items} does {P} have now?", {"tags": ["now"]}),
    ("? P", "How many {items} does {P} have?", {"tags": ["plain"]}),
    ("? P", "How many {items} does {P} have left?", {"tags": ["left"]}),
    ("? P", "How many {items} does {P} have in all?", {"tags": ["all"]}),
    ("? @place", "How many {items} are in the {place} now?"),
    ("? @each", "How many {items} does each {share} get?"),
    ("? @groups", "How many {groups} does {Q} fill?"),
    ("? @groups", "How many {groups} does {Q} need?"),
    ("? @per", "How many {items} are in each {group}?"),
    ("? @left", "How many {items} are left over?"),
    ("? @left", "How many {items} are not in a full {group}?"),
    ("? Q + R", "How many {items} do {Q} and {R} have together?", _TOGETHER),
    ("? Q - R", "How many more {items} does {Q} have than {R}?", {"tags": ["names"]}),
    ("? b - Q", "How many more {items} does {Q} need to have {b}?", {"has": "{Q} still needs"}),
    prefix="count",
)  # fmt: skip

MEASURE: tuple[Form, ...] = forms(
    # setting up
    ("P = a", "{P} has {a:T}."),
    ("P = a", "{P} {gain} {a:T}."),
    ("@place = a", "The {place} holds {a:T}.", {"has": "the {place} holds"}),
    ("P = a + b", "{P} has {a:T} and {gain} {b:U} more."),
    ("P = a + b", "{P} {gain} {a:T} on Monday and {b:U} more on Tuesday."),
    ("P = a - b", "{P} has {a:T} and {lose} {b:U} of it."),
    ("@place = a + b", "The {place} holds {a:T}, and {Q} {put} {b:U} more.", {"has": "the {place} holds"}),
    ("@place = a - b", "The {place} holds {a:T}, and {Q} {take} {b:U}.", {"has": "the {place} holds"}),
    # changing
    ("P = P + b", "{P} {gain} {b:U} more.", {"tags": ["update"]}),
    ("P = P - b", "{P} {lose} {b:U} of it.", {"tags": ["update"]}),
    ("P = P - b", "{P} {lose} {b:U} of {P:pos} {stuff}.", {"tags": ["update"]}),
    ("P = P + P", "{P} then {gain} the same amount again.", {"tags": ["update"]}),
    ("@place = @place + b", "{Q} {put} another {b:U}.", {"tags": ["update"]}),
    ("@place = @place - b", "{Q} {take} {b:U}.", {"tags": ["update"]}),
    # comparing
    ("P = X + b", "{P} has {b:U} more {stuff} than {X:has}."),
    ("P = X - b", "{P} has {b:U} less {stuff} than {X:has}."),
    ("P = b - Q", "{P} and {Q} have {b:T} together.", {"tags": ["names"]}),
    ("P = b - X", "{P} has {b:T} and gives away as much as {X:has}."),
    ("P = Q + R", "{P} has as much {stuff} as {Q} and {R} together."),
    ("P = X + Y", "{P} has as much {stuff} as {X:has}, plus as much as {Y:has}."),
    ("P = Q - R", "{Q} has more {stuff} than {R}, and {P} has as much as the difference."),
    ("P = X", "{P} has as much {stuff} as {X:has}."),
    ("P = X + X", "{P} has twice as much {stuff} as {X:has}."),
    ("P = X * b", "{P} has {b} times as much {stuff} as {X:has}.", {"tags": ["times"]}),
    # equal parts
    ("P = a * b", "{P} {fill} {a:G} with {b:U} of {stuff} each."),
    ("P = a * b", "{P} {cut} {a:G} of {stuff}, each {b:U} long."),
    ("P = X * b", "{P} {fill} {b:G} with as much {stuff} in each as {X:has}."),
    ("@each = a / b", "{Q} {split} {a:T} equally into {b:G}.", {"has": "each {group} holds"}),
    ("@each = Q / b", "{Q} {split} {Q:pos} {stuff} equally into {b:G}.", {"has": "each {group} holds"}),
    ("@groups = a / b", "{Q} {split} {a:T} into {groups} of {b:U} each.", {"has": "{Q} has {groups}"}),
    ("@part = X * b", "{Q} {lose} {b} of the {stuff} {X:has}.", {"has": "{Q} {lose}", "tags": ["part"]}),
    # asking
    ("? P", "How much {stuff} does {P} have now?", {"tags": ["now"]}),
    ("? P", "How many {units} of {stuff} does {P} have?", {"tags": ["plain"]}),
    ("? P", "How much {stuff} does {P} have left?", {"tags": ["left"]}),
    ("? P", "How much {stuff} does {P} have in all?", {"tags": ["all"]}),
    ("? @place", "How much {stuff} is in the {place} now?"),
    ("? @each", "How many {units} of {stuff} are in each {group}?"),
    ("? @groups", "How many {groups} does {Q} get?"),
    ("? @part", "How much {stuff} is that?"),
    ("? Q + R", "How much {stuff} do {Q} and {R} have together?", _TOGETHER),
    ("? Q - R", "How much more {stuff} does {Q} have than {R}?", {"tags": ["names"]}),
    ("? b - Q", "How much more {stuff} does {Q} need to have {b:U}?", {"has": "{Q} still needs"}),
    prefix="measure",
)  # fmt: skip

MONEY: tuple[Form, ...] = forms(
    # setting up
    ("P = a", "{P} has {a:T}."),
    ("P = a", "{P} {gain} {a:T}."),
    ("@place = a", "There is {a:T} in the {place}.", {"has": "there is in the {place}"}),
    ("P = a + b", "{P} has {a:T} and {gain} {b:T} more."),
    ("P = a + b", "{P} {gain} {a:T} on Saturday and {b:T} on Sunday."),
    ("P = a - b", "{P} has {a:T} and spends {b:T} on {thing_a}."),
    ("P = a - b", "{P} {gain} {a:T} and then pays {b:T} for {thing_a}."),
    ("@place = a + b", "There is {a:T} in the {place}, and {Q} puts in {b:T} more.",
     {"has": "there is in the {place}"}),
    ("@place = a - b", "There is {a:T} in the {place}, and {Q} takes out {b:T}.",
     {"has": "there is in the {place}"}),
    # changing
    ("P = P + b", "{P} {gain} {b:T} more.", {"tags": ["update"]}),
    ("P = P - b", "{P} spends {b:T} on {thing_a}.", {"tags": ["update"]}),
    ("P = P - b", "{P} pays {b:T} for {thing_a}.", {"tags": ["update"]}),
    ("P = P + P", "{P} then {gain} the same amount again.", {"tags": ["update"]}),
    ("@place = @place + b", "{Q} puts {b:T} more in the {place}.", {"tags": ["update"]}),
    ("@place = @place - b", "{Q} takes {b:T} out of the {place}.", {"tags": ["update"]}),
    # comparing
    ("P = X + b", "{P} has {b:T} more than {X:has}."),
    ("P = X - b", "{P} has {b:T} less than {X:has}."),
    ("P = b - Q", "{P} and {Q} have {b:T} together.", {"tags": ["names"]}),
    ("P = b - X", "{P} has {b:T} and spends as much as {X:has}."),
    ("P = Q + R", "{P} has as much money as {Q} and {R} together."),
    ("P = X + Y", "{P} has as much money as {X:has}, plus as much as {Y:has}."),
    ("P = Q - R", "{Q} has more money than {R}, and {P} has as much as the difference."),
    ("P = X", "{P} has as much money as {X:has}."),
    ("P = X + X", "{P} has twice as much money as {X:has}."),
    ("P = X * b", "{P} has {b} times as much money as {X:has}.", {"tags": ["times"]}),
    # buying and sharing
    ("@cost = a * b", "{Q} buys {a:G} for {b:T} each.", {"has": "{Q} spends"}),
    ("@cost = a * b", "{Q} buys {a:G}, and each one costs {b:T}.", {"has": "{Q} spends"}),
    ("@price = a / b", "{Q} pays {a:T} for {b:G}, all at the same price.", {"has": "each {group} costs"}),
    ("@each = a / b", "{Q} shares {a:T} equally among {b:S}.", {"has": "each {share} gets"}),
    ("@each = Q / b", "{Q} shares {Q:pos} money equally among {b:S}.", {"has": "each {share} gets"}),
    # asking
    ("? P", "How much money does {P} have now?", {"tags": ["now"]}),
    ("? P", "How much money does {P} have?", {"tags": ["plain"]}),
    ("? P", "How much money does {P} have left?", {"tags": ["left"]}),
    ("? P", "How much money does {P} have in all?", {"tags": ["all"]}),
    ("? @place", "How much money is in the {place} now?"),
    ("? @cost", "How much does {Q} spend?"),
    ("? @price", "How much does each {group} cost?"),
    ("? @each", "How much does each {share} get?"),
    ("? Q + R", "How much money do {Q} and {R} have together?", _TOGETHER),
    ("? Q - R", "How much more money does {Q} have than {R}?", {"tags": ["names"]}),
    ("? b - Q", "How much more money does {Q} need to have {b:T}?", {"has": "{Q} still needs"}),
    prefix="money",
)  # fmt: skip

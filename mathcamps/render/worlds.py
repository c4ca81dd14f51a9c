"""Story worlds: what a word problem is about (apples, ribbon, money, a trip), with the words its forms need.

A world belongs to a family of forms (`count`, `measure`, `money`, `rate`, `number`) and says which amounts make
sense in it: counted things are whole, money has at most two decimal places, a measured amount may be any
fraction or decimal. `STORY_WORLDS` lists, per standard, the worlds its problems are told in; the structure's
theme line names the world, so the re-reader knows the words a problem uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Family = Literal["count", "measure", "money", "rate", "number"]
Amounts = Literal["whole", "cents", "any"]


@dataclass(frozen=True)
class World:
    """One theme and its words (`items`, `gain`, `group`, ...: the `{word}` slots of the forms)."""

    theme: str
    family: Family
    words: MappingProxyType = field(repr=False, compare=False)
    amounts: Amounts = "whole"
    """What an amount of the world's main quantity may be: whole, money (two decimal places), or any number."""
    fractions: bool = True
    """Whether amounts may be written as fractions (`3/4 cup`; nobody measures ribbon in 36/34 centimeters)."""
    top: int = 10**6
    """The largest amount that still sounds right (nobody has 5000 apples)."""
    bottom: int = 1
    """The smallest whole amount worth a story of this kind (a bakery does not bake 3 cookies)."""

    def word(self, key: str) -> str:
        return self.words[key]


def _w(theme: str, family: Family, amounts: Amounts = "whole", top: int = 10**6, bottom: int = 1,
       fractions: bool = True, **words: str) -> World:  # fmt: skip
    return World(theme, family, MappingProxyType(words), amounts, fractions, top, bottom)


def _count(theme: str, item: str, items: str, gain: str, lose: str, top: int, bottom: int = 1, **extra: str) -> World:
    return _w(theme, "count", "whole", top, bottom, item=item, items=items, gain=gain, lose=lose, **extra)


# ---------------------------------------------------------------- counted things

SMALL = (
    _count("Apples", "apple", "apples", "picks", "eats", 100, place="basket", group="bag", groups="bags",
           share="friend", shares="friends", color1="red", color2="green", pal="a friend", rows="true"),
    _count("Stickers", "sticker", "stickers", "buys", "gives away", 200, place="album", group="envelope",
           groups="envelopes", share="friend", shares="friends", color1="star", color2="heart",
           pal="a friend", rows="true"),
    _count("Marbles", "marble", "marbles", "wins", "loses", 200, place="jar", group="bag", groups="bags",
           share="friend", shares="friends", color1="blue", color2="yellow", pal="a friend"),
    _count("Shells", "shell", "shells", "finds", "gives away", 100, place="bucket", group="box", groups="boxes",
           share="cousin", shares="cousins", pal="a friend"),
    _count("Cookies", "cookie", "cookies", "bakes", "eats", 200, place="tin", group="box", groups="boxes",
           share="classmate", shares="classmates", color1="chocolate", color2="oatmeal", pal="a friend", rows="true"),
    _count("Balloons", "balloon", "balloons", "buys", "lets go of", 100, place="party room", group="bunch",
           groups="bunches", share="child", shares="children", color1="red", color2="blue", pal="a friend"),
    _count("Toy cars", "toy car", "toy cars", "gets", "gives away", 100, place="toy box", group="box",
           groups="boxes", share="friend", shares="friends", pal="a friend", rows="true"),
    _count("Pencils", "pencil", "pencils", "buys", "gives away", 200, place="pencil case", group="box",
           groups="boxes", share="classmate", shares="classmates", color1="yellow", color2="green", pal="a friend"),
    _count("Flowers", "flower", "flowers", "picks", "gives away", 100, place="vase", group="bunch",
           groups="bunches", share="neighbor", shares="neighbors", color1="red", color2="white",
           pal="a friend", rows="true"),
    _count("Books", "book", "books", "buys", "gives away", 300, place="bookcase", group="box",
           groups="boxes", share="friend", shares="friends", pal="a friend"),
    _count("Beads", "bead", "beads", "buys", "loses", 500, place="jar", group="bag", groups="bags",
           share="friend", shares="friends", color1="glass", color2="wooden", pal="a friend"),
    _count("Stamps", "stamp", "stamps", "collects", "gives away", 500, place="album", group="envelope",
           groups="envelopes", share="friend", shares="friends", pal="a friend", rows="true"),
    _count("Eggs", "egg", "eggs", "collects", "uses", 300, place="basket", group="carton", groups="cartons",
           share="neighbor", shares="neighbors", color1="brown", color2="white", pal="a friend", rows="true"),
    _count("Crayons", "crayon", "crayons", "gets", "loses", 200, place="box", group="box", groups="boxes",
           share="friend", shares="friends", pal="a friend"),
    _count("Cupcakes", "cupcake", "cupcakes", "bakes", "sells", 300, place="tray", group="tray", groups="trays",
           share="guest", shares="guests", color1="vanilla", color2="lemon", pal="a friend", rows="true"),
)  # fmt: skip

LARGE = (
    _count("Library books", "book", "books", "buys", "lends out", 10**5, 50, group="carton", groups="cartons",
           share="school", shares="schools", pal="a friend"),
    _count("Bricks", "brick", "bricks", "orders", "uses", 10**5, 50, group="pallet", groups="pallets",
           share="builder", shares="builders", pal="a friend", rows="true"),
    _count("Seeds", "seed", "seeds", "buys", "plants", 10**5, 50, group="packet", groups="packets",
           share="garden bed", shares="garden beds", pal="a friend", rows="true"),
    _count("Tickets", "ticket", "tickets", "prints", "sells", 10**5, 50, group="roll", groups="rolls",
           share="booth", shares="booths"),
    _count("Cans", "can", "cans", "collects", "gives away", 10**5, 50, group="crate", groups="crates",
           share="shelter", shares="shelters", pal="a friend"),
    _count("Points", "point", "points", "scores", "loses", 10**6, 50),
    _count("Bottles", "bottle", "bottles", "collects", "recycles", 10**5, 50, group="crate", groups="crates",
           share="truck", shares="trucks", pal="a friend"),
)  # fmt: skip


def _measure(
    theme: str,
    unit: str,
    units: str,
    stuff: str,
    gain: str,
    lose: str,
    group: str,
    groups: str,
    split: str,
    amounts: Amounts = "any",
    fractions: bool = True,
    **extra: str,
) -> World:
    return _w(theme, "measure", amounts, fractions=fractions, unit=unit, units=units, stuff=stuff, gain=gain,
              lose=lose, group=group, groups=groups, split=split, **extra)  # fmt: skip


LENGTHS = (
    _measure("Ribbon", "centimeter", "centimeters", "ribbon", "buys", "uses", "piece", "pieces", "cuts",
             fractions=False, cut="cuts"),
    _measure("Rope", "meter", "meters", "rope", "buys", "uses", "piece", "pieces", "cuts", cut="cuts"),
    _measure("String", "inch", "inches", "string", "finds", "uses", "piece", "pieces", "cuts", cut="cuts"),
    _measure("Yarn", "meter", "meters", "yarn", "buys", "knits with", "ball", "balls", "winds", cut="winds"),
    _measure("Fabric", "yard", "yards", "fabric", "buys", "sews with", "piece", "pieces", "cuts", cut="cuts"),
    _measure("Wire", "foot", "feet", "wire", "buys", "uses", "piece", "pieces", "cuts", cut="cuts"),
)  # fmt: skip

VOLUMES = (
    _measure("Juice", "liter", "liters", "juice", "buys", "drinks", "bottle", "bottles", "pours", place="jug",
             put="pours in", take="pours out", fill="fills"),
    _measure("Water", "liter", "liters", "water", "collects", "uses", "bucket", "buckets", "pours",
             place="tank", put="pours in", take="drains", fill="fills"),
    _measure("Lemonade", "cup", "cups", "lemonade", "makes", "drinks", "glass", "glasses", "pours",
             place="pitcher", put="pours in", take="pours out", fill="fills"),
    _measure("Paint", "gallon", "gallons", "paint", "buys", "uses", "can", "cans", "pours", place="bucket",
             put="pours in", take="pours out", fill="fills"),
    _measure("Milk", "quart", "quarts", "milk", "buys", "drinks", "jar", "jars", "pours", place="jug",
             put="pours in", take="pours out", fill="fills"),
)  # fmt: skip

WEIGHTS = (
    _measure("Flour", "kilogram", "kilograms", "flour", "buys", "bakes with", "bag", "bags", "divides",
             place="bin", put="pours in", take="scoops out", fill="fills"),
    _measure("Sand", "kilogram", "kilograms", "sand", "collects", "uses", "bucket", "buckets", "divides",
             place="sandbox", put="adds", take="scoops out", fill="fills"),
    _measure("Rice", "pound", "pounds", "rice", "buys", "cooks", "bag", "bags", "divides", place="sack",
             put="pours in", take="scoops out", fill="fills"),
    _measure("Clay", "pound", "pounds", "clay", "buys", "uses", "lump", "lumps", "divides", fill="makes"),
    _measure("Soil", "kilogram", "kilograms", "soil", "buys", "spreads", "pot", "pots", "divides",
             place="wheelbarrow", put="shovels in", take="shovels out", fill="fills"),
)  # fmt: skip

RECIPES = (
    _measure("Baking", "cup", "cups", "flour", "buys", "bakes with", "batch", "batches", "divides",
             fill="uses", dish="bread"),
    _measure("Sugar", "cup", "cups", "sugar", "buys", "uses", "jar", "jars", "divides", place="bowl",
             put="adds", take="scoops out", fill="fills", dish="cookies"),
    _measure("Butter", "pound", "pounds", "butter", "buys", "uses", "dish", "dishes", "divides",
             fill="fills", dish="cake"),
)  # fmt: skip


def _money(theme: str, gain: str, thing: str, things: str, item_a: str, place: str, **extra: str) -> World:
    return _w(theme, "money", "cents", gain=gain, group=thing, groups=things, thing_a=item_a, place=place,
              share="friend", shares="friends", **extra)  # fmt: skip


MONEY = (
    _money("Pocket money", "earns", "notebook", "notebooks", "a book", "piggy bank"),
    _money("Savings", "saves", "ticket", "tickets", "a game", "savings jar"),
    _money("Allowance", "gets", "comic", "comics", "a kite", "wallet"),
    _money("Bake sale", "makes", "pie", "pies", "new pans", "cash box"),
    _money("Lemonade stand", "earns", "cup", "cups", "more lemons", "money box"),
)

CENTS = (
    _w("Coins", "money", "whole", 100, unit="cent", units="cents", gain="finds", group="sticker",
       groups="stickers", thing_a="a sticker", place="piggy bank", share="friend", shares="friends"),
    _w("Change", "money", "whole", 100, unit="cent", units="cents", gain="gets", group="candy", groups="candies",
       thing_a="a pencil", place="coin purse", share="friend", shares="friends"),
)  # fmt: skip


def _rate(theme: str, amounts: Amounts, base: str, bases: str, each: str, **words: str) -> World:
    return _w(theme, "rate", amounts, base=base, bases=bases, each=each, **words)


RATES = (
    _rate("Walking", "any", "hour", "hours", "hour", unit="kilometer", units="kilometers", move="walks",
          moving="walk", far="far"),
    _rate("Cycling", "any", "hour", "hours", "hour", unit="mile", units="miles", move="cycles",
          moving="cycle", far="far"),
    _rate("Road trip", "any", "hour", "hours", "hour", unit="kilometer", units="kilometers", move="drives",
          moving="drive", far="far"),
    _rate("Swimming", "any", "minute", "minutes", "minute", unit="meter", units="meters", move="swims",
          moving="swim", far="far"),
)  # fmt: skip

PRICES = (
    _w("Market", "rate", "cents", base="kilogram", bases="kilograms", each="kilogram", stuff="cheese", priced="true"),
    _w("Fabric shop", "rate", "cents", base="meter", bases="meters", each="meter", stuff="fabric", priced="true"),
    _w("Deli", "rate", "cents", base="pound", bases="pounds", each="pound", stuff="ham", priced="true"),
)

GEOMETRY_WORLDS = (
    _w("Garden", "rate", "any", place="garden", fence="fence", unit="meter", units="meters", area="true"),
    _w("Field", "rate", "any", place="field", fence="fence", unit="foot", units="feet", area="true"),
    _w("Playground", "rate", "any", place="playground", fence="fence", unit="meter", units="meters", area="true"),
    _w("Picture frame", "rate", "any", place="picture", fence="frame", unit="centimeter", units="centimeters",
       area="true"),
    _w("Pond", "rate", "any", place="pond", fence="path", unit="yard", units="yards", area="true"),
    _w("Rug", "rate", "any", place="rug", fence="ribbon border", unit="inch", units="inches", area="true"),
)  # fmt: skip

NUMBERS = (_w("Number puzzle", "number", "any"),)
NEXT_STEP = _w("Next step", "next", "any")
"""Not a theme: the words a follow-up uses when it goes on from "your answer" (see `forms_more.NEXT`)."""

ALL_WORLDS: tuple[World, ...] = (
    SMALL
    + LARGE
    + LENGTHS
    + VOLUMES
    + WEIGHTS
    + RECIPES
    + MONEY
    + CENTS
    + RATES
    + PRICES
    + GEOMETRY_WORLDS
    + NUMBERS
    + (NEXT_STEP,)
)
BY_THEME: dict[str, World] = {w.theme: w for w in ALL_WORLDS}
assert len(BY_THEME) == len(ALL_WORLDS), "world themes must be unique"

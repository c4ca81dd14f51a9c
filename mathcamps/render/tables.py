"""Per standard: the worlds its word problems are told in, and how often a problem is an exercise instead.

The shares follow the published set: nearly every problem of the K-6 story standards is a word problem, about
half of 5.NF.A.1 and a third of 7.NS.A.2 are, and the comparisons, factor pairs, powers and grade-8 equations are
exercises. Worlds are listed in no order of preference; a problem draws its world from its own stream among those
that can tell it (a world whose amounts are whole cannot tell `3.5 apples`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mathcamps.render.worlds import (
    CENTS,
    GEOMETRY_WORLDS,
    LARGE,
    LENGTHS,
    MONEY,
    NUMBERS,
    PRICES,
    RATES,
    RECIPES,
    SMALL,
    VOLUMES,
    WEIGHTS,
    World,
)

AREAS = GEOMETRY_WORLDS[:2] + GEOMETRY_WORLDS[5:]


@dataclass(frozen=True)
class Telling:
    """How a standard's problems are told."""

    worlds: tuple[World, ...] = ()
    """The story worlds; empty for exercise standards."""
    stories: float = 1.0
    """The share of problems told as stories (the rest are exercises)."""
    puzzles: bool = True
    """Whether a structure no world can tell becomes a think-of-a-number puzzle (else an exercise)."""


_MEASURES = VOLUMES + WEIGHTS + LENGTHS
_DECIMALS = VOLUMES + WEIGHTS + LENGTHS + MONEY + RATES + PRICES + AREAS

TELLING: dict[str, Telling] = {
    "K.CC.C.7": Telling(stories=0.0),
    "K.NBT.A.1": Telling(SMALL),
    "K.OA.A.4": Telling(SMALL),
    "K.OA.A.5": Telling(SMALL),
    "1.OA.A.1": Telling(SMALL),
    "1.OA.A.2": Telling(SMALL),
    "1.OA.D.8": Telling(SMALL),
    "2.MD.B.5": Telling(LENGTHS),
    "2.MD.C.8": Telling(MONEY + CENTS),
    "2.NBT.B.5": Telling(SMALL),
    "2.NBT.B.6": Telling(SMALL + LARGE),
    "2.NBT.B.7": Telling(SMALL + LARGE),
    "2.OA.A.1": Telling(SMALL),
    "3.MD.D.8-polygon": Telling(GEOMETRY_WORLDS),
    "3.MD.D.8-quadrilateral": Telling(GEOMETRY_WORLDS),
    "3.MD.D.8-triangle": Telling(GEOMETRY_WORLDS),
    "3.NBT.A.2": Telling(SMALL + LARGE),
    "3.OA.A.3": Telling(SMALL),
    "3.OA.A.4": Telling(SMALL),
    "3.OA.C.7": Telling(SMALL),
    "3.OA.D.8": Telling(SMALL + MONEY),
    "4.MD.A.2-decimal": Telling(_DECIMALS),
    "4.MD.A.2-fraction": Telling(_MEASURES + RECIPES + RATES),
    "4.MD.A.3": Telling(GEOMETRY_WORLDS),
    "4.NBT.B.4": Telling(LARGE),
    "4.NBT.B.5": Telling(LARGE + SMALL),
    "4.NBT.B.6": Telling(SMALL + LARGE),
    "4.NF.A.2": Telling(stories=0.0),
    "4.OA.A.3": Telling(SMALL + LARGE + MONEY),
    "4.OA.B.4": Telling(stories=0.0),
    "5.NBT.B.5": Telling(LARGE),
    "5.NBT.B.6": Telling(LARGE),
    "5.NBT.B.7": Telling(_DECIMALS),
    "5.NF.A.1": Telling(_MEASURES + RECIPES, stories=0.5, puzzles=False),
    "5.NF.A.2": Telling(_MEASURES + RECIPES),
    "5.NF.B.4": Telling(_MEASURES + RECIPES + RATES, stories=0.6, puzzles=False),
    "5.OA.A.1": Telling(SMALL + LARGE + MONEY),
    "6.EE.A.1": Telling(stories=0.0),
    "6.EE.B.7": Telling(SMALL + LARGE),
    "6.NS.B.2": Telling(LARGE),
    "6.NS.B.3": Telling(_DECIMALS),
    "7.NS.A.1-decimal": Telling(_MEASURES + RATES, stories=0.3, puzzles=False),
    "7.NS.A.1-fraction": Telling(_MEASURES + RECIPES, stories=0.15, puzzles=False),
    "7.NS.A.2": Telling(_MEASURES + RECIPES + RATES + AREAS, stories=0.3, puzzles=False),
    "7.NS.A.3-decimal": Telling(_MEASURES + RATES + AREAS),
    "7.NS.A.3-fraction": Telling(_MEASURES + RECIPES + RATES + AREAS, stories=0.75),
    "8.EE.A.2": Telling(GEOMETRY_WORLDS),
    "8.EE.C.7": Telling(stories=0.0),
    "8.EE.C.8": Telling(stories=0.0),
}

PUZZLE = NUMBERS[0]

"""A minimal template generator for six K-3 standards: the walking skeleton's data.

Each problem is a short chain of operations on whole numbers, rendered from a few templates, with a
worked solution that spells out every step. The full 44-standard grammar replaces this module.
"""

from __future__ import annotations

import hashlib
import operator
import random
from collections.abc import Callable
from dataclasses import dataclass

from mathcamps.problem import Problem


@dataclass(frozen=True)
class ChainSettings:
    """Ranges for a chain `n0 op1 n1 op2 n2 ...`: literals in `numbers`, every intermediate value in `values`."""

    ops: tuple[str, ...]
    numbers: tuple[int, int]
    values: tuple[int, int]
    lengths: tuple[int, int]  # how many operations, inclusive


STARTER_STANDARDS: dict[str, ChainSettings | None] = {
    "K.CC.C.7": None,  # comparison of two numbers from 1 to 10
    "K.OA.A.5": ChainSettings(("+", "-"), (1, 5), (1, 5), (1, 2)),
    "1.OA.A.1": ChainSettings(("+", "-"), (1, 20), (1, 20), (1, 2)),
    "2.NBT.B.5": ChainSettings(("+", "-"), (1, 100), (1, 100), (1, 2)),
    "2.NBT.B.7": ChainSettings(("+", "-"), (1, 1000), (1, 1000), (1, 2)),
    "3.OA.C.7": ChainSettings(("*", "/"), (1, 12), (1, 100), (1, 2)),
}

_APPLY: dict[str, Callable[[int, int], int]] = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.floordiv}
_NAMES = ("Mia", "Leo", "Ava", "Noah", "Zoe", "Omar", "Ivy", "Sam")
_THINGS = ("apples", "marbles", "stickers", "shells", "pencils", "cards", "stones", "beads")
_WORD = {"+": "add", "-": "subtract", "*": "multiply by", "/": "divide by"}


def _rng(standard: str, seed: int, index: int) -> random.Random:
    # A stable hash (not Python's salted one), so a problem depends only on (standard, seed, index).
    digest = hashlib.sha256(f"{standard}|{seed}|{index}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _sample_chain(s: ChainSettings, rng: random.Random) -> tuple[int, list[tuple[str, int]]]:
    while True:
        start = rng.randint(*s.numbers)
        value, steps = start, []
        for _ in range(rng.randint(*s.lengths)):
            op = rng.choice(s.ops)
            candidates = [
                n
                for n in range(s.numbers[0], s.numbers[1] + 1)
                if (op != "/" or value % n == 0) and s.values[0] <= _APPLY[op](value, n) <= s.values[1]
            ]
            if not candidates:
                break
            n = rng.choice(candidates)
            steps.append((op, n))
            value = _APPLY[op](value, n)
        if steps:
            return start, steps


def _chain_problem(standard: str, s: ChainSettings, rng: random.Random) -> tuple[str, str, str, str]:
    start, steps = _sample_chain(s, rng)
    names = "abcdefgh"
    lines = [f"[[var a = {start}]]"]
    work, value = [], start
    for i, (op, n) in enumerate(steps, start=1):
        lines.append(f"[[var {names[i]} = ({names[i - 1]} {op} {n})]]")
        result = _APPLY[op](value, n)
        work.append(f"{value} {op} {n} = {result}")
        value = result
    lines.append(f"[[question q = ['{names[len(steps)]}']]]")

    if s.ops == ("+", "-") and rng.random() < 0.5:
        who, thing = rng.choice(_NAMES), rng.choice(_THINGS)
        said = [f"{who} has {start} {thing}."]
        said += [f"Then {who} gets {n} more {thing}." if op == "+" else f"Then {who} gives away {n} {thing}."
                 for op, n in steps]
        statement = " ".join(said) + f" How many {thing} does {who} have now?"
    else:
        said = [f"Start with {start}."] + [f"Then {_WORD[op]} {n}." for op, n in steps]
        statement = " ".join(said) + " What number do you get?"
    solution = "\n".join(work + [f"### Answer: {value}"])
    return "\n".join(lines), statement, str(value), solution


def _compare_problem(rng: random.Random) -> tuple[str, str, str, str]:
    a, b = rng.randint(1, 10), rng.randint(1, 10)
    answer = "<" if a < b else ">" if a > b else "="
    words = {"<": "less than", ">": "greater than", "=": "equal to"}[answer]
    statement = rng.choice([
        f"Fill in the blank with <, > or = to compare the numbers.\n{a} _ {b}",
        f"Which symbol (<, >, =) makes this true?\n{a} _ {b}",
    ])
    return f"[[question q = ['{a} _ {b}']]]", statement, answer, f"{a} is {words} {b}.\n### Answer: {answer}"


def generate_starter(standards: list[str], per_standard: int, seed: int) -> list[Problem]:
    """`per_standard` original problems for each standard, as a pure function of (standard, seed, index)."""
    unknown = [s for s in standards if s not in STARTER_STANDARDS]
    if unknown:
        raise ValueError(f"starter generator has no standard {unknown}; it knows {sorted(STARTER_STANDARDS)}")
    problems = []
    for standard in standards:
        settings = STARTER_STANDARDS[standard]
        for i in range(per_standard):
            rng = _rng(standard, seed, i)
            made = _compare_problem(rng) if settings is None else _chain_problem(standard, settings, rng)
            structure, statement, answer, solution = made
            problems.append(Problem(id=f"{standard}-{seed}-{i}", standard=standard, statement=statement,
                                    answer=answer, structure=structure, solution=solution, seed=seed))
    return problems


def structure_key(structure: str) -> str:
    """Two problems with the same key share their symbolic structure (the theme line is ignored)."""
    return "\n".join(line for line in structure.splitlines() if not line.startswith("theme:"))

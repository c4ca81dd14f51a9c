"""A structure's operations in the order a story tells them: each operation one step, operands first.

`flatten` turns `l = (44 - a) * q` into the steps `44 - a` and `(that) * q`; a step's operands are literals (with
the indices of the numbers they are written from, for counterfactuals) or earlier steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from mathcamps.grammar.tree import Num, Op, Structure, Value, Var, apply, is_fraction_literal
from mathcamps.render.lexicon import literal_text, literal_value


@dataclass(frozen=True)
class Arg:
    """An operand: a literal (`text` as written; `lits`, the indices in `literal_order` of the numbers it is
    written from, two for a fraction) or an earlier step (`ref`)."""

    ref: int | None
    text: str
    value: Value
    lits: tuple[int, ...] = ()


@dataclass(frozen=True)
class Step:
    op: str | None  # None: a number given on its own
    args: tuple[Arg, ...]
    value: Value


def flatten(structure: Structure, fractions: bool) -> tuple[list[Step], int]:
    """The structure's operations in order (operands first), and the index of the asked step."""
    steps: list[Step] = []
    env: dict[str, int] = {}
    count = [0]

    def walk(e) -> Arg:  # noqa: ANN001
        if isinstance(e, Num) or (fractions and is_fraction_literal(e)):
            k = 1 if isinstance(e, Num) else 2
            count[0] += k
            return Arg(None, literal_text(e), literal_value(e), tuple(range(count[0] - k, count[0])))
        if isinstance(e, Var):
            return Arg(env[e.name], "", steps[env[e.name]].value)
        assert isinstance(e, Op), e
        lhs, rhs = walk(e.lhs), walk(e.rhs)
        steps.append(Step(e.op, (lhs, rhs), apply(e.op, lhs.value, rhs.value)))
        return Arg(len(steps) - 1, "", steps[-1].value)

    for st in structure.statements:
        if fractions and len(structure.statements) == 1 and is_fraction_literal(st.expr):
            # `o = (13 / 10)` and nothing else: the problem is the division, not a given number
            lhs, rhs = walk(st.expr.lhs), walk(st.expr.rhs)  # type: ignore[union-attr]
            steps.append(Step("/", (lhs, rhs), apply("/", lhs.value, rhs.value)))
            env[st.target] = len(steps) - 1  # type: ignore[index]
            continue
        arg = walk(st.expr)
        if arg.ref is None:
            steps.append(Step(None, (arg,), arg.value))
            env[st.target] = len(steps) - 1  # type: ignore[index]
        else:
            env[st.target] = arg.ref  # type: ignore[index]
    asked = structure.asked[0]
    assert isinstance(asked, Var)
    return steps, env[asked.name]

"""Follow-up problems derived symbolically from an original, then re-solved.

- Counterfactual: one literal of the original changes (a formula constant never does); the rest stays.
- Incremental: one statement is added that builds on the original's answer, and the question asks for it.

Unlike the published release, a counterfactual keeps the standard's own constraints: the new literal is of the kind
the old one was (a decimal stays a decimal with as many places, a dividend stays a multiple of its divisor), and the
new structure must pass `accepts` for the standard, so a whole-number standard never gets a fractional answer. Both
kinds must differ from the original. Each draws from its own random stream, derived like the original's, and gives
up (returns None) after a fixed number of attempts, as the published generator does.
"""

from __future__ import annotations

import random
import string
from fractions import Fraction

from mathcamps.grammar.check import accepts, check_statement
from mathcamps.grammar.sample import _Expansion, problem_rng
from mathcamps.grammar.tree import Compare, Expr, Num, Op, Statement, Structure, Value, Var, evaluate, num, replace
from mathcamps.standards import FollowupKind, Standard

_TRIES = 300


def followup_rng(standard_id: str, seed: int, index: int, kind: FollowupKind) -> random.Random:
    """The random stream of one follow-up, independent of the original's and of the other kind's."""
    return problem_rng(f"{standard_id}/{kind}", seed, index)


def derive(std: Standard, original: Structure, kind: FollowupKind, rng: random.Random) -> Structure | None:
    """A follow-up of `kind` for `original`, or None when the standard does not allow one or none was found."""
    if kind not in std.followups:
        return None
    if kind == "counterfactual":
        return counterfactual(std, original, rng)
    return incremental(std, original, rng)


# ---------------------------------------------------------------- counterfactual


def counterfactual(std: Standard, original: Structure, rng: random.Random) -> Structure | None:
    """`original` with one literal changed, still inside the standard's grammar."""
    sites = _literal_sites(original)
    if not sites:
        return None
    for _ in range(_TRIES):
        where, old, parent = rng.choice(sites)
        new = _new_literal(std, old, parent, rng)
        if new is None or new.text == old.text:
            continue
        changed = _replace_literal(original, where, old, parent, new)
        if changed is not None and changed.text() != original.text() and accepts(std, changed):
            return changed
    return None


def _literal_sites(s: Structure) -> list[tuple[int, Num, Op | None]]:
    """(statement index or -1 for the question, literal, its parent operation) for every changeable literal."""
    sites: list[tuple[int, Num, Op | None]] = []
    exprs = [(i, st.expr) for i, st in enumerate(s.statements)] + [(-1, e) for e in s.asked]
    for i, st in enumerate(s.statements):
        if isinstance(st.target, Num):
            sites.append((i, st.target, None))
    for i, e in exprs:
        stack: list[tuple[Expr, Op | None]] = [(e, None)]
        while stack:
            node, parent = stack.pop()
            if isinstance(node, Num) and not node.fixed:
                sites.append((i, node, parent))
            elif isinstance(node, (Op, Compare)):
                p = node if isinstance(node, Op) else None
                stack.extend(((node.lhs, p), (node.rhs, p)))
    return sites


def _new_literal(std: Standard, old: Num, parent: Op | None, rng: random.Random) -> Num | None:
    lo, hi = max(std.numbers[0], std.values[0]), min(std.numbers[1], std.values[1])
    if old.is_decimal:
        places = len(old.text.split(".")[1])
        top = min(std.numbers[1], std.values[1])
        return num(Fraction(rng.randint(lo * 10**places, top * 10**places), 10**places)) if top >= lo else None
    if parent is not None and parent.op == "/" and parent.lhs is old and isinstance(parent.rhs, Num):
        d = parent.rhs.value
        if isinstance(d, int) and d > 0 and old.value % d == 0:
            # A dividend stays a multiple of its divisor, so the division stays exact.
            q = old.value // d
            new_q = rng.randint(max(1, q // 2), max(2, q * 2))
            return num(d * new_q)
    if parent is not None and parent.op == "%":
        return num(rng.randint(max(1, lo), hi))
    if std.is_equation:
        lo, hi = std.values
    return num(rng.randint(lo, hi))


def _replace_literal(s: Structure, where: int, old: Num, parent: Op | None, new: Num) -> Structure | None:
    if where >= 0 and s.statements[where].target is old:
        statements = list(s.statements)
        statements[where] = Statement(new, statements[where].expr)
        return Structure(tuple(statements), s.question, s.asked)
    if where >= 0:
        statements = list(s.statements)
        st = statements[where]
        statements[where] = Statement(st.target, replace(st.expr, old, new))
        return Structure(tuple(statements), s.question, s.asked)
    asked = tuple(replace(e, old, new) for e in s.asked)
    return Structure(s.statements, s.question, asked)


# ---------------------------------------------------------------- incremental


def incremental(std: Standard, original: Structure, rng: random.Random) -> Structure | None:
    """`original` plus one statement that uses its answer; the question asks for the new value."""
    if std.is_equation or std.is_question_only or len(original.asked) != 1 or not isinstance(original.asked[0], Var):
        return None  # the answer must be a named value for a new step to build on
    env = _values(original)
    if env is None:
        return None
    answer_var = original.asked[0].name
    taken = set(original.names)
    free = [c for c in string.ascii_lowercase if c not in taken]
    if len(free) < 2:
        return None
    declared = [st.target for st in original.statements]  # type: ignore[misc]
    for _ in range(_TRIES):
        expansion = _Expansion(std, rng, declared, [answer_var])
        expr = expansion.expr()
        if isinstance(expr, (Var, Num)) or answer_var not in _names_in(expr):
            continue
        value = check_statement(std, expr, env)
        if value is None:
            continue
        name, question = rng.sample(free, 2)
        followup = Structure(
            original.statements + (Statement(name, expr),),
            question,
            (Var(name),),
        )
        if accepts(std, followup, followup=True):
            return followup
    return None


def _values(s: Structure) -> dict[str, Value] | None:
    env: dict[str, Value] = {}
    for st in s.statements:
        if not isinstance(st.target, str):
            return None
        env[st.target] = evaluate(st.expr, env)
    return env


def _names_in(e: Expr) -> set[str]:
    if isinstance(e, Var):
        return {e.name}
    if isinstance(e, (Op, Compare)):
        return _names_in(e.lhs) | _names_in(e.rhs)
    return set()

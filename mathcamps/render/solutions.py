"""Step-by-step worked solutions derived from a structure, for supervised fine-tuning data.

Each solution computes one value per line, from the structure alone, and ends with `### Answer: <answer>`, the
line the evaluation prompt asks models to write. The answer is written exactly: a whole number, a reduced
fraction, a terminating decimal, a relation, factor pairs, or the values of a system's unknowns.

    >>> from mathcamps.grammar.parse import parse_structure
    >>> from mathcamps.standards import get_standard
    >>> s = parse_structure("[[var k = (53 + 12)]]\\n[[question m = ['k']]]")
    >>> print(solve_steps(get_standard("2.NBT.B.5"), s))
    53 + 12 = 65
    ### Answer: 65
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt

from mathcamps.answers.types import Answer, Mapping, Number
from mathcamps.grammar.exact import answer, solve_equations
from mathcamps.grammar.tree import Compare, Expr, Num, Op, Structure, Value, Var, decimal_text, evaluate
from mathcamps.standards import Standard


def answer_line_text(std: Standard, structure: Structure, solved: Answer | None = None) -> str:
    """The answer as a solution writes it: like the published answer, but decimals without float padding.

    `solved` is the structure's answer when the caller has it already (the generator does): not solved twice.
    """
    a = answer(std, structure) if solved is None else solved
    if isinstance(a, Mapping):
        return ", ".join(f"{k} = {_fmt(v.value, std)}" for k, v in a.values)
    if isinstance(a, Number):
        return _fmt(a.value, std, _has_decimals(structure))
    return str(a)


def solve_steps(std: Standard, structure: Structure, solved: Answer | None = None) -> str:
    """A worked solution of `structure`, one step per line, ending with `### Answer: ...` (`solved`: its answer)."""
    solved = answer(std, structure) if solved is None else solved
    decimals = _has_decimals(structure)
    lines: list[str] = []
    if std.answer_kind == "compare":
        c = structure.asked[0]
        assert isinstance(c, Compare)
        a, b = evaluate(c.lhs, {}), evaluate(c.rhs, {})
        if isinstance(c.lhs, Op):
            left, right = _fmt(a, std, False, True), _fmt(b, std, False, True)
            lines.append(f"{_show(c.lhs, {})} = {left} and {_show(c.rhs, {})} = {right}.")
        rel = str(solved)
        word = {"<": "less than", ">": "greater than", "=": "equal to"}[rel]
        lines.append(f"{_show(c.lhs, {})} is {word} {_show(c.rhs, {})}, so the blank is {rel}.")
    elif std.answer_kind == "factor-pairs":
        n = evaluate(structure.asked[0], {})
        assert isinstance(n, int)
        lines.append(f"Try every whole number from 1 up to {isqrt(n)} (since {isqrt(n)} * {isqrt(n)} <= {n}).")
        for i in range(1, isqrt(n) + 1):
            if n % i == 0:
                lines.append(f"{n} / {i} = {n // i}, so ({i}, {n // i}) is a factor pair.")
    elif std.is_equation:
        lines += _equation_steps(std, structure)
    else:
        env: dict[str, Value] = {}
        for st in structure.statements:
            name = st.target
            assert isinstance(name, str)
            value = evaluate(st.expr, env)
            # Each step is written with the values it uses, not the structure's variable names: the text never
            # shows those names, so a reader (or a model trained on these solutions) could not predict them.
            if not isinstance(st.expr, Num):
                lines.append(f"{_show(st.expr, env, decimals)} = {_fmt(value, std, decimals)}")
            env[name] = value
        asked = structure.asked[0]
        if not isinstance(asked, Var):
            lines.append(
                f"{_show(asked, {})} = {_show(asked, env, decimals)} = {_fmt(evaluate(asked, env), std, decimals)}"
            )
    lines.append(f"### Answer: {answer_line_text(std, structure, solved)}")
    return "\n".join(lines)


def _equation_steps(std: Standard, s: Structure) -> list[str]:
    sol = solve_equations(s)
    lines = [f"{_show(st.expr, {})} = {st.target.text}" for st in s.statements]  # type: ignore[union-attr]
    if len(sol) == 1:
        ((x, v),) = sol.items()
        st = s.statements[0]
        target = st.target.value  # type: ignore[union-attr]
        expr: Expr = st.expr
        # Undo the operations around the unknown, outermost first.
        while not (isinstance(expr, Var)):
            assert isinstance(expr, Op)
            left = x in _names(expr.lhs)
            other_e = expr.rhs if left else expr.lhs
            other = evaluate(other_e, {})
            o = _fmt(other, std)
            if expr.op == "+":
                target, how = target - other, f"Subtract {o} from both sides"
            elif expr.op == "-" and left:
                target, how = target + other, f"Add {o} to both sides"
            elif expr.op == "-":
                target, how = (
                    other - target,
                    f"{o} minus the unknown part is {_fmt(target, std)}, so it equals {o} - {_fmt(target, std)}",
                )
            elif expr.op == "*":
                target, how = Fraction(target) / other, f"Divide both sides by {o}"
            elif expr.op == "/" and left:
                target, how = target * other, f"Multiply both sides by {o}"
            elif expr.op == "/":
                target, how = (
                    Fraction(other) / target,
                    f"{o} divided by the unknown part is {_fmt(target, std)}, so it equals {o} / {_fmt(target, std)}",
                )
            else:
                root = round(float(target) ** (1 / float(other)))
                which = {2: "square", 3: "cube"}.get(other, f"{other}th")  # type: ignore[call-overload]
                how, target = f"Take the {which} root of both sides", root
            target = _norm(target)
            expr = expr.lhs if left else expr.rhs
            lines.append(f"{how}: {_show(expr, {})} = {_fmt(target, std)}")
        assert target == v
        return lines
    x, y = sorted(sol)
    lines.append(f"Eliminate one unknown (for example by Cramer's rule) and solve for {x} and {y}:")
    for k in (x, y):
        lines.append(f"{k} = {_fmt(sol[k], std)}")
    lines.append(
        "Check: " + "; ".join(f"{_show(st.expr, sol)} = {_fmt(evaluate(st.expr, sol), std)}" for st in s.statements)
    )
    return lines


def _names(e: Expr) -> set[str]:
    if isinstance(e, Var):
        return {e.name}
    if isinstance(e, Op):
        return _names(e.lhs) | _names(e.rhs)
    return set()


def _norm(v: Value) -> Value:
    return v.numerator if isinstance(v, Fraction) and v.denominator == 1 else v


def _has_decimals(s: Structure) -> bool:
    """Whether any literal is a decimal (the solution then writes terminating values as decimals)."""
    return any(n.is_decimal for n in s.all_literals())


def _fmt(v: Value, std: Standard | None, decimals: bool = False, exact: bool = False) -> str:
    v = _norm(v)
    if isinstance(v, Fraction) and decimals and not exact:
        d = v.denominator
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        if d == 1:
            return decimal_text(v).rstrip("0").rstrip(".")
    return str(v)


def _show(e: Expr, env: dict[str, Value], decimals: bool = False) -> str:
    """An expression with known variables replaced by their values, outer parentheses dropped."""
    t = _text(e, env, decimals)
    return t[1:-1] if isinstance(e, Op) and t.startswith("(") else t


def _text(e: Expr, env: dict[str, Value], decimals: bool) -> str:
    if isinstance(e, Num):
        return e.text
    if isinstance(e, Var):
        if e.name not in env:
            return e.name
        shown = _fmt(env[e.name], None, decimals)  # type: ignore[arg-type]
        return f"({shown})" if "/" in shown else shown
    if isinstance(e, Op):
        return f"({_text(e.lhs, env, decimals)} {e.op} {_text(e.rhs, env, decimals)})"
    assert isinstance(e, Compare)
    return f"{_text(e.lhs, env, decimals)} _ {_text(e.rhs, env, decimals)}"

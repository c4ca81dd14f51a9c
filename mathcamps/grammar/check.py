"""A standard's constraints as a check: does a structure lie inside our grammar for that standard?

`accepts(standard, structure)` says whether a structure lies inside our grammar for that standard; `violations`
names what is wrong. The sampler draws only structures this accepts, counterfactual follow-ups must pass it, and
the conformance test runs it over the published originals. The constraints:

- operations come from the standard's rules; specialised rules (4-digit by 1-digit products, perimeter formulas,
  ...) must have their shape;
- every literal is of an allowed kind and within range (dividends of exact divisions may reach the value range);
- every intermediate value, statement value and answer lies in the standard's value range; in whole-number
  standards every division is exact;
- the number of statements is within the standard's length range (one more for an incremental follow-up), no
  statement is a bare variable (`x = y`), a lone statement is not a bare number, and every variable is used;
- equation problems: a whole constant on the left, each unknown once per equation (times a coefficient in range),
  a solution in range (whole when coefficients are 1), and the ten present where the standard needs it.
"""

from __future__ import annotations

from mathcamps.grammar.exact import solve_equations
from mathcamps.grammar.tree import (
    Compare,
    EvalError,
    Expr,
    Num,
    Op,
    Structure,
    Value,
    Var,
    apply,
    evaluate,
    is_fraction_literal,
    literals,
    variables,
)
from mathcamps.standards import Standard

MAX_NAMES = 26  # names are single letters

_RULE_OPS = {
    "rectangle_perimeter": ("+", "*"),
    "addition": ("+",),
    "subtraction": ("-",),
    "multiplication": ("*",),
    "division": ("/",),
    "remainder": ("%",),
    "square": ("**",),
    "cube": ("**",),
    "exponent": ("**",),
    "mult_4nbtb5": ("*",),
    "div_5nbtb6": ("/",),
    "div_5nbtb7": ("/",),
    "rectangle_area": ("*",),
}
_SHAPE_RULES = {"rectangle_perimeter", "rectangle_area", "mult_4nbtb5", "div_5nbtb6", "div_5nbtb7"}
_GEOMETRY = {"triangle_perimeter", "quadrilateral_perimeter", "polygon_perimeter"}


class _Reject(Exception):
    pass


# ---------------------------------------------------------------- the check


def accepts(std: Standard, structure: Structure, followup: bool = False) -> bool:
    """Whether the standard's constraints allow `structure` (`followup`: one statement over the length limit)."""
    return not violations(std, structure, followup)


def violations(std: Standard, structure: Structure, followup: bool = False) -> list[str]:
    """What about `structure` the standard does not allow; empty when it is accepted."""
    try:
        if std.answer_kind == "compare":
            _check_compare(std, structure)
        elif std.answer_kind == "factor-pairs":
            _check_factor_pairs(std, structure)
        elif std.is_equation:
            _check_equations(std, structure)
        else:
            _check_plain(std, structure, followup)
    except _Reject as r:
        return [str(r)]
    except (EvalError, ZeroDivisionError, OverflowError) as e:
        return [f"cannot evaluate: {e}"]
    return []


def check_statement(std: Standard, expr: Expr, env: dict[str, Value]) -> Value | None:
    """The value of one plain statement's expression if it meets the standard's constraints, else None."""
    try:
        return _check_expr(std, expr, env)
    except (_Reject, EvalError, ZeroDivisionError, OverflowError):
        return None


def _need(ok: bool, why: str) -> None:
    if not ok:
        raise _Reject(why)


def _in_range(std: Standard, v: Value, what: str, whole: bool | None = None) -> None:
    _need(std.values[0] <= v <= std.values[1], f"{what} {v} is outside the value range {std.values}")
    if std.whole_numbers if whole is None else whole:
        _need(isinstance(v, int), f"{what} {v} is not a whole number")


def _check_literal(std: Standard, n: Num, dividend: bool = False) -> None:
    if n.fixed:
        return
    if n.is_decimal:
        kinds = [k for k in std.number_types if k.startswith("decimal")]
        _need(bool(kinds), f"decimal literal {n.text} in a standard without decimals")
        places = max(int(k[-1]) for k in kinds) * (2 if dividend else 1)
        _need(len(n.text.split(".")[1]) <= places, f"literal {n.text} has more than {places} decimal places")
        hi = std.values[1] if dividend else std.numbers[1]
        _need(std.values[0] <= n.value <= hi, f"literal {n.text} is outside [{std.values[0]}, {hi}]")
        return
    _need("int" in std.number_types or dividend, f"whole literal {n.text} in a standard without whole numbers")
    lo = max(std.numbers[0], std.values[0])
    hi = std.values[1] if dividend else min(std.numbers[1], std.values[1])
    _need(lo <= n.value <= hi, f"literal {n.text} is outside [{lo}, {hi}]")


def _op_count(std: Standard, e: Expr) -> int:
    if isinstance(e, Op) and not _is_fraction(std, e):
        return 1 + _op_count(std, e.lhs) + _op_count(std, e.rhs)
    return 0


def _check_expr(std: Standard, expr: Expr, env: dict[str, Value]) -> Value:
    """Check one expression's form, literals and values; return its value."""
    rules = set(std.rules)
    if rules & _SHAPE_RULES and not isinstance(expr, (Num, Var)):
        _check_shape(std, expr)
    else:
        budget = (std.max_depth + 1) // 2
        _need(_op_count(std, expr) <= budget, f"more than {budget} operations in {_t(expr)}")
    allowed = {op for r in rules if r in _RULE_OPS for op in _RULE_OPS[r]}
    for node in _walk(expr, std):
        if isinstance(node, Op):
            if _is_fraction(std, node):
                for part in (node.lhs, node.rhs):
                    lo, hi = max(std.numbers[0], 1), std.numbers[1]
                    _need(lo <= part.value <= hi, f"fraction {_t(node)} has a part outside [{lo}, {hi}]")  # type: ignore[union-attr]
                continue
            _need(node.op in allowed, f"operation {node.op!r} is not among the rules {std.rules}")
        elif isinstance(node, Num):
            _check_literal(std, node, dividend=_is_dividend(std, expr, node))
        elif isinstance(node, Var):
            _need(node.name in env, f"variable {node.name!r} is used before it is defined")
        else:
            raise _Reject(f"comparison {_t(node)} inside an expression")
    seen: list[tuple[Op, Value]] = []
    value = evaluate(expr, env, seen)
    for node, v in seen:
        if not _is_fraction(std, node):
            _in_range(std, v, "intermediate value")
    if std.number_types == ("decimal-2",) or std.number_types == ("decimal-3",):
        places = 2 if std.number_types == ("decimal-2",) else 3
        for node in _walk(expr):
            if isinstance(node, Op) and node.op == "/":
                q = evaluate(node, env)
                _need((q * 10**places).denominator == 1, f"{_t(node)} does not end within {places} places")
    return value


def _is_fraction(std: Standard, e: Expr) -> bool:
    """A fraction literal `(n / d)`, in a standard whose literals may be fractions."""
    return "fraction" in std.number_types and is_fraction_literal(e)


def _is_dividend(std: Standard, root: Expr, leaf: Num) -> bool:
    for node in _walk(root):
        if isinstance(node, Op) and node.op == "/" and node.lhs is leaf and not _is_fraction(std, node):
            return True
    return False


def _check_shape(std: Standard, e: Expr) -> None:
    """Specialised rules: the expression must have the rule's exact form."""
    rules = set(std.rules)
    ok = False
    if "rectangle_perimeter" in rules:
        ok |= isinstance(e, Op) and e.op == "+" and all(_is_times_const(s, 2) for s in (e.lhs, e.rhs))
    if "rectangle_area" in rules:
        ok |= isinstance(e, Op) and e.op == "*" and isinstance(e.lhs, Num) and isinstance(e.rhs, Num)
    if "mult_4nbtb5" in rules:
        if isinstance(e, Op) and e.op == "*" and isinstance(e.lhs, Num) and isinstance(e.rhs, Num):
            digits = sorted((len(e.lhs.text), len(e.rhs.text)))
            ok |= digits in ([2, 2], [1, 4])
    if "div_5nbtb6" in rules:
        if isinstance(e, Op) and e.op == "/" and isinstance(e.lhs, Num) and isinstance(e.rhs, Num):
            d, q = e.rhs.value, apply("/", e.lhs.value, e.rhs.value)
            ok |= isinstance(q, int) and 1 <= d <= 99 and 1 <= q <= 99
    if "div_5nbtb7" in rules:
        ok |= isinstance(e, Op) and e.op == "/" and isinstance(e.lhs, Num) and isinstance(e.rhs, Num)
    if not ok and rules & {"addition", "subtraction", "multiplication"}:
        budget = (std.max_depth + 1) // 2
        ok = _op_count(std, e) <= budget and not any(isinstance(n, Op) and n.op == "/" for n in _walk(e))
    _need(ok, f"{_t(e)} does not have the form of any of the rules {std.rules}")


def _is_times_const(e: Expr, c: int) -> bool:
    return (
        isinstance(e, Op) and e.op == "*" and isinstance(e.lhs, Num) and e.lhs.value == c and not isinstance(e.rhs, Op)
    )


def _walk(e: Expr, std: Standard | None = None) -> list[Expr]:
    """Pre-order nodes; with `std`, a fraction literal is one node (its parts are not visited)."""
    out, stack = [], [e]
    while stack:
        n = stack.pop()
        out.append(n)
        if isinstance(n, (Op, Compare)) and not (std is not None and _is_fraction(std, n)):
            stack.extend((n.rhs, n.lhs))
    return out


def _t(e: Expr) -> str:
    from mathcamps.grammar.tree import expr_text

    return expr_text(e)


def _check_plain(std: Standard, s: Structure, followup: bool) -> None:
    lo, hi = std.length
    n = len(s.statements)
    _need(lo <= n <= hi + (1 if followup else 0), f"{n} statements, outside the length range {std.length}")
    _need(n > 0, "no statements")
    _need(len(s.asked) == 1, f"a plain problem asks for one value, got {len(s.asked)}")
    env: dict[str, Value] = {}
    for st in s.statements:
        _need(isinstance(st.target, str), f"equation statement in a plain standard: {st.target}")
        _need(st.target not in env, f"variable {st.target!r} is defined twice")
        _need(not isinstance(st.expr, Var), f"statement {st.target} = {_t(st.expr)} only renames a variable")
        _need(not (n == 1 and isinstance(st.expr, Num)), "a lone statement is a bare number")
        env[st.target] = _check_expr(std, st.expr, env)  # type: ignore[index]
    _need(s.question not in env, f"question name {s.question!r} is also a variable")
    asked = s.asked[0]
    if isinstance(asked, Var):
        _need(asked.name in env, f"question asks for undefined {asked.name!r}")
        value = env[asked.name]
    else:
        value = _check_expr(std, asked, env)
    _in_range(std, value, "answer")
    used = _dependencies(s)
    unused = [t for t in env if t not in used]
    _need(not unused, f"variables {unused} are never used by the question")


def _dependencies(s: Structure) -> set[str]:
    defs = {st.target: st.expr for st in s.statements if isinstance(st.target, str)}
    need = [v for e in s.asked for v in variables(e)]
    seen: set[str] = set()
    while need:
        v = need.pop()
        if v in seen or v not in defs:
            continue
        seen.add(v)
        need.extend(variables(defs[v]))
    return seen


def _check_compare(std: Standard, s: Structure) -> None:
    _need(not s.statements and len(s.asked) == 1, "a comparison problem is one question")
    c = s.asked[0]
    _need(isinstance(c, Compare), f"{_t(c)} is not a comparison")
    for side in (c.lhs, c.rhs):  # type: ignore[union-attr]
        if "fraction" in std.number_types:
            _need(is_fraction_literal(side), f"{_t(side)} is not a fraction")
            for part in (side.lhs, side.rhs):  # type: ignore[union-attr]
                _need(std.numbers[0] <= part.value <= std.numbers[1], f"fraction {_t(side)} out of range")
        else:
            _need(isinstance(side, Num) and not side.is_decimal, f"{_t(side)} is not a whole number")
            _check_literal(std, side)  # type: ignore[arg-type]


def _check_factor_pairs(std: Standard, s: Structure) -> None:
    _need(not s.statements and len(s.asked) == 1, "a factor-pair problem is one question")
    n = s.asked[0]
    _need(isinstance(n, Num) and not n.is_decimal, f"{_t(n)} is not a whole number")
    _check_literal(std, n)  # type: ignore[arg-type]


def _check_equations(std: Standard, s: Structure) -> None:
    _need(len(s.statements) == std.unknowns, f"{len(s.statements)} equations, expected {std.unknowns}")
    unknowns = [e.name for e in s.asked if isinstance(e, Var)]
    _need(len(unknowns) == len(s.asked) == std.unknowns, f"question must list {std.unknowns} unknowns")
    _need(len(set(unknowns)) == len(unknowns), "an unknown is listed twice")
    for st in s.statements:
        _need(isinstance(st.target, Num) and not st.target.is_decimal, "an equation needs a whole constant on the left")
        _in_range(std, st.target.value, "left side")  # type: ignore[union-attr]
        vs = variables(st.expr)
        _need(sorted(vs) == sorted(unknowns), f"each unknown must appear once in {_t(st.expr)}")
    solution = solve_equations(s)
    for name, v in solution.items():
        _in_range(std, v, f"solution {name} =", whole=std.coefficients == (1, 1))
    for st in s.statements:
        # With the unknowns (times their coefficients) replaced by their values, the rest is an ordinary expression.
        known = st.expr
        for name in unknowns:
            known = _substitute(std, known, name, solution[name])
        if set(std.rules) & _GEOMETRY:
            _check_geometry(std, known)
        else:
            _check_expr(std, known, {})
    if std.contains_ten:
        tens = [st.target for st in s.statements] + [n for st in s.statements for n in literals(st.expr)]
        _need(any(n.value == 10 for n in tens), "the ten is missing")  # type: ignore[union-attr]


def _substitute(std: Standard, e: Expr, name: str, value: Value) -> Expr:
    """Replace the unknown (or coefficient * unknown) by a fixed leaf holding its value, checking the coefficient."""
    if isinstance(e, Var) and e.name == name:
        return Num(value, str(value), True)
    if isinstance(e, Op):
        if (
            e.op == "*"
            and isinstance(e.lhs, Num)
            and isinstance(e.rhs, Var)
            and e.rhs.name == name
            and (std.coefficients[1] > 1)
        ):
            _need(std.coefficients[0] <= e.lhs.value <= std.coefficients[1], f"coefficient {e.lhs.text} out of range")
            return Num(e.lhs.value * value, str(e.lhs.value * value), True)
        return Op(e.op, _substitute(std, e.lhs, name, value), _substitute(std, e.rhs, name, value))
    return e


def _check_geometry(std: Standard, e: Expr) -> None:
    """Perimeter formulas: k * side (k = 3, 4 or 5..11 for the shape), a sum of the sides, or 2*l + 2*w."""
    rule = next(r for r in std.rules if r in _GEOMETRY)
    sides = {"triangle_perimeter": (3, 3), "quadrilateral_perimeter": (4, 4), "polygon_perimeter": (5, 11)}[rule]
    if isinstance(e, Op) and e.op == "*" and isinstance(e.lhs, Num) and isinstance(e.rhs, Num):
        ok = sides[0] <= e.lhs.value <= sides[1]
    elif rule == "quadrilateral_perimeter" and isinstance(e, Op) and all(_is_times_const(x, 2) for x in (e.lhs, e.rhs)):
        ok = e.op == "+"
    else:
        terms = _sum_terms(e)
        ok = terms is not None and sides[0] <= len(terms) <= sides[1]
    _need(ok, f"{_t(e)} is not a {rule.replace('_', ' ')}")
    for n in literals(e):
        _check_literal(std, n)
    _in_range(std, evaluate(e, {}), "perimeter")


def _sum_terms(e: Expr) -> list[Num] | None:
    if isinstance(e, Num):
        return [e]
    if isinstance(e, Op) and e.op == "+":
        a, b = _sum_terms(e.lhs), _sum_terms(e.rhs)
        return None if a is None or b is None else a + b
    return None

"""An independent check of answers: evaluate a structure's text with sympy, sharing no code with the generator."""

import re

import sympy
from sympy.parsing.sympy_parser import parse_expr, rationalize, standard_transformations

_T = standard_transformations + (rationalize,)
_VAR = re.compile(r"^\[\[var (\S+) = (.+)\]\]$")
_Q = re.compile(r"^\[\[question \w+ = \[(.*)\]\]\]$")


def _expr(text: str, env: dict) -> sympy.Expr:
    return parse_expr(text, local_dict=env, transformations=_T, evaluate=True)


def sympy_answer(structure: str, kind: str = "value"):
    """The exact answer as a sympy value: a number, '<'/'>'/'=', a list of factor pairs, or a dict of solutions."""
    lines = [ln for ln in structure.splitlines() if ln.startswith("[[")]
    asked = re.findall(r"'([^']*)'", _Q.match(lines[-1]).group(1))
    env: dict = {}
    equations = []
    for ln in lines[:-1]:
        lhs, rhs = _VAR.match(ln).groups()
        if re.fullmatch(r"-?\d+(\.\d+)?", lhs):
            for name in re.findall(r"[a-z]\w*", rhs):
                env.setdefault(name, sympy.Symbol(name))
            equations.append(sympy.Eq(_expr(lhs, env), _expr(rhs, env)))
        else:
            env[lhs] = _expr(rhs, env)
    if equations:
        unknowns = [sympy.Symbol(a) for a in asked]
        # Square and cube roots have negative and complex companions; the problems ask for the positive one.
        sols = [d for d in sympy.solve(equations, unknowns, dict=True) if all(v.is_positive for v in d.values())]
        (sol,) = sols
        if len(unknowns) == 1:
            return sol[unknowns[0]]
        return {str(k): v for k, v in sol.items()}
    if kind == "compare":
        a, b = (_expr(x, env) for x in asked[0].split(" _ "))
        return "<" if a < b else ">" if a > b else "="
    value = _expr(asked[0], env)
    if kind == "factor-pairs":
        return [(d, value // d) for d in sympy.divisors(value) if d * d <= value]
    return value

"""Geometry forms of the symbolic language (3.MD.D.8 perimeters, 4.MD.A.3 rectangle perimeter and area).

They print as plain arithmetic, as the published structures do (`((2 * 83) + (2 * y))`); fixed coefficients
(the 2s of a rectangle, the 4 of a square, the n of a regular polygon) are `Num(const=True)`, so a
counterfactual follow-up changes a side, never the shape. `geometry_form` recognises a form in parsed text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from mathcamps.lang import BinOp, Expr, Num, Var

GeometryForm = Literal["regular", "sum_of_sides", "rectangle_perimeter", "rectangle_area"]


def _const(value: int) -> Num:
    return Num(value, const=True)


def sum_of_sides(sides: Sequence[Expr]) -> Expr:
    """The perimeter of a polygon as the left-nested sum of its sides: `(((a + b) + c) + d)`."""
    if len(sides) < 3:
        raise ValueError(f"a polygon has at least 3 sides, got {len(sides)}")
    total = sides[0]
    for side in sides[1:]:
        total = BinOp("+", total, side)
    return total


def triangle_perimeter(a: Expr, b: Expr, c: Expr) -> Expr:
    """`((a + b) + c)`."""
    return sum_of_sides([a, b, c])


def quadrilateral_perimeter(a: Expr, b: Expr, c: Expr, d: Expr) -> Expr:
    """`((a + b) + (c + d))`, the published quadrilateral form."""
    return BinOp("+", BinOp("+", a, b), BinOp("+", c, d))


def regular_polygon_perimeter(n_sides: int, side: Expr) -> Expr:
    """`(n * s)` for a regular polygon with `n_sides` sides (3 for a triangle, 4 for a square)."""
    if n_sides < 3:
        raise ValueError(f"a polygon has at least 3 sides, got {n_sides}")
    return BinOp("*", _const(n_sides), side)


def square_perimeter(side: Expr) -> Expr:
    """`(4 * s)`."""
    return regular_polygon_perimeter(4, side)


def rectangle_perimeter(length: Expr, width: Expr) -> Expr:
    """`((2 * l) + (2 * w))`."""
    return BinOp("+", BinOp("*", _const(2), length), BinOp("*", _const(2), width))


def rectangle_area(width: Expr, length: Expr) -> Expr:
    """`(w * l)`."""
    return BinOp("*", width, length)


def _is_side(e: Expr) -> bool:
    return isinstance(e, Num | Var)


def geometry_form(expr: Expr) -> GeometryForm | None:
    """Which geometry form `expr` has, if any, judged by shape alone.

    Shape alone is ambiguous: `(3 * 4)` reads as a regular triangle, and `rectangle_area` is any other product
    of two sides, so read the result in the context of the standard.
    """
    if not isinstance(expr, BinOp):
        return None
    if expr.op == "*" and isinstance(expr.lhs, Num) and expr.lhs.value >= 3 and _is_side(expr.rhs):
        return "regular"
    if expr.op == "+" and all(
        isinstance(h, BinOp) and h.op == "*" and h.lhs == Num(2) and _is_side(h.rhs) for h in (expr.lhs, expr.rhs)
    ):
        return "rectangle_perimeter"
    if expr.op == "*" and _is_side(expr.lhs) and _is_side(expr.rhs):
        return "rectangle_area"
    if expr.op == "+":
        leaves, node = [], expr
        while isinstance(node, BinOp) and node.op == "+":
            leaves.append(node.rhs)
            node = node.lhs
        leaves.append(node)
        quad = isinstance(expr.lhs, BinOp) and isinstance(expr.rhs, BinOp) and expr.lhs.op == expr.rhs.op == "+"
        if quad and all(_is_side(x) for x in (expr.lhs.lhs, expr.lhs.rhs, expr.rhs.lhs, expr.rhs.rhs)):
            return "sum_of_sides"
        if len(leaves) >= 3 and all(_is_side(x) for x in leaves):
            return "sum_of_sides"
    return None


def mark_constants(expr: Expr) -> Expr:
    """`expr` with the fixed coefficients of its geometry form marked `const` (for parsed structures)."""
    form = geometry_form(expr)
    if form == "regular":
        assert isinstance(expr, BinOp) and isinstance(expr.lhs, Num)
        return BinOp("*", _const(expr.lhs.value), expr.rhs)
    if form == "rectangle_perimeter":
        assert isinstance(expr, BinOp) and isinstance(expr.lhs, BinOp) and isinstance(expr.rhs, BinOp)
        return rectangle_perimeter(expr.lhs.rhs, expr.rhs.rhs)
    return expr

"""Read the published structure syntax into `mathcamps.grammar.tree` nodes, and key structures for deduplication.

A structure is a few statements, one question and an optional context line::

    [[var n = (5 - 2)]]                      a variable defined by an expression
    [[var 14 = (13 + t)]]                    an equation: a constant on the left, unknowns on the right
    [[question p = ['n']]]                   the expression(s) whose value is asked (`'a _ b'`: a comparison)
    theme: Towel                             the context line: `theme: X` or `math concept: X`

Printing is canonical (binary operations fully parenthesised, one space around operators), so
`parse_structure(t).text() == t` for every published structure. The parser also reads unparenthesised
Python-style arithmetic with the usual precedence (LLM back-translations write `[[var s = 38 / 8]]`); such text
prints back in canonical form. Blank lines and whitespace around a line are ignored. Errors are
`StructureSyntaxError`, naming the line, the column and the bad token.
"""

from __future__ import annotations

import re

from mathcamps.grammar.tree import (
    Compare,
    Expr,
    Num,
    Op,
    Statement,
    Structure,
    Var,
    from_literal_text,
    variables,
)

CONTEXT_KINDS = ("theme", "math concept")


class StructureSyntaxError(ValueError):
    """A structure that does not parse; names the line, the column and the offending token."""

    def __init__(self, message: str, line_no: int, column: int, token: str, line: str) -> None:
        where = f"line {line_no}, column {column}" if column else f"line {line_no}"
        super().__init__(f"{where}: {message} (got {token!r}) in {line!r}")
        self.line_no, self.column, self.token, self.line = line_no, column, token, line


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_NUMBER = r"\d+\.\d+|\d+"
_TOKEN = re.compile(rf"\s*(?:(?P<number>{_NUMBER})|(?P<name>{_NAME})|(?P<op>\*\*|//|[-+*/%()_]))")
_VAR_LINE = re.compile(rf"\[\[\s*var\s+(?P<lhs>{_NAME}|-?(?:{_NUMBER}))\s*=\s*(?P<rhs>.*?)\s*\]\]$")
_QUESTION_LINE = re.compile(rf"\[\[\s*question\s+(?P<name>{_NAME})\s*=\s*\[(?P<items>.*)\]\s*\]\]$")
_CONTEXT_LINE = re.compile(r"(?P<kind>theme|math concept):\s?(?P<text>.*)$")
_QUOTED = re.compile(r"\s*(?:'(?P<single>[^']*)'|\"(?P<double>[^\"]*)\")\s*(?:,|$)")


class _ExprParser:
    """Precedence climbing over one expression's tokens, with Python's precedence and associativity."""

    def __init__(self, text: str, offset: int, line_no: int, line: str) -> None:
        self.line_no, self.line, self.offset = line_no, line, offset
        self.tokens: list[tuple[str, str, int]] = []  # (kind, text, column in the line, 1-based)
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None:
                col = offset + len(text) - len(text[pos:].lstrip()) + 1
                bad = text[pos:].strip().split()[0] if text[pos:].strip() else text[pos:]
                raise StructureSyntaxError("unexpected character", line_no, col, bad[:1], line)
            kind = m.lastgroup or "op"
            self.tokens.append((kind, m.group(kind), offset + m.start(kind) + 1))
            pos = m.end()
        self.i = 0

    def error(self, message: str) -> StructureSyntaxError:
        if self.i < len(self.tokens):
            _, tok, col = self.tokens[self.i]
            return StructureSyntaxError(message, self.line_no, col, tok, self.line)
        return StructureSyntaxError(message, self.line_no, self.offset + 1, "end of expression", self.line)

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self) -> str:
        tok = self.tokens[self.i][1]
        self.i += 1
        return tok

    def parse(self, allow_compare: bool) -> Expr:
        expr = self.sum()
        if self.peek() == "_":
            if not allow_compare:
                raise self.error("a comparison `a _ b` may only appear in a question")
            self.take()
            expr = Compare(expr, self.sum())
        if self.i != len(self.tokens):
            raise self.error("unexpected token")
        return expr

    def sum(self) -> Expr:
        expr = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            expr = Op(op, expr, self.term())
        return expr

    def term(self) -> Expr:
        expr = self.unary()
        while self.peek() in ("*", "/", "//", "%"):
            op = self.take()
            expr = Op(op, expr, self.unary())
        return expr

    def unary(self) -> Expr:
        if self.peek() == "-":
            self.take()
            operand = self.unary()
            if isinstance(operand, Num):
                return Num(-operand.value, operand.text[1:] if operand.text[0] == "-" else "-" + operand.text)
            return Op("-", Num(0, "0", fixed=True), operand)
        if self.peek() == "+":
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> Expr:
        base = self.atom()
        if self.peek() == "**":
            self.take()
            return Op("**", base, self.unary())  # right-associative, binds tighter than a unary minus on its left
        return base

    def atom(self) -> Expr:
        if self.i >= len(self.tokens):
            raise self.error("expected a number, a name or '('")
        kind, tok, _ = self.tokens[self.i]
        if kind == "number":
            self.i += 1
            return from_literal_text(tok)
        if kind == "name":
            self.i += 1
            return Var(tok)
        if tok == "(":
            self.i += 1
            expr = self.sum()
            if self.peek() != ")":
                raise self.error("expected ')'")
            self.i += 1
            return expr
        raise self.error("expected a number, a name or '('")


def parse_expr(text: str, *, allow_compare: bool = True, line_no: int = 1, offset: int = 0, line: str = "") -> Expr:
    """Parse one expression (a question target may be a comparison `a _ b`)."""
    return _ExprParser(text, offset, line_no, line or text).parse(allow_compare)


_Line = Statement | tuple[str, tuple[Expr, ...]] | str  # a statement, a question (name, asked), a context line


def _parse_line(line: str, line_no: int) -> _Line:
    stripped = line.strip()
    indent = len(line) - len(line.lstrip())
    if m := _VAR_LINE.match(stripped):
        rhs = parse_expr(m["rhs"], allow_compare=False, line_no=line_no, offset=indent + m.start("rhs"), line=line)
        lhs = m["lhs"]
        return Statement(lhs if re.fullmatch(_NAME, lhs) else from_literal_text(lhs), rhs)
    if m := _QUESTION_LINE.match(stripped):
        targets, pos, items = [], 0, m["items"]
        while pos < len(items):
            q = _QUOTED.match(items, pos)
            if q is None:
                col = indent + m.start("items") + pos + 1
                raise StructureSyntaxError("expected a quoted expression", line_no, col, items[pos:].strip(), line)
            group = "single" if q["single"] is not None else "double"
            start = indent + m.start("items") + q.start(group)
            targets.append(parse_expr(q[group], line_no=line_no, offset=start, line=line))
            pos = q.end()
        if not targets:
            raise StructureSyntaxError("a question needs at least one target", line_no, 0, m["items"], line)
        return m["name"], tuple(targets)
    if _CONTEXT_LINE.match(stripped):
        return stripped
    token = stripped.split()[0] if stripped else line
    raise StructureSyntaxError(
        "expected `[[var ...]]`, `[[question ...]]`, `theme:` or `math concept:`", line_no, indent + 1, token, line
    )


def parse_structure(text: str) -> Structure:
    """Parse a structure. Statements come first, then exactly one question, then at most one context line."""
    statements: list[Statement] = []
    question: tuple[str, tuple[Expr, ...]] | None = None
    context: str | None = None
    last_line_no = 0
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        last_line_no = line_no
        item = _parse_line(line, line_no)
        if context is not None:
            raise StructureSyntaxError("nothing may follow the context line", line_no, 1, line.strip(), line)
        if isinstance(item, str):
            if question is None:
                kind = item.split(":")[0]
                raise StructureSyntaxError("the context line must follow the question", line_no, 1, kind, line)
            context = item
        elif question is not None:
            raise StructureSyntaxError("the question must be the last statement", line_no, 1, line.strip(), line)
        elif isinstance(item, tuple):
            question = item
        else:
            statements.append(item)
    if question is None:
        raise StructureSyntaxError("a structure needs a `[[question ...]]` line", last_line_no, 0, "end of text", "")
    return Structure(tuple(statements), question[0], question[1], context)


def structure_key(structure: str | Structure) -> str:
    """A canonical form for deduplication: the context line dropped, names renamed `v1, v2, ...` in order of use.

    Two problems that differ only in their variable names or theme get the same key.
    """
    s = parse_structure(structure) if isinstance(structure, str) else structure
    order: dict[str, None] = {}
    for st in s.statements:
        if isinstance(st.target, str):
            order.setdefault(st.target)
        order.update(dict.fromkeys(n for n in variables(st.expr) if n not in order))
    order.setdefault(s.question)
    for e in s.asked:
        order.update(dict.fromkeys(n for n in variables(e) if n not in order))
    mapping = {name: f"v{i}" for i, name in enumerate(order, start=1)}
    renamed = Structure(
        tuple(Statement(mapping.get(st.target, st.target) if isinstance(st.target, str) else st.target,
                        _rename(st.expr, mapping)) for st in s.statements),
        mapping[s.question],
        tuple(_rename(e, mapping) for e in s.asked),
    )
    return renamed.text(context=False)


def _rename(e: Expr, mapping: dict[str, str]) -> Expr:
    if isinstance(e, Var):
        return Var(mapping.get(e.name, e.name))
    if isinstance(e, Op):
        return Op(e.op, _rename(e.lhs, mapping), _rename(e.rhs, mapping))
    if isinstance(e, Compare):
        return Compare(_rename(e.lhs, mapping), _rename(e.rhs, mapping))
    return e

"""Where training conversations come from: MathCAMPS problems (generated or published) and JSONL chat files.

Every source yields conversations: lists of `{"role", "content"}` messages ending with an assistant turn.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mathcamps.io import read_problems, read_reference
from mathcamps.problem import Problem

Messages = list[dict[str, str]]
ROLES = ("system", "user", "assistant")


class DataFileError(ValueError):
    """A data file row that cannot be read as a conversation; names the file, the line and why."""


def chat_messages(problem: Problem) -> Messages:
    """A problem as one user turn and the worked solution (or, for published problems, the answer line)."""
    reply = problem.solution if problem.solution else f"### Answer: {problem.answer}"
    return [{"role": "user", "content": problem.statement}, {"role": "assistant", "content": reply}]


def messages_from_row(row: Any) -> Messages:
    """A conversation from a JSONL row: `{"messages": [...]}` or `{"instruction", "input"?, "output"}`.

    Raises ValueError saying what is wrong with the row.
    """
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    if "messages" in row:
        messages = row["messages"]
        if not isinstance(messages, list) or not messages:
            raise ValueError("'messages' must be a non-empty list")
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
                raise ValueError(f"messages[{i}] must be an object with string 'role' and 'content', got {m!r:.80}")
            if m["role"] not in ROLES:
                raise ValueError(f"messages[{i}] has role {m['role']!r}, expected one of {list(ROLES)}")
        if messages[-1]["role"] != "assistant":
            raise ValueError(f"the last message must be the assistant's, got {messages[-1]['role']!r}")
        if not any(m["role"] == "user" for m in messages):
            raise ValueError("no user message")
        return [{"role": m["role"], "content": m["content"]} for m in messages]
    if "instruction" in row or "output" in row:
        for key in ("instruction", "output"):
            if not isinstance(row.get(key), str):
                raise ValueError(f"'{key}' must be a string, got {row.get(key)!r:.80}")
        extra = row.get("input", "")
        if not isinstance(extra, str):
            raise ValueError(f"'input' must be a string, got {extra!r:.80}")
        prompt = row["instruction"] + (f"\n\n{extra}" if extra else "")
        return [{"role": "user", "content": prompt}, {"role": "assistant", "content": row["output"]}]
    raise ValueError(f"expected a 'messages' list or 'instruction'/'output' strings, got keys {sorted(row)}")


def read_chat_jsonl(path: str | Path) -> list[Messages]:
    """Every conversation in a JSONL file; a malformed row raises `DataFileError` with `file:line: why`."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"data file {str(path)!r} does not exist")
    conversations = []
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                conversations.append(messages_from_row(json.loads(line)))
            except json.JSONDecodeError as error:
                raise DataFileError(f"{path}:{line_no}: not valid JSON ({error.msg} at column {error.colno})") from None
            except ValueError as error:
                raise DataFileError(f"{path}:{line_no}: {error}") from None
    return conversations


def read_published(path: str | Path) -> list[Problem]:
    """The original problems of a published MathCAMPS file, or of every per-standard file in a release folder."""
    path = Path(path)
    if path.is_dir():
        problems = read_reference(path)
    elif path.is_file():
        problems = read_problems(path)
    else:
        raise DataFileError(f"published MathCAMPS path {str(path)!r} does not exist")
    return [p for p in problems if not p.is_followup]

"""Rows of a data file or dataset as conversations: presets for the common layouts, or an explicit field mapping.

A row becomes a list of `{"role", "content"}` messages ending with the assistant's reply. The presets:

- `messages`: a `messages` column of chat turns (`system`/`user`/`assistant`).
- `alpaca`: `instruction`, an optional `input` (joined after a blank line) and `output`.
- `gsm8k`: `question` and `answer`; the answer's calculator annotations (`<<48/2=24>>`) are removed and its final
  `#### 72` line becomes `### Answer: 72`, the answer line MathCAMPS solutions end with and the probe reads.
- `metamath`: `query` and `response` (MetaMathQA), taken as they are.
- `fields`: the columns named in `Fields`.
- `auto`: one of the presets above, chosen by the row's keys (or a dataset's columns).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

Messages = list[dict[str, str]]
Format = Literal["auto", "messages", "alpaca", "gsm8k", "metamath", "fields"]
ROLES = ("system", "user", "assistant")


class RowError(ValueError):
    """A row that cannot be read as a conversation; the message names the field and says why."""


@dataclass(frozen=True)
class Fields:
    """The columns that hold a conversation: a `messages` column, or prompt columns and a response column."""

    prompt: list[str] = field(default_factory=list)
    """Columns joined, a blank line apart, into the user's message; the first must be a non-empty string, the
    others may be missing or empty (as Alpaca's `input`)."""
    response: str | None = None
    """Column holding the assistant's reply."""
    system: str | None = None
    """Column holding a system message, if any (missing or empty: none)."""
    messages: str | None = None
    """Column holding a list of `{"role", "content"}` chat turns, instead of prompt and response."""

    def __post_init__(self) -> None:
        if self.messages is not None and (self.prompt or self.response or self.system):
            raise ValueError("fields: set either messages or prompt/response (and system), not both")
        if self.messages is None and not (self.prompt and self.response):
            raise ValueError(f"fields: prompt and response must both be set, got prompt={self.prompt!r}, "
                             f"response={self.response!r}")

    def columns(self) -> list[str]:
        """Every column these fields read."""
        named = [self.messages, *self.prompt, self.response, self.system]
        return [c for c in named if c is not None]


PRESETS: dict[str, Fields] = {
    "messages": Fields(messages="messages"),
    "alpaca": Fields(prompt=["instruction", "input"], response="output"),
    "gsm8k": Fields(prompt=["question"], response="answer"),
    "metamath": Fields(prompt=["query"], response="response"),
}


def detect(keys: Collection[str]) -> str:
    """The preset whose required columns are among `keys` (a row's keys or a dataset's columns).

    >>> detect(["question", "answer"]), detect(["instruction", "output"])
    ('gsm8k', 'alpaca')
    """
    if "messages" in keys:
        return "messages"
    if "instruction" in keys or "output" in keys:
        return "alpaca"
    if "question" in keys and "answer" in keys:
        return "gsm8k"
    if "query" in keys and "response" in keys:
        return "metamath"
    raise RowError(f"expected a 'messages' list, 'instruction'/'output', 'question'/'answer' (GSM8K) or "
                   f"'query'/'response' (MetaMath), got keys {sorted(keys)}")


def to_messages(row: Any, format: Format, fields: Fields | None = None) -> Messages:
    """The conversation in `row`, read by `format` (`fields` for `format: fields`); raises `RowError`."""
    if not isinstance(row, dict):
        raise RowError(f"expected a JSON object, got {type(row).__name__}")
    name = detect(row.keys()) if format == "auto" else format
    if name == "fields":
        assert fields is not None, "format: fields comes with its Fields (checked by the source)"
        spec = fields
    else:
        spec = PRESETS[name]
    if spec.messages is not None:
        return _chat(row, spec.messages)
    messages = []
    if spec.system is not None and (system := _text(row, spec.system, required=False)):
        messages.append({"role": "system", "content": system})
    parts = [_text(row, column, required=i == 0) for i, column in enumerate(spec.prompt)]
    messages.append({"role": "user", "content": "\n\n".join(p for p in parts if p)})
    assert spec.response is not None
    reply = _text(row, spec.response, required=True)
    messages.append({"role": "assistant", "content": gsm8k_reply(reply) if name == "gsm8k" else reply})
    return messages


_CALCULATOR = re.compile(r"<<[^<>]*>>")
_FINAL = re.compile(r"^####\s*(?P<answer>.+?)\s*$", re.MULTILINE)


def gsm8k_reply(answer: str) -> str:
    """A GSM8K answer without its calculator annotations, its `#### N` line as `### Answer: N`.

    >>> gsm8k_reply("Half is 48/2 = <<48/2=24>>24 clips.\\n#### 24")
    'Half is 48/2 = 24 clips.\\n### Answer: 24'
    """
    final = list(_FINAL.finditer(answer))
    if not final:
        raise RowError("field 'answer' has no final '#### <answer>' line (GSM8K format)")
    last = final[-1]
    return _CALCULATOR.sub("", answer[: last.start()]) + f"### Answer: {last['answer']}"


def _text(row: dict, column: str, required: bool) -> str:
    value = row.get(column)
    if value is None and not required:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a CSV's or spreadsheet's numeric answer column
    if not isinstance(value, str) or (required and not value.strip()):
        got = "nothing (missing)" if column not in row else f"{value!r:.80}"
        raise RowError(f"field '{column}' must be a {'non-empty ' if required else ''}string, got {got}")
    return value


def _chat(row: dict, column: str) -> Messages:
    messages = row.get(column)
    if not isinstance(messages, list) or not messages:
        raise RowError(f"field '{column}' must be a non-empty list of messages, got {messages!r:.80}")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise RowError(f"field '{column}[{i}]' must be an object with string 'role' and 'content', got {m!r:.80}")
        if m["role"] not in ROLES:
            raise RowError(f"field '{column}[{i}]' has role {m['role']!r}, expected one of {list(ROLES)}")
    if messages[-1]["role"] != "assistant":
        raise RowError(f"field '{column}': the last message must be the assistant's, got {messages[-1]['role']!r}")
    if not any(m["role"] == "user" for m in messages):
        raise RowError(f"field '{column}' has no user message")
    return [{"role": m["role"], "content": m["content"]} for m in messages]

"""Generation backends: prompts in, greedy completions out, each stopped by the same rules.

A backend is any object with `generate(prompts) -> Iterator[(index, Completion)]` that yields completions as
they finish (in any order). Two exist: `HFBackend` (any `transformers` causal LM, `probes.backends.hf`) and
`VLLMBackend` (GPUs, optional, `probes.backends.vllm`). Both stop a response at the first of: EOS, a stop string
(which is cut off), or the end of a non-empty `### Answer:` line (the answer line is kept, its newline dropped).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

FinishReason = Literal["eos", "stop", "answer-line", "length"]

# An answer line counts as ended once something follows `### Answer:` on it and a newline comes after.
_ANSWER_LINE_END = re.compile(r"###\s*Answer:[ \t]*\S[^\n]*(\n)")


@dataclass(frozen=True)
class GenerationSettings:
    """How long to generate and when to stop; decoding is always greedy."""

    max_new_tokens: int = 1000
    """Generation budget per response (SPEC §4.3 uses 1000)."""
    stops: tuple[str, ...] = ()
    """Stop strings: a response ends before the first occurrence of any of them."""
    stop_at_answer_line: bool = True
    """End a response once its `### Answer:` line is complete, as the graders read only that line."""

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if any(not s for s in self.stops):
            raise ValueError(f"stop strings must be non-empty, got {list(self.stops)}")


@dataclass(frozen=True)
class Completion:
    """One response: its text (cut at the stopping point), token counts and why it ended."""

    text: str
    prompt_tokens: int
    new_tokens: int
    finish: FinishReason
    token_ids: tuple[int, ...] = field(default=(), repr=False)
    """The generated token ids up to the stopping point (EOS included); empty where the backend does not say."""


class Backend(Protocol):
    settings: GenerationSettings

    def generate(self, prompts: list[str]) -> Iterator[tuple[int, Completion]]:
        """Greedy completions of `prompts`, yielded as (index into prompts, completion) as each one finishes."""
        ...


def stop_point(text: str, settings: GenerationSettings) -> tuple[int, FinishReason] | None:
    """Where `text` must be cut, and why, or None if no stop rule has fired yet.

    >>> stop_point("2 + 2 = 4\\n### Answer: 4\\nNext", GenerationSettings())
    (23, 'answer-line')
    >>> stop_point("so 4 @@@ |user|", GenerationSettings(stops=("@@@",)))
    (5, 'stop')
    """
    best: tuple[int, FinishReason] | None = None
    for s in settings.stops:
        i = text.find(s)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, "stop")
    if settings.stop_at_answer_line:
        m = _ANSWER_LINE_END.search(text)
        if m and (best is None or m.start(1) < best[0]):
            best = (m.start(1), "answer-line")
    return best

"""One protocol spec: how a model is asked, the same in the probe callback, `probes.evaluate` and `probes.sweep`.

    prompt: auto        # paper | fewshot | chat | plain | path/to/template.txt
    fewshot_k: 3
    max_new_tokens: 512

`auto` picks `paper` when the tokenizer has a chat template of its own (an instruct or chat model), and
`fewshot` when it has none (a base model). A template this project sets for training a base model
(`trainers.hf.use_training_template`) is not the model's own, so `auto` still picks `fewshot` for it, before
and after tuning alike. No template is ever put in here: `paper` or `chat` on a tokenizer without one fails.

The probe, the sweep and `evaluate` all build prompts through `Protocol.prompter` and answer through
`probes.engine.run`, so the same checkpoint, problem set and protocol give the same records in all three.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathcamps.problem import Problem
from probes.backends import GenerationSettings
from probes.engine import Record, run
from probes.prompts import PROMPTS, Prompter, PromptError, Turn, load_template, make_prompter
from trainers.holdout import HoldOut

if TYPE_CHECKING:  # torch and transformers load only when a model does, so a CLI's --help starts at once
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

FEWSHOT_SEED = 424_242
"""Seed of the pool the few-shot examples are drawn from (generated problems with worked solutions)."""


def has_own_chat_template(tokenizer: PreTrainedTokenizerBase | None) -> bool:
    """Whether the tokenizer carries a chat template that came with the model (not this project's default)."""
    from trainers.hf import is_training_template

    template = getattr(tokenizer, "chat_template", None)
    return bool(template) and not is_training_template(template)


def fewshot_examples(problems: list[Problem], k: int, seed: int = FEWSHOT_SEED) -> tuple[Turn, ...]:
    """k worked problems of the probe set's standards (in turn, by grade), none of them one of `problems`.

    Drawn from generated problems with worked solutions; one that the hold-out of `problems` would keep out of
    training (same id, statement or symbolic structure: `trainers.holdout.HoldOut`) is skipped, so no example
    gives away a probe answer.
    """
    from mathcamps.generate import generate_problems
    from mathcamps.problem import grade_order

    if k < 1:
        return ()
    standards = grade_order(p.standard for p in problems)
    held = HoldOut()
    held.add(problems)
    per_standard = -(-k // len(standards)) * 4  # room for skipped candidates
    pool = generate_problems(standards, per_standard, seed, followups=False)
    by_standard: dict[str, list[Problem]] = {}
    for p in pool:
        if held.match(p) is not None:
            continue
        by_standard.setdefault(p.standard, []).append(p)
    chosen: list[Problem] = []
    for i in range(per_standard):
        chosen += [by_standard[s][i] for s in standards if i < len(by_standard.get(s, []))]
    if len(chosen) < k:
        raise PromptError(f"fewshot_k={k}: only {len(chosen)} examples disjoint from the probe set were found")
    return tuple(Turn(p.statement, p.solution or f"### Answer: {p.answer}") for p in chosen[:k])


@dataclass(frozen=True)
class Protocol:
    """How every problem is asked: prompt format, few-shot examples, generation budget."""

    prompt: str = "auto"
    """"auto", "paper", "fewshot", "chat", "plain", or the path of a template file containing `{statement}`."""
    fewshot_k: int = 3
    """Worked examples before each problem with `fewshot`, drawn from a pool disjoint from the probe set."""
    max_new_tokens: int = 512
    """Generation budget per answer: room for step-by-step reasoning (the published protocol allowed 1,000)."""
    stop_at_answer_line: bool = True
    """End a response once its `### Answer:` line is complete."""

    def __post_init__(self) -> None:
        if self.prompt not in (*PROMPTS, "auto") and not Path(self.prompt).is_file():
            raise PromptError(
                f"prompt must be one of {['auto', *PROMPTS]} or a template file, got {self.prompt!r} (no such file)"
            )
        if self.fewshot_k < 1:
            raise PromptError(f"fewshot_k must be >= 1, got {self.fewshot_k}")
        if self.max_new_tokens < 1:
            raise PromptError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")

    def choose(self, tokenizer: PreTrainedTokenizerBase | None) -> str:
        """The prompt format used with this tokenizer: `auto` resolved, or a template file's path as given."""
        if self.prompt != "auto":
            return self.prompt
        return "paper" if has_own_chat_template(tokenizer) else "fewshot"

    def prompter(self, tokenizer: PreTrainedTokenizerBase | None, problems: list[Problem]) -> Prompter:
        """The prompter for `problems` (the whole probe set: few-shot examples are drawn disjoint from it)."""
        chosen = self.choose(tokenizer)
        if chosen not in PROMPTS:
            return make_prompter("paper", tokenizer, load_template(chosen))
        examples = fewshot_examples(problems, self.fewshot_k) if chosen == "fewshot" else ()
        return make_prompter(chosen, tokenizer, examples=examples)  # type: ignore[arg-type]

    def settings(self, prompter: Prompter, stops: tuple[str, ...] = ()) -> GenerationSettings:
        """Greedy decoding within `max_new_tokens`, stopping at `stops` or else at the prompter's own stops."""
        return GenerationSettings(self.max_new_tokens, stops or prompter.default_stops, self.stop_at_answer_line)

    def describe(self, tokenizer: PreTrainedTokenizerBase | None) -> dict[str, Any]:
        """What was asked for and what was chosen, for logs and the run's files."""
        chosen = self.choose(tokenizer)
        return {
            "prompt": self.prompt,
            "chosen": chosen,
            "fewshot_k": self.fewshot_k if chosen == "fewshot" else 0,
            "max_new_tokens": self.max_new_tokens,
            "stop_at_answer_line": self.stop_at_answer_line,
            "own_chat_template": has_own_chat_template(tokenizer),
        }


def answer(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    problems: list[Problem],
    protocol: Protocol,
    batch_size: int,
    prompter: Prompter | None = None,
    done: dict[str, Record] | None = None,
    on_record: Callable[[Record], None] | None = None,
) -> list[Record]:
    """Records of an in-memory model on `problems` (originals, then follow-ups after right answers), greedily.

    `prompter` is `protocol.prompter(tokenizer, probe_set)` for the whole set `problems` belongs to (built from
    `problems` when None), so a shard or chunk is asked exactly as the whole set would be. `done` and
    `on_record` are `probes.engine.run`'s.
    """
    from probes.backends.hf import HFBackend

    prompter = prompter or protocol.prompter(tokenizer, problems)
    backend = HFBackend(model, tokenizer, protocol.settings(prompter), batch_size)
    return run(backend, prompter, problems, done, on_record)

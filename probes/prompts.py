"""Prompts: how a problem (and, for a follow-up, the dialogue before it) becomes the text a model continues.

Four built-in formats, chosen with `--prompt` (or `auto`, see `probes.protocol`), and user templates:

- `paper`: the published protocol (SPEC §4.1): a system message and one worked example, whose last line is
  `### Answer: <answer>`, then the problem; rendered with the tokenizer's chat template. The wording and the worked
  example here are our own.
- `plain`: the same messages for base models, in the published completion format: one `|role| content` line per
  message followed by a line `@@@`, then `|assistant|`; generation stops at `@@@`.
- `fewshot`: for base models: an instruction and k worked problems (given by the caller, none of them a probe
  problem) as `Problem: ... / Solution: ...` blocks in a plain completion, then the problem and `Solution:`;
  generation stops at the next `Problem:` line.
- `chat`: the problem alone as a user turn, through the model's chat template (the format our fine-tuned
  models are trained on).
- a template file: any text containing `{statement}`; the prompt is exactly that text with the statement put in.

A follow-up is asked in the same conversation as its original (SPEC §4.2): the prompt messages, the original
problem, the model's own full response to it, then the follow-up. For a template, the follow-up prompt is the
original's filled template, the model's response, a newline and the follow-up's filled template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # transformers takes a second to import; a CLI's --help should not wait for it
    from transformers import PreTrainedTokenizerBase

PromptName = Literal["paper", "fewshot", "chat", "plain"]
PROMPTS: tuple[str, ...] = ("paper", "fewshot", "chat", "plain")
PLACEHOLDER = "{statement}"
PLAIN_STOP = "@@@"
FEWSHOT_STOP = "\nProblem:"
FEWSHOT_INSTRUCTION = (
    "Below are maths problems, each followed by a worked solution that reasons one step at a time and ends with "
    "a line of the form ### Answer: <final answer>"
)

SYSTEM = (
    "You are a patient maths tutor. Work through the problem one step at a time and show your reasoning. "
    "Finish with a line that holds only the final answer, written like this: ### Answer: <final answer>"
)
EXAMPLE_QUESTION = (
    "A baker makes 36 muffins in the morning and twice as many in the afternoon. "
    "How many muffins does the baker make in the whole day?"
)
EXAMPLE_ANSWER = (
    "In the afternoon the baker makes 2 * 36 = 72 muffins.\n"
    "Over the whole day that is 36 + 72 = 108 muffins.\n"
    "### Answer: 108"
)

Message = dict[str, str]


class PromptError(ValueError):
    """A prompt that cannot be built: a template without `{statement}`, or a chat prompt without a chat template."""


def paper_messages() -> list[Message]:
    """The messages that come before every problem in the published protocol: system, worked example."""
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": EXAMPLE_QUESTION},
        {"role": "assistant", "content": EXAMPLE_ANSWER},
    ]


def render_plain(messages: list[Message]) -> str:
    """The published completion format for base models: `|role| content` and `@@@` lines, then `|assistant|`."""
    lines = []
    for m in messages:
        lines += [f"|{m['role']}| {m['content']}", PLAIN_STOP]
    return "\n".join(lines) + "\n|assistant|"


def render_fewshot(examples: tuple[Turn, ...], history: tuple[Turn, ...], statement: str) -> str:
    """The few-shot completion: instruction, worked examples, earlier turns (the model's own responses), problem.

    >>> text = render_fewshot((Turn("1 + 1?", "1 + 1 = 2\\n### Answer: 2"),), (), "2 + 2?")
    >>> print(text.removeprefix(FEWSHOT_INSTRUCTION))
    <BLANKLINE>
    <BLANKLINE>
    Problem: 1 + 1?
    Solution: 1 + 1 = 2
    ### Answer: 2
    <BLANKLINE>
    Problem: 2 + 2?
    Solution:
    """
    blocks = [FEWSHOT_INSTRUCTION]
    blocks += [f"Problem: {e.statement}\nSolution: {e.response}" for e in examples]
    # A response was generated right after "Solution:", so it is put back exactly as generated.
    blocks += [f"Problem: {t.statement}\nSolution:{t.response}" for t in history]
    return "\n\n".join([*blocks, f"Problem: {statement}\nSolution:"])


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a dialogue: a problem statement and the model's response to it."""

    statement: str
    response: str


@dataclass(frozen=True)
class Prompter:
    """Builds prompt text for a problem, optionally after earlier turns (a follow-up after its original)."""

    name: PromptName | Literal["template"]
    tokenizer: PreTrainedTokenizerBase | None = None
    template: str | None = None
    default_stops: tuple[str, ...] = field(default=())
    examples: tuple[Turn, ...] = ()
    """`fewshot`: the worked problems shown before every problem."""

    def __call__(self, statement: str, history: tuple[Turn, ...] = ()) -> str:
        if self.name == "fewshot":
            return render_fewshot(self.examples, history, statement)
        if self.name == "template":
            assert self.template is not None
            text = ""
            for turn in history:
                text += self.template.replace(PLACEHOLDER, turn.statement) + turn.response + "\n"
            return text + self.template.replace(PLACEHOLDER, statement)
        messages = paper_messages() if self.name in ("paper", "plain") else []
        for turn in history:
            messages += [{"role": "user", "content": turn.statement}, {"role": "assistant", "content": turn.response}]
        messages.append({"role": "user", "content": statement})
        if self.name == "plain":
            return render_plain(messages)
        assert self.tokenizer is not None
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def load_template(path: str | Path) -> str:
    """A `--prompt-template` file's text; it must contain `{statement}`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PromptError(f"--prompt-template {str(path)!r} cannot be read: {err.strerror or err}") from None
    if PLACEHOLDER not in text:
        raise PromptError(f"--prompt-template {str(path)!r} does not contain {PLACEHOLDER}")
    return text


def make_prompter(name: PromptName, tokenizer: PreTrainedTokenizerBase | None = None,
                  template: str | None = None, examples: tuple[Turn, ...] = ()) -> Prompter:
    """The prompter for `--prompt NAME`, or for a template's text when `template` is given (it wins over `name`).

    `examples` are the worked problems of `fewshot` (see `probes.protocol.fewshot_examples`).
    """
    if template is not None:
        if PLACEHOLDER not in template:
            raise PromptError(f"prompt template does not contain {PLACEHOLDER}: {template[:60]!r}")
        return Prompter("template", template=template)
    if name not in PROMPTS:
        raise PromptError(f"--prompt must be one of {PROMPTS}, got {name!r}")
    if name == "plain":
        return Prompter("plain", default_stops=(PLAIN_STOP,))
    if name == "fewshot":
        return Prompter("fewshot", default_stops=(FEWSHOT_STOP,), examples=examples)
    if tokenizer is None or not getattr(tokenizer, "chat_template", None):
        raise PromptError(f"--prompt {name} needs a tokenizer with a chat template, and this one has none; "
                          "use --prompt fewshot (or auto) for base models")
    return Prompter(name, tokenizer=tokenizer)

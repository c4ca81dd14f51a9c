"""Rendering structures as word problems with a chat LLM, kept only when the text back-translates to the same answer.

The LLM renderer of issue 3 (b), beside the offline template renderer. It talks to any `ChatBackend` (messages in,
text out): `OpenAIChatBackend` speaks the OpenAI-compatible `/chat/completions` protocol with the standard library
only; a local Hugging Face model can satisfy the protocol from `probes` (mathcamps never imports torch).

Cycle consistency: a second, independent conversation translates the statement back into a structure, which is
parsed and solved; the problem is kept only if that answer equals the structure's own. As in the published release,
a failed original drops its whole group and a failed follow-up drops only itself, and the comparison and factor-pair
standards may be exempted (their back-translations rarely parse, yet their text is hard to get wrong).
Follow-ups are rendered as the next turn after the original's statement, each in its own continuation of the
original's conversation (the published code let them alias one running dialogue; that is not reproduced).

Usage::

    backend = OpenAIChatBackend("http://127.0.0.1:8000/v1", model="my-model")
    renderer = LLMRenderer(backend)
    kept, report = renderer.render_groups([(original, [followup, ...]), ...])
    print(report.acceptance_rate)
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypedDict

from mathcamps.answers.types import Answer, Mapping, Number
from mathcamps.grammar.exact import answer
from mathcamps.grammar.parse import parse_structure
from mathcamps.grammar.tree import EvalError
from mathcamps.problem import COUNTERFACTUAL, INCREMENTAL, Problem
from mathcamps.standards import AnswerKind, Standard


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatBackend(Protocol):
    """Anything that answers a chat: a list of messages in, the assistant's reply out."""

    def chat(self, messages: Sequence[ChatMessage]) -> str: ...


class LLMBackendError(RuntimeError):
    """A chat request that failed: names the endpoint and the status or reason."""


class OpenAIChatBackend:
    """A client of an OpenAI-compatible `POST {base_url}/chat/completions` endpoint (vLLM, llama.cpp, TGI, ...)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 1000,
        seed: int | None = None,
        timeout_s: float = 60.0,
        retries: int = 2,
        backoff_s: float = 1.0,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key = model, api_key
        self.temperature, self.max_tokens, self.seed = temperature, max_tokens, seed
        self.timeout_s, self.retries, self.backoff_s = timeout_s, retries, backoff_s

    def chat(self, messages: Sequence[ChatMessage]) -> str:
        body: dict = {
            "model": self.model,
            "messages": list(messages),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, json.dumps(body).encode(), headers, method="POST")
        for attempt in range(self.retries + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    payload = json.loads(response.read())
                break
            except urllib.error.HTTPError as err:
                # Rate limits and server errors are worth retrying; a 4xx is our request's fault.
                if err.code not in (429, 500, 502, 503, 504) or attempt == self.retries:
                    detail = err.read()[:300].decode(errors="replace")
                    raise LLMBackendError(f"{self.url}: HTTP {err.code}: {detail}") from err
            except (urllib.error.URLError, TimeoutError) as err:
                if attempt == self.retries:
                    raise LLMBackendError(f"{self.url}: {getattr(err, 'reason', err)}") from err
            except json.JSONDecodeError as err:
                raise LLMBackendError(f"{self.url}: the reply is not JSON ({err})") from err
            time.sleep(self.backoff_s * 2**attempt)
        try:
            return payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as err:
            raise LLMBackendError(f"{self.url}: no choices[0].message.content in {str(payload)[:300]}") from err


# ---------------------------------------------------------------- prompts (our own wording)

RENDER_SYSTEM = (
    "You write short math word problems for school students. You are given a symbolic structure and a theme or a "
    "math concept. Write one word problem that performs exactly the operations of the structure, in the same order, "
    "with every number that appears in it; do not work anything out in advance. Do not mention the variable names "
    "of the structure. End with a question that asks for the quantity in the question line. "
    "Reply with the problem only."
)
FOLLOWUP_INCREMENTAL = (
    "Here is the previous problem's structure with a new last step:\n{structure}\n"
    "Write a follow-up question to the previous word problem that adds this step to it. Reply with the question only."
)
FOLLOWUP_COUNTERFACTUAL = (
    "Here is the previous problem's structure with one number changed:\n{structure}\n"
    "Write a follow-up question to the previous word problem asking what happens if that number had been different "
    "from the start. Reply with the question only."
)
BACK_SYSTEM = (
    "You turn math word problems into symbolic structures. Write one line per quantity or step, "
    "`[[var name = expression]]`, using only numbers, variable names, parentheses and + - * / % **; an equation with a "
    "number on the left is written `[[var 12 = (x + 5)]]`. The last line is `[[question name = ['expression']]]`, "
    "listing every asked value in quotes. For a follow-up question, write the whole structure, including the earlier "
    "problem. If the problem lacks information, say so instead of writing a structure. Reply with the structure only."
)


@dataclass(frozen=True)
class Example:
    """One few-shot pair: a structure (with its context line) and a word problem for it."""

    structure: str
    statement: str


@dataclass
class CycleReport:
    """How many rendered problems survived the cycle-consistency check, by problem type."""

    attempted: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    exempt: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # why problems were dropped, e.g. "unparsable"

    def count(self, kind: str, accepted: bool, reason: str | None = None) -> None:
        self.attempted[kind] = self.attempted.get(kind, 0) + 1
        self.accepted[kind] = self.accepted.get(kind, 0) + accepted
        if reason:
            self.reasons[reason] = self.reasons.get(reason, 0) + 1

    @property
    def acceptance_rate(self) -> float:
        """Accepted / attempted over all problem types (1.0 when nothing was attempted)."""
        total = sum(self.attempted.values())
        return sum(self.accepted.values()) / total if total else 1.0


_STRUCTURE_LINE = re.compile(r"^\s*(\[\[.*\]\])")


def extract_structure(reply: str) -> str | None:
    """The structure lines (`[[...]]`) of an LLM reply, dropping prose, code fences and stray characters after a
    line's last `]]` (`[[question n = ['y']]]=`); None if there are none."""
    lines = [m.group(1) for line in reply.splitlines() if (m := _STRUCTURE_LINE.match(line))]
    return "\n".join(lines) or None


def same_answer(a: Answer, b: Answer) -> bool:
    """Whether two answers agree: equal values (an integer equals the same decimal); systems by sorted values,
    since a back-translation may name the unknowns differently."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if a.names == b.names:
            return all(_same_number(x, y) for (_, x), (_, y) in zip(a.values, b.values, strict=True))
        return sorted(v.value for _, v in a.values) == sorted(v.value for _, v in b.values)
    if isinstance(a, Number) and isinstance(b, Number):
        return _same_number(a, b)
    return a == b


def _same_number(a: Number, b: Number) -> bool:
    if "decimal" in (a.kind, b.kind):  # decimals agree to the precision they are published at (15 digits)
        return str(Number.decimal(a.value)) == str(Number.decimal(b.value))
    return a.value == b.value


def cycle_verdict(structure: str, back: str | None, std: Standard) -> str | None:
    """None if the back-translated structure `back` solves to the answer of `structure`, else why not:
    "no structure", "unparsable", "unsolvable" or "different answer"."""
    if back is None:
        return "no structure"
    try:
        theirs = answer(std, parse_structure(back))
    except EvalError:
        return "unsolvable"
    except ValueError:
        return "unparsable"
    ours = answer(std, parse_structure(structure))
    return None if same_answer(ours, theirs) else "different answer"


class LLMRenderer:
    """Writes statements for structures with a chat LLM and checks them by back-translation."""

    def __init__(
        self,
        backend: ChatBackend,
        *,
        examples: Sequence[Example] = (),
        check: bool = True,
        exempt: Sequence[AnswerKind] = ("compare", "factor-pairs"),
    ) -> None:
        self.backend, self.examples, self.check, self.exempt = backend, tuple(examples), check, tuple(exempt)

    def _render_messages(self, structure: str) -> list[ChatMessage]:
        messages: list[ChatMessage] = [{"role": "system", "content": RENDER_SYSTEM}]
        for ex in self.examples:
            messages += [{"role": "user", "content": ex.structure}, {"role": "assistant", "content": ex.statement}]
        return messages + [{"role": "user", "content": structure}]

    def _back_messages(self, statement: str, history: tuple[str, str] | None = None) -> list[ChatMessage]:
        messages: list[ChatMessage] = [{"role": "system", "content": BACK_SYSTEM}]
        for ex in self.examples:
            structure = parse_structure(ex.structure).text(context=False)
            messages += [{"role": "user", "content": ex.statement}, {"role": "assistant", "content": structure}]
        if history is not None:  # the original problem and its back-translation, for a follow-up
            messages += [{"role": "user", "content": history[0]}, {"role": "assistant", "content": history[1]}]
        return messages + [{"role": "user", "content": statement}]

    def render(self, original: Problem) -> str:
        """The statement of an original problem."""
        return self.backend.chat(self._render_messages(_structure_of(original))).strip()

    def render_followup(self, original: Problem, statement: str, followup: Problem) -> str:
        """The statement of a follow-up, as the next turn after the original's statement."""
        template = FOLLOWUP_INCREMENTAL if followup.type == INCREMENTAL else FOLLOWUP_COUNTERFACTUAL
        messages = self._render_messages(_structure_of(original))
        messages += [
            {"role": "assistant", "content": statement},
            {"role": "user", "content": template.format(structure=_structure_of(followup))},
        ]
        return self.backend.chat(messages).strip()

    def back_translate(self, statement: str, history: tuple[str, str] | None = None) -> str | None:
        """The structure an independent conversation reads from `statement` (None if the reply has none)."""
        return extract_structure(self.backend.chat(self._back_messages(statement, history)))

    def _verdict(self, problem: Problem, back: str | None, std: Standard) -> str | None:
        return cycle_verdict(_structure_of(problem), back, std)

    def render_group(
        self,
        original: Problem,
        followups: Sequence[Problem],
        std: Standard,
        report: CycleReport | None = None,
    ) -> list[Problem]:
        """The group's problems with statements, keeping those that pass the check (none if the original fails)."""
        report = report if report is not None else CycleReport()
        exempt = not self.check or std.answer_kind in self.exempt
        statement = self.render(original)
        back = None
        if exempt:
            report.exempt += 1 + len(followups)
        else:
            back = self.back_translate(statement)
            reason = self._verdict(original, back, std)
            report.count(original.type, reason is None, reason)
            if reason is not None:
                return []
        kept = [dataclasses.replace(original, statement=statement)]
        for followup in followups:
            if followup.type not in (INCREMENTAL, COUNTERFACTUAL):
                raise ValueError(f"{followup.id}: a follow-up's type must be incremental or counterfactual")
            text = self.render_followup(original, statement, followup)
            if not exempt:
                history = (statement, back or "")
                reason = self._verdict(followup, self.back_translate(text, history), std)
                report.count(followup.type, reason is None, reason)
                if reason is not None:
                    continue
            kept.append(dataclasses.replace(followup, statement=text))
        return kept

    def render_groups(
        self, groups: Sequence[tuple[Problem, Sequence[Problem]]], std: Standard
    ) -> tuple[list[Problem], CycleReport]:
        """Render many groups of one standard; returns the kept problems and the acceptance report."""
        report = CycleReport()
        kept = [
            p for original, followups in groups for p in self.render_group(original, followups, std, report)
        ]
        return kept, report


def _structure_of(problem: Problem) -> str:
    if not problem.structure:
        raise ValueError(f"{problem.id}: rendering needs the problem's symbolic structure")
    return problem.structure

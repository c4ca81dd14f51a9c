"""Rendering structures as word problems with a chat LLM, kept only when the text back-translates to the same answer.

The LLM renderer, beside the offline template renderer. It talks to any `mathcamps.render.chat.ChatBackend`
(conversations in, replies out): an OpenAI-compatible endpoint, or a local model through the project's engine.

Cycle consistency: a second, independent conversation translates the statement back into a structure, which is
parsed and solved; the problem is kept only if that answer equals the structure's own. As in the published release,
a failed original drops its whole group and a failed follow-up drops only itself, and the comparison and factor-pair
standards may be exempted (their back-translations rarely parse, yet their text is hard to get wrong).
Follow-ups are rendered as the next turn after the original's statement, each in its own continuation of the
original's conversation (the published code let them alias one running dialogue; that is not reproduced).

`render_set` renders a whole generated set, `per_standard` originals per standard: a group whose original fails the
check is replaced by the next group of its standard's own deterministic stream (index `per_standard`, then the
next), and the acceptance rate is reported per standard.

Usage::

    backend = open_chat_backend("http://127.0.0.1:8000/v1", model="my-model")   # or an HF id or folder
    problems, reports = render_set(standards, 100, make_group, backend)
    print(format_reports(reports))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mathcamps.grammar.parse import parse_structure
from mathcamps.problem import COUNTERFACTUAL, INCREMENTAL, ORIGINAL, Problem
from mathcamps.render.chat import ChatBackend, ChatMessage, LLMBackendError, OpenAIChatBackend, open_chat_backend
from mathcamps.render.cycle import CycleReport, cycle_verdict, extract_structure, format_reports, same_answer
from mathcamps.standards import AnswerKind, Standard

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
        return self.backend.chat_many([self._render_messages(_structure_of(original))])[0].strip()

    def _followup_messages(self, original: Problem, statement: str, followup: Problem) -> list[ChatMessage]:
        if followup.type not in (INCREMENTAL, COUNTERFACTUAL):
            raise ValueError(f"{followup.id}: a follow-up's type must be incremental or counterfactual")
        template = FOLLOWUP_INCREMENTAL if followup.type == INCREMENTAL else FOLLOWUP_COUNTERFACTUAL
        messages = self._render_messages(_structure_of(original))
        return messages + [
            {"role": "assistant", "content": statement},
            {"role": "user", "content": template.format(structure=_structure_of(followup))},
        ]

    def render_followup(self, original: Problem, statement: str, followup: Problem) -> str:
        """The statement of a follow-up, as the next turn after the original's statement."""
        return self.backend.chat_many([self._followup_messages(original, statement, followup)])[0].strip()

    def back_translate(self, statement: str, history: tuple[str, str] | None = None) -> str | None:
        """The structure an independent conversation reads from `statement` (None if the reply has none)."""
        return extract_structure(self.backend.chat_many([self._back_messages(statement, history)])[0])

    def render_group(
        self,
        original: Problem,
        followups: Sequence[Problem],
        std: Standard,
        report: CycleReport | None = None,
    ) -> list[Problem]:
        """The group's problems with statements, keeping those that pass the check (none if the original fails)."""
        kept, _ = self.render_groups([(original, followups)], std, report)
        return kept

    def render_groups(
        self,
        groups: Sequence[tuple[Problem, Sequence[Problem]]],
        std: Standard,
        report: CycleReport | None = None,
    ) -> tuple[list[Problem], CycleReport]:
        """Render many groups of one standard, each stage as one batch of chats; returns the kept problems (in
        order) and the acceptance report. A failed original drops its group, a failed follow-up only itself."""
        report = report if report is not None else CycleReport()
        chat = self.backend.chat_many
        exempt = not self.check or std.answer_kind in self.exempt
        statements = [t.strip() for t in chat([self._render_messages(_structure_of(o)) for o, _ in groups])]
        backs: list[str | None] = [None] * len(groups)
        passed = list(range(len(groups)))
        if exempt:
            report.exempt += sum(1 + len(f) for _, f in groups)
        else:
            replies = chat([self._back_messages(s) for s in statements])
            backs = [extract_structure(r) for r in replies]
            passed = []
            for i, ((original, _), back) in enumerate(zip(groups, backs)):
                reason = cycle_verdict(_structure_of(original), back, std)
                report.count(original.type, reason is None, reason)
                if reason is None:
                    passed.append(i)
        asks = [(i, f) for i in passed for f in groups[i][1]]
        texts = [t.strip() for t in chat([self._followup_messages(groups[i][0], statements[i], f) for i, f in asks])]
        ok = [True] * len(asks)
        if not exempt and asks:
            histories = [(statements[i], backs[i] or "") for i, _ in asks]
            replies = chat([self._back_messages(t, h) for t, h in zip(texts, histories)])
            for k, ((_, f), reply) in enumerate(zip(asks, replies)):
                reason = cycle_verdict(_structure_of(f), extract_structure(reply), std)
                report.count(f.type, reason is None, reason)
                ok[k] = reason is None
        kept = []
        for i in passed:
            kept.append(dataclasses.replace(groups[i][0], statement=statements[i]))
            kept += [dataclasses.replace(f, statement=t) for (j, f), t, good in zip(asks, texts, ok) if j == i and good]
        return kept, report


def render_set(
    standards: Sequence[Standard],
    per_standard: int,
    make_group: Callable[[Standard, int], list[Problem]],
    renderer: LLMRenderer,
    spare: int | None = None,
) -> tuple[list[Problem], dict[str, CycleReport]]:
    """`per_standard` originals of each standard rendered by `renderer`, each with the follow-ups that pass.

    `make_group(std, i)` is problem `i` of the standard's deterministic stream with its follow-ups (as generated).
    A group whose original fails the check is replaced by the next unused index of the same stream, so the set is
    a pure function of the arguments and the backend's replies; at most `spare` (default `per_standard`) extra
    groups are tried per standard, and a standard that runs out has fewer problems (its report says how many).
    """
    spare = per_standard if spare is None else spare
    problems: list[Problem] = []
    reports: dict[str, CycleReport] = {}
    for std in standards:
        report = CycleReport()
        accepted, index = 0, 0
        while accepted < per_standard and index < per_standard + spare:
            batch = range(index, min(index + per_standard - accepted, per_standard + spare))
            index = batch.stop
            groups = [(g[0], g[1:]) for g in (make_group(std, i) for i in batch)]
            kept, report = renderer.render_groups(groups, std, report)
            accepted += sum(p.type == ORIGINAL for p in kept)
            problems += kept
        reports[std.id] = report
    return problems, reports


def _structure_of(problem: Problem) -> str:
    if not problem.structure:
        raise ValueError(f"{problem.id}: rendering needs the problem's symbolic structure")
    return problem.structure


__all__ = [
    "BACK_SYSTEM", "RENDER_SYSTEM", "ChatBackend", "CycleReport", "Example", "LLMBackendError", "LLMRenderer",
    "OpenAIChatBackend", "cycle_verdict", "extract_structure", "format_reports", "open_chat_backend", "render_set",
    "same_answer",
]  # fmt: skip

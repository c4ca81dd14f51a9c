"""Optional LLM re-extraction of final answers, the published method, for users who have a judge model.

A judge model is asked only for the responses where the rules find nothing or where the strict and flexible
extractions read different values. It is asked to *copy* the final answer, never to judge it: what it returns is
judged by our own comparison (`mathcamps.answers.judge`, or the published regrade's under `rules="paper"`), and
nothing it writes is evaluated.

Any generation backend works (`probes.backends.Backend`): `load_hf_backend(...)` for an HF `transformers` model,
or `EndpointBackend` for an OpenAI-compatible completions endpoint (vLLM, llama.cpp, TGI, ...), which sends the
prompts in batches.

    backend = EndpointBackend("http://127.0.0.1:8000", model="meta-llama/Meta-Llama-3-70B")
    verdicts = [grade(r, a, q, rules="paper") for r, a, q in rows]
    verdicts = reextract(rows, verdicts, backend, rules="paper")
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import replace

from mathcamps.answers.grade import Judgement, Rules, Verdict, clip, judge, paper_judge
from mathcamps.answers.types import Number, Pairs, Relation, parse_answer
from probes.backends import Backend, Completion, GenerationSettings

MAX_RESPONSE_CHARS = 6_000  # the judge sees the end of a long response, where its answer is
NONE = "NONE"

_KIND = {
    Number: "a single number (an integer, a fraction such as 7/4, or a decimal)",
    Relation: "one of the symbols <, > or =",
    Pairs: "a list of pairs of numbers, such as (1, 12), (2, 6)",
}

PROMPT = """Below is a student's written solution to a maths problem. Copy out the final answer the student gave, \
exactly as they wrote it and nothing else. The answer should be {kind}. If the student gave no final answer, \
or gave more than one, write {none}.

Solution:
{response}

Final answer:"""

SETTINGS = GenerationSettings(max_new_tokens=30, stops=("\n",), stop_at_answer_line=False)
"""Generation settings a judge backend should use: a short answer on one line."""


def needs_reextraction(verdict: Verdict) -> bool:
    """Whether the rules leave a response's answer open: nothing found, or strict and flexible read apart."""
    strict, flexible = verdict.strict, verdict.flexible
    if strict is None or flexible is None:
        return verdict.extracted is None
    return flexible.extracted is None or (strict.extracted is not None and strict.reading != flexible.reading)


def prompt_for(response: str, expected: str) -> str:
    """The judge's prompt for one response; `expected` says only which kind of answer to look for."""
    answer = parse_answer(expected)
    kind = next((text for t, text in _KIND.items() if isinstance(answer, t)), "a value or a list of values")
    tail = clip(response)[-MAX_RESPONSE_CHARS:]
    return PROMPT.format(kind=kind, none=NONE, response=tail.strip())


def reextract(
    rows: list[tuple[str, str, str | None]],
    verdicts: list[Verdict],
    backend: Backend,
    rules: Rules = "principled",
) -> list[Verdict]:
    """`verdicts` (one per `(response, expected, question)` row) with the judge's answer added where the rules
    leave it open: a response the judge's answer makes correct becomes correct (rule `llm`), none is made wrong.
    """
    if len(rows) != len(verdicts):
        raise ValueError(f"{len(rows)} rows but {len(verdicts)} verdicts")
    todo = [i for i, v in enumerate(verdicts) if not v.correct and needs_reextraction(v)]
    if not todo:
        return list(verdicts)
    prompts = [prompt_for(rows[i][0], rows[i][1]) for i in todo]
    answers: dict[int, str] = {}
    for k, completion in backend.generate(prompts):
        answers[todo[k]] = completion.text
    out = list(verdicts)
    for i, text in answers.items():
        text = text.strip().splitlines()[0].strip() if text.strip() else ""
        if not text or NONE.lower() in text.lower():
            continue
        response, expected, question = rows[i]
        answer = parse_answer(expected)
        correct, reading = judge(answer, text[:400], question)
        if rules == "paper":
            correct = paper_judge(answer, expected, text[:400], reading, True)
        if correct:
            v = out[i]
            llm = Judgement(True, text, "llm", reading)
            out[i] = replace(v, correct=True, extracted=text, rule="llm", reading=reading, flexible=llm)
    return out


class EndpointBackend:
    """An OpenAI-compatible completions endpoint (`POST {url}/v1/completions`), asked in batches of prompts."""

    def __init__(
        self,
        url: str,
        model: str,
        settings: GenerationSettings = SETTINGS,
        batch_size: int = 16,
        api_key: str | None = None,
        timeout_s: float = 120.0,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {url!r}")
        self.url, self.model, self.settings = url.rstrip("/"), model, settings
        self.batch_size, self.api_key, self.timeout_s = batch_size, api_key, timeout_s

    def generate(self, prompts: list[str]) -> Iterator[tuple[int, Completion]]:
        for start in range(0, len(prompts), self.batch_size):
            batch = prompts[start : start + self.batch_size]
            body = {
                "model": self.model, "prompt": batch, "max_tokens": self.settings.max_new_tokens,
                "temperature": 0, "stop": list(self.settings.stops) or None,
            }  # fmt: skip
            headers = {"Content-Type": "application/json"}
            if self.api_key:
                headers["Authorization"] = f"Bearer {self.api_key}"
            request = urllib.request.Request(
                f"{self.url}/v1/completions", json.dumps(body).encode(), headers, method="POST"
            )
            with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
                choices = json.loads(reply.read())["choices"]
            for position, choice in enumerate(choices):
                index = choice.get("index", position)
                text = choice.get("text") or ""
                finish = "stop" if choice.get("finish_reason") == "stop" else "length"
                yield start + index, Completion(text, 0, 0, finish)


__all__ = ["NONE", "PROMPT", "SETTINGS", "EndpointBackend", "needs_reextraction", "prompt_for", "reextract"]

"""Generation and scoring: prompts in, one record per problem out.

This first version generates with HF `generate` in padded greedy batches; the evaluation-engine issue
replaces it with a faster decoding loop behind the same functions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from mathcamps.answers import grade
from mathcamps.problem import Problem


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    new_tokens: int


@dataclass(frozen=True)
class Record:
    """One scored problem: evaluation is data, one record per item."""

    id: str
    standard: str
    grade: str
    prompt: str
    response: str
    expected: str
    extracted: str | None
    rule: str
    correct: bool
    new_tokens: int

    def to_json(self) -> dict:
        return asdict(self)


def chat_prompt(tokenizer: PreTrainedTokenizerBase, statement: str) -> str:
    return tokenizer.apply_chat_template([{"role": "user", "content": statement}], tokenize=False,
                                         add_generation_prompt=True)


@torch.no_grad()
def generate_greedy(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: list[str],
                    max_new_tokens: int, batch_size: int) -> list[Completion]:
    """Greedy completions of `prompts`, in order, each stopping at EOS."""
    device = next(model.parameters()).device
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))  # similar lengths share a batch
    out: list[Completion | None] = [None] * len(prompts)
    padding_side, tokenizer.padding_side = tokenizer.padding_side, "left"
    try:
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            enc = tokenizer([prompts[i] for i in rows], return_tensors="pt", padding=True, add_special_tokens=False)
            enc = {k: v.to(device) for k, v in enc.items()}
            generated = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                       pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
            new = generated[:, enc["input_ids"].shape[1] :]  # (B, new)
            for row, tokens in zip(rows, new.tolist(), strict=True):
                if tokenizer.eos_token_id in tokens:
                    tokens = tokens[: tokens.index(tokenizer.eos_token_id)]
                prompt_tokens = int(enc["attention_mask"][rows.index(row)].sum())
                out[row] = Completion(tokenizer.decode(tokens, skip_special_tokens=True), prompt_tokens, len(tokens))
    finally:
        tokenizer.padding_side = padding_side
    return out  # type: ignore[return-value]


def score(problems: list[Problem], prompts: list[str], completions: list[Completion]) -> list[Record]:
    records = []
    for problem, prompt, completion in zip(problems, prompts, completions, strict=True):
        verdict = grade(completion.text, problem.answer)
        records.append(Record(problem.id, problem.standard, problem.grade, prompt, completion.text, problem.answer,
                              verdict.extracted, verdict.rule, verdict.correct, completion.new_tokens))
    return records


def evaluate(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, problems: list[Problem],
             max_new_tokens: int = 64, batch_size: int = 32) -> list[Record]:
    """Score `model` on `problems` with the chat prompt and greedy decoding."""
    prompts = [chat_prompt(tokenizer, p.statement) for p in problems]
    return score(problems, prompts, generate_greedy(model, tokenizer, prompts, max_new_tokens, batch_size))


def accuracy_by_standard(records: list[Record]) -> dict[str, float]:
    totals: dict[str, list[int]] = {}
    for r in records:
        totals.setdefault(r.standard, []).append(int(r.correct))
    return {s: sum(v) / len(v) for s, v in totals.items()}

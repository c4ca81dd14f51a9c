"""No credit for garbage: an untrained model's text, and random strings of a real tokenizer's tokens, are graded
correct (by either extraction, in either mode) for under 1% of problems, where chance would give far more."""

import random

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from mathcamps.answers.grade import grade
from mathcamps.generate import generate_problems

STANDARDS = ["K.CC.C.7", "K.OA.A.5", "K.NBT.A.1", "1.OA.A.1", "2.NBT.B.5", "3.OA.C.7", "4.NF.A.2", "6.EE.A.1"]
MAX_RATE = 0.01


def _rates(texts: list[str], answers: list[str], questions: list[str]) -> dict[str, float]:
    counts = dict.fromkeys(("principled-strict", "principled-flexible", "paper"), 0)
    for text, answer, question in zip(texts, answers, questions, strict=True):
        v = grade(text, answer, question)
        counts["principled-strict"] += v.correct
        counts["principled-flexible"] += v.flexible.correct
        counts["paper"] += grade(text, answer, question, rules="paper").correct
    return {k: c / len(texts) for k, c in counts.items()}


@pytest.fixture(scope="module")
def problems():
    return generate_problems(STANDARDS, 40, seed=3, followups=False)


def test_untrained_model_responses_earn_almost_nothing(tiny_model_dir, problems) -> None:
    tok = AutoTokenizer.from_pretrained(tiny_model_dir, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    torch.manual_seed(0)
    texts = []
    for i in range(0, len(problems), 40):
        batch = problems[i : i + 40]
        prompts = [
            tok.apply_chat_template(
                [{"role": "user", "content": p.statement}], tokenize=False, add_generation_prompt=True
            )
            for p in batch
        ]
        enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            out = model.generate(
                **enc, max_new_tokens=48, do_sample=True, temperature=1.0, pad_token_id=tok.pad_token_id
            )
        texts += tok.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    assert len(texts) == len(problems) == 320 and len(set(texts)) > 300  # varied text, not one repeated string
    rates = _rates(texts, [p.answer for p in problems], [p.statement for p in problems])
    assert all(rate < MAX_RATE for rate in rates.values()), rates


def test_random_token_strings_earn_almost_nothing(tiny_model_dir, problems) -> None:
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    rng = random.Random(0)
    vocab = [t for t in range(len(tok)) if t not in tok.all_special_ids]
    texts, answers, questions = [], [], []
    for p in problems * 5:  # 1,600 strings
        ids = [rng.choice(vocab) for _ in range(rng.randint(5, 120))]
        texts.append(tok.decode(ids))
        answers.append(p.answer)
        questions.append(p.statement)
    rates = _rates(texts, answers, questions)
    assert all(rate < MAX_RATE for rate in rates.values()), rates


def test_a_concluded_guess_is_still_credited(problems) -> None:
    """The bound is not met by crediting nothing: a guesser that concludes the right answer one time in ten, and
    a wrong small number otherwise, scores about 10% in every mode."""
    rng = random.Random(1)
    texts = [f"So the answer is {p.answer if rng.random() < 0.1 else 9999}." for p in problems]
    rates = _rates(texts, [p.answer for p in problems], [p.statement for p in problems])
    assert all(0.05 < rate < 0.2 for rate in rates.values()), rates

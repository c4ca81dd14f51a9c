"""Prompt formats: the paper protocol in our own words, plain, chat, templates, follow-up dialogues."""

import json
import re

import pytest
from transformers import AutoTokenizer

from probes.prompts import (
    EXAMPLE_ANSWER,
    EXAMPLE_QUESTION,
    PLAIN_STOP,
    SYSTEM,
    PromptError,
    Turn,
    load_template,
    make_prompter,
    paper_messages,
)
from tests.reference import reference_dir


@pytest.fixture(scope="module")
def tok(tiny_model_dir):
    return AutoTokenizer.from_pretrained(tiny_model_dir)


def test_paper_prompt_is_system_example_then_problem_through_the_chat_template(tok):
    text = make_prompter("paper", tok)("How many is 2 + 3?")
    assert text == (f"<|system|>\n{SYSTEM}\n<|user|>\n{EXAMPLE_QUESTION}\n<|assistant|>\n{EXAMPLE_ANSWER}<|end|>\n"
                    "<|user|>\nHow many is 2 + 3?\n<|assistant|>\n")
    assert EXAMPLE_ANSWER.splitlines()[-1] == "### Answer: 108"
    assert "### Answer:" in SYSTEM


def test_plain_prompt_uses_the_published_completion_format():
    prompter = make_prompter("plain")
    text = prompter("How many is 2 + 3?")
    lines = text.split("\n")
    assert lines[0] == f"|system| {SYSTEM}" and lines[1] == PLAIN_STOP
    assert lines[-3:] == ["|user| How many is 2 + 3?", PLAIN_STOP, "|assistant|"]
    assert prompter.default_stops == (PLAIN_STOP,)


def test_chat_prompt_is_the_statement_alone(tok):
    assert make_prompter("chat", tok)("Add 2 and 3.") == "<|user|>\nAdd 2 and 3.\n<|assistant|>\n"


def test_followup_is_asked_after_the_original_and_the_models_own_response(tok):
    turn = Turn("Mia has 3 apples. How many?", "She has 3.\n### Answer: 3")
    text = make_prompter("chat", tok)("Then she gets 2 more. How many now?", (turn,))
    assert text == ("<|user|>\nMia has 3 apples. How many?\n<|assistant|>\nShe has 3.\n### Answer: 3<|end|>\n"
                    "<|user|>\nThen she gets 2 more. How many now?\n<|assistant|>\n")


def test_template_is_filled_exactly(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("Q: {statement}\nA (think step by step; braces {} stay):")
    prompter = make_prompter("paper", None, load_template(path))
    assert prompter("2 + 2?") == "Q: 2 + 2?\nA (think step by step; braces {} stay):"
    assert prompter("and 1 more?", (Turn("2 + 2?", " 4"),)) == (
        "Q: 2 + 2?\nA (think step by step; braces {} stay): 4\nQ: and 1 more?\nA (think step by step; braces {} stay):")


def test_bad_prompts_are_refused_with_a_message(tmp_path, tok):
    path = tmp_path / "t.txt"
    path.write_text("Q: {question}\nA:")
    with pytest.raises(PromptError, match=r"does not contain \{statement\}"):
        load_template(path)
    with pytest.raises(PromptError, match="cannot be read"):
        load_template(tmp_path / "missing.txt")
    tok_without_template = AutoTokenizer.from_pretrained(tok.name_or_path)
    tok_without_template.chat_template = None
    with pytest.raises(PromptError, match="--prompt fewshot"):
        make_prompter("paper", tok_without_template)
    with pytest.raises(PromptError, match="must be one of"):
        make_prompter("fancy", tok)


def test_paper_prompt_is_in_our_own_words():
    """No sentence or number sequence of the published prompt is copied (the protocol's shape is a fact)."""
    published = json.loads((reference_dir() / "eval_prompt.json").read_text())
    ours = " ".join(m["content"] for m in paper_messages())
    for message in published:
        for sentence in re.split(r"(?<=[.?!])\s+|\n", message["content"]):
            words = sentence.split()
            for i in range(len(words) - 5):  # no run of 6 words in common
                assert " ".join(words[i : i + 6]) not in ours, sentence

"""The protocol spec: auto picks paper or fewshot by the tokenizer's own template, few-shot examples never show a
probe problem, and a base GPT-NeoX model is asked few-shot with no template swapped in."""

import pytest
from transformers import AutoTokenizer, GPTNeoXConfig, GPTNeoXForCausalLM

from mathcamps.generate import generate_distinct, generate_problems
from probes.problemset import ProblemSet
from probes.prompts import FEWSHOT_STOP, SYSTEM, PromptError
from probes.protocol import FEWSHOT_SEED, Protocol, answer, fewshot_examples, has_own_chat_template
from trainers.hf import DEFAULT_CHAT_TEMPLATE, load_model, load_tokenizer
from trainers.holdout import words as normalise
from trainers.scratch import train_tokenizer

STANDARDS = ["K.OA.A.5", "1.OA.A.1"]


@pytest.fixture(scope="module")
def base_neox_dir(tmp_path_factory):
    """A random-init GPT-NeoX base model whose tokenizer has no chat template, saved as an HF model dir."""
    texts = [f"{p.statement}\n{p.solution}" for p in generate_problems(STANDARDS, 60, seed=0, followups=False)]
    tokenizer = train_tokenizer(texts, 300)
    tokenizer.chat_template = None
    config = GPTNeoXConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=1024, bos_token_id=tokenizer.bos_token_id,
                           eos_token_id=tokenizer.eos_token_id)
    out = tmp_path_factory.mktemp("neox") / "base"
    GPTNeoXForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "chat_template.jinja").unlink(missing_ok=True)
    return out


def test_auto_is_paper_with_an_own_template_and_fewshot_without(tiny_model_dir, base_neox_dir):
    own = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert has_own_chat_template(own) and Protocol().choose(own) == "paper"
    base = load_tokenizer(str(base_neox_dir))
    assert base.chat_template is None and Protocol().choose(base) == "fewshot"
    base.chat_template = DEFAULT_CHAT_TEMPLATE  # what trainers.fit sets to lay out training data
    assert not has_own_chat_template(base) and Protocol().choose(base) == "fewshot"
    assert Protocol("chat").choose(base) == "chat"
    assert Protocol().describe(own) | {"prompt": "auto", "chosen": "paper", "own_chat_template": True} == \
        Protocol().describe(own)


def test_fewshot_examples_skip_any_probe_problem():
    pool = generate_problems(STANDARDS, 2, FEWSHOT_SEED, followups=False)
    # A probe set that holds the pool's first candidates verbatim: those must not be shown.
    probe_set = pool[:2] + generate_distinct(STANDARDS, 3, 5, followups=False)
    examples = fewshot_examples(probe_set, 3)
    assert len(examples) == 3
    shown = {normalise(e.statement) for e in examples}
    assert not shown & {normalise(p.statement) for p in probe_set}
    assert all(e.response.splitlines()[-1].startswith("### Answer: ") for e in examples)
    assert fewshot_examples(probe_set, 3) == examples  # deterministic


@pytest.mark.parametrize("bad, message", [
    ({"prompt": "fancy"}, "prompt must be one of"),
    ({"fewshot_k": 0}, "fewshot_k must be >= 1, got 0"),
    ({"max_new_tokens": 0}, "max_new_tokens must be >= 1, got 0"),
])
def test_bad_protocols_are_refused(bad, message):
    with pytest.raises(PromptError, match=message):
        Protocol(**bad)


def test_paper_or_chat_on_a_template_less_tokenizer_fails_clearly(base_neox_dir):
    base = load_tokenizer(str(base_neox_dir))
    for prompt in ("paper", "chat"):
        with pytest.raises(PromptError, match="has none; use --prompt fewshot"):
            Protocol(prompt).prompter(base, ProblemSet(standards=STANDARDS, per_standard=1).load())


def test_a_base_gpt_neox_model_is_asked_fewshot_with_k_examples_none_a_probe_problem(base_neox_dir):
    model, tokenizer = load_model(str(base_neox_dir)), load_tokenizer(str(base_neox_dir))
    problems = ProblemSet(standards=STANDARDS, per_standard=3, seed=11).load()
    protocol = Protocol(fewshot_k=4, max_new_tokens=6)
    prompter = protocol.prompter(tokenizer, problems)
    assert tokenizer.chat_template is None  # nothing was swapped in
    assert prompter.name == "fewshot" and protocol.settings(prompter).stops == (FEWSHOT_STOP,)
    records = answer(model.eval(), tokenizer, problems, protocol, batch_size=16, prompter=prompter)
    probe_texts = {normalise(p.statement) for p in problems}
    originals = [r for r in records if not r.is_followup]
    assert len(originals) == 6
    for r, p in zip(originals, [p for p in problems if not p.is_followup], strict=True):
        blocks = r.prompt.split("\n\nProblem: ")
        assert len(blocks) == 1 + 4 + 1  # instruction, k examples, the problem
        assert blocks[-1] == f"{p.statement}\nSolution:"
        examples = [b.split("\nSolution: ")[0] for b in blocks[1:-1]]
        assert not {normalise(e) for e in examples} & probe_texts
        assert SYSTEM not in r.prompt and "<|" not in r.prompt  # a plain completion, no chat markers
        assert 0 < r.new_tokens <= 6

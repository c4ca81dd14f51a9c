"""The HF decoding loop: greedy tokens identical to HF `generate`, shared prefix, per-row stopping."""

from collections import Counter
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from mathcamps.generate import generate_problems
from probes.backends import GenerationSettings
from probes.backends.hf import HFBackend, common_prefix
from probes.prompts import make_prompter

STANDARDS = ["K.OA.A.5", "2.NBT.B.7", "3.OA.C.7"]


def make_varied_model(src: Path, dst: Path, seed: int = 0, std: float = 0.5) -> Path:
    """`src`'s tiny model with large random weights, so greedy outputs vary with the prompt.

    At the usual init scale a tiny random model answers every prompt with the same newline; with weights of
    std 0.5 its logits are spread out, its outputs differ from row to row, and near-ties that rounding could flip
    are rare. At std 0.2 its answers mix runs of one token with varied stretches.
    """
    model = AutoModelForCausalLM.from_pretrained(src)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * std)
    model.save_pretrained(dst)
    AutoTokenizer.from_pretrained(src).save_pretrained(dst)
    return dst


@pytest.fixture(scope="module")
def varied(tiny_model_dir, tmp_path_factory):
    path = make_varied_model(tiny_model_dir, tmp_path_factory.mktemp("varied") / "model")
    return AutoModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


@pytest.fixture(scope="module")
def runs(tiny_model_dir, tmp_path_factory):
    path = make_varied_model(tiny_model_dir, tmp_path_factory.mktemp("runs") / "model", std=0.2)
    return AutoModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


@pytest.fixture(scope="module")
def prompts(varied):
    _, tok = varied
    paper = make_prompter("paper", tok)
    return [paper(p.statement) for p in generate_problems(STANDARDS, 6, seed=5, followups=False)]


def hf_generate(model, tok, prompts, max_new, batch_size, eos_ids):
    """Reference: HF `generate` on left-padded batches, each row cut after its first EOS."""
    out = []
    tok.padding_side = "left"
    for i in range(0, len(prompts), batch_size):
        enc = tok(prompts[i : i + batch_size], return_tensors="pt", padding=True, add_special_tokens=False)
        gen = model.generate(**enc, max_new_tokens=max_new, do_sample=False, pad_token_id=tok.pad_token_id,
                             eos_token_id=sorted(eos_ids))
        for row in gen[:, enc["input_ids"].shape[1] :].tolist():
            stop = next((j for j, t in enumerate(row) if t in eos_ids), None)
            out.append(row if stop is None else row[: stop + 1])
    return out


def test_common_prefix():
    assert common_prefix([[1, 2, 3], [1, 2, 4], [1, 2]]) == 2
    assert common_prefix([[5], [6]]) == 0
    assert common_prefix([]) == 0


@pytest.mark.parametrize(("share_prefix", "draft_tokens"), [(True, 0), (False, 0), (True, 3), (False, 3)])
def test_greedy_tokens_identical_to_hf_generate(varied, prompts, share_prefix, draft_tokens):
    model, tok = varied
    backend = HFBackend(model, tok, GenerationSettings(max_new_tokens=20, stop_at_answer_line=False), batch_size=5,
                        share_prefix=share_prefix, draft_tokens=draft_tokens)
    backend.draft_cost = 0  # guess at every step, so that rejected guesses leave holes in the cache
    # Make a token the model emits often an extra EOS, so rows finish at different steps and leave the batch.
    plain = hf_generate(model, tok, prompts, 20, 5, backend.eos_ids)
    common = Counter(t for row in plain for t in set(row[2:])).most_common()
    extra = next(t for t, n in common if n < len(prompts) - 2)
    backend.eos_ids = frozenset({*backend.eos_ids, extra})
    reference = hf_generate(model, tok, prompts, 20, 5, backend.eos_ids)
    assert len({len(r) for r in reference}) > 2, "the test needs rows that stop at different steps"

    batch_sizes = []
    forward = backend._forward
    backend._forward = lambda ids, *a, **k: (batch_sizes.append(ids.shape[0]), forward(ids, *a, **k))[1]
    got = dict(backend.generate(prompts))

    assert sorted(got) == list(range(len(prompts)))
    for i, ref in enumerate(reference):
        assert list(got[i].token_ids) == ref, f"prompt {i}"
        assert got[i].finish == ("eos" if ref[-1] in backend.eos_ids else "length")
        assert got[i].new_tokens == len(ref)
        assert got[i].prompt_tokens == len(tok(prompts[i], add_special_tokens=False)["input_ids"])
    if share_prefix:
        assert backend.prefix_tokens > 50  # the system message and worked example
    else:
        assert backend.prefix_tokens == 0
    assert any(a > b > 0 for a, b in zip(batch_sizes, batch_sizes[1:])), "finished rows never left a batch"
    if draft_tokens:
        assert 0 < backend.accepted < backend.drafted, "the test needs guesses both confirmed and rejected"
    else:
        assert backend.drafted == 0


def _unstopped(model, tok, prompts) -> dict:
    free = HFBackend(model, tok, GenerationSettings(max_new_tokens=24, stop_at_answer_line=False), batch_size=4)
    return dict(free.generate(prompts))


def _frequent_inner_string(responses: dict, width: int) -> str:
    """The most common `width`-character string inside the responses (not at their start), as a stop string."""
    counts = Counter(c.text[j : j + width] for c in responses.values() for j in range(3, len(c.text) - width))
    return next(s for s, n in counts.most_common() if s.strip() and "\ufffd" not in s)


# On "runs" a 4-token stop ("anananan") ends inside a run of guesses confirmed in one step.
@pytest.mark.parametrize(("which", "width"), [("varied", 2), ("runs", 8)])
def test_stop_string_cuts_text_and_stops_generation(which, width, prompts, request):
    model, tok = request.getfixturevalue(which)
    full = _unstopped(model, tok, prompts)
    stop = _frequent_inner_string(full, width)
    stopped = HFBackend(model, tok, GenerationSettings(max_new_tokens=24, stops=(stop,), stop_at_answer_line=False),
                        batch_size=4)
    stopped.draft_cost = 0  # guess at every step
    got = dict(stopped.generate(prompts))
    hits = 0
    for i, c in got.items():
        reference = full[i]
        assert reference.token_ids[: c.new_tokens] == c.token_ids  # same tokens, only fewer
        if stop in reference.text:
            hits += 1
            assert c.finish == "stop"
            assert c.text == reference.text[: reference.text.index(stop)]
            assert stop not in tok.decode(c.token_ids[:-1], skip_special_tokens=True)  # stopped at the first chance
        else:
            assert c == reference
    assert hits >= 2
    if which == "runs":
        assert stopped.accepted > 0


def test_a_stop_the_window_misses_is_still_cut(varied, prompts):
    model, tok = varied
    full = _unstopped(model, tok, prompts)
    stop = _frequent_inner_string(full, 4)
    blind = HFBackend(model, tok, GenerationSettings(max_new_tokens=24, stops=(stop,), stop_at_answer_line=False),
                      batch_size=4)
    blind.stop_window = 1  # one token cannot hold a 4-character stop that spans tokens
    for i, c in blind.generate(prompts):
        if stop in full[i].text:
            assert c.text == full[i].text[: full[i].text.index(stop)] and c.finish == "stop"
        else:
            assert c == full[i]




def test_confirmed_guesses_are_the_greedy_tokens(runs, prompts):
    # Runs of one token, where guesses are confirmed several at a time, then varied stretches where they fail:
    # the tokens after each kept run show that the cache, mask and positions went on right.
    model, tok = runs
    backend = HFBackend(model, tok, GenerationSettings(max_new_tokens=40, stop_at_answer_line=False), batch_size=5)
    backend.draft_cost = 0
    got = dict(backend.generate(prompts))
    reference = hf_generate(model, tok, prompts, 40, 5, backend.eos_ids)
    assert [list(got[i].token_ids) for i in range(len(prompts))] == reference
    assert backend.accepted > 50 and backend.drafted > 2 * backend.accepted


def test_a_prompt_starts_with_bos_once_for_a_tokenizer_that_adds_it(family_model_dir, varied):
    # Base Llama adds BOS before any text and saw it first in pretraining: the probe's prompts get it once,
    # whether a plain few-shot prompt (no BOS written) or a chat template that already wrote it.
    path = family_model_dir("llama-base")
    model, tok = AutoModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)
    backend = HFBackend(model, tok, GenerationSettings(max_new_tokens=3, stop_at_answer_line=False), batch_size=2)
    assert backend.bos_id == tok.bos_token_id is not None
    seen = []
    forward = backend._forward
    backend._forward = lambda ids, *a, **k: (seen.append(ids[:, :2].tolist()), forward(ids, *a, **k))[1]
    plain = "Problem: 2 + 3 = ?\nSolution:"
    done = dict(backend.generate([plain, tok.bos_token + plain]))
    first_rows = [row for call in seen for row in call if len(row) == 2][:2]
    assert all(row[0] == tok.bos_token_id and row[1] != tok.bos_token_id for row in first_rows), first_rows
    assert done[0].prompt_tokens == done[1].prompt_tokens == len(tok(plain)["input_ids"])  # HF's own encoding
    # A tokenizer that adds no BOS (the scratch one) gets none.
    assert HFBackend(*varied, GenerationSettings(max_new_tokens=1)).bos_id is None

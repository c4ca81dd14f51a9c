"""The instruction-tuning data: loss on the reply only, EOS at its end, held-out structures never trained on."""

import pytest

from mathcamps.generate import generate_problems
from mathcamps.lang import structure_key
from tests.conftest import QUICK_STANDARDS
from trainers.data import IGNORE, MathCampsData, encode_example, length_bucketed_batches
from trainers.hf import load_tokenizer


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return load_tokenizer(str(tiny_model_dir))


def test_loss_is_on_the_reply_only_and_ends_with_eos(tokenizer):
    messages = [{"role": "user", "content": "Start with 2. Then add 3."}, {"role": "assistant", "content": "2 + 3 = 5"}]
    example = encode_example(tokenizer, messages)
    prompt = tokenizer.apply_chat_template(messages[:1], tokenize=False, add_generation_prompt=True)
    n_prompt = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    assert example["labels"][:n_prompt] == [IGNORE] * n_prompt
    reply = example["labels"][n_prompt:]
    assert reply == example["input_ids"][n_prompt:]
    assert reply[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(reply[:-1]) == "2 + 3 = 5"


def test_held_out_structures_are_never_trained_on(tokenizer):
    held_out = generate_problems(QUICK_STANDARDS, 30, seed=99, followups=False)
    data = MathCampsData(QUICK_STANDARDS, per_standard=300, seed=0)
    before = len(data.problems())
    data.hold_out(held_out)
    kept = data.problems()
    held_keys = {structure_key(p.structure) for p in held_out}
    assert not held_keys & {structure_key(p.structure) for p in kept}
    assert len(kept) < before  # K.CC.C.7 has only 100 structures, so some training problems were removed


def test_max_seq_len_that_drops_everything_says_so(tokenizer):
    data = MathCampsData(["K.OA.A.5"], per_standard=5, max_seq_len=3)
    data.set_tokenizer(tokenizer)
    with pytest.raises(ValueError, match="max_seq_len=3 drops all 5"):
        data.setup("fit")


@pytest.mark.parametrize("field", ["per_standard", "batch_size", "max_seq_len"])
def test_bad_sizes_name_the_key(field):
    with pytest.raises(ValueError, match=f"data.{field} must be >= 1, got 0"):
        MathCampsData(["K.OA.A.5"], **{field: 0})


def test_bucketed_batches_cover_every_example_once_deterministically():
    lengths = [(i * 37) % 50 + 1 for i in range(1000)]
    batches = length_bucketed_batches(lengths, batch_size=16, seed=3, window=8)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert batches == length_bucketed_batches(lengths, batch_size=16, seed=3, window=8)
    assert batches != length_bucketed_batches(lengths, batch_size=16, seed=4, window=8)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 10  # similar lengths share a batch (random batches would spread ~45)

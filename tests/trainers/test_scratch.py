"""The scratch model directory loads back through `from_pretrained`, like a hub model."""

import pytest
from transformers import AutoModelForCausalLM, LlamaForCausalLM

from trainers.hf import ModelNotFound, load_model, load_tokenizer


def test_scratch_dir_loads_with_from_pretrained(tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tokenizer = load_tokenizer(str(tiny_model_dir))
    assert isinstance(model, LlamaForCausalLM)
    assert model.config.vocab_size == len(tokenizer)
    assert model.config.eos_token_id == tokenizer.eos_token_id
    text = tokenizer.apply_chat_template([{"role": "user", "content": "1 _ 2"}], tokenize=False,
                                         add_generation_prompt=True)
    assert text == "<|user|>\n1 _ 2\n<|assistant|>\n"
    # Digits are single tokens, so numbers are read digit by digit.
    assert tokenizer.tokenize("345") == ["3", "4", "5"]


def test_missing_local_model_is_a_one_line_error(tmp_path):
    with pytest.raises(ModelNotFound, match="does not exist") as error:
        load_model(str(tmp_path / "nope"))
    assert "\n" not in str(error.value)


def test_initial_weights_follow_the_run_seed_unless_one_is_set(tiny_model_dir):
    import torch

    from trainers.scratch import ScratchModel, build_model

    tokenizer = load_tokenizer(str(tiny_model_dir))
    size = ScratchModel(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64)

    def first_weights(global_seed: int, size: ScratchModel) -> torch.Tensor:
        torch.manual_seed(global_seed)  # what `seed_everything` does
        return build_model(tokenizer, size).model.embed_tokens.weight

    assert torch.equal(first_weights(1, size), first_weights(1, size))
    assert not torch.equal(first_weights(1, size), first_weights(2, size))
    pinned = ScratchModel(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64, seed=7)
    assert torch.equal(first_weights(1, pinned), first_weights(2, pinned))

"""The training run's logged values and files: loss, lr, tokens seen and per second, validation loss, gradient
accumulation and clipping through the Trainer, and an HF export at every checkpoint."""

import pytest
import torch
from transformers import AutoModelForCausalLM

from tests.trainers.fitting import logged, tiny_run_config
from trainers.fit import main
from trainers.module import PackingUnsupported, check_packed_attention, lr_factor


def test_lr_warms_up_linearly_then_decays_by_cosine_to_the_floor():
    factors = [lr_factor(s, 4, 20, 0.1) for s in range(21)]
    assert factors[:5] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert all(a >= b for a, b in zip(factors[4:], factors[5:]))
    assert factors[12] == pytest.approx(0.55) and factors[20] == pytest.approx(0.1)


def test_a_run_logs_loss_lr_tokens_and_validation_and_exports_each_checkpoint(tmp_path, tiny_model_dir):
    config = tiny_run_config(tmp_path, tiny_model_dir, max_steps=6, every_n_steps=3,
                             data={"val_fraction": 0.2, "batch_size": 4},
                             trainer={"accumulate_grad_batches": 2, "gradient_clip_val": 1.0, "val_check_interval": 6})
    cli = main(["--config", str(config)])
    run = tmp_path / "run"
    losses, lrs = logged(run, "train/loss"), logged(run, "train/lr")
    assert sorted(losses) == list(range(6))  # one logged value per optimiser step
    assert cli.trainer.fit_loop.epoch_loop.batch_progress.total.completed == 12  # two micro-batches a step
    assert losses[5] < losses[0]
    assert [lrs[s] for s in range(6)] == pytest.approx([0.003 * lr_factor(s, 2, 6, 0.1) for s in range(6)])

    tokens, speed = logged(run, "train/tokens_seen"), logged(run, "train/tokens_per_s")
    assert all(tokens[s] < tokens[s + 1] for s in range(5))
    assert tokens[5] == cli.model.tokens_seen
    assert set(range(1, 6)) <= set(speed) and all(v > 0 for v in speed.values())  # timed from the first batch
    val = logged(run, "val/loss")  # val_check_interval counts micro-batches: 6 of them are 3 steps
    assert sorted(val) == [2, 5] and val[5] < val[2]

    for step in (3, 6):
        exported = run / "version_0" / "hf" / f"step-{step}"
        assert AutoModelForCausalLM.from_pretrained(exported).config.vocab_size > 0
        assert (exported / "tokenizer_config.json").exists()


class _IgnoresPositions(torch.nn.Module):
    """A causal LM that drops `position_ids`, so packed samples attend to each other."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def get_input_embeddings(self):
        return self.inner.get_input_embeddings()

    def forward(self, input_ids, position_ids=None, **kwargs):
        return self.inner(input_ids=input_ids, **kwargs)


def test_packing_is_checked_against_the_model(tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    model.train()
    check_packed_attention(model, torch.device("cpu"))  # Llama keeps attention within each sample
    assert model.training  # the check's eval mode is undone
    with pytest.raises(PackingUnsupported, match="set data.packing: false and data.padding_free: false"):
        check_packed_attention(_IgnoresPositions(model), torch.device("cpu"))


def test_resume_states_carry_the_cuda_random_states_when_there_is_a_gpu(monkeypatch):
    from trainers import module

    saved = [torch.tensor([1, 2, 3], dtype=torch.uint8), torch.tensor([4, 5, 6], dtype=torch.uint8)]
    restored = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: [s.clone() for s in saved])
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda states: restored.append(states))
    states = module.rng_states()
    assert [s.tolist() for s in states["cuda"]] == [[1, 2, 3], [4, 5, 6]]
    cpu_draw = torch.rand(3)
    module.set_rng_states(states)
    assert torch.equal(torch.rand(3), cpu_draw)  # the CPU state is restored as before
    assert [[s.tolist() for s in r] for r in restored] == [[[1, 2, 3], [4, 5, 6]]]
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.warns(UserWarning, match="holds the random states of 2 CUDA devices but this process sees 1"):
        module.set_rng_states(states)
    assert len(restored) == 1  # not restored onto the wrong devices


def test_resume_states_without_a_gpu_have_no_cuda_entry(monkeypatch):
    from trainers import module

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert "cuda" not in module.rng_states()


def test_model_options_reach_from_pretrained(tiny_model_dir):
    from trainers.module import InstructionTuning

    module = InstructionTuning(str(tiny_model_dir), torch_dtype="bfloat16", attn_implementation="eager")
    module.configure_model()
    assert module.model.dtype == torch.bfloat16
    assert module.model.config._attn_implementation == "eager"
    assert InstructionTuning(str(tiny_model_dir)).trust_remote_code is False

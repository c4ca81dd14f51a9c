"""LoRA: per-architecture default targets, a missing target listing the modules that exist, adapter-only
training, and HF exports (adapter, merged model, full model) that `from_pretrained` loads back."""

import pytest
import torch
from peft import AutoPeftModelForCausalLM
from transformers import (
    AutoModelForCausalLM,
    GPTNeoXConfig,
    GPTNeoXForCausalLM,
    LlamaConfig,
    LlamaForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
)

from trainers.export import export_hf
from trainers.hf import load_tokenizer
from trainers.lora import LoraSettings, apply_lora, target_modules
from trainers.module import InstructionTuning

TINY = {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
        "num_attention_heads": 2}


@pytest.mark.parametrize(("model", "expected"), [
    (LlamaForCausalLM(LlamaConfig(**TINY)), ["q_proj", "k_proj", "v_proj", "o_proj"]),
    (Qwen2ForCausalLM(Qwen2Config(**TINY)), ["q_proj", "k_proj", "v_proj", "o_proj"]),
    (GPTNeoXForCausalLM(GPTNeoXConfig(**TINY)), ["query_key_value", "dense"]),
], ids=["llama", "qwen2", "gpt_neox"])
def test_default_targets_are_the_attention_projections_of_each_architecture(model, expected):
    assert target_modules(model, LoraSettings()) == expected
    wrapped = apply_lora(model, LoraSettings(r=2))
    trainable = [n for n, p in wrapped.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    assert {n.split(".lora_")[0].rsplit(".", 1)[-1] for n in trainable} == set(expected)


def test_a_missing_target_module_lists_the_modules_that_exist():
    model = LlamaForCausalLM(LlamaConfig(**TINY))
    with pytest.raises(ValueError) as error:
        target_modules(model, LoraSettings(target_modules=["q_proj", "query_key_value"]))
    message = str(error.value)
    assert "['query_key_value'] not found in the llama model" in message
    for name in ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head"):
        assert name in message


@pytest.mark.parametrize(("settings", "message"), [
    ({"r": 0}, "model.lora.r must be >= 1, got 0"),
    ({"dropout": 1.0}, "model.lora.dropout must be in [0, 1), got 1.0"),
    ({"target_modules": []}, "model.lora.target_modules must name at least one module"),
])
def test_bad_lora_settings_name_the_key(settings, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        LoraSettings(**settings)


def test_cross_field_errors_name_the_keys():
    with pytest.raises(ValueError, match="model.load_in_4bit .* needs finetuning: lora"):
        InstructionTuning("m", load_in_4bit=True)
    with pytest.raises(ValueError, match="model.export_merged applies to finetuning: lora"):
        InstructionTuning("m", export_merged=True)
    with pytest.raises(ValueError, match="model.lora is set but model.finetuning is 'full'"):
        InstructionTuning("m", lora=LoraSettings())


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message given without a GPU")
def test_qlora_without_a_gpu_says_so(tiny_model_dir):
    module = InstructionTuning(str(tiny_model_dir), finetuning="lora", load_in_4bit=True)
    with pytest.raises(RuntimeError, match="model.load_in_4bit \\(QLoRA\\) needs a CUDA GPU"):
        module.configure_model()


def test_gradient_checkpointing_with_lora_still_trains(tiny_model_dir):
    module = InstructionTuning(str(tiny_model_dir), finetuning="lora", lora=LoraSettings(r=2, dropout=0.0),
                               gradient_checkpointing=True)
    module.configure_model()
    assert module.model.get_base_model().is_gradient_checkpointing
    ids = torch.tensor([[4, 5, 6, 7, 8, 9]])
    module.model(input_ids=ids, labels=ids, use_cache=False).loss.backward()
    grads = [p.grad for n, p in module.model.named_parameters() if "lora_B" in n]  # lora_A gets 0: B starts at 0
    assert grads and all(g is not None and g.abs().sum() > 0 for g in grads)


def trained_lora(tiny_model_dir):
    """A LoRA model whose adapter weights are not at their (zero-update) initial values."""
    module = InstructionTuning(str(tiny_model_dir), finetuning="lora", lora=LoraSettings(r=4, alpha=8, dropout=0.0))
    module.configure_model()
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in module.model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.2)
    return module.model.eval()


def test_lora_export_loads_as_adapter_and_as_merged_model_with_the_same_outputs(tmp_path, tiny_model_dir):
    model = trained_lora(tiny_model_dir)
    tokenizer = load_tokenizer(str(tiny_model_dir))
    out = export_hf(model, model.state_dict(), tmp_path / "step-3", tokenizer, merged=True)
    ids = torch.tensor([[4, 20, 30, 40, 50, 60]])
    with torch.no_grad():
        expected = model(input_ids=ids).logits
        base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)(input_ids=ids).logits
    assert (expected - base).abs().max() > 1e-3  # the adapter changes the outputs, so the checks below can fail

    adapter = AutoPeftModelForCausalLM.from_pretrained(out)
    merged = AutoModelForCausalLM.from_pretrained(out / "merged")
    assert not any("lora" in n for n, _ in merged.named_parameters())
    with torch.no_grad():
        assert torch.allclose(adapter(input_ids=ids).logits, expected, atol=1e-5)
        assert torch.allclose(merged(input_ids=ids).logits, expected, atol=1e-4)
    # The tokenizer, with the chat template trained with, is saved beside each.
    for folder in (out, out / "merged"):
        assert load_tokenizer(str(folder)).chat_template == tokenizer.chat_template


def test_full_export_loads_with_from_pretrained(tmp_path, tiny_model_dir):
    module = InstructionTuning(str(tiny_model_dir))
    module.configure_model()
    state = {k: v + 0.01 for k, v in module.model.state_dict().items()}  # the exported weights, not the live ones
    out = export_hf(module.model, state, tmp_path / "step-1", load_tokenizer(str(tiny_model_dir)))
    loaded = AutoModelForCausalLM.from_pretrained(out)
    for name, tensor in loaded.state_dict().items():
        assert torch.equal(tensor, state[name]), name


def test_a_merged_export_of_a_4bit_model_is_refused(tmp_path, tiny_model_dir):
    model = trained_lora(tiny_model_dir)
    base = model.get_base_model()
    base.is_loaded_in_4bit = True  # what transformers marks a bitsandbytes 4-bit model with (no GPU here)
    with pytest.raises(ValueError, match="merged export of a 4-bit \\(QLoRA\\) model is refused"):
        export_hf(model, model.state_dict(), tmp_path / "step-1", None, merged=True)
    assert not (tmp_path / "step-1" / "merged").exists()
    del base.is_loaded_in_4bit
    base.config.quantization_config = {"quant_method": "bitsandbytes", "load_in_4bit": True}  # as saved 4-bit
    with pytest.raises(ValueError, match="merge it into the unquantised base model"):
        export_hf(model, model.state_dict(), tmp_path / "step-2", None, merged=True)
    export_hf(model, model.state_dict(), tmp_path / "step-3", None, merged=False)  # the adapter alone is fine
    assert (tmp_path / "step-3" / "adapter_config.json").exists()


def test_qlora_with_a_merged_export_is_refused_in_the_config():
    with pytest.raises(ValueError, match="model.export_merged cannot fold LoRA into 4-bit \\(load_in_4bit\\)"):
        InstructionTuning("m", finetuning="lora", load_in_4bit=True, export_merged=True)


def test_all_linear_is_the_one_string_target():
    assert LoraSettings(target_modules="all-linear").target_modules == "all-linear"
    with pytest.raises(ValueError, match="must be a list of names or 'all-linear', got 'q_proj'"):
        LoraSettings(target_modules="q_proj")

"""Each model family users tune, as a tiny random-init stand-in: LoRA targets resolve, padding-free batches keep
examples apart, labels cover exactly the assistant's tokens, BOS and EOS are right, and the adapter and merged
exports load back with the same outputs."""

import pytest
import torch
from peft import AutoPeftModelForCausalLM
from transformers import AutoModelForCausalLM

from tests.trainers.families import FAMILIES
from trainers.data import MathCampsData
from trainers.export import export_hf
from trainers.hf import load_model, load_tokenizer, use_training_template
from trainers.lora import LoraSettings, apply_lora, linear_module_names, target_modules
from trainers.module import IGNORE, PackingUnsupported, check_packed_attention
from trainers.tokens import encode_example

NAMES = list(FAMILIES)
CHAT = [{"role": "user", "content": "What is 2 + 3?"}, {"role": "assistant", "content": "2 + 3 = 5"},
        {"role": "user", "content": "And 4 + 4?"}, {"role": "assistant", "content": "### Answer: 8"}]


def tokenizer_of(model_dir, name):
    tokenizer = load_tokenizer(str(model_dir))
    use_training_template(tokenizer, name)  # as trainers.fit does: the default template where the family has none
    return tokenizer


def runs(labels):
    """(start, end) of each run of target labels."""
    out, start = [], None
    for i, label in enumerate([*labels, IGNORE]):
        if label != IGNORE and start is None:
            start = i
        elif label == IGNORE and start is not None:
            out.append((start, i))
            start = None
    return out


@pytest.mark.parametrize("name", NAMES)
def test_labels_cover_exactly_the_assistant_tokens_with_bos_and_eos_right(name, family_model_dir):
    family = FAMILIES[name]
    tokenizer = tokenizer_of(family_model_dir(name), name)
    example = encode_example(tokenizer, CHAT)
    ids, labels = example["input_ids"], example["labels"]
    replies = [m["content"] for m in CHAT if m["role"] == "assistant"]
    spans = runs(labels)
    assert [tokenizer.decode(ids[a:b]) for a, b in spans] == [family.reply.format(r) for r in replies]
    assert all(labels[i] == ids[i] for a, b in spans for i in range(a, b))
    assert labels[-1] == ids[-1] == tokenizer.eos_token_id
    prompt = tokenizer.decode([t for t, label in zip(ids, labels, strict=True) if label == IGNORE])
    assert all(m["content"] in prompt for m in CHAT if m["role"] == "user")
    assert not any(r in prompt for r in replies)
    bos = tokenizer.bos_token_id
    if family.add_bos:  # the family's tokenizer starts every text with BOS: so do its conversations, once
        assert ids[0] == bos and ids.count(bos) == 1
    else:
        assert bos is None or ids[0] != bos


@pytest.mark.parametrize("name", NAMES)
def test_lora_targets_resolve_default_and_all_linear(name, family_model_dir):
    model = load_model(str(family_model_dir(name)))
    defaults = target_modules(model, LoraSettings())
    every = target_modules(model, LoraSettings(target_modules="all-linear"))
    head = {n.rsplit(".", 1)[-1] for n, m in model.named_modules() if m is model.get_output_embeddings()}
    assert set(defaults) < set(every) and not head & set(every)
    assert set(every) | head == set(linear_module_names(model))
    wrapped = apply_lora(model, LoraSettings(r=2, target_modules="all-linear"))
    adapted = {n.split(".lora_")[0].rsplit(".", 1)[-1] for n, p in wrapped.named_parameters() if p.requires_grad}
    assert adapted == set(every)


@pytest.mark.parametrize("name", NAMES)
def test_padding_free_batches_keep_examples_apart(name, family_model_dir):
    model_dir = family_model_dir(name)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    tokenizer = tokenizer_of(model_dir, name)
    try:
        check_packed_attention(model, torch.device("cpu"))
    except PackingUnsupported as error:  # refused clearly, before training on crossed attention
        assert "set data.packing: false and data.padding_free: false" in str(error)
        pytest.fail(f"{name}: {error}")  # every family listed here is expected to support it; say which did not
    chats = [CHAT[:2], CHAT, [{"role": "user", "content": "Count to 3."}, {"role": "assistant", "content": "1 2 3"}]]
    examples = [encode_example(tokenizer, c) for c in chats]
    padded, free = MathCampsData(["K.OA.A.5"], padding_free=False), MathCampsData(["K.OA.A.5"])
    for data in (padded, free):
        data.set_tokenizer(tokenizer)
    a, b = padded.collate(examples), free.collate(examples)
    assert b["input_ids"].shape[0] < a["input_ids"].shape[0]  # the examples share rows

    def forward(batch):
        batch = {k: v for k, v in batch.items() if k != "num_tokens"}
        with torch.no_grad():
            return model(**batch, use_cache=False)

    unpacked, packed = forward(a), forward(b)
    assert packed.loss.item() == pytest.approx(unpacked.loss.item(), rel=1e-5)
    # Each example's logits, found in the packed rows by its restarting positions, equal its padded row's.
    found = []
    for row, positions in zip(packed.logits, b["position_ids"], strict=True):
        starts = [i for i, p in enumerate(positions.tolist()) if p == 0] + [len(positions)]
        found += [row[s:e] for s, e in zip(starts, starts[1:])]
    lengths = {len(e["input_ids"]): i for i, e in enumerate(examples)}
    for logits in found:
        if logits.shape[0] in lengths:
            i = lengths.pop(logits.shape[0])
            assert (logits - unpacked.logits[i, : logits.shape[0]]).abs().max() < 1e-4
    assert not lengths  # every example was found


@pytest.mark.parametrize("name", NAMES)
def test_adapter_and_merged_exports_load_back_with_the_same_outputs(name, family_model_dir, tmp_path):
    model_dir = family_model_dir(name)
    model = apply_lora(load_model(str(model_dir)), LoraSettings(r=2, alpha=4, dropout=0.0,
                                                                target_modules="all-linear"))
    torch.manual_seed(0)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.2)
    model.eval()
    out = export_hf(model, model.state_dict(), tmp_path / "step-1", tokenizer_of(model_dir, name), merged=True)
    ids = torch.tensor([[5, 40, 41, 42, 43, 44, 45]])
    with torch.no_grad():
        expected = model(input_ids=ids).logits
        base = AutoModelForCausalLM.from_pretrained(model_dir)(input_ids=ids).logits
        assert (expected - base).abs().max() > 1e-3  # the adapter changes the outputs, so the checks can fail
        adapter = AutoPeftModelForCausalLM.from_pretrained(out).eval()
        merged = AutoModelForCausalLM.from_pretrained(out / "merged").eval()
        assert torch.allclose(adapter(input_ids=ids).logits, expected, atol=1e-5)
        assert torch.allclose(merged(input_ids=ids).logits, expected, atol=1e-4)


def test_the_training_template_adds_bos_only_where_the_tokenizer_does(family_model_dir):
    from probes.protocol import has_own_chat_template
    from trainers.hf import DEFAULT_CHAT_TEMPLATE, DEFAULT_CHAT_TEMPLATE_BOS, is_training_template

    chosen = {}
    for name in ("llama-base", "gpt_neox"):
        tokenizer = load_tokenizer(str(family_model_dir(name)))
        assert use_training_template(tokenizer, name)
        chosen[name] = tokenizer.chat_template
        assert is_training_template(tokenizer.chat_template) and not has_own_chat_template(tokenizer)
    assert chosen == {"llama-base": DEFAULT_CHAT_TEMPLATE_BOS, "gpt_neox": DEFAULT_CHAT_TEMPLATE}
    own = load_tokenizer(str(family_model_dir("qwen2")))
    assert not use_training_template(own, "qwen2") and has_own_chat_template(own)

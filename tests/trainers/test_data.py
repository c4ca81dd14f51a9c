"""The instruction-tuning data: loss on the reply only, EOS at its end, held-out structures never trained on."""

import json
import random

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from mathcamps.generate import generate_problems
from mathcamps.grammar.parse import structure_key
from tests.conftest import QUICK_STANDARDS
from tests.reference import reference_dir
from trainers.batches import first_fit, slots_of
from trainers.data import IGNORE, EpochBatches, MathCampsData, encode_example, fit_rows, pack, shuffled_batches
from trainers.hf import DEFAULT_CHAT_TEMPLATE, load_tokenizer, use_training_template
from trainers.sources import DataFileError, chat_messages, read_chat_jsonl, read_published


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


def test_shuffled_batches_cover_every_example_once_deterministically():
    batches = shuffled_batches(1000, batch_size=16, seed=3)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert [len(b) for b in batches] == [16] * 62 + [8]
    assert batches == shuffled_batches(1000, batch_size=16, seed=3)
    assert batches != shuffled_batches(1000, batch_size=16, seed=4)


# -- sources -------------------------------------------------------------------------------------------------


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def test_jsonl_reads_chat_messages_and_instruction_rows(tmp_path, tokenizer):
    path = write_lines(tmp_path / "chat.jsonl", [
        json.dumps({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2 + 2?"},
                                 {"role": "assistant", "content": "4"}]}),
        "",
        json.dumps({"instruction": "Add the numbers.", "input": "3 and 4", "output": "7"}),
        json.dumps({"instruction": "Say hi.", "output": "hi"}),
    ])
    chats = read_chat_jsonl(path)
    assert [len(c) for c in chats] == [3, 2, 2]
    assert chats[1] == [{"role": "user", "content": "Add the numbers.\n\n3 and 4"},
                        {"role": "assistant", "content": "7"}]
    assert chats[2][0]["content"] == "Say hi."
    data = MathCampsData(jsonl=[path], batch_size=2)
    data.set_tokenizer(tokenizer)
    data.setup("fit")
    assert len(data.train_examples) == 3


@pytest.mark.parametrize(("line", "why"), [
    ('{"messages": [{"role": "user", "content": "hi"}', "not JSON"),
    ('["a list"]', "expected a JSON object, got list"),
    ('{"messages": []}', "'messages' must be a non-empty list"),
    ('{"messages": [{"role": "user", "content": "hi"}]}', "the last message must be the assistant's"),
    ('{"messages": [{"role": "robot", "content": "hi"}]}', "role 'robot'"),
    ('{"messages": [{"role": "user", "content": 3}]}', "string 'role' and 'content'"),
    ('{"instruction": "Add.", "output": [7]}', "field 'output' must be a non-empty string, got [7]"),
    ('{"prompt": "a", "completion": "b"}', "got keys ['completion', 'prompt']"),
])
def test_a_malformed_row_names_the_file_the_line_and_why(tmp_path, line, why):
    good = json.dumps({"instruction": "Say hi.", "output": "hi"})
    path = write_lines(tmp_path / "bad.jsonl", [good, good, line])
    with pytest.raises(DataFileError) as error:
        read_chat_jsonl(path)
    assert str(error.value).startswith(f"{path}:3: ")
    assert why in str(error.value)


def test_published_files_give_their_original_problems_with_the_answer_as_reply(tmp_path, tokenizer):
    reference = reference_dir() / "mathcamps-v1"
    path = reference / "1.OA.A.1.json"
    problems = read_published(path)
    dialogues = json.loads(path.read_text())
    assert len(problems) == len(dialogues)  # one original per dialogue, follow-ups left out
    assert all(not p.is_followup for p in problems)
    assert chat_messages(problems[0])[-1]["content"] == f"### Answer: {dialogues[0][0]['answer']}"
    # Held-out structures are removed from published problems too.
    data = MathCampsData(published=[path], max_seq_len=512)
    data.hold_out(problems[:5])
    held = {structure_key(p.structure) for p in problems[:5]}
    assert len(data.problems()) == sum(structure_key(p.structure) not in held for p in problems) < len(problems) - 4
    # A release folder reads every per-standard file.
    folder = tmp_path / "release"
    folder.mkdir()
    for name in ("1.OA.A.1.json", "K.CC.C.7.json"):
        (folder / name).write_text((reference / name).read_text())
    assert {p.standard for p in read_published(folder)} == {"1.OA.A.1", "K.CC.C.7"}


def test_a_missing_data_file_is_named(tmp_path):
    with pytest.raises(DataFileError, match="nope.jsonl"):
        read_chat_jsonl(tmp_path / "nope.jsonl")
    with pytest.raises(DataFileError, match="does not exist"):
        read_published(tmp_path / "nope.json")


def test_a_data_module_needs_a_source():
    with pytest.raises(ValueError, match="data needs a source"):
        MathCampsData()


# -- chat template, labels, EOS ------------------------------------------------------------------------------


def test_a_base_tokenizer_gets_the_default_template_for_training_only_when_asked(tmp_path, tiny_model_dir):
    base = AutoTokenizer.from_pretrained(tiny_model_dir)
    base.chat_template = None
    base.save_pretrained(tmp_path / "base")
    (tmp_path / "base" / "chat_template.jinja").unlink(missing_ok=True)
    tokenizer = load_tokenizer(str(tmp_path / "base"))
    assert tokenizer.chat_template is None  # loading never swaps a template in
    assert use_training_template(tokenizer, "base") and tokenizer.chat_template == DEFAULT_CHAT_TEMPLATE
    assert not use_training_template(load_tokenizer(str(tiny_model_dir)), "tiny")  # its own template is kept
    messages = [{"role": "user", "content": "1 + 1"}, {"role": "assistant", "content": "2"}]
    example = encode_example(tokenizer, messages)
    assert example["input_ids"][-1] == tokenizer.eos_token_id and example["labels"][-1] == tokenizer.eos_token_id
    prompt = tokenizer.decode([t for t, lab in zip(example["input_ids"], example["labels"]) if lab == IGNORE])
    assert prompt == "### Question:\n1 + 1\n\n### Answer:\n"


def test_every_assistant_turn_takes_loss_and_ends_with_eos(tokenizer):
    messages = [{"role": "user", "content": "1 + 1"}, {"role": "assistant", "content": "2"},
                {"role": "user", "content": "and 2 + 2"}, {"role": "assistant", "content": "4"}]
    example = encode_example(tokenizer, messages)
    targets = [t for t, lab in zip(example["input_ids"], example["labels"]) if lab != IGNORE]
    eos = tokenizer.eos_token_id
    assert targets.count(eos) == 2 and targets[-1] == eos
    assert tokenizer.decode(targets, skip_special_tokens=True).replace(" ", "") == "24"
    whole = tokenizer.apply_chat_template(messages, tokenize=False)
    assert tokenizer.decode(example["input_ids"]) == whole.rstrip("\n")  # the same text the template renders


# -- packing -------------------------------------------------------------------------------------------------


def test_packed_loss_equals_unpacked_loss(tiny_model_dir, tokenizer):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    problems = generate_problems(QUICK_STANDARDS, 2, seed=5, followups=False)
    examples = [encode_example(tokenizer, chat_messages(p)) for p in problems]
    data = MathCampsData(QUICK_STANDARDS, padding_free=False)  # a padded row per example: the reference layout
    data.set_tokenizer(tokenizer)
    rows = pack(examples, max_len=160)
    assert len(rows) < len(examples)  # several examples share a row
    assert len({len(r["input_ids"]) for r in rows}) > 1  # rows of unequal length, so some are padded

    def run(batch):
        batch = dict(batch)
        batch.pop("num_tokens")
        with torch.no_grad():
            return model(**batch, use_cache=False)  # as in training: no cache, so the packing is seen

    unpacked, packed = run(data.collate(examples)), run(data.collate(rows))
    assert packed.loss.item() == pytest.approx(unpacked.loss.item(), rel=1e-6)

    def per_sample(logits, layout):  # each sample's logits, in order, from a batch of rows
        out = []
        for row, positions in zip(logits, layout, strict=True):
            starts = [i for i, p in enumerate(positions) if p == 0] + [len(positions)]
            out += [row[a:b] for a, b in zip(starts, starts[1:])]
        return out

    unpacked_logits = [row[: len(e["input_ids"])] for row, e in zip(unpacked.logits, examples, strict=True)]
    packed_logits = per_sample(packed.logits, [r["position_ids"] for r in rows])
    assert max((a - b).abs().max().item() for a, b in zip(unpacked_logits, packed_logits, strict=True)) < 1e-4
    # Without the per-sample positions, attention crosses samples and the later samples' logits change,
    # so this check can fail (the random-init model's loss alone barely moves).
    crossing = run(data.collate([{"input_ids": r["input_ids"], "labels": r["labels"]} for r in rows]))
    leaked = per_sample(crossing.logits, [r["position_ids"] for r in rows])
    assert max((a - b).abs().max().item() for a, b in zip(unpacked_logits, leaked, strict=True)) > 1e-2


def test_fit_rows_packs_first_fit_decreasing_and_keeps_every_example():
    examples = [{"input_ids": [n] * n, "labels": [n] * n} for n in (3, 5, 1, 4, 3)]
    rows = fit_rows(examples, max_len=8)
    # 5+3 and 4+3+1: two full rows, where one padded row per example would take 5 rows of 5.
    assert [r["input_ids"] for r in rows] == [[5] * 5 + [3] * 3, [4] * 4 + [3] * 3 + [1]]
    assert [r["position_ids"] for r in rows] == [[*range(5), *range(3)], [*range(4), *range(3), 0]]


def test_fit_rows_narrows_the_rows_when_that_takes_fewer_slots():
    examples = [{"input_ids": [n] * n, "labels": [n] * n} for n in (4, 4, 3, 3, 2)]
    # First fit at the full width gives rows of 4+4+2 and 3+3, so a batch of 2 x 10 slots; 2 rows of 8 hold it.
    rows = fit_rows(examples, max_len=10)
    assert [r["input_ids"] for r in rows] == [[4] * 8, [3] * 6 + [2] * 2]


def test_fit_rows_keeps_every_example_in_no_more_slots_than_full_width_rows():
    rng = random.Random(3)
    for _ in range(200):
        lengths = [rng.randint(1, 40) for _ in range(rng.randint(1, 40))]
        examples = [{"input_ids": [i] * n, "labels": [i] * n} for i, n in enumerate(lengths)]
        rows = fit_rows(examples, max_len=48)
        full = first_fit(sorted(examples, key=lambda e: -len(e["input_ids"])), 48)
        assert sorted(t for r in rows for t in r["input_ids"]) == sorted(t for e in examples for t in e["input_ids"])
        assert max(len(r["input_ids"]) for r in rows) <= 48
        assert len(rows) * max(len(r["input_ids"]) for r in rows) <= slots_of(full)


def test_padding_free_batches_keep_the_examples_targets_and_loss(tiny_model_dir, tokenizer):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    problems = generate_problems(QUICK_STANDARDS, 3, seed=7, followups=False)
    examples = [encode_example(tokenizer, chat_messages(p)) for p in problems]
    padded, free = MathCampsData(QUICK_STANDARDS, padding_free=False), MathCampsData(QUICK_STANDARDS)
    for data in (padded, free):
        data.set_tokenizer(tokenizer)
    a, b = padded.collate(examples), free.collate(examples)
    assert b["input_ids"].shape[0] < a["input_ids"].shape[0]  # fewer rows...
    assert b["input_ids"].numel() < a["input_ids"].numel()  # ...and fewer slots to compute
    assert b["input_ids"].shape[1] <= free.max_seq_len
    assert b["num_tokens"] == a["num_tokens"]
    assert (b["labels"][:, 1:] != IGNORE).sum() == (a["labels"][:, 1:] != IGNORE).sum()

    def loss(batch):
        batch = {k: v for k, v in batch.items() if k != "num_tokens"}
        with torch.no_grad():
            return model(**batch, use_cache=False).loss.item()

    assert loss(b) == pytest.approx(loss(a), rel=1e-5)


# -- batches: sharding, resuming, the validation split --------------------------------------------------------


def test_two_ranks_share_out_the_global_batches_of_one_process():
    lengths = [(i * 37) % 50 + 1 for i in range(203)]
    one = EpochBatches(lengths, batch_size=8, seed=1)
    ranks = [EpochBatches(lengths, batch_size=4, seed=1, rank=r, world_size=2) for r in (0, 1)]
    for epoch in (0, 1):
        for sampler in (one, *ranks):
            sampler.set_epoch(epoch)
        shards = [list(s) for s in ranks]
        assert len(shards[0]) == len(shards[1]) == len(one)
        for whole, a, b in zip(one, *shards, strict=True):
            assert sorted(a + b) == sorted(whole)
    one.set_epoch(0)
    first = list(one)
    one.set_epoch(1)
    assert list(one) != first  # a new shuffle each epoch


def test_the_batch_sampler_resumes_mid_epoch():
    lengths = list(range(1, 100))
    sampler = EpochBatches(lengths, batch_size=4, seed=0)
    sampler.set_epoch(3)
    expected = list(sampler)
    resumed = EpochBatches(lengths, batch_size=4, seed=0)
    resumed.load_state_dict({"epoch": 3, "consumed": 7})
    resumed.set_epoch(3)
    assert list(resumed) == expected[7:]
    assert list(resumed) == expected  # the skip applies once


def test_validation_split_is_deterministic_and_disjoint(tokenizer):
    def split(seed):
        data = MathCampsData(["K.OA.A.5", "1.OA.A.1"], per_standard=30, seed=seed, val_fraction=0.2)
        data.set_tokenizer(tokenizer)
        data.setup("fit")
        return [tuple(e["input_ids"]) for e in data.train_examples], [tuple(e["input_ids"]) for e in data.val_examples]

    train, val = split(0)
    assert len(val) == 12 and not set(train) & set(val)
    assert split(0) == (train, val)
    assert split(1)[1] != val

"""Training sources: format presets and field mappings, HF datasets from local files, JSON rows named by line,
bad rows skipped and counted, over-long examples cut or dropped per source, mixture weights, cached token ids."""

import doctest
import json
import logging

import pytest

from trainers import formats, mixture, tokens
from trainers.data import MathCampsData
from trainers.formats import Fields, RowError, to_messages
from trainers.hf import load_tokenizer
from trainers.mixture import shares
from trainers.sources import DataFileError, Source, read_conversations
from trainers.tokens import encode_example

GSM8K_ROW = {"question": "Ann has 3 bags of 4 apples. How many apples?",
             "answer": "She has 3 * 4 = <<3*4=12>>12 apples.\n#### 12"}


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return load_tokenizer(str(tiny_model_dir))


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("module", [formats, mixture, tokens], ids=lambda m: m.__name__)
def test_doctests_pass(module):
    result = doctest.testmod(module)
    assert result.attempted >= 2 and result.failed == 0


def test_presets_read_gsm8k_metamath_alpaca_and_chat_rows():
    assert to_messages(GSM8K_ROW, "gsm8k") == [
        {"role": "user", "content": GSM8K_ROW["question"]},
        {"role": "assistant", "content": "She has 3 * 4 = 12 apples.\n### Answer: 12"}]
    assert to_messages(GSM8K_ROW, "auto") == to_messages(GSM8K_ROW, "gsm8k")
    metamath = {"query": "What is 2 + 2?", "response": "2 + 2 = 4. The answer is: 4", "type": "GSM_AnsAug"}
    assert to_messages(metamath, "auto") == [{"role": "user", "content": "What is 2 + 2?"},
                                             {"role": "assistant", "content": "2 + 2 = 4. The answer is: 4"}]
    alpaca = {"instruction": "Add.", "input": "3 and 4", "output": "7"}
    assert to_messages(alpaca, "alpaca")[0]["content"] == "Add.\n\n3 and 4"
    assert to_messages({**alpaca, "input": ""}, "alpaca")[0]["content"] == "Add."
    chat = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    assert to_messages(chat, "messages") == chat["messages"]


def test_an_explicit_field_mapping_reads_the_named_columns():
    fields = Fields(prompt=["problem", "hint"], response="solution", system="persona")
    row = {"problem": "What is 5 - 2?", "hint": "Count back.", "solution": "3", "persona": "You are a tutor."}
    assert to_messages(row, "fields", fields) == [
        {"role": "system", "content": "You are a tutor."},
        {"role": "user", "content": "What is 5 - 2?\n\nCount back."},
        {"role": "assistant", "content": "3"}]
    with pytest.raises(RowError, match="field 'solution' must be a non-empty string, got nothing"):
        to_messages({"problem": "x"}, "fields", fields)
    with pytest.raises(ValueError, match="prompt and response must both be set"):
        Fields(prompt=["problem"])


def test_a_gsm8k_row_without_its_final_answer_line_is_a_bad_row(tmp_path):
    path = write_jsonl(tmp_path / "gsm8k.jsonl", [GSM8K_ROW, {**GSM8K_ROW, "answer": "It is 12."}])
    with pytest.raises(DataFileError, match=r"gsm8k.jsonl:2: field 'answer' has no final '#### <answer>' line"):
        read_conversations(Source(file=str(path), format="gsm8k"))
    read = read_conversations(Source(file=str(path), format="gsm8k"), skip_bad_rows=True)
    assert (read.rows, read.bad, len(read.conversations)) == (2, 1, 1)
    assert read.first_bad.endswith("gsm8k.jsonl:2: field 'answer' has no final '#### <answer>' line (GSM8K format)")


def test_an_hf_dataset_of_local_files_reads_by_preset_or_by_fields(tmp_path):
    rows = [{**GSM8K_ROW, "question": f"Q{i}: {GSM8K_ROW['question']}"} for i in range(5)]
    path = write_jsonl(tmp_path / "train.jsonl", rows)
    read = read_conversations(Source(dataset="json", data_files=[str(path)], format="gsm8k"))
    assert [c[0]["content"] for c in read.conversations] == [r["question"] for r in rows]
    assert read.conversations[0][1]["content"].endswith("### Answer: 12")
    auto = read_conversations(Source(dataset="json", data_files=[str(path)], split="train[:2]"))
    assert auto.conversations == read.conversations[:2]  # the layout is read from the columns; slices work
    csv = tmp_path / "train.csv"
    csv.write_text("problem,solution\nWhat is 1 + 1?,2\nWhat is 2 + 5?,7\n")
    mapped = read_conversations(Source(dataset="csv", data_files=[str(csv)], format="fields",
                                       fields=Fields(prompt=["problem"], response="solution")))
    assert mapped.conversations[1] == [{"role": "user", "content": "What is 2 + 5?"},
                                       {"role": "assistant", "content": "7"}]
    with pytest.raises(DataFileError, match=r"no column \['query', 'response'\] for format 'metamath'; its"):
        read_conversations(Source(dataset="json", data_files=[str(path)], format="metamath"))
    csv.write_text("problem,solution\nWhat is 1 + 1?,\n")
    with pytest.raises(DataFileError, match=r"dataset csv .*: field 'solution' must be a non-empty string") as error:
        read_conversations(Source(dataset="csv", data_files=[str(csv)], format="fields",
                                  fields=Fields(prompt=["problem"], response="solution")))
    assert "row 0" in str(error.value) and "\n" not in str(error.value)


def test_a_missing_dataset_is_a_one_line_error(tmp_path):
    with pytest.raises(DataFileError, match="could not load dataset json") as error:
        read_conversations(Source(dataset="json", data_files=[str(tmp_path / "nope.jsonl")]))
    assert "\n" not in str(error.value)


def test_a_bad_row_of_a_json_file_is_named_by_the_line_it_starts_on(tmp_path):
    good = {"instruction": "Say hi.", "output": "hi"}
    path = tmp_path / "rows.json"
    path.write_text("[\n" + json.dumps(good, indent=2) + ",\n" + json.dumps(good, indent=2) + ",\n"
                    + json.dumps({"instruction": "Add.", "output": None}, indent=2) + "\n]\n")
    start = [n for n, line in enumerate(path.read_text().splitlines(), 1) if line == "{"][2]  # the third row's
    with pytest.raises(DataFileError, match=f"rows.json:{start}: field 'output' must be a non-empty string, got None"):
        read_conversations(Source(file=str(path)))
    path.write_text(json.dumps([good, good]))
    assert len(read_conversations(Source(file=str(path))).conversations) == 2


@pytest.mark.parametrize(("source", "message"), [
    ({"file": "a.jsonl", "dataset": "json"}, "data.sources[0]: set exactly one of standards, published, file"),
    ({}, "data.sources[0]: set exactly one of standards, published, file or dataset, got none"),
    ({"file": "a.jsonl", "format": "fields"}, "data.sources[0]: format: fields and fields go together"),
    ({"standards": ["K.OA.A.5"], "format": "gsm8k"}, "data.sources[0].format applies to file and dataset"),
    ({"file": "a.jsonl", "split": "test"}, "data.sources[0]: config, split, data_files and revision apply to"),
    ({"standards": ["K.OA.A.5"], "weight": 0}, "data.sources[0].weight must be > 0, got 0"),
    ({"standards": ["K.OA.A.55"]}, "data.sources[0].standards: unknown standard 'K.OA.A.55'. Did you mean 'K.OA.A.5'"),
])
def test_a_source_that_cannot_work_names_the_key(source, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        MathCampsData(sources=[Source(**source)])


def test_weights_go_on_every_source_or_none():
    with pytest.raises(ValueError, match=r"data.sources\[0\].weight is set but data.standards has none"):
        MathCampsData(["K.OA.A.5"], sources=[Source(file="a.jsonl", weight=1.0)])


def test_shares_split_the_epoch_by_weight_exactly():
    assert shares([300, 100], None) == [300, 100]
    assert shares([300, 100], [1, 3]) == [100, 300]
    assert sum(shares([7, 5, 1], [1, 1, 1])) == 13


def test_a_two_source_mixture_draws_each_source_by_its_weight(tmp_path, tokenizer, caplog):
    rows = [{**GSM8K_ROW, "question": f"Bob has {i} pens and buys 2 more. How many pens?"} for i in range(20)]
    gsm8k = write_jsonl(tmp_path / "gsm8k.jsonl", rows)
    data = MathCampsData(sources=[Source(dataset="json", data_files=[str(gsm8k)], format="gsm8k", weight=3.0),
                                  Source(standards=["K.OA.A.5", "1.OA.A.1"], per_standard=30, weight=1.0)],
                         max_seq_len=256, cache_dir=tmp_path / "cache", val_fraction=0.1)
    data.set_tokenizer(tokenizer)
    with caplog.at_level(logging.INFO):
        data.setup("fit")
    hf, generated = data.counts
    assert (hf.train, hf.val, generated.train, generated.val) == (18, 2, 54, 6)
    assert (hf.drawn, generated.drawn) == (54, 18)  # 72 training examples split 3:1
    assert len(data.train_examples) == 72
    marker = tokenizer("### Answer: 12", add_special_tokens=False)["input_ids"]

    def from_gsm8k(example):  # every GSM8K reply here ends with this answer line; MathCAMPS solutions do not
        ids = example["input_ids"]
        return any(ids[i : i + len(marker)] == marker for i in range(len(ids)))

    assert sum(map(from_gsm8k, data.train_examples)) == 54
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "data: source 0, dataset json" in logged and "54 drawn per epoch (3.00 passes)" in logged
    assert "data: source 1, generated K.OA.A.5,1.OA.A.1 x30: 60 rows" in logged


def test_overlong_examples_are_cut_or_dropped_and_counted_per_source(tmp_path, tokenizer, caplog):
    long = {"instruction": "Count: " + " ".join(str(i) for i in range(60)), "output": "done"}
    short = {"instruction": "Say hi.", "output": "hi"}
    path = write_jsonl(tmp_path / "mixed.jsonl", [short, long, short, long, long])
    lengths = [len(encode_example(tokenizer, to_messages(r, "auto"))["input_ids"]) for r in (short, long)]
    max_len = (lengths[0] + lengths[1]) // 2
    assert lengths[0] <= max_len < lengths[1]

    def setup(overlong, rows=None):
        if rows is not None:
            write_jsonl(path, rows)
        data = MathCampsData(jsonl=[path], max_seq_len=max_len, overlong=overlong, cache_dir=tmp_path / "cache")
        data.set_tokenizer(tokenizer)
        with caplog.at_level(logging.INFO):
            data.setup("fit")
        return data

    dropped = setup("drop")
    assert (dropped.counts[0].too_long, dropped.counts[0].cut, len(dropped.train_examples)) == (3, 0, 2)
    assert f"3 longer than max_seq_len={max_len} dropped" in caplog.text
    cut = setup("truncate")
    # Cut at max_seq_len, the long rows would keep no reply to learn from, so they are dropped all the same.
    assert (cut.counts[0].too_long, cut.counts[0].cut, len(cut.train_examples)) == (3, 0, 2)
    answer_first = {"instruction": "Hi.", "output": " ".join(str(i) for i in range(60))}
    cut = setup("truncate", [short, answer_first])
    assert (cut.counts[0].cut, len(cut.train_examples)) == (1, 2)
    assert max(len(e["input_ids"]) for e in cut.train_examples) == max_len
    assert f"1 longer than max_seq_len={max_len} cut" in caplog.text


def test_bad_rows_stop_the_run_or_are_skipped_and_reported(tmp_path, tokenizer, caplog):
    path = write_jsonl(tmp_path / "chat.jsonl", [{"instruction": "Say hi.", "output": "hi"}, "{oops",
                                                 {"instruction": "Add.", "output": ""}])
    data = MathCampsData(jsonl=[path], cache_dir=tmp_path / "cache")
    data.set_tokenizer(tokenizer)
    with pytest.raises(DataFileError, match="chat.jsonl:2: not JSON"):
        data.setup("fit")
    data = MathCampsData(jsonl=[path], skip_bad_rows=True, cache_dir=tmp_path / "cache")
    data.set_tokenizer(tokenizer)
    with caplog.at_level(logging.INFO):
        data.setup("fit")
    assert (data.counts[0].rows, data.counts[0].bad, len(data.train_examples)) == (3, 2, 1)
    assert "3 rows, 2 bad rows skipped (first: " in caplog.text and "chat.jsonl:2: not JSON" in caplog.text


def test_token_ids_are_cached_by_conversations_and_tokenizer(tmp_path, tokenizer, monkeypatch):
    def setup(tok):
        data = MathCampsData(["K.OA.A.5"], per_standard=20, cache_dir=tmp_path / "cache")
        data.set_tokenizer(tok)
        data.setup("fit")
        return data

    first = setup(tokenizer)
    assert len(list((tmp_path / "cache").glob("tokens-*.arrow"))) == 1
    assert not first.counts[0].cached

    def refuse(*args):
        raise AssertionError("tokenised again")

    monkeypatch.setattr("trainers.tokens.encode_example", refuse)
    second = setup(tokenizer)  # read back, not tokenised: encode_example would raise
    assert second.train_examples == first.train_examples
    assert second.counts[0].cached and "(token ids cached)" in second.counts[0].report(256)
    other = load_tokenizer(str(tokenizer.name_or_path))
    other.chat_template = tokenizer.chat_template.replace("<|assistant|>", "<|system|>")
    with pytest.raises(AssertionError, match="tokenised again"):  # a new template is a new key
        setup(other)


def test_a_two_source_mixture_with_a_field_mapping_trains_through_the_cli(tmp_path, family_model_dir):
    import yaml

    from tests.trainers.fitting import STANDARDS, tiny_run_config
    from trainers.fit import main

    rows = [{"problem": f"Bob has {i} pens and buys 2 more. How many pens?", "solution": f"{i} + 2 = {i + 2}"}
            for i in range(30)]
    mine = write_jsonl(tmp_path / "mine.jsonl", rows)
    path = tiny_run_config(tmp_path, family_model_dir("qwen2"), max_steps=2, every_n_steps=2,
                           model={"finetuning": "lora", "lora": {"r": 2, "target_modules": "all-linear"}})
    config = yaml.safe_load(path.read_text())
    config["data"] = {
        "sources": [{"dataset": "json", "data_files": [str(mine)], "format": "fields",
                     "fields": {"prompt": ["problem"], "response": "solution"}, "weight": 1.0},
                    {"standards": STANDARDS, "per_standard": 10, "weight": 1.0}],
        "batch_size": 4, "max_seq_len": 256, "cache_dir": str(tmp_path / "cache")}
    path.write_text(yaml.safe_dump(config))
    cli = main(["--config", str(path)])
    assert cli.datamodule.sources[0].fields == Fields(prompt=["problem"], response="solution")
    assert [c.drawn for c in cli.datamodule.counts] == [30, 30]  # 60 examples, half each
    assert cli.trainer.global_step == 2
    assert (tmp_path / "run" / "version_0" / "hf" / "step-2" / "adapter_config.json").exists()

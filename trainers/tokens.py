"""Conversations as token ids with labels on the assistant's replies, cached in the `datasets` cache.

The cache key is the conversations and the tokenizer (its vocabulary, merges, special tokens and chat template),
so a second run with the same data and tokenizer reads the ids back instead of tokenising again, and any change
to either tokenises afresh.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from transformers import PreTrainedTokenizerBase

from trainers.formats import Messages
from trainers.module import IGNORE

Example = dict[str, list[int]]
Overlong = Literal["drop", "truncate"]
ENCODING = 1  # bump when encode_example changes what it produces, so old caches are not read


def encode_example(tokenizer: PreTrainedTokenizerBase, messages: Messages) -> Example:
    """Token ids of a chat, with labels on each assistant reply only, each reply ending with EOS.

    Each prompt (everything before a reply, up to the template's generation prompt) and each reply are
    tokenised apart, so a prompt's ids are exactly those the probe generates from. A reply the template
    does not end with EOS gets one appended, so the tuned model learns to stop; the text after a final EOS
    (a template's trailing newline) is cut.
    """
    eos = tokenizer.eos_token_id
    ids: list[int] = []
    labels: list[int] = []
    covered = ""  # template text already turned into ids
    turns = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
    if not turns:
        raise ValueError("a conversation needs at least one assistant message")
    for i in turns:
        prompt = tokenizer.apply_chat_template(messages[:i], tokenize=False, add_generation_prompt=True)
        full = tokenizer.apply_chat_template(messages[: i + 1], tokenize=False)
        if not (prompt.startswith(covered) and full.startswith(prompt)):
            raise ValueError("the chat template does not render each prompt as a prefix of the whole conversation")
        context = tokenizer(prompt[len(covered) :], add_special_tokens=False)["input_ids"]
        reply = tokenizer(full[len(prompt) :], add_special_tokens=False)["input_ids"]
        after: list[int] = []
        if eos in reply:
            cut = reply.index(eos) + 1
            reply, after = reply[:cut], (reply[cut:] if i != turns[-1] else [])
        else:
            reply = [*reply, eos]
        ids += context + reply + after
        labels += [IGNORE] * len(context) + reply + [IGNORE] * len(after)
        covered = full
    return {"input_ids": ids, "labels": labels}


def tokenizer_fingerprint(tokenizer: PreTrainedTokenizerBase) -> str:
    """A hash of everything about `tokenizer` that changes the ids `encode_example` gives."""
    from datasets.fingerprint import Hasher

    if tokenizer.is_fast:
        backend = tokenizer.backend_tokenizer.to_str()  # vocabulary, merges, normaliser, added tokens
    else:
        backend = json.dumps(sorted(tokenizer.get_vocab().items()))
    return Hasher.hash([type(tokenizer).__name__, backend, tokenizer.chat_template, tokenizer.eos_token_id,
                        tokenizer.bos_token_id, ENCODING])


def encode_cached(tokenizer: PreTrainedTokenizerBase, conversations: list[Messages],
                  cache_dir: Path | None = None) -> tuple[list[Example], bool]:
    """Every conversation encoded (in order), and whether the ids came from the cache.

    The ids are an Arrow file in `cache_dir` (by default `<datasets cache>/mathcamps-tokens/`) named by the hash
    of the conversations and the tokenizer; `datasets.Dataset.map` writes it (to a temporary file, then renamed,
    so an interrupted run leaves no half-written cache) and later runs memory-map it.
    """
    import datasets
    from datasets.fingerprint import Hasher

    if not conversations:
        return [], False
    folder = Path(cache_dir) if cache_dir is not None else Path(datasets.config.HF_DATASETS_CACHE) / "mathcamps-tokens"
    folder.mkdir(parents=True, exist_ok=True)
    key = Hasher.hash([tokenizer_fingerprint(tokenizer), conversations])
    path = folder / f"tokens-{key}.arrow"
    cached = path.exists()
    if cached:
        encoded = datasets.Dataset.from_file(str(path))
    else:
        table = datasets.Dataset.from_dict({"messages": conversations})
        encoded = table.map(lambda row: encode_example(tokenizer, row["messages"]), remove_columns=["messages"],
                            cache_file_name=str(path), new_fingerprint=key, desc="tokenising")
    columns = encoded.to_dict()
    return [{"input_ids": i, "labels": lab} for i, lab in zip(columns["input_ids"], columns["labels"], strict=True)], \
        cached


def fit_length(example: Example, max_len: int, overlong: Overlong) -> Example | None:
    """`example` if it fits in `max_len` tokens; else cut to `max_len` ("truncate"), or None ("drop").

    A cut that leaves no target (the reply starts past `max_len`) gives None too: nothing would be learned.

    >>> fit_length({"input_ids": [1, 2, 3], "labels": [-100, 2, 3]}, 2, "truncate")
    {'input_ids': [1, 2], 'labels': [-100, 2]}
    >>> fit_length({"input_ids": [1, 2, 3], "labels": [-100, -100, 3]}, 2, "truncate") is None
    True
    """
    if len(example["input_ids"]) <= max_len:
        return example
    if overlong == "drop":
        return None
    cut = {"input_ids": example["input_ids"][:max_len], "labels": example["labels"][:max_len]}
    return cut if any(label != IGNORE for label in cut["labels"][1:]) else None

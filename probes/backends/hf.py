"""Greedy batched generation for any `transformers` causal LM, built for throughput.

How it differs from calling `model.generate` per batch (the outputs are the same tokens):

- Prompts are tokenised once and batched longest first, so rows of a batch have similar lengths.
- The token prefix that every prompt shares (system message, worked example) is run through the model once;
  its keys and values are copied into each batch's cache instead of being recomputed.
- The cache is one buffer per layer that each step writes into, not a tensor concatenated afresh every step.
- A row stops at EOS, at a stop string or at the end of its `### Answer:` line, and leaves the batch at once:
  the cache, mask and positions keep only the rows still running.

Layout of a batch (B rows, shared prefix P, suffixes left-padded to S): `[prefix P][pad..][suffix]`, then the new
tokens. Pads are masked out, and positions count real tokens only, so each row sees exactly what it would see alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase
from transformers.cache_utils import Cache, DynamicCache, DynamicLayer

from probes.backends import Completion, FinishReason, GenerationSettings, stop_point


class _BufferLayer(DynamicLayer):
    """A full-attention cache layer whose keys and values live in one preallocated buffer, written in place.

    `DynamicLayer` concatenates the whole cache every step (a copy that grows with the sequence); here a step
    writes one position and the attention reads a view of the filled part.
    """

    def __init__(self, capacity: int, limit: int) -> None:
        super().__init__()
        self.capacity, self.limit, self.length = capacity, limit, 0

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        b, h, _, d = key_states.shape  # (B, heads, T, head_dim)
        self.device = key_states.device
        self._k = key_states.new_empty(b, h, self.capacity, d)
        self._v = value_states.new_empty(b, h, self.capacity, value_states.shape[-1])
        self.is_initialized = True

    def _grow(self, needed: int) -> None:
        # Doubling keeps copies rare; `limit` (prompt + max_new_tokens) bounds the memory of a row that runs long.
        capacity = min(max(needed, 2 * self.capacity), max(self.limit, needed))
        k = self._k.new_empty(*self._k.shape[:2], capacity, self._k.shape[3])
        v = self._v.new_empty(*self._v.shape[:2], capacity, self._v.shape[3])
        k[:, :, : self.length], v[:, :, : self.length] = self._k[:, :, : self.length], self._v[:, :, : self.length]
        self._k, self._v, self.capacity = k, v, capacity

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs
               ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        end = self.length + key_states.shape[-2]
        if end > self.capacity:
            self._grow(end)
        self._k[:, :, self.length : end] = key_states
        self._v[:, :, self.length : end] = value_states
        self.length = end
        self.keys, self.values = self._k[:, :, :end], self._v[:, :, :end]
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.length

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self.is_initialized:
            self._k, self._v = self._k[indices], self._v[indices]
            self.keys, self.values = self._k[:, :, : self.length], self._v[:, :, : self.length]

    def crop(self, tokens_to_remove: int) -> None:
        raise NotImplementedError("the generation cache is never cropped")

    def batch_repeat_interleave(self, repeats: int) -> None:
        raise NotImplementedError("the generation cache is never repeated")


def _full_attention_only(model: PreTrainedModel) -> bool:
    """Whether every layer attends to the whole sequence (no sliding windows), so `_BufferLayer` fits."""
    config = model.config.get_text_config(decoder=True)
    layer_types = getattr(config, "layer_types", None)
    if layer_types is not None:
        return all(t == "full_attention" for t in layer_types)
    return getattr(config, "sliding_window", None) is None or getattr(config, "use_sliding_window", True) is False


def common_prefix(sequences: list[list[int]]) -> int:
    """Length of the longest token prefix shared by all `sequences`.

    >>> common_prefix([[1, 2, 3], [1, 2, 4], [1, 2]])
    2
    """
    if not sequences:
        return 0
    first, n = sequences[0], min(map(len, sequences))
    for seq in sequences[1:]:
        i = 0
        while i < n and seq[i] == first[i]:
            i += 1
        n = i
    return n


class HFBackend:
    """Greedy generation with a `transformers` causal LM; see the module docstring for how it is fast."""

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, settings: GenerationSettings,
                 batch_size: int = 16, share_prefix: bool = True) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.model, self.tokenizer, self.settings, self.batch_size = model, tokenizer, settings, batch_size
        self.buffered = _full_attention_only(model)
        # Sliding-window layers would see the prefix through positions they do not expect: no sharing for them.
        self.share_prefix = share_prefix and self.buffered
        eos = model.generation_config.eos_token_id
        eos = [eos] if isinstance(eos, int) else list(eos or [])
        if tokenizer.eos_token_id is not None:
            eos.append(tokenizer.eos_token_id)
        self.eos_ids = frozenset(eos)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else model.generation_config.pad_token_id
        self.pad_id = pad if pad is not None else 0
        # A peft wrapper passes keyword arguments through: ask the model underneath which ones it takes.
        params = inspect.signature(getattr(model, "get_base_model", lambda: model)().forward).parameters
        # transformers 5 renamed `past_key_values` to `cache` (the old name warns); use whichever forward takes.
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._keep_kw = "logits_to_keep" in params
        # sdpa and eager attention take a ready 4D additive mask as is; building it once per batch instead of
        # letting the model rebuild a boolean one from the 2D mask every step makes decoding steps cheaper.
        self._bias_mask = getattr(model.config, "_attn_implementation", None) in ("sdpa", "eager")
        self.prefix_tokens = 0  # length of the shared prefix of the last `generate` call, for reports and tests
        self.stop_window = 48  # tokens decoded per row and step to look for a stop; longer matches are cut at the end

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def _new_cache(self, limit: int, prefill: int) -> Cache:
        if not self.buffered:
            return DynamicCache(config=self.model.config)
        n_layers = self.model.config.get_text_config(decoder=True).num_hidden_layers
        # Start with room for the prompt and a modest answer; grow only for rows that keep going.
        capacity = min(limit, prefill + 256)
        return Cache(layers=[_BufferLayer(capacity, limit) for _ in range(n_layers)])

    def _forward(self, ids: torch.Tensor, cache: Cache, mask: torch.Tensor | None = None,
                 positions: torch.Tensor | None = None) -> torch.Tensor:
        """Logits of the last position, (B, vocab), after running `ids` (B, T) on top of `cache`."""
        kwargs = {self._cache_kw: cache, "use_cache": True}
        if self._keep_kw:
            kwargs["logits_to_keep"] = 1
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, **kwargs)
        return out.logits[:, -1]

    @torch.inference_mode()
    def generate(self, prompts: list[str]) -> Iterator[tuple[int, Completion]]:
        """Greedy completions of `prompts`, yielded as (index, completion) as each finishes."""
        if not prompts:
            return
        ids = self.tokenizer(prompts, add_special_tokens=False)["input_ids"]
        if any(len(x) == 0 for x in ids):
            raise ValueError(f"prompt {next(i for i, x in enumerate(ids) if not x)} is empty after tokenisation")
        # At least one token of every prompt stays outside the prefix: its logits give the first new token.
        n_prefix = min(common_prefix(ids), min(map(len, ids)) - 1) if self.share_prefix and len(ids) > 1 else 0
        self.prefix_tokens = n_prefix
        prefix_kv: list[tuple[torch.Tensor, torch.Tensor]] = []
        if n_prefix:
            cache = self._new_cache(n_prefix, n_prefix)
            self._forward(torch.tensor([ids[0][:n_prefix]], device=self.device), cache)
            prefix_kv = [(layer.keys, layer.values) for layer in cache.layers]  # each (1, heads, P, head_dim)
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))  # longest first: a batch too big fails early
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            yield from self._generate_batch(rows, [ids[i] for i in rows], n_prefix, prefix_kv)

    def _generate_batch(self, rows: list[int], ids: list[list[int]], n_prefix: int,
                        prefix_kv: list[tuple[torch.Tensor, torch.Tensor]]) -> Iterator[tuple[int, Completion]]:
        device, settings, max_new = self.device, self.settings, self.settings.max_new_tokens
        b, s = len(rows), max(len(x) for x in ids) - n_prefix
        width = n_prefix + s + max_new
        suffix = torch.full((b, s), self.pad_id, dtype=torch.long)  # (B, S), left-padded
        mask = torch.ones(b, width, dtype=torch.long)  # (B, P + S + max_new)
        for r, x in enumerate(ids):
            tail = x[n_prefix:]
            suffix[r, s - len(tail) :] = torch.tensor(tail)
            mask[r, n_prefix : n_prefix + s - len(tail)] = 0
        suffix, mask = suffix.to(device), mask.to(device)
        positions = mask[:, : n_prefix + s].cumsum(-1) - 1  # real tokens count from 0; pads get a dummy position
        positions = positions.masked_fill(mask[:, : n_prefix + s] == 0, 1)[:, n_prefix:]  # (B, S)

        cache = self._new_cache(width, n_prefix + s)
        for layer_idx, (k, v) in enumerate(prefix_kv):
            cache.update(k.expand(b, -1, -1, -1), v.expand(b, -1, -1, -1), layer_idx)
        # A mask of all ones is the same as none, and none lets attention take its causal fast path.
        full = bool(mask[:, : n_prefix + s].all())
        logits = self._forward(suffix, cache, None if full else mask[:, : n_prefix + s], positions)
        last = positions[:, -1]  # (B,)

        bias = None
        if self._bias_mask and not full:
            # (B, 1, 1, P + S + max_new): 0 where a row may attend, the dtype's minimum at its pads (not -inf,
            # which would turn a row with nothing to attend to into NaN).
            dtype = self.model.dtype if self.model.dtype.is_floating_point else torch.float32  # the queries' dtype
            bias = torch.zeros(b, 1, 1, width, dtype=dtype, device=device)
            bias.masked_fill_(mask[:, None, None, :] == 0, torch.finfo(dtype).min)
        active = list(range(b))  # batch rows still generating, in cache order
        generated: list[list[int]] = [[] for _ in range(b)]
        check_text = bool(settings.stops) or settings.stop_at_answer_line
        for step in range(max_new):
            next_ids = logits.argmax(-1)  # (B_active,)
            finished: dict[int, FinishReason] = {}  # slot -> why
            running = []
            for slot, token in enumerate(next_ids.tolist()):
                generated[active[slot]].append(token)
                if token in self.eos_ids:
                    finished[slot] = "eos"
                else:
                    running.append(slot)
            if check_text and running:
                # Only the last `stop_window` tokens are decoded each step, so a step costs the same however long
                # the responses grow; a hit there is confirmed on the whole text.
                tails = self.tokenizer.batch_decode([generated[active[slot]][-self.stop_window :] for slot in running],
                                                    skip_special_tokens=True)
                for slot, tail in zip(running, tails, strict=True):
                    if stop_point(tail, settings) and stop_point(self._decode(generated[active[slot]]), settings):
                        finished[slot] = "stop"
            if step == max_new - 1:
                finished |= {slot: "length" for slot in range(len(active)) if slot not in finished}
            for slot, reason in finished.items():
                r = active[slot]
                tokens = generated[r]
                text = self._decode(tokens[:-1] if reason == "eos" else tokens)
                # The whole text decides where a response ends (a stop the window missed is still cut off).
                cut = stop_point(text, settings)
                if cut is not None:
                    text, reason = text[: cut[0]], cut[1]
                yield rows[r], Completion(text, len(ids[r]), len(tokens), reason, tuple(tokens))
            if finished:
                keep = [slot for slot in range(len(active)) if slot not in finished]
                if not keep:
                    return
                index = torch.tensor(keep, device=device)
                cache.batch_select_indices(index)
                mask, last, next_ids = mask[index], last[index], next_ids[index]
                bias = None if bias is None else bias[index]
                active = [active[slot] for slot in keep]
                full = full or bool(mask.all())
            last = last + 1
            seen = n_prefix + s + step + 1
            step_mask = None if full else mask[:, :seen] if bias is None else bias[..., :seen]
            logits = self._forward(next_ids[:, None], cache, step_mask, last[:, None])

    def _decode(self, tokens: list[int]) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=True)


def load_hf_backend(name: str, settings: GenerationSettings, revision: str | None = None, batch_size: int = 16,
                    dtype: str = "auto", device: str = "auto") -> HFBackend:
    """Load a model and tokenizer (hub id or local directory, same code path) and wrap them in an `HFBackend`."""
    from trainers.hf import load_model, load_tokenizer

    dtypes = {"auto": None, "float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
    if dtype not in dtypes:
        raise ValueError(f"--dtype must be one of {sorted(dtypes)}, got {dtype!r}")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        torch_device = torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"--device {device!r} is not a torch device: {err}") from None
    if torch_device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {device!r} asks for CUDA, which this machine does not have")
    tokenizer = load_tokenizer(name, revision)
    model = load_model(name, revision)
    if dtypes[dtype] is not None:
        model = model.to(dtypes[dtype])
    model = model.to(torch_device).eval()
    return HFBackend(model, tokenizer, settings, batch_size)

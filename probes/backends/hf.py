"""Greedy batched generation for any `transformers` causal LM, built for throughput.

How it differs from calling `model.generate` per batch (the outputs are the same tokens):

- Prompts are tokenised once and batched longest first, so rows of a batch have similar lengths.
- The token prefix that every prompt shares (system message, worked example) is run through the model once;
  its keys and values are copied into each batch's cache instead of being recomputed.
- The cache is one buffer per layer that each step writes into, not a tensor concatenated afresh every step.
- A row stops at EOS, at a stop string or at the end of its `### Answer:` line, and leaves the batch at once:
  the cache, mask and positions keep only the rows still running.
- Prompt-lookup speculation: each step feeds a row's newest token together with up to `draft_tokens` guesses
  (the tokens that followed the row's last few tokens where they occurred before, in its prompt or its answer so
  far), and keeps the guesses the model's own greedy choices confirm. Answers copy numbers, names and phrases from
  the question and the worked example, and a forward pass over a few tokens costs far less than that many passes
  over one, so a step can yield several tokens; `DraftLength` guesses only while that pays. The kept tokens are the
  greedy ones, so the output does not change (up to rounding: a pass over several tokens may round differently,
  which can flip a near-tie, as padding a batch can).

Layout of a batch (B rows, shared prefix P, suffixes left-padded to S): `[prefix P][pad..][suffix]`, then the new
tokens. Pads and rejected guesses are masked out, and positions count real tokens only, so each row sees exactly
what it would see alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase
from transformers.cache_utils import Cache, DynamicCache, DynamicLayer

from probes.backends import Completion, FinishReason, GenerationSettings, stop_point
from probes.backends.guess import DRAFT_TOKENS, DraftLength, PromptLookup
from trainers.hf import adds_bos


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
                 batch_size: int = 16, share_prefix: bool = True, draft_tokens: int = DRAFT_TOKENS) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if draft_tokens < 0:
            raise ValueError(f"draft_tokens must be >= 0, got {draft_tokens}")
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
        # A model whose tokenizer puts BOS before text (base Llama, Gemma, Mistral) saw BOS first in pretraining:
        # a prompt gets it once, whether or not its chat template already wrote it.
        self.bos_id = tokenizer.bos_token_id if adds_bos(tokenizer) else None
        # A peft wrapper passes keyword arguments through: ask the model underneath which ones it takes.
        params = inspect.signature(getattr(model, "get_base_model", lambda: model)().forward).parameters
        # transformers 5 renamed `past_key_values` to `cache` (the old name warns); use whichever forward takes.
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._keep_kw = "logits_to_keep" in params
        # sdpa and eager attention take a ready 4D additive mask as is; building it once per batch instead of
        # letting the model rebuild a boolean one from the 2D mask every step makes decoding steps cheaper.
        self._bias_mask = getattr(model.config, "_attn_implementation", None) in ("sdpa", "eager")
        # Guesses need a mask with holes (the rejected ones) and positions that skip them: the 4D mask gives that,
        # and only where every layer sees the whole sequence (a sliding window would count the holes).
        self.draft_tokens = draft_tokens if self.buffered and self._bias_mask else 0
        self.prefix_tokens = 0  # length of the shared prefix of the last `generate` call, for reports and tests
        self.drafted = self.accepted = 0  # guessed tokens fed and confirmed in the last `generate` call
        self.stop_window = 48  # tokens decoded per row and step to look for a stop; longer matches are cut at the end
        self.draft_cost = 0.2  # a guess's share of a step's cost, for `DraftLength` (0: always guess them all)

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
                 positions: torch.Tensor | None = None, keep: int = 1) -> torch.Tensor:
        """Logits of the last `keep` positions, (B, keep, vocab), after running `ids` (B, T) on top of `cache`."""
        kwargs = {self._cache_kw: cache, "use_cache": True}
        if self._keep_kw:
            kwargs["logits_to_keep"] = keep
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, **kwargs)
        return out.logits[:, -keep:]

    @torch.inference_mode()
    def generate(self, prompts: list[str]) -> Iterator[tuple[int, Completion]]:
        """Greedy completions of `prompts`, yielded as (index, completion) as each finishes."""
        if not prompts:
            return
        ids = self.tokenizer(prompts, add_special_tokens=False)["input_ids"]
        if self.bos_id is not None:
            ids = [x if x[:1] == [self.bos_id] else [self.bos_id, *x] for x in ids]
        if any(len(x) == 0 for x in ids):
            raise ValueError(f"prompt {next(i for i, x in enumerate(ids) if not x)} is empty after tokenisation")
        # At least one token of every prompt stays outside the prefix: its logits give the first new token.
        n_prefix = min(common_prefix(ids), min(map(len, ids)) - 1) if self.share_prefix and len(ids) > 1 else 0
        self.prefix_tokens, self.drafted, self.accepted = n_prefix, 0, 0
        prefix_kv: list[tuple[torch.Tensor, torch.Tensor]] = []
        if n_prefix:
            cache = self._new_cache(n_prefix, n_prefix)
            self._forward(torch.tensor([ids[0][:n_prefix]], device=self.device), cache)
            prefix_kv = [(layer.keys, layer.values) for layer in cache.layers]  # each (1, heads, P, head_dim)
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))  # longest first: a batch too big fails early
        length = DraftLength(self.draft_tokens, self.draft_cost)  # one for the whole call: its batches are alike
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            yield from self._generate_batch(rows, [ids[i] for i in rows], n_prefix, prefix_kv, length)

    def _generate_batch(self, rows: list[int], ids: list[list[int]], n_prefix: int,
                        prefix_kv: list[tuple[torch.Tensor, torch.Tensor]], length: DraftLength
                        ) -> Iterator[tuple[int, Completion]]:
        device, max_new = self.device, self.settings.max_new_tokens
        b, s = len(rows), max(len(x) for x in ids) - n_prefix
        # Rejected guesses stay in the cache as masked slots: room for max_new of them bounds a batch's cache.
        width = n_prefix + s + max_new * (2 if self.draft_tokens else 1)
        suffix = torch.full((b, s), self.pad_id, dtype=torch.long)  # (B, S), left-padded
        mask = torch.ones(b, width, dtype=torch.long)  # (B, width): 0 at pads and rejected guesses
        for r, x in enumerate(ids):
            tail = x[n_prefix:]
            suffix[r, s - len(tail) :] = torch.tensor(tail)
            mask[r, n_prefix : n_prefix + s - len(tail)] = 0
        suffix, mask = suffix.to(device), mask.to(device)
        positions = mask[:, : n_prefix + s].cumsum(-1) - 1  # real tokens count from 0; pads get a dummy position
        positions = positions.masked_fill(mask[:, : n_prefix + s] == 0, 1)[:, n_prefix:]  # (B, S)

        filled = n_prefix + s  # cache slots written
        cache = self._new_cache(width, filled)
        for layer_idx, (k, v) in enumerate(prefix_kv):
            cache.update(k.expand(b, -1, -1, -1), v.expand(b, -1, -1, -1), layer_idx)
        # A mask of all ones is the same as none, and none lets attention take its causal fast path.
        full = bool(mask[:, :filled].all())
        logits = self._forward(suffix, cache, None if full else mask[:, :filled], positions)  # (B, 1, vocab)
        last = positions[:, -1]  # (B,) position of each row's newest cached token

        bias = None
        if self._bias_mask:
            # (B, 1, 1, width): 0 where a row may attend, the dtype's minimum at its pads (not -inf, which would
            # turn a row with nothing to attend to into NaN).
            dtype = self.model.dtype if self.model.dtype.is_floating_point else torch.float32  # the queries' dtype
            bias = torch.zeros(b, 1, 1, width, dtype=dtype, device=device)
            bias.masked_fill_(mask[:, None, None, :] == 0, torch.finfo(dtype).min)
        active = list(range(b))  # batch rows still generating, in cache order
        generated: list[list[int]] = [[] for _ in range(b)]
        lookups = [PromptLookup(x) for x in ids] if self.draft_tokens else []
        drafts: list[list[int]] = [[] for _ in range(b)]  # per slot: the guesses fed after the row's newest token
        while True:
            finished: dict[int, FinishReason] = {}  # slot -> why
            accepted = []  # per slot: guesses confirmed
            for slot, greedy in enumerate(logits.argmax(-1).tolist()):
                r = active[slot]
                before = len(generated[r])
                n, reason = self._take(greedy, drafts[slot], generated[r])
                accepted.append(n)
                if reason is not None:
                    finished[slot] = reason
                if lookups:
                    lookups[r].tokens += generated[r][before:]
            q = logits.shape[1]
            if q > 1:
                self.drafted += len(active) * (q - 1)
                self.accepted += sum(accepted)
                length.update(q - 1, accepted)
                n_kept = torch.tensor(accepted, device=device)
                kept = torch.arange(q - 1, device=device) < n_kept[:, None]  # (B, q - 1): guesses confirmed
                mask[:, filled - q + 1 : filled] = kept
                if bias is not None:
                    bias[:, 0, 0, filled - q + 1 : filled].masked_fill_(~kept, torch.finfo(bias.dtype).min)
                full = full and bool(kept.all())
                last = last + n_kept

            for slot, reason in finished.items():
                r = active[slot]
                yield rows[r], self._completion(generated[r], reason, len(ids[r]))
            if finished:
                keep = [slot for slot in range(len(active)) if slot not in finished]
                if not keep:
                    return
                index = torch.tensor(keep, device=device)
                cache.batch_select_indices(index)
                mask, last = mask[index], last[index]
                bias = None if bias is None else bias[index]
                active = [active[slot] for slot in keep]
                full = full or bool(mask.all())

            # Feed each row's newest token and its guesses; rows with fewer guesses repeat their last one (a
            # guess like any other, checked like any other).
            drafts = self._drafts([lookups[r] for r in active] if lookups else [], [generated[r] for r in active],
                                  width - filled, length)
            q = 1 + len(drafts[0])
            fed = torch.tensor([[generated[r][-1], *guess] for r, guess in zip(active, drafts, strict=True)],
                               device=device)  # (B, q)
            steps = torch.arange(1, q + 1, device=device)
            logits = self._forward(fed, cache, self._step_mask(mask, bias, full, filled, q), last[:, None] + steps,
                                   keep=q)
            filled += q
            last = last + 1

    def _drafts(self, lookups: list[PromptLookup], generated: list[list[int]], room: int,
                length: DraftLength) -> list[list[int]]:
        """Each active row's guesses, all of one length; none when speculation is off, does not pay, or the
        cache lacks room."""
        if not lookups:
            return [[] for _ in generated]
        max_new = self.settings.max_new_tokens
        # Worst case every later step keeps one token per row in one slot: leave room for that.
        k = min(length.choose(), room - max(max_new - len(tokens) for tokens in generated))
        if k < 1:
            return [[] for _ in generated]
        guesses = [lookup.draft(k) for lookup in lookups]
        k = max(map(len, guesses))
        return [guess + [guess[-1] if guess else tokens[-1]] * (k - len(guess))
                for guess, tokens in zip(guesses, generated, strict=True)]

    def _step_mask(self, mask: torch.Tensor, bias: torch.Tensor | None, full: bool, filled: int,
                   q: int) -> torch.Tensor | None:
        """The attention mask for feeding `q` tokens after `filled` cache slots."""
        if full and q == 1:
            return None
        if bias is None:
            return mask[:, : filled + 1]  # q == 1: without a 4D mask there are no guesses
        if q == 1:
            return bias[..., : filled + 1]
        # The fed tokens see the cache and each other causally: (B, 1, q, filled + q).
        causal = torch.full((q, q), torch.finfo(bias.dtype).min, dtype=bias.dtype, device=bias.device).triu(1)
        b = bias.shape[0]
        return torch.cat([bias[..., :filled].expand(b, 1, q, filled), causal.expand(b, 1, q, q)], dim=-1)

    def _take(self, greedy: list[int], guess: list[int], tokens: list[int]) -> tuple[int, FinishReason | None]:
        """Append to `tokens` the guesses up to the first that `greedy` (the model's choice after the fed token and
        after each guess) disagrees with, then the model's own next token, stopping early where the row ends.

        Returns the number of guesses confirmed and why the row ended (None: it goes on).
        """
        n = 0
        while n < len(guess) and guess[n] == greedy[n]:
            n += 1
        new = greedy[: n + 1]
        # One decode of a window that covers every new token's own window says whether any of them can complete a
        # stop; only then is each checked on its own.
        check_text = self._stop_in_tail(tokens[-self.stop_window :] + new, self.stop_window + len(new) - 1)
        for token in new:
            tokens.append(token)
            reason = self._finish_reason(tokens, check_text)
            if reason is not None:
                return n, reason
        return n, None

    def _completion(self, tokens: list[int], reason: FinishReason, prompt_tokens: int) -> Completion:
        text = self._decode(tokens[:-1] if reason == "eos" else tokens)
        # The whole text decides where a response ends (a stop the window missed is still cut off).
        cut = stop_point(text, self.settings)
        if cut is not None:
            text, reason = text[: cut[0]], cut[1]
        return Completion(text, prompt_tokens, len(tokens), reason, tuple(tokens))

    def _finish_reason(self, tokens: list[int], check_text: bool) -> FinishReason | None:
        """Why a row whose generated tokens are `tokens` ends here, or None if it goes on (stop strings are looked
        for only with `check_text`)."""
        if tokens[-1] in self.eos_ids:
            return "eos"
        # Only the last `stop_window` tokens are decoded, so the check costs the same however long the response
        # grows; a hit there is confirmed on the whole text.
        if check_text and self._stop_in_tail(tokens, self.stop_window) and stop_point(self._decode(tokens),
                                                                                      self.settings):
            return "stop"
        if len(tokens) == self.settings.max_new_tokens:
            return "length"
        return None

    def _stop_in_tail(self, tokens: list[int], window: int) -> bool:
        settings = self.settings
        if not (settings.stops or settings.stop_at_answer_line):
            return False
        return stop_point(self._decode(tokens[-window:]), settings) is not None

    def _decode(self, tokens: list[int]) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=True)


def load_hf_backend(name: str, settings: GenerationSettings, revision: str | None = None, batch_size: int = 16,
                    dtype: str = "auto", device: str = "auto", draft_tokens: int = DRAFT_TOKENS,
                    base_model: str | None = None) -> HFBackend:
    """Load a model and tokenizer (hub id, HF or adapter export, or `.ckpt` on `base_model`: `probes.checkpoints`)
    and wrap them in an `HFBackend`."""
    from probes.checkpoints import checkpoint_at, load_checkpoint

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
    model, tokenizer = load_checkpoint(checkpoint_at(name, revision, base_model), "cpu")
    if dtypes[dtype] is not None:
        model = model.to(dtypes[dtype])
    model = model.to(torch_device).eval()
    return HFBackend(model, tokenizer, settings, batch_size, draft_tokens=draft_tokens)

"""Greedy generation with vLLM on GPUs, behind the same interface as `HFBackend` (`pip install .[vllm]`).

vLLM is imported only when a backend is built, so the rest of `probes` works without it. vLLM stops at EOS and
at the stop strings itself; the end of the `### Answer:` line is applied afterwards to the text, so the response
is the same as the HF backend's, only the generation may run a little past that line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from probes.backends import Completion, GenerationSettings, stop_point


class VLLMUnavailable(RuntimeError):
    """vLLM is not installed, or there is no CUDA device for it."""


def vllm_available() -> str | None:
    """None when vLLM can run here, else the reason it cannot."""
    try:
        import vllm  # noqa: F401
    except ImportError:
        return "vllm is not installed (pip install .[vllm])"
    import torch

    if not torch.cuda.is_available():
        return "vllm needs a CUDA device and this machine has none"
    return None


class VLLMBackend:
    """Greedy generation with a `vllm.LLM`; all prompts go to vLLM at once and it schedules the batches."""

    def __init__(self, name: str, settings: GenerationSettings, revision: str | None = None, dtype: str = "auto",
                 batch_size: int = 256, **llm_kwargs: Any) -> None:
        reason = vllm_available()
        if reason:
            raise VLLMUnavailable(reason)
        from vllm import LLM

        self.settings = settings
        self.llm = LLM(model=name, revision=revision, dtype=dtype, max_num_seqs=batch_size, **llm_kwargs)

    def generate(self, prompts: list[str]) -> Iterator[tuple[int, Completion]]:
        from vllm import SamplingParams

        params = SamplingParams(temperature=0.0, max_tokens=self.settings.max_new_tokens,
                                stop=list(self.settings.stops) or None)
        for i, out in enumerate(self.llm.generate(prompts, params, use_tqdm=False)):
            gen = out.outputs[0]
            text, finish = gen.text, ("eos" if gen.finish_reason == "stop" and gen.stop_reason is None else
                                      "stop" if gen.finish_reason == "stop" else "length")
            cut = stop_point(text, self.settings)
            if cut is not None:
                text, finish = text[: cut[0]], cut[1]
            yield i, Completion(text, len(out.prompt_token_ids or []), len(gen.token_ids), finish, tuple(gen.token_ids))

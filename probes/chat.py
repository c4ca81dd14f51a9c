"""A local chat model for the LLM renderer (`python -m mathcamps.generate --render llm --llm <hf-id-or-folder>`).

`HFChatBackend` answers `mathcamps.render.chat.ChatBackend` conversations through the project's own generation
engine (`probes.backends.hf.HFBackend`, batched, greedy), or through vLLM where it can run. Conversations become
prompts by the tokenizer's chat template; a tokenizer without one gets a plain `role: text` transcript. mathcamps
finds `open_hf_chat` through the `mathcamps.chat_backends` entry point, so it never imports probes or torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from probes.backends import Backend, GenerationSettings


class HFChatBackend:
    """Chats answered by a generation backend: each conversation a prompt, all of them one batched run."""

    def __init__(self, backend: Backend, tokenizer: Any) -> None:
        self.backend, self.tokenizer = backend, tokenizer

    def prompt(self, conversation: Sequence[dict]) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(list(conversation), tokenize=False, add_generation_prompt=True)
        return "".join(f"{m['role']}: {m['content']}\n" for m in conversation) + "assistant:"

    def chat_many(self, conversations: Sequence[Sequence[dict]]) -> list[str]:
        replies = [""] * len(conversations)
        for i, completion in self.backend.generate([self.prompt(c) for c in conversations]):
            replies[i] = completion.text
        return replies


def open_hf_chat(name: str, max_tokens: int = 1000, batch_size: int = 16, **_: object) -> HFChatBackend:
    """A chat backend for an HF model id or folder: vLLM when it can run here, else the project's HF engine."""
    from probes.backends.vllm import VLLMBackend, vllm_available
    from trainers.hf import load_tokenizer

    settings = GenerationSettings(max_new_tokens=max_tokens, stop_at_answer_line=False)
    tokenizer = load_tokenizer(name, None)
    if vllm_available() is None:
        return HFChatBackend(VLLMBackend(name, settings, batch_size=batch_size), tokenizer)
    from probes.backends.hf import load_hf_backend

    return HFChatBackend(load_hf_backend(name, settings, batch_size=batch_size), tokenizer)

"""Chat backends for LLM rendering: conversations in, replies out.

`OpenAIChatBackend` speaks the OpenAI-compatible `/chat/completions` protocol through `httpx`, several requests at
a time; a local Hugging Face model (or vLLM) answers through the project's own generation engine in `probes.chat`,
found by `open_chat_backend` through the `mathcamps.chat_backends` entry point, so mathcamps never imports torch or
probes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import entry_points
from typing import Literal, Protocol, TypedDict

import httpx


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatBackend(Protocol):
    """Anything that answers chats: conversations in, the assistant's replies out, in order."""

    def chat_many(self, conversations: Sequence[Sequence[ChatMessage]]) -> list[str]: ...


class LLMBackendError(RuntimeError):
    """A chat request that failed: names the endpoint and the status or reason."""


class OpenAIChatBackend:
    """A client of an OpenAI-compatible `POST {base_url}/chat/completions` endpoint (vLLM, llama.cpp, TGI, ...),
    through `httpx`; `chat_many` sends up to `concurrency` requests at once."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 1000,
        seed: int | None = None,
        timeout_s: float = 60.0,
        retries: int = 2,
        backoff_s: float = 1.0,
        concurrency: int = 8,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key = model, api_key
        self.temperature, self.max_tokens, self.seed = temperature, max_tokens, seed
        self.timeout_s, self.retries, self.backoff_s, self.concurrency = timeout_s, retries, backoff_s, concurrency
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(timeout=timeout_s, headers=headers)

    def chat(self, messages: Sequence[ChatMessage]) -> str:
        body: dict = {
            "model": self.model,
            "messages": list(messages),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        for attempt in range(self.retries + 1):
            try:
                response = self.client.post(self.url, json=body)
            except httpx.TransportError as err:
                if attempt == self.retries:
                    raise LLMBackendError(f"{self.url}: {err!r}") from err
            else:
                # Rate limits and server errors are worth retrying; a 4xx is our request's fault.
                if response.status_code < 400:
                    break
                if response.status_code not in (429, 500, 502, 503, 504) or attempt == self.retries:
                    raise LLMBackendError(f"{self.url}: HTTP {response.status_code}: {response.text[:300]}")
            time.sleep(self.backoff_s * 2**attempt)
        try:
            payload = response.json()
        except json.JSONDecodeError as err:
            raise LLMBackendError(f"{self.url}: the reply is not JSON ({err})") from err
        try:
            return payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as err:
            raise LLMBackendError(f"{self.url}: no choices[0].message.content in {str(payload)[:300]}") from err

    def chat_many(self, conversations: Sequence[Sequence[ChatMessage]]) -> list[str]:
        if self.concurrency == 1 or len(conversations) < 2:
            return [self.chat(c) for c in conversations]
        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(self.chat, conversations))


def open_chat_backend(spec: str, model: str = "default", **options: object) -> ChatBackend:
    """The backend `spec` names: an OpenAI-compatible URL, else an HF model id or folder, loaded by the backend
    the `probes` package registers under the `mathcamps.chat_backends` entry point (`pip install -e .`)."""
    if spec.startswith(("http://", "https://")):
        return OpenAIChatBackend(spec, model, **options)  # type: ignore[arg-type]
    found = {ep.name: ep for ep in entry_points(group="mathcamps.chat_backends")}
    if "hf" not in found:
        raise ValueError(
            f"--llm {spec!r} is not a URL, and no local-model backend is registered: install the project "
            "(pip install -e .) so that probes.chat provides one"
        )
    return found["hf"].load()(spec, **options)

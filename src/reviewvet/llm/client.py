"""One small interface to a language model, whatever the provider: messages in, one JSON object
that matches a schema out, with the tokens it cost.

reviewvet asks a model only two things (``reviewvet.llm.extract``: free text into claims;
``reviewvet.llm.challenge``: a refuted finding facing its evidence). Both go through
``ModelClient.structured``; each provider's adapter uses its SDK's own structured output
(Anthropic: a forced tool call with the schema as its input schema; OpenAI: a JSON-schema
response format; Gemini: a response schema) and the SDK's own retries and timeouts. An adapter
module imports its SDK and nothing else does, so the core installs without any of them.

``open_client("anthropic" | "openai" | "gemini", model, base_url=None)`` builds one; keys and
endpoints come from each SDK's standard environment variables (``ANTHROPIC_API_KEY`` /
``ANTHROPIC_BASE_URL``, ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``, ``GEMINI_API_KEY`` or
``GOOGLE_API_KEY``), or ``base_url`` for a gateway, a proxy or a self-hosted server that speaks
the provider's protocol. A missing SDK or key is a ``ModelSetupError`` naming what to install or
set; a reply that is not the asked-for object is a ``ModelReplyError``.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from reviewvet.errors import ReviewvetError

Role = Literal["system", "user", "assistant"]
PROVIDERS = {
    "anthropic": "reviewvet.llm.anthropic_adapter",
    "openai": "reviewvet.llm.openai_adapter",
    "gemini": "reviewvet.llm.gemini_adapter",
}
DEFAULT_TIMEOUT = 120.0  # seconds per request, before the SDK's own retries
DEFAULT_RETRIES = 2  # the SDK's retries of a connection error, a 429 or a 5xx
MESSAGE_CHARS = 300  # of an error body or a bad reply quoted in an error


class ModelSetupError(ReviewvetError):
    """The provider cannot be used here: its SDK is not installed, or no key is set."""


class ModelReplyError(ReviewvetError):
    """The model answered, but not with the object asked for (after the SDK's retries)."""


class ModelCallError(ReviewvetError):
    """The request failed: refused, rate-limited past the retries, timed out, or unreachable."""


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None  # None when the model's price is not known


@dataclass(frozen=True)
class Reply:
    """The object the model returned (already parsed from its structured output), and what it cost."""

    data: dict[str, Any]
    usage: Usage
    model: str  # the model that answered, as the provider names it
    seconds: float  # wall time of the call, retries included


class ModelClient(Protocol):
    provider: str
    model: str

    def structured(self, messages: list[Message], schema: dict[str, Any], name: str) -> Reply:
        """Ask for one JSON object matching ``schema`` (a JSON Schema object), called ``name``."""
        ...


def open_client(provider: str, model: str, *, base_url: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                max_retries: int = DEFAULT_RETRIES) -> ModelClient:
    """A client for ``model`` of ``provider`` (one of ``PROVIDERS``)."""
    if provider not in PROVIDERS:
        raise ModelSetupError(f"unknown provider {provider!r}; known: {', '.join(PROVIDERS)}", field="provider")
    if not model:
        raise ModelSetupError("no model given", field="model")
    module = importlib.import_module(PROVIDERS[provider])
    client: ModelClient = module.Client(model, base_url=base_url, timeout=timeout, max_retries=max_retries)
    return client


def parse_provider_model(text: str) -> tuple[str, str]:
    """``PROVIDER:MODEL`` as ``--extract-with`` and ``--challenge-with`` take it."""
    provider, sep, model = text.partition(":")
    if not sep or not model or provider not in PROVIDERS:
        raise ModelSetupError(f"{text!r}: expected PROVIDER:MODEL with PROVIDER one of {', '.join(PROVIDERS)}",
                              field="provider")
    return provider, model


def json_object(text: str, who: str) -> dict[str, Any]:
    """``text`` parsed as the JSON object a structured reply must be (``who`` answered it)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelReplyError(f"{who} answered with text that is not JSON ({exc.msg} at character {exc.pos}): "
                              f"{text[:MESSAGE_CHARS]!r}", field="model") from None
    if not isinstance(data, dict):
        raise ModelReplyError(f"{who} answered with a JSON {type(data).__name__}, not an object", field="model")
    return data

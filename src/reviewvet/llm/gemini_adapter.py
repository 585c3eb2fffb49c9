"""Google's Gemini models through the ``google-genai`` SDK (the Gemini Developer API, never Vertex):
``generateContent`` (``POST /v1/models/MODEL:generateContent``; ``v1`` is the SDK's default API
version, ``GOOGLE_GENAI_API_VERSION`` changes it) with a JSON response. The schema goes unchanged
to ``response_json_schema`` (standard JSON Schema; ``response_schema`` would take Google's OpenAPI
subset) beside ``response_mime_type="application/json"``, and the reply's text parsed as JSON is
the reply.

System messages, joined by blank lines, are the ``system_instruction``; user messages keep the
``user`` role and assistant messages take Gemini's ``model`` role. The key is ``GOOGLE_API_KEY``,
else ``GEMINI_API_KEY`` (the SDK's own order). The endpoint is ``base_url``, else
``GOOGLE_GEMINI_BASE_URL`` (read by the SDK), else Google's API.

Retries and the timeout are the SDK's own, set through its ``HttpOptions``: ``timeout`` in
milliseconds per attempt; ``retry_options`` with ``attempts = max_retries + 1`` (without
``retry_options`` the SDK never retries). It retries 408, 429, 500, 502, 503, 504 and transport
timeouts or refused connections, waiting its exponential backoff (1 s, 2 s, ... plus up to 1 s of
jitter); it does not read ``retry-after``. A failure in transport comes out of the SDK as the
exception of the HTTP library it sends through (``httpx2``, or ``httpx`` when chosen with
``GOOGLE_GENAI_HTTP_CLIENT``), so those two libraries' request errors are caught as well.
"""

from __future__ import annotations

import importlib
import os
import time
import weakref
from typing import Any

from reviewvet.llm.client import (
    MESSAGE_CHARS,
    json_object,
    Message,
    ModelCallError,
    ModelReplyError,
    ModelSetupError,
    Reply,
    Usage,
)
from reviewvet.llm.prices import usage

try:
    from google import genai
    from google.genai import errors, types

    _MISSING_SDK: ImportError | None = None
except ImportError as missing:  # the `models` extra is not installed: Client() says so
    _MISSING_SDK = missing

PROVIDER = "gemini"
KEY_VARIABLES = ("GOOGLE_API_KEY", "GEMINI_API_KEY")


class Client:
    """A ``ModelClient`` for one Gemini model."""

    provider = PROVIDER

    def __init__(self, model: str, *, base_url: str | None = None, timeout: float, max_retries: int) -> None:
        if _MISSING_SDK is not None:
            raise ModelSetupError(f"the google-genai SDK is not installed ({_MISSING_SDK}): "
                                  "pip install 'reviewvet[models]'", field="provider")
        api_key = next((os.environ[name] for name in KEY_VARIABLES if os.environ.get(name)), None)
        if api_key is None:
            raise ModelSetupError("no Gemini key: set GEMINI_API_KEY (or GOOGLE_API_KEY)", field="provider")
        self.model = model
        self._timeout = timeout
        retries = types.HttpRetryOptions(attempts=max_retries + 1)
        options = types.HttpOptions(base_url=base_url, timeout=max(1, round(timeout * 1000)), retry_options=retries)
        self._sdk = genai.Client(vertexai=False, api_key=api_key, http_options=options)
        weakref.finalize(self, self._sdk.close)  # its pooled connections closed with this client, not left to gc
        self._transport_errors, self._timeouts = _http_library_errors()

    def structured(self, messages: list[Message], schema: dict[str, Any], name: str) -> Reply:
        """One ``generateContent`` call whose response schema is ``schema``; its text is the reply.
        (Gemini names no response format, so ``name`` is not sent.)"""
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        config = types.GenerateContentConfig(system_instruction=system or None, response_json_schema=schema,
                                             response_mime_type="application/json")
        start = time.monotonic()
        try:
            reply = self._sdk.models.generate_content(model=self.model, contents=_contents(messages), config=config)
        except errors.APIError as exc:
            status = " ".join(str(part) for part in (exc.code, exc.status) if part)
            raise ModelCallError(f"{PROVIDER}: HTTP {status}: {str(exc.message)[:MESSAGE_CHARS]}") from exc
        except ValueError as exc:  # a 200 whose body is not JSON or not the API's shape: a proxy's page
            raise ModelCallError(f"{PROVIDER}: a response that is not the API's: {type(exc).__name__}: "
                                 f"{str(exc)[:MESSAGE_CHARS]}") from exc
        except self._transport_errors as exc:
            raise self._transport_error(exc) from exc
        seconds = time.monotonic() - start
        data = self._text_object(reply)
        model = reply.model_version or self.model
        return Reply(data, _usage(model, reply.usage_metadata), model, seconds)

    def _text_object(self, reply: types.GenerateContentResponse) -> dict[str, Any]:
        """The reply's text as a JSON object, or why there is none."""
        who = f"{PROVIDER} model {self.model!r}"
        feedback = reply.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            raise ModelReplyError(f"{who} blocked the prompt ({feedback.block_reason.value})", field="model")
        finish = reply.candidates[0].finish_reason if reply.candidates else None
        if finish == types.FinishReason.MAX_TOKENS:
            raise ModelReplyError(f"{who}: the reply was cut at the output token limit", field="model")
        text = reply.text
        if text is None:
            reason = finish.value if finish is not None else "none given"
            raise ModelReplyError(f"{who} answered with no text (finish reason {reason})", field="model")
        return json_object(text, who)

    def _transport_error(self, exc: Exception) -> ModelCallError:
        if isinstance(exc, self._timeouts):
            return ModelCallError(f"{PROVIDER}: no answer within the timeout of {self._timeout:g} s")
        return ModelCallError(f"{PROVIDER}: cannot reach the API: {type(exc).__name__}: {exc}")


def _http_library_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """The request errors and the timeouts of the HTTP libraries google-genai may send through."""
    requests: list[type[Exception]] = []
    timeouts: list[type[Exception]] = []
    for name in ("httpx2", "httpx"):
        try:
            library = importlib.import_module(name)
        except ImportError:
            continue
        requests.append(library.RequestError)
        timeouts.append(library.TimeoutException)
    return tuple(requests), tuple(timeouts)


def _contents(messages: list[Message]) -> list[types.Content]:
    """The conversation without its system messages; an assistant turn takes the ``model`` role."""
    return [types.Content(role="model" if m.role == "assistant" else "user", parts=[types.Part(text=m.content)])
            for m in messages if m.role != "system"]


def _usage(model: str, metadata: types.GenerateContentResponseUsageMetadata | None) -> Usage:
    """Tokens in and out (thinking tokens are billed as output) with their cost."""
    if metadata is None:
        return usage(model, 0, 0)
    output = (metadata.candidates_token_count or 0) + (metadata.thoughts_token_count or 0)
    return usage(model, metadata.prompt_token_count or 0, output)



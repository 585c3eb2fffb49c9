"""Local stand-ins for the three model providers' HTTP APIs, so that tests run the real SDKs (through
reviewvet's adapters) against 127.0.0.1 and never the network.

Each fake answers in its provider's wire format (bodies written after the providers' documented
responses): Anthropic's Messages response with a ``tool_use`` block and ``usage``; OpenAI's
``chat.completion`` object with the JSON in ``message.content`` and ``usage``; Gemini's
``generateContent`` response with the JSON in ``candidates[0].content.parts[0].text`` and
``usageMetadata``. It records every request and answers from a script, in order.

Use::

    from tests.llm.servers import clean_environment, error_reply, provider_server, reply_with

    def test_something(monkeypatch):
        clean_environment(monkeypatch)                  # no real key, endpoint or proxy leaks in
        with provider_server("openai") as fake:         # "anthropic" | "openai" | "gemini"
            for name, value in fake.env.items():        # a dummy key, and the base URL of the fake
                monkeypatch.setenv(name, value)
            fake.script([error_reply("openai", 429), reply_with("openai", {"verdict": "upheld"}, 120, 30)])
            client = open_client("openai", MODELS["openai"])          # or base_url=fake.url
            ...
            assert fake.requests[-1].body["model"] == MODELS["openai"]

The API:

``provider_server(provider)``
    A context manager: starts the fake on a free port of 127.0.0.1 (a thread), yields a
    ``FakeProvider``, stops it on exit.
``FakeProvider``
    ``.url``: the base URL to give the SDK (``base_url=`` or the provider's base-URL variable);
    ``.env``: the environment that points the SDK here with the dummy key ``KEY``
    (``ANTHROPIC_API_KEY`` + ``ANTHROPIC_BASE_URL``, ``OPENAI_API_KEY`` + ``OPENAI_BASE_URL``,
    ``GEMINI_API_KEY`` + ``GOOGLE_GEMINI_BASE_URL``), also usable for a CLI run as a subprocess;
    ``.requests``: every request received, in order, as ``Recorded(method, path, headers, body)``
    (header names in lower case, the body parsed as JSON); ``.script(answers)``: the answers to
    give next, in order, each a ``Response``, a ``Hang`` or a function of the ``Recorded`` request
    returning a ``Response`` (to answer from what was asked). A request beyond the script gets a
    400 error saying so (no SDK retries a 400).
``reply_with(provider, data, input_tokens=100, output_tokens=20, model=None)``
    A 200 ``Response`` carrying the structured reply ``data`` (a dict) the way the provider
    sends it, with that usage; ``model`` defaults to ``MODELS[provider]``, a model with a price.
    (Anthropic's ``tool_use`` block always names the tool ``reply``: the adapter takes the call
    whatever its name, as it offers one tool only.)
``reply_text(provider, text)``
    A 200 reply whose output is ``text`` rather than the asked-for object (for Anthropic: a text
    block and no tool call), to provoke a ``ModelReplyError``.
``openai_refusal(text)``, ``gemini_blocked(reason="SAFETY")``
    A 200 reply in which OpenAI's model refuses (``message.refusal``), or Gemini blocks the prompt
    (``promptFeedback.blockReason``, no candidate).
``error_reply(provider, status, message=None)``
    An error ``Response`` in the provider's error format. It carries ``retry-after-ms: 1``: the
    Anthropic and OpenAI SDKs then retry after 1 ms (a wait of 0 is ignored and they back off
    about half a second). google-genai reads no such header: its first retry comes after 1 to 2 s.
``Hang(seconds)``
    Keep the connection open without answering for ``seconds`` (or until the fake stops), then
    close it: provokes the SDK's timeout.
``KEY``, ``MODELS``
    The dummy key of ``.env``, and a model per provider that has a price in ``reviewvet.llm.prices``
    (the model ``reply_with`` answers as by default).
``clean_environment(monkeypatch)``
    Removes every variable the three SDKs read for keys, endpoints and backends
    (``PROVIDER_VARIABLES``) and any proxy setting, so a test sees only what it sets.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

KEY = "test-key-not-a-secret"
MODELS = {"anthropic": "claude-sonnet-4-5-20250929", "openai": "gpt-4.1-mini-2025-04-14",
          "gemini": "gemini-2.5-flash"}
PROVIDER_VARIABLES = (
    "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_CUSTOM_HEADERS",
    "ANTHROPIC_PROFILE", "ANTHROPIC_CONFIG_DIR", "OPENAI_API_KEY", "OPENAI_ADMIN_KEY", "OPENAI_BASE_URL",
    "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_CUSTOM_HEADERS", "GEMINI_API_KEY", "GOOGLE_API_KEY",
    "GOOGLE_GEMINI_BASE_URL", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_ENTERPRISE",
    "GOOGLE_GENAI_HTTP_CLIENT", "GOOGLE_GENAI_API_VERSION",
)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
PROVIDERS = ("anthropic", "openai", "gemini")
# The variable each SDK reads its key from (Gemini also reads GOOGLE_API_KEY).
KEY_VARIABLES = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY", "gemini": "GEMINI_API_KEY"}


@dataclass(frozen=True)
class Response:
    status: int
    body: Any  # JSON-able, or a str sent as it is
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hang:
    seconds: float = 30.0


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON body, or None


Answer = Response | Hang | Callable[[Recorded], Response]


class FakeProvider:
    """One provider's fake API: its URL, the requests it received and the answers it will give."""

    def __init__(self, provider: str, port: int) -> None:
        self.provider = provider
        root = f"http://127.0.0.1:{port}"
        self.url = root + "/v1" if provider == "openai" else root
        self.requests: list[Recorded] = []
        self._answers: list[Answer] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    @property
    def env(self) -> dict[str, str]:
        key_name, url_name = _VARIABLES[self.provider]
        return {key_name: KEY, url_name: self.url}

    def script(self, answers: list[Answer]) -> None:
        """Answer the next requests with ``answers``, in order (replacing what was left)."""
        with self._lock:
            self._answers = list(answers)

    def take(self, request: Recorded) -> Answer:
        with self._lock:
            self.requests.append(request)
            if self._answers:
                return self._answers.pop(0)
        return error_reply(self.provider, 400, f"fake {self.provider}: no scripted answer left for request "
                                               f"{len(self.requests)} ({request.method} {request.path})")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeProvider


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Head and body leave in one write, at once: written apart, Nagle's algorithm and the client's delayed
    # acknowledgement hold each reply back about 40 ms on loopback.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Recorded(self.command, self.path, headers, json.loads(raw) if raw else None)
        answer = self.server.fake.take(request)
        if isinstance(answer, Hang):
            self.server.fake.stopping.wait(answer.seconds)
            self.close_connection = True
            return
        response = answer if isinstance(answer, Response) else answer(request)
        body = response.body if isinstance(response.body, str) else json.dumps(response.body)
        payload = body.encode("utf-8")
        self.send_response(response.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads ``requests`` instead."""


@contextmanager
def provider_server(provider: str) -> Iterator[FakeProvider]:
    """A fake ``provider`` API on 127.0.0.1 for the duration of the block."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = FakeProvider(provider, server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.fake
    finally:
        server.fake.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()


def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No provider key, endpoint, backend choice or proxy from the developer's environment."""
    for name in PROVIDER_VARIABLES + PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def reply_with(provider: str, data: dict[str, Any], input_tokens: int = 100, output_tokens: int = 20,
               model: str | None = None) -> Response:
    """The provider's 200 response carrying the structured reply ``data``."""
    return Response(200, _REPLIES[provider](data, input_tokens, output_tokens, model or MODELS[provider]))


def reply_text(provider: str, text: str, model: str | None = None) -> Response:
    """The provider's 200 response whose output is ``text``, not a structured reply."""
    return Response(200, _TEXT_REPLIES[provider](text, 100, 20, model or MODELS[provider]))


def error_reply(provider: str, status: int, message: str | None = None) -> Response:
    """The provider's error response for ``status``, asking for a retry after 1 ms."""
    text = message or f"fake {provider} error {status}"
    return Response(status, _ERRORS[provider](status, text), {"retry-after-ms": "1"})


# Anthropic: the Messages API.

def _anthropic(content: list[dict[str, Any]], stop_reason: str, tokens: tuple[int, int],
               model: str) -> dict[str, Any]:
    return {"id": "msg_01FakeFakeFakeFake", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": stop_reason, "stop_sequence": None,
            "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1], "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0, "service_tier": "standard"}}


def _anthropic_reply(data: dict[str, Any], input_tokens: int, output_tokens: int, model: str) -> dict[str, Any]:
    call = {"type": "tool_use", "id": "toolu_01FakeFakeFakeFake", "name": "reply", "input": data}
    return _anthropic([call], "tool_use", (input_tokens, output_tokens), model)


def _anthropic_text(text: str, input_tokens: int, output_tokens: int, model: str) -> dict[str, Any]:
    return _anthropic([{"type": "text", "text": text}], "end_turn", (input_tokens, output_tokens), model)


def _anthropic_error(status: int, message: str) -> dict[str, Any]:
    kinds = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
             429: "rate_limit_error", 529: "overloaded_error"}
    return {"type": "error", "error": {"type": kinds.get(status, "api_error"), "message": message},
            "request_id": "req_01FakeFakeFake"}


# OpenAI: Chat Completions.

def _openai_reply(data: dict[str, Any], input_tokens: int, output_tokens: int, model: str) -> dict[str, Any]:
    return _openai_text(json.dumps(data), input_tokens, output_tokens, model)


def _openai_text(text: str, input_tokens: int, output_tokens: int, model: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
    return {"id": "chatcmpl-FakeFakeFakeFake", "object": "chat.completion", "created": 1767225600, "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": input_tokens, "completion_tokens": output_tokens,
                      "total_tokens": input_tokens + output_tokens,
                      "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                    "accepted_prediction_tokens": 0,
                                                    "rejected_prediction_tokens": 0}},
            "service_tier": "default", "system_fingerprint": "fp_fake"}


def openai_refusal(text: str, model: str | None = None) -> Response:
    """OpenAI's 200 response in which the model refuses (``message.refusal``, no content)."""
    body = _openai_text("", 100, 5, model or MODELS["openai"])
    body["choices"][0]["message"] |= {"content": None, "refusal": text}
    return Response(200, body)


def _openai_error(status: int, message: str) -> dict[str, Any]:
    kinds = {400: "invalid_request_error", 401: "invalid_request_error", 429: "rate_limit_exceeded"}
    kind = kinds.get(status, "server_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


# Gemini: generateContent.

def _gemini_reply(data: dict[str, Any], input_tokens: int, output_tokens: int, model: str) -> dict[str, Any]:
    return _gemini_text(json.dumps(data), input_tokens, output_tokens, model)


def _gemini_text(text: str, input_tokens: int, output_tokens: int, model: str) -> dict[str, Any]:
    candidate = {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}
    return {"candidates": [candidate],
            "usageMetadata": {"promptTokenCount": input_tokens, "candidatesTokenCount": output_tokens,
                              "totalTokenCount": input_tokens + output_tokens,
                              "promptTokensDetails": [{"modality": "TEXT", "tokenCount": input_tokens}]},
            "modelVersion": model, "responseId": "FakeFakeFakeFake"}


def gemini_blocked(reason: str = "SAFETY") -> Response:
    """Gemini's 200 response to a prompt it blocked: feedback, no candidate."""
    return Response(200, {"promptFeedback": {"blockReason": reason},
                          "usageMetadata": {"promptTokenCount": 100, "totalTokenCount": 100},
                          "modelVersion": MODELS["gemini"]})


def _gemini_error(status: int, message: str) -> dict[str, Any]:
    kinds = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
             429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}
    return {"error": {"code": status, "message": message, "status": kinds.get(status, "INTERNAL")}}


_VARIABLES = {"anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
              "openai": ("OPENAI_API_KEY", "OPENAI_BASE_URL"),
              "gemini": ("GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL")}
_REPLIES = {"anthropic": _anthropic_reply, "openai": _openai_reply, "gemini": _gemini_reply}
_TEXT_REPLIES = {"anthropic": _anthropic_text, "openai": _openai_text, "gemini": _gemini_text}
_ERRORS = {"anthropic": _anthropic_error, "openai": _openai_error, "gemini": _gemini_error}

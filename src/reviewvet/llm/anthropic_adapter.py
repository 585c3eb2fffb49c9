"""Anthropic's models through the ``anthropic`` SDK: the Messages API (``POST /v1/messages``) with
one tool whose ``input_schema`` is the asked-for schema and a ``tool_choice`` that forces the model
to call it; the input of that ``tool_use`` block is the reply.

System messages, joined by blank lines, go to the ``system`` parameter; the other messages are the
conversation. The key is ``ANTHROPIC_API_KEY`` (else ``ANTHROPIC_AUTH_TOKEN``, a bearer token), and
it is passed to the SDK explicitly, so no profile or federation file is read behind the user's back.
The endpoint is ``base_url``, else ``ANTHROPIC_BASE_URL``, else Anthropic's API. Retries and the
timeout are the SDK's own (``max_retries``: connection errors, 408, 409, 429 and 5xx, waiting what
``retry-after-ms`` / ``retry-after`` ask or an exponential backoff from 0.5 s; ``timeout`` per attempt).
"""

from __future__ import annotations

import os
import time
import weakref
from typing import Any

from reviewvet.llm.client import (
    MESSAGE_CHARS,
    Message,
    ModelCallError,
    ModelReplyError,
    ModelSetupError,
    Reply,
)
from reviewvet.llm.prices import usage

try:
    import anthropic
    from anthropic.types import Message as SdkMessage
    from anthropic.types import MessageParam, ToolChoiceToolParam, ToolParam, ToolUseBlock

    _MISSING_SDK: ImportError | None = None
except ImportError as missing:  # the `models` extra is not installed: Client() says so
    _MISSING_SDK = missing

PROVIDER = "anthropic"
# The reply's budget in tokens. A tool input is the whole answer (a chunk's findings, a verdict with
# its reasons): 8192 leaves room for a long list, and every Claude 4 or later model accepts it
# without streaming. A reply cut at this budget is reported, never parsed.
MAX_TOKENS = 8192


class Client:
    """A ``ModelClient`` for one Anthropic model."""

    provider = PROVIDER

    def __init__(self, model: str, *, base_url: str | None = None, timeout: float, max_retries: int) -> None:
        if _MISSING_SDK is not None:
            raise ModelSetupError(f"the anthropic SDK is not installed ({_MISSING_SDK}): "
                                  "pip install 'reviewvet[models]'", field="provider")
        api_key = os.environ.get("ANTHROPIC_API_KEY") or None
        auth_token = None if api_key else os.environ.get("ANTHROPIC_AUTH_TOKEN") or None
        if api_key is None and auth_token is None:
            raise ModelSetupError("no Anthropic key: set ANTHROPIC_API_KEY", field="provider")
        self.model = model
        self._timeout = timeout
        self._sdk = anthropic.Anthropic(api_key=api_key, auth_token=auth_token, base_url=base_url,
                                        timeout=timeout, max_retries=max_retries)
        weakref.finalize(self, self._sdk.close)  # its pooled connections closed with this client, not left to gc

    def structured(self, messages: list[Message], schema: dict[str, Any], name: str) -> Reply:
        """One forced call of the tool ``name`` whose input schema is ``schema``; its input is the reply."""
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        tool: ToolParam = {"name": name, "input_schema": schema,
                           "description": "Give the answer: its input is the whole answer, matching the schema."}
        choice: ToolChoiceToolParam = {"type": "tool", "name": name, "disable_parallel_tool_use": True}
        start = time.monotonic()
        try:
            reply = self._sdk.messages.create(model=self.model, max_tokens=MAX_TOKENS, messages=_turns(messages),
                                              system=system or anthropic.omit, tools=[tool], tool_choice=choice)
        except anthropic.APIError as exc:
            raise self._call_error(exc) from exc
        except ValueError as exc:  # a 200 whose body is not JSON: a proxy's page, not the API
            raise ModelCallError(f"{PROVIDER}: a response that is not the API's: {type(exc).__name__}: "
                                 f"{str(exc)[:MESSAGE_CHARS]}") from exc
        seconds = time.monotonic() - start
        data = self._tool_input(reply, name)
        tokens = (reply.usage.input_tokens, reply.usage.output_tokens) if reply.usage else (0, 0)
        return Reply(data, usage(reply.model, *tokens), reply.model, seconds)

    def _tool_input(self, reply: SdkMessage, name: str) -> dict[str, Any]:
        """The input of the reply's tool call: the object asked for."""
        who = f"{PROVIDER} model {self.model!r}"
        if reply.stop_reason == "max_tokens":
            raise ModelReplyError(f"{who}: the reply was cut at {MAX_TOKENS} tokens", field="model")
        calls = [block for block in reply.content or () if isinstance(block, ToolUseBlock)]
        if not calls:
            raise ModelReplyError(f"{who} answered without calling the tool {name!r} "
                                  f"(stop reason {reply.stop_reason!r})", field="model")
        data: object = calls[0].input
        if not isinstance(data, dict):
            raise ModelReplyError(f"{who} called the tool {name!r} with a {type(data).__name__}, not an object",
                                  field="model")
        return data

    def _call_error(self, exc: anthropic.APIError) -> ModelCallError:
        """The SDK's failure (after its retries) in reviewvet's terms; never quotes the key."""
        if isinstance(exc, anthropic.APIStatusError):
            text = exc.api_message or exc.message
            return ModelCallError(f"{PROVIDER}: HTTP {exc.status_code}: {text[:MESSAGE_CHARS]}")
        if isinstance(exc, anthropic.APITimeoutError):
            return ModelCallError(f"{PROVIDER}: no answer within the timeout of {self._timeout:g} s")
        if isinstance(exc, anthropic.APIConnectionError):
            return ModelCallError(f"{PROVIDER}: cannot reach {self._sdk.base_url}: {_reason(exc)}")
        return ModelCallError(f"{PROVIDER}: {exc.message[:MESSAGE_CHARS]}")


def _turns(messages: list[Message]) -> list[MessageParam]:
    """The conversation without its system messages, in the Messages API's shape."""
    turns: list[MessageParam] = []
    for message in messages:
        if message.role == "user":
            turns.append({"role": "user", "content": message.content})
        elif message.role == "assistant":
            turns.append({"role": "assistant", "content": message.content})
    return turns


def _reason(exc: anthropic.APIConnectionError) -> str:
    """The SDK's message, with the cause it wraps when the message does not already say it."""
    cause = str(exc.__cause__ or "")
    return f"{exc.message} ({cause})" if cause and cause not in exc.message else exc.message

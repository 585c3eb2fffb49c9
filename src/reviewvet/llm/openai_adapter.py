"""OpenAI's models through the ``openai`` SDK: Chat Completions (``POST /chat/completions`` under the
base URL, ``/v1/chat/completions`` on OpenAI's API) with a JSON-schema ``response_format``; the
message's ``content`` parsed as JSON is the reply, and a ``refusal`` is reported as such.

Strict mode: OpenAI enforces a schema while decoding (``"strict": true``) only for a subset of JSON
Schema: the root an object, every object closed (``additionalProperties: false``) with all of its
properties required (an optional field is a nullable one), and none of a list of keywords. The
schema is sent unchanged, and strict only when it is in that subset (``strict_compatible``);
otherwise ``"strict": false`` and the schema guides the model without binding it. Rewriting a
schema into the subset would change what a valid reply is, and the caller validates every reply
against its own schema (and asks once more) either way.

The key is ``OPENAI_API_KEY``; the endpoint ``base_url``, else ``OPENAI_BASE_URL``, else OpenAI's
API. Retries and the timeout are the SDK's own (``max_retries``: connection errors, 408, 409, 429
and 5xx, waiting what ``retry-after-ms`` / ``retry-after`` ask or an exponential backoff from
0.5 s; ``timeout`` per attempt).
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Iterator
from typing import Any

from reviewvet.llm.client import (
    MESSAGE_CHARS,
    json_object,
    Message,
    ModelCallError,
    ModelReplyError,
    ModelSetupError,
    Reply,
)
from reviewvet.llm.prices import usage

try:
    import openai
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
    from openai.types.shared_params import ResponseFormatJSONSchema

    _MISSING_SDK: ImportError | None = None
except ImportError as missing:  # the `models` extra is not installed: Client() says so
    _MISSING_SDK = missing

PROVIDER = "openai"
# Keywords strict mode is known not to take (or not everywhere): a schema using one is sent non-strict.
STRICT_UNSUPPORTED = frozenset({
    "allOf", "oneOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas",
    "patternProperties", "propertyNames", "minProperties", "maxProperties", "unevaluatedProperties",
    "unevaluatedItems", "contains", "minContains", "maxContains", "uniqueItems", "minLength", "maxLength",
    "default",
})


class Client:
    """A ``ModelClient`` for one OpenAI model."""

    provider = PROVIDER

    def __init__(self, model: str, *, base_url: str | None = None, timeout: float, max_retries: int) -> None:
        if _MISSING_SDK is not None:
            raise ModelSetupError(f"the openai SDK is not installed ({_MISSING_SDK}): "
                                  "pip install 'reviewvet[models]'", field="provider")
        api_key = os.environ.get("OPENAI_API_KEY")
        if not api_key:
            raise ModelSetupError("no OpenAI key: set OPENAI_API_KEY", field="provider")
        self.model = model
        self._timeout = timeout
        self._sdk = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
        weakref.finalize(self, self._sdk.close)  # its pooled connections closed with this client, not left to gc

    def structured(self, messages: list[Message], schema: dict[str, Any], name: str) -> Reply:
        """One chat completion whose response format is ``schema``; its content is the reply."""
        response_format: ResponseFormatJSONSchema = {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": strict_compatible(schema)},
        }
        start = time.monotonic()
        try:
            reply = self._sdk.chat.completions.create(model=self.model, messages=_chat(messages),
                                                      response_format=response_format)
        except openai.APIError as exc:
            raise self._call_error(exc) from exc
        except ValueError as exc:  # a 200 whose body is not JSON: a proxy's page, not the API
            raise ModelCallError(f"{PROVIDER}: a response that is not the API's: {type(exc).__name__}: "
                                 f"{str(exc)[:MESSAGE_CHARS]}") from exc
        seconds = time.monotonic() - start
        data = self._content(reply)
        tokens = (reply.usage.prompt_tokens, reply.usage.completion_tokens) if reply.usage else (0, 0)
        return Reply(data, usage(reply.model, *tokens), reply.model, seconds)

    def _content(self, reply: ChatCompletion) -> dict[str, Any]:
        """The first choice's content as a JSON object."""
        who = f"{PROVIDER} model {self.model!r}"
        if not reply.choices:
            raise ModelReplyError(f"{who} answered with no choice", field="model")
        choice = reply.choices[0]
        if choice.message.refusal:
            raise ModelReplyError(f"{who} refused: {choice.message.refusal[:MESSAGE_CHARS]!r}", field="model")
        if choice.finish_reason == "length":
            raise ModelReplyError(f"{who}: the reply was cut at the output token limit", field="model")
        if choice.message.content is None:
            raise ModelReplyError(f"{who} answered with no content (finish reason {choice.finish_reason!r})",
                                  field="model")
        return json_object(choice.message.content, who)

    def _call_error(self, exc: openai.APIError) -> ModelCallError:
        """The SDK's failure (after its retries) in reviewvet's terms; never quotes the key."""
        if isinstance(exc, openai.APIStatusError):
            body = exc.body if isinstance(exc.body, dict) else {"message": exc.body}
            text = str(body.get("message") or exc.message)
            return ModelCallError(f"{PROVIDER}: HTTP {exc.status_code}: {text[:MESSAGE_CHARS]}")
        if isinstance(exc, openai.APITimeoutError):
            return ModelCallError(f"{PROVIDER}: no answer within the timeout of {self._timeout:g} s")
        if isinstance(exc, openai.APIConnectionError):
            cause = f" ({exc.__cause__})" if exc.__cause__ else ""
            return ModelCallError(f"{PROVIDER}: cannot reach {self._sdk.base_url}: {exc.message}{cause}")
        return ModelCallError(f"{PROVIDER}: {exc.message[:MESSAGE_CHARS]}")


def _chat(messages: list[Message]) -> list[ChatCompletionMessageParam]:
    """The messages in Chat Completions' shape (system messages keep the ``system`` role)."""
    chat: list[ChatCompletionMessageParam] = []
    for message in messages:
        if message.role == "system":
            chat.append({"role": "system", "content": message.content})
        elif message.role == "user":
            chat.append({"role": "user", "content": message.content})
        else:
            chat.append({"role": "assistant", "content": message.content})
    return chat


def strict_compatible(schema: dict[str, Any]) -> bool:
    """Whether OpenAI's strict mode takes ``schema`` as it is (see the module's docstring)."""
    return schema.get("type") == "object" and all(_strict_node(node) for node in _nodes(schema))


def _strict_node(node: dict[str, Any]) -> bool:
    """One schema node within the strict subset: no unsupported keyword; an object closed, all required."""
    if STRICT_UNSUPPORTED & node.keys():
        return False
    if node.get("type") != "object" and "properties" not in node:
        return True
    properties = node.get("properties", {})
    return node.get("additionalProperties") is False and set(node.get("required", ())) == set(properties)


def _nodes(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``schema`` and every schema nested in it (properties, items, alternatives, definitions)."""
    yield schema
    nested: list[Any] = []
    for key in ("properties", "$defs", "definitions"):
        nested += list(schema.get(key, {}).values())
    for key in ("items", "prefixItems", "anyOf", "oneOf", "allOf", "additionalProperties", "not"):
        value = schema.get(key)
        nested += value if isinstance(value, list) else [value]
    for child in nested:
        if isinstance(child, dict):
            yield from _nodes(child)

"""The three provider adapters, each through its real SDK against a local fake of its API
(``tests.llm.servers``): what the SDK sends, what comes back, and every way a call fails."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

import pytest

from reviewvet.llm.client import Message, ModelCallError, ModelClient, ModelReplyError, ModelSetupError, open_client
from reviewvet.llm.openai_adapter import strict_compatible
from reviewvet.llm.prices import cost_usd
from tests.conftest import ROOT
from tests.llm.servers import (
    KEY_VARIABLES,
    PROVIDERS,
    KEY,
    MODELS,
    PROVIDER_VARIABLES,
    PROXY_VARIABLES,
    FakeProvider,
    Hang,
    Response,
    clean_environment,
    error_reply,
    gemini_blocked,
    openai_refusal,
    provider_server,
    reply_text,
    reply_with,
)

NAME = "finding_verdict"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["verdict", "reasons"],
    "properties": {"verdict": {"type": "string", "enum": ["upheld", "withdrawn"]},
                   "reasons": {"type": "array", "items": {"type": "string"}}},
}
ANSWER = {"verdict": "upheld", "reasons": ["line 12 calls retry() with no budget"]}
MESSAGES = [Message("system", "You judge a refuted finding."), Message("user", "The finding: ..."),
            Message("assistant", "{}"), Message("user", "Answer again, matching the schema.")]
PATHS = {"anthropic": "/v1/messages", "openai": "/v1/chat/completions",
         "gemini": f"/v1/models/{MODELS['gemini']}:generateContent"}
KEY_HEADERS = {"anthropic": ("authorization", f"Bearer {KEY}"), "openai": ("authorization", f"Bearer {KEY}"),
               "gemini": ("x-goog-api-key", KEY)}




def client(fake: FakeProvider, **options: Any) -> ModelClient:
    return open_client(fake.provider, MODELS[fake.provider], base_url=fake.url, **options)


def sent(provider: str, body: dict[str, Any]) -> dict[str, Any]:
    """Where the provider's request carries the model, the schema, its name, the system prompt and the turns."""
    if provider == "anthropic":
        return {"model": body["model"], "schema": body["tools"][0]["input_schema"], "name": body["tools"][0]["name"],
                "forced": body["tool_choice"], "system": body["system"],
                "turns": [(m["role"], m["content"]) for m in body["messages"]]}
    if provider == "openai":
        messages = body["messages"]
        return {"model": body["model"], "schema": body["response_format"]["json_schema"]["schema"],
                "name": body["response_format"]["json_schema"]["name"], "type": body["response_format"]["type"],
                "system": [m["content"] for m in messages if m["role"] == "system"],
                "turns": [(m["role"], m["content"]) for m in messages if m["role"] != "system"]}
    config = body["generationConfig"]
    return {"schema": config["responseJsonSchema"], "mime": config["responseMimeType"],
            "system": body["systemInstruction"]["parts"][0]["text"],
            "turns": [(c["role"], c["parts"][0]["text"]) for c in body["contents"]]}


EXPECTED = {
    "anthropic": {"model": MODELS["anthropic"], "schema": SCHEMA, "name": NAME,
                  "forced": {"type": "tool", "name": NAME, "disable_parallel_tool_use": True},
                  "system": "You judge a refuted finding.",
                  "turns": [("user", "The finding: ..."), ("assistant", "{}"),
                            ("user", "Answer again, matching the schema.")]},
    "openai": {"model": MODELS["openai"], "schema": SCHEMA, "name": NAME, "type": "json_schema",
               "system": ["You judge a refuted finding."],
               "turns": [("user", "The finding: ..."), ("assistant", "{}"),
                         ("user", "Answer again, matching the schema.")]},
    "gemini": {"schema": SCHEMA, "mime": "application/json", "system": "You judge a refuted finding.",
               "turns": [("user", "The finding: ..."), ("model", "{}"),
                         ("user", "Answer again, matching the schema.")]},
}


def test_the_request_in_the_providers_format_and_the_parsed_reply(fake: FakeProvider) -> None:
    fake.script([reply_with(fake.provider, ANSWER, input_tokens=1200, output_tokens=300)])
    reply = client(fake).structured(MESSAGES, SCHEMA, NAME)
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", PATHS[fake.provider])
    header, value = KEY_HEADERS[fake.provider]
    assert request.headers[header] == value
    assert sent(fake.provider, request.body) == EXPECTED[fake.provider]
    assert reply.data == ANSWER
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (1200, 300)
    assert reply.usage.cost_usd is not None
    assert reply.usage.cost_usd == pytest.approx(cost_usd(MODELS[fake.provider], 1200, 300))
    assert reply.model == MODELS[fake.provider]
    assert 0 < reply.seconds < 5


def test_the_sdk_finds_the_endpoint_in_its_own_variable(fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in fake.env.items():
        monkeypatch.setenv(name, value)
    fake.script([reply_with(fake.provider, ANSWER)])
    reply = open_client(fake.provider, MODELS[fake.provider]).structured(MESSAGES, SCHEMA, NAME)
    assert reply.data == ANSWER
    assert [r.path for r in fake.requests] == [PATHS[fake.provider]]


def test_a_reply_that_is_not_json_is_a_reply_error(fake: FakeProvider) -> None:
    fake.script([reply_text(fake.provider, "The finding holds: retry() has no budget.")])
    expected = "without calling the tool" if fake.provider == "anthropic" else "not JSON"
    with pytest.raises(ModelReplyError, match=expected):
        client(fake).structured(MESSAGES, SCHEMA, NAME)


def test_a_reply_that_is_not_an_object_is_a_reply_error(fake: FakeProvider) -> None:
    if fake.provider == "anthropic":
        body = reply_with("anthropic", ANSWER).body
        body["content"][0]["input"] = ["upheld"]
        fake.script([Response(200, body)])
    else:
        fake.script([reply_text(fake.provider, '["upheld"]')])
    with pytest.raises(ModelReplyError, match="list, not an object"):
        client(fake).structured(MESSAGES, SCHEMA, NAME)


def test_a_page_that_is_not_the_apis_is_a_call_error(fake: FakeProvider) -> None:
    fake.script([Response(200, "<html><body>Sign in to the proxy</body></html>")])
    with pytest.raises(ModelCallError, match=f"^{fake.provider}: a response that is not the API's: JSONDecodeError"):
        client(fake).structured(MESSAGES, SCHEMA, NAME)


def test_a_rate_limit_is_retried_by_the_sdk(fake: FakeProvider) -> None:
    fake.script([error_reply(fake.provider, 429, "slow down"), reply_with(fake.provider, ANSWER)])
    reply = client(fake, max_retries=2).structured(MESSAGES, SCHEMA, NAME)
    assert reply.data == ANSWER
    assert len(fake.requests) == 2
    assert fake.requests[0].body == fake.requests[1].body
    if fake.provider != "gemini":  # the Stainless-built SDKs number their attempts
        assert [r.headers["x-stainless-retry-count"] for r in fake.requests] == ["0", "1"]


def test_a_timeout_is_a_call_error_soon(fake: FakeProvider) -> None:
    fake.script([Hang(10)])
    start = time.monotonic()
    with pytest.raises(ModelCallError, match=f"^{fake.provider}: no answer within the timeout of 0.5 s"):
        client(fake, timeout=0.5, max_retries=0).structured(MESSAGES, SCHEMA, NAME)
    assert time.monotonic() - start < 3
    assert len(fake.requests) == 1


def test_a_server_error_after_the_retries_names_the_status(fake: FakeProvider) -> None:
    fake.script([error_reply(fake.provider, 500, "the backend fell over")] * 2)
    with pytest.raises(ModelCallError, match=f"^{fake.provider}: HTTP 500.*the backend fell over") as caught:
        client(fake, max_retries=1).structured(MESSAGES, SCHEMA, NAME)
    assert len(fake.requests) == 2
    assert KEY not in str(caught.value)


def test_a_bad_request_is_not_retried(fake: FakeProvider) -> None:
    fake.script([error_reply(fake.provider, 400, "schema not supported")])
    with pytest.raises(ModelCallError, match="HTTP 400.*schema not supported"):
        client(fake, max_retries=2).structured(MESSAGES, SCHEMA, NAME)
    assert len(fake.requests) == 1


def test_an_unreachable_endpoint_is_a_call_error(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(monkeypatch)
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for provider in PROVIDERS:
        monkeypatch.setenv(KEY_VARIABLES[provider], KEY)
        model = open_client(provider, MODELS[provider], base_url=f"http://127.0.0.1:{port}", max_retries=0)
        with pytest.raises(ModelCallError, match=f"^{provider}: cannot reach"):
            model.structured(MESSAGES, SCHEMA, NAME)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_missing_key_names_the_variable_to_set(provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(monkeypatch)
    with pytest.raises(ModelSetupError, match=f"set {KEY_VARIABLES[provider]}"):
        open_client(provider, MODELS[provider])


def test_an_unknown_provider_is_a_setup_error() -> None:
    with pytest.raises(ModelSetupError, match="unknown provider 'mistral'"):
        open_client("mistral", "mistral-large")


def test_a_missing_sdk_says_what_to_install() -> None:
    script = """
import sys
from reviewvet.llm.client import ModelSetupError, open_client
sdks = {"anthropic": "anthropic", "openai": "openai", "gemini": "google.genai"}
for provider, module in sdks.items():
    sys.modules[module] = None  # as if the extra were not installed
    try:
        open_client(provider, "some-model")
    except ModelSetupError as exc:
        print(exc)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    lines = done.stdout.splitlines()
    assert len(lines) == 3, done.stdout + done.stderr
    for line, sdk in zip(lines, ("anthropic", "openai", "google-genai"), strict=True):
        assert line.startswith(f"the {sdk} SDK is not installed") and "pip install 'reviewvet[models]'" in line


def test_a_dropped_client_closes_its_connections() -> None:
    """A pooled socket left to the garbage collector is a ResourceWarning (an error under this suite's
    settings, in whichever test the collector happens to run): a fresh interpreter shows it."""
    script = """
import gc, os
from reviewvet.llm.client import Message, open_client
from tests.llm.servers import MODELS, provider_server, reply_with
for provider in MODELS:
    with provider_server(provider) as fake:
        os.environ.update(fake.env)
        fake.script([reply_with(provider, {"verdict": "upheld"})])
        model = open_client(provider, MODELS[provider])
        model.structured([Message("user", "The finding: ...")], {"type": "object"}, "verdict")
        del model
        gc.collect()
print("done")
"""
    env = {name: value for name, value in os.environ.items() if name not in PROVIDER_VARIABLES + PROXY_VARIABLES}
    done = subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, cwd=ROOT,
                          env=env | {"NO_PROXY": "127.0.0.1"}, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "done\n", "")


def test_openai_is_strict_only_for_a_schema_strict_mode_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(monkeypatch)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    loose = {**SCHEMA, "required": ["verdict"]}
    with provider_server("openai") as fake:
        fake.script([reply_with("openai", ANSWER), reply_with("openai", ANSWER)])
        model = client(fake)
        model.structured(MESSAGES, SCHEMA, NAME)
        model.structured(MESSAGES, loose, NAME)
    assert [r.body["response_format"]["json_schema"]["strict"] for r in fake.requests] == [True, False]
    assert fake.requests[1].body["response_format"]["json_schema"]["schema"] == loose


def test_an_openai_refusal_is_a_reply_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(monkeypatch)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with provider_server("openai") as fake:
        fake.script([openai_refusal("I can't help with that.")])
        with pytest.raises(ModelReplyError, match="refused: \"I can't help with that.\""):
            client(fake).structured(MESSAGES, SCHEMA, NAME)


def test_an_anthropic_reply_cut_at_the_token_budget_is_a_reply_error(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(monkeypatch)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    with provider_server("anthropic") as fake:
        body = reply_with("anthropic", ANSWER).body
        body["stop_reason"] = "max_tokens"
        fake.script([Response(200, body)])
        with pytest.raises(ModelReplyError, match="cut at 8192 tokens"):
            client(fake).structured(MESSAGES, SCHEMA, NAME)


def test_a_gemini_blocked_prompt_is_a_reply_error_naming_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(monkeypatch)
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)  # the SDK's other variable
    with provider_server("gemini") as fake:
        fake.script([gemini_blocked("PROHIBITED_CONTENT")])
        with pytest.raises(ModelReplyError, match=r"blocked the prompt \(PROHIBITED_CONTENT\)"):
            client(fake).structured(MESSAGES, SCHEMA, NAME)
        assert fake.requests[0].headers["x-goog-api-key"] == KEY


@pytest.mark.parametrize(("schema", "strict"), [
    (SCHEMA, True),
    ({**SCHEMA, "required": ["verdict"]}, False),  # an optional property
    ({"type": "object", "additionalProperties": False, "required": ["where"],
      "properties": {"where": {"type": "object", "properties": {"path": {"type": "string"}}}}}, False),  # open
    ({"type": "object", "additionalProperties": False, "required": ["id"],
      "properties": {"id": {"type": "string", "minLength": 1}}}, False),  # a keyword strict mode lacks
    ({"type": "array", "items": {"type": "string"}}, False),  # the root is not an object
    ({"type": "object", "additionalProperties": False, "required": ["minLength"],
      "properties": {"minLength": {"type": ["integer", "null"]}}}, True),  # a property is not a keyword
])
def test_strict_compatible(schema: dict[str, Any], strict: bool) -> None:
    assert strict_compatible(schema) is strict

"""``reviewvet bench models``: what reviewvet adds to a model call, against a stand-in for each
provider's API on 127.0.0.1 (no network, no key: a dummy one is set for the run).

``StandIn`` is a small HTTP server answering every request in the provider's wire format
(Anthropic's Messages response with a ``tool_use`` block, OpenAI's ``chat.completion``, Gemini's
``generateContent``) with a fixed structured reply, chosen by the schema the request carries
(extract or challenge), after a fixed delay. For each provider and each kind of call, per call:

- **server**: the time the stand-in spends on a request (reading it, the delay, writing the answer);
- **raw HTTP**: one ``http.client`` round trip (a kept-alive connection, the reply parsed as JSON)
  posting the very bytes the SDK sent last to the same path: the floor of any client;
- **SDK**: ``ModelClient.structured`` alone with the same messages and schema: reviewvet's adapter
  and the provider's SDK, nothing around them;
- **reviewvet**: the whole call as reviewvet makes it. For extract: ``llm.extract.extract`` of a
  small review text (chunking, the prompt, the SDK call, parsing, the schema check, the verbatim
  check of each quote). For challenge: ``llm.challenge.challenge_one`` of one doubtful finding of a
  small generated repository (the evidence gathered into the prompt, the SDK call, the schema check,
  and the amended claim verified again in the warm workspace).

Medians of ``calls`` calls after one warm-up call of each kind (the SDK's lazy imports, the first
connection), the three ways taken in turn so a drifting machine moves them together. The overhead
is reviewvet's median minus the raw round trip's, in milliseconds and as a ratio; ``own`` is the
part of it outside the SDK (reviewvet's median minus the SDK's).
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from reviewvet.llm.client import PROVIDERS as ADAPTERS
from reviewvet.llm.client import Message

if TYPE_CHECKING:
    from reviewvet.llm.client import ModelClient
    from reviewvet.model.checks import FindingVerdict
    from reviewvet.model.verification import Verification
    from reviewvet.workspace import Workspace

PROVIDERS = tuple(ADAPTERS)  # anthropic, openai, gemini
MODELS = {"anthropic": "claude-sonnet-4-5", "openai": "gpt-4.1-mini", "gemini": "gemini-2.5-flash"}  # priced
KEY_VARIABLES = {"anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"), "openai": ("OPENAI_API_KEY",),
                 "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY")}  # the first is set, the others hidden
DUMMY_KEY = "bench-key-not-a-secret"
TOKENS = (900, 150)  # the usage every reply reports: input, output
KINDS = ("extract", "challenge")

EXTRACT_TEXT = """\
**bench-bot** commented on the pull request:

Thanks! One thing before merging.

1. `svc/pkg/mod0/file0.go:5-7` (important, regression): the step no longer checks for overflow.

```go
func File0Step0(x int) (int, error) {
\tx = x*3 + 1 // mix 0
```
"""
EXTRACT_REPLY: dict[str, Any] = {"findings": [{
    "title": "The step no longer checks for overflow", "severity": "important", "label": "regression",
    "body": "the step no longer checks for overflow", "identifiers": ["File0Step0"],
    "locations": [{"path": "svc/pkg/mod0/file0.go", "start": 5, "end": 7}],
    "quotes": [{"text": "func File0Step0(x int) (int, error) {\n\tx = x*3 + 1 // mix 0", "role": "evidence"}],
}]}


# -- the stand-in server --------------------------------------------------------------------------


class StandIn:
    """A provider's API on a free port of 127.0.0.1: every request answered with ``replies[kind]`` after
    ``delay`` seconds. ``served`` holds each kind's service times; ``last`` each kind's last request."""

    def __init__(self, provider: str, replies: dict[str, dict[str, Any]], delay: float) -> None:
        self.provider = provider
        self.replies = replies
        self.delay = delay
        self.served: dict[str, list[float]] = {kind: [] for kind in KINDS}
        self.last: dict[str, tuple[str, bytes]] = {}
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stand_in = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        root = f"http://127.0.0.1:{self._server.server_address[1]}"
        return root + "/v1" if self.provider == "openai" else root

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def answer(self, path: str, raw: bytes) -> tuple[str, bytes]:
        """The kind of one request (from the schema it asks for) and its reply, after the delay."""
        body = json.loads(raw)
        kind = "extract" if "findings" in asked_schema(self.provider, body).get("properties", {}) else "challenge"
        self.last[kind] = (path, raw)
        time.sleep(self.delay)
        return kind, json.dumps(wire_reply(self.provider, body, self.replies[kind])).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stand_in: StandIn


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
    # The answer's head and body leave in one write, at once: written apart, the body would wait (Nagle)
    # for the client's delayed acknowledgement of the head, some 40 ms a call on the loopback, a stall
    # of the network stack rather than work of either side.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        started = time.perf_counter()
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            kind, payload = self.server.stand_in.answer(self.path, raw)
        except (ValueError, LookupError, TypeError, AttributeError) as exc:  # not a request of the provider's
            kind, payload = "", json.dumps({"error": {"message": f"bench stand-in: {exc}"}}).encode()
        self.send_response(200 if kind else 400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        if kind:
            self.server.stand_in.served[kind].append(time.perf_counter() - started)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the benchmark reports figures, not requests."""


def asked_schema(provider: str, body: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema a request asks its reply to match, where each provider's request carries it."""
    if provider == "anthropic":
        schema = body["tools"][0]["input_schema"]
    elif provider == "openai":
        schema = body["response_format"]["json_schema"]["schema"]
    else:
        schema = body["generationConfig"]["responseJsonSchema"]
    return schema if isinstance(schema, dict) else {}


def wire_reply(provider: str, request: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as the provider's successful response carries a structured reply, with ``TOKENS`` of usage."""
    tokens_in, tokens_out = TOKENS
    model = str(request.get("model") or MODELS[provider])
    if provider == "anthropic":
        call = {"type": "tool_use", "id": "toolu_bench", "name": request["tools"][0]["name"], "input": data}
        return {"id": "msg_bench", "type": "message", "role": "assistant", "model": model, "content": [call],
                "stop_reason": "tool_use", "stop_sequence": None,
                "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out}}
    text = json.dumps(data)
    if provider == "openai":
        message = {"role": "assistant", "content": text, "refusal": None}
        return {"id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
                "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                          "total_tokens": tokens_in + tokens_out}}
    candidate = {"index": 0, "finishReason": "STOP", "content": {"role": "model", "parts": [{"text": text}]}}
    return {"candidates": [candidate], "modelVersion": MODELS[provider],
            "usageMetadata": {"promptTokenCount": tokens_in, "candidatesTokenCount": tokens_out,
                              "totalTokenCount": tokens_in + tokens_out}}


class RawClient:
    """The floor of a client: one kept-alive connection posting bytes and parsing the JSON answer."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)

    def post(self, path: str, body: bytes) -> Any:
        self._connection.request("POST", path, body, {"content-type": "application/json"})
        response = self._connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"the stand-in answered {response.status}: {data[:200]!r}")
        return json.loads(data)

    def close(self) -> None:
        self._connection.close()


@contextmanager
def dummy_key(provider: str) -> Iterator[None]:
    """For the block: the provider's first key variable holds a dummy key, its others are unset, and
    127.0.0.1 bypasses any proxy; the environment is restored after."""
    names = (*KEY_VARIABLES[provider], "NO_PROXY", "no_proxy")
    saved = {name: os.environ.get(name) for name in names}
    for name in KEY_VARIABLES[provider][1:]:
        os.environ.pop(name, None)
    os.environ[KEY_VARIABLES[provider][0]] = DUMMY_KEY
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [saved[name], "127.0.0.1", "localhost"]))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- the benchmark --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One kind of call: reviewvet's whole call, and the one request it sends (its messages and schema), to
    time the adapter and SDK alone."""

    whole: Callable[[ModelClient], dict[str, Any]]
    messages: list[Message]
    schema: dict[str, Any]
    name: str
    reply: dict[str, Any]  # what the stand-in answers


def bench_models(tmp: Path, providers: tuple[str, ...], calls: int, delay: float) -> dict[str, Any]:
    """Per provider: server, raw HTTP, SDK and reviewvet medians of extract and challenge calls (see the module)."""
    from reviewvet.api import open_workspace, read_review, verify
    from reviewvet.bench.synth import generate_repo, generate_review

    repo = generate_repo(tmp / "repo", 10, functions=4)
    with open_workspace(repo.path, repo.head, repo.base, cache_dir=tmp / "cache") as workspace:
        v = verify(workspace, read_review(generate_review(repo, 2), "bench-review.md"))
        fv = _doubted(v)
        kinds = {"extract": _extract_call(), "challenge": _challenge_call(workspace, v, fv)}
        figures = {p: _bench_provider(p, calls, delay, kinds) for p in providers}
    return {"calls": calls, "delay_ms": delay * 1000, "repository": {"files": repo.files},
            "challenged": {"key": fv.finding.key, "grade": fv.verdict.grade if fv.verdict else ""},
            "providers": figures}


def _doubted(v: Verification) -> FindingVerdict:
    """The generated review's near-miss finding: doubtful or refuted, so a challenge is what it gets."""
    from reviewvet.llm.challenge import CHALLENGED

    found = [fv for fv in v.verdicts if fv.verdict is not None and fv.verdict.grade in CHALLENGED]
    if not found:
        raise RuntimeError("the generated review has no doubtful or refuted finding to challenge")
    return found[0]


def amend_answer(fv: FindingVerdict) -> dict[str, Any]:
    """The challenge answer that amends ``fv`` with the lines really at its nearest match."""
    quote = next(q for q in fv.quotes if q.span is not None and q.matched)
    assert quote.span is not None
    return {"outcome": "amend", "reason": "The quote differs from the file by one character.",
            "path": quote.span.path, "start": quote.span.start, "end": quote.span.end,
            "quote": "\n".join(quote.matched), "label": None}


def _extract_call() -> Call:
    from reviewvet.llm.extract import EXTRACT_SCHEMA, SYSTEM, extract

    def whole(client: ModelClient) -> dict[str, Any]:
        done = extract(client, EXTRACT_TEXT)
        return {"findings": len(done.claims["findings"]), "rewritten_quotes": len(done.rewritten_quotes)}

    messages = [Message("system", SYSTEM), Message("user", f"The review text:\n\n{EXTRACT_TEXT}")]
    return Call(whole, messages, EXTRACT_SCHEMA, "review_findings", EXTRACT_REPLY)


def _challenge_call(workspace: Workspace, v: Verification, fv: FindingVerdict) -> Call:
    from reviewvet.llm.challenge import CHALLENGE_SCHEMA, SYSTEM, challenge_one, challenge_prompt

    def whole(client: ModelClient) -> dict[str, Any]:
        outcome = challenge_one(workspace, v, fv, client)
        return {"outcome": outcome.outcome, "regrade": outcome.regrade, "survived": outcome.survived}

    messages = [Message("system", SYSTEM), Message("user", challenge_prompt(workspace, v, fv))]
    return Call(whole, messages, CHALLENGE_SCHEMA, "challenge_answer", amend_answer(fv))


def _bench_provider(provider: str, calls: int, delay: float, kinds: dict[str, Call]) -> dict[str, Any]:
    from reviewvet.llm.client import open_client

    with StandIn(provider, {kind: call.reply for kind, call in kinds.items()}, delay) as server, \
            dummy_key(provider):
        started = time.perf_counter()
        client = open_client(provider, MODELS[provider], base_url=server.url, max_retries=0)
        open_seconds = time.perf_counter() - started
        results = {kind: call.whole(client) for kind, call in kinds.items()}  # the warm-up round, not counted
        raw = RawClient(server.url)
        try:
            for samples in server.served.values():
                samples.clear()
            times = _rounds(calls, kinds, client, results, lambda kind: raw.post(*server.last[kind]))
        finally:
            raw.close()
        served = {kind: list(samples) for kind, samples in server.served.items()}
    figures: dict[str, Any] = {"model": MODELS[provider], "client_open_ms": open_seconds * 1000}
    for kind in kinds:
        figures[kind] = _compare(served[kind], times[kind]) | results[kind]
    return figures


def _rounds(calls: int, kinds: dict[str, Call], client: ModelClient, results: dict[str, dict[str, Any]],
            post: Callable[[str], Any]) -> dict[str, dict[str, list[float]]]:
    """``calls`` rounds, each timing every kind of call three ways in turn: reviewvet's whole call, the
    adapter and SDK alone with the same request, and a raw round trip of the bytes the SDK sent."""
    times: dict[str, dict[str, list[float]]] = {kind: {"reviewvet": [], "sdk": [], "raw": []} for kind in kinds}
    for _ in range(calls):
        for kind, call in kinds.items():
            started = time.perf_counter()
            results[kind] = call.whole(client)
            times[kind]["reviewvet"].append(time.perf_counter() - started)
            started = time.perf_counter()
            client.structured(call.messages, call.schema, call.name)
            times[kind]["sdk"].append(time.perf_counter() - started)
            started = time.perf_counter()
            post(kind)
            times[kind]["raw"].append(time.perf_counter() - started)
    return times


def _compare(served: list[float], times: dict[str, list[float]]) -> dict[str, float]:
    """Medians in milliseconds, what reviewvet adds over the raw round trip, and how that splits between
    the SDK (with reviewvet's adapter) and reviewvet's own work around the request."""
    server_ms = statistics.median(served) * 1000
    raw_ms, sdk_ms, ours_ms = (statistics.median(times[way]) * 1000 for way in ("raw", "sdk", "reviewvet"))
    return {"server_ms": server_ms, "raw_ms": raw_ms, "sdk_ms": sdk_ms, "reviewvet_ms": ours_ms,
            "overhead_ms": ours_ms - raw_ms, "ratio": ours_ms / raw_ms if raw_ms else 0.0,
            "sdk_overhead_ms": sdk_ms - raw_ms, "own_ms": ours_ms - sdk_ms}


def format_models(f: dict[str, Any]) -> str:
    rows = [f"model calls against a stand-in on 127.0.0.1 adding {f['delay_ms']:g} ms: medians of {f['calls']} "
            f"calls (challenge: {f['challenged']['key']}, {f['challenged']['grade']}, re-verified in the call)",
            f"{'provider':10} {'call':10} {'server':>9} {'raw HTTP':>9} {'SDK':>9} {'reviewvet':>9} "
            f"{'overhead':>10} {'ratio':>6} {'own':>9}  result"]
    for provider, figures in f["providers"].items():
        for kind in KINDS:
            k = figures[kind]
            result = (f"{k['findings']} finding(s)" if kind == "extract"
                      else f"{k['outcome']}: {k['regrade'] or '-'}, {'survived' if k['survived'] else 'not survived'}")
            rows.append(f"{provider:10} {kind:10} {k['server_ms']:6.2f} ms {k['raw_ms']:6.2f} ms {k['sdk_ms']:6.2f} ms "
                        f"{k['reviewvet_ms']:6.2f} ms {k['overhead_ms']:+7.2f} ms {k['ratio']:5.2f}x "
                        f"{k['own_ms']:6.2f} ms  {result}")
    opened = ", ".join(f"{p} {fig['client_open_ms']:.1f} ms" for p, fig in f["providers"].items())
    return "\n".join([*rows, "overhead: reviewvet - raw HTTP; ratio: reviewvet / raw HTTP; own: reviewvet - SDK "
                                "(prompt, parsing, checks, re-verification)",
                      f"client opened once per provider (the SDK's import included): {opened}"])

"""The MCP tools over streamable HTTP, mounted at ``/mcp`` by the HTTP service behind its bearer tokens,
served by uvicorn on a free port and driven by the mcp SDK's own client: a token limited to one
repository cannot reach another through the tools, however the calls interleave."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import pytest
import uvicorn
from anyio.from_thread import start_blocking_portal
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from reviewvet.service.config import Repository, ServiceConfig, Token
from reviewvet.service.core import Service
from reviewvet.service.http import create_app
from reviewvet.service.mcp_server import streamable_http_app

RUN_AGENT_LINE = 'exec "$BEACOND_BIN" -collector "$collector/beat" "${extra[@]}" "$@"'
EVERY = "token-for-every-repository"
BEACON_ONLY = "token-for-beacon-alone-only"
MODES = ["legacy", "auto"]  # the initialize handshake (stateless legacy path), and 2026-07-28 single requests


@pytest.fixture(scope="module")
def url(demo_repo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The HTTP service with the MCP app mounted, serving the demo repository under two names."""
    repositories = {name: Repository(name, demo_repo.path) for name in ("beacon", "kettle")}
    config = ServiceConfig(repositories, tokens=(Token(EVERY), Token(BEACON_ONLY, frozenset({"beacon"}))),
                           cache_dir=tmp_path_factory.mktemp("cache"))
    service = Service(config)
    app = create_app(service, mcp_app=streamable_http_app(service))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", ws="none"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
        server.should_exit = True
        thread.join(20)
    service.close()


@asynccontextmanager
async def connect(url: str, token: str, mode: str) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
        async with Client(streamable_http_client(url, http_client=http), mode=mode, read_timeout_seconds=60) as client:
            yield client


def claim(repository: str, demo_repo) -> dict[str, Any]:
    return {"repository": repository, "path": "scripts/run-agent.sh", "start": 38, "quote": RUN_AGENT_LINE,
            "head": demo_repo.head, "base": demo_repo.base}


def text(result: CallToolResult) -> str:
    return str(result.content[0].text)  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", MODES)
def test_a_token_limited_to_one_repository_cannot_use_the_tools_on_another(url: str, demo_repo, mode: str) -> None:
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(connect(url, BEACON_ONLY, mode)) as c:
        assert len(portal.call(c.list_tools).tools) == 6
        allowed = portal.call(c.call_tool, "check_claim", claim("beacon", demo_repo))
        assert not allowed.is_error and allowed.structured_content is not None
        assert allowed.structured_content["verdict"] == "confirmed"
        refused = portal.call(c.call_tool, "check_claim", claim("kettle", demo_repo))
        assert refused.is_error
        assert text(refused) == "argument 'repository': no repository 'kettle'; repositories: beacon"
        walked = portal.call(c.call_tool, "callers", {"repository": "kettle", "symbol": "refill"})
        assert walked.is_error and "no repository 'kettle'" in text(walked)
        only = portal.call(c.call_tool, "find_symbol", {"name": "NewBudget", "rev": demo_repo.head})
        assert only.structured_content is not None and only.structured_content["repository"] == "beacon"
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(connect(url, EVERY, mode)) as c:
        answer = portal.call(c.call_tool, "check_claim", claim("kettle", demo_repo))
        assert not answer.is_error and answer.structured_content is not None
        assert answer.structured_content["repository"] == "kettle"
        unnamed = portal.call(c.call_tool, "find_symbol", {"name": "NewBudget"})
        assert unnamed.is_error and text(unnamed) == ("argument 'repository': no repository given, and this server "
                                                      "has no default one; repositories: beacon, kettle")


def test_interleaved_calls_each_see_their_own_token(url: str, demo_repo) -> None:
    results: dict[tuple[str, int], CallToolResult] = {}

    async def calls(limited: Client, every: Client) -> None:
        async def one(name: str, client: Client, i: int) -> None:
            results[name, i] = await client.call_tool("check_claim", claim("kettle", demo_repo))

        async with anyio.create_task_group() as group:
            for i in range(6):
                group.start_soon(one, "limited", limited, i)
                group.start_soon(one, "every", every, i)

    with start_blocking_portal() as portal, \
            portal.wrap_async_context_manager(connect(url, BEACON_ONLY, "legacy")) as limited, \
            portal.wrap_async_context_manager(connect(url, EVERY, "legacy")) as every:
        portal.call(calls, limited, every)
    assert all(r.is_error for (name, _), r in results.items() if name == "limited")
    assert not any(r.is_error for (name, _), r in results.items() if name == "every")
    assert len(results) == 12


def test_the_endpoint_needs_a_token(url: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2026-07-28"}
    refused = httpx2.post(url + "/", json=body, headers=headers)
    assert refused.status_code == 401
    wrong = httpx2.post(url + "/", json=body, headers=headers | {"Authorization": "Bearer not-a-token-we-know"})
    assert wrong.status_code == 401


def post(app: Any, host: str = "127.0.0.1:8080", *, started: bool) -> list[dict[str, Any]]:
    """The messages ``app`` sends for one tools/list POST, with or without its lifespan running."""
    body = b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}'
    scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": "/", "raw_path": b"/", "root_path": "",
             "query_string": b"", "scheme": "http", "server": ("127.0.0.1", 8080), "client": ("127.0.0.1", 9),
             "headers": [(b"host", host.encode()), (b"content-type", b"application/json"),
                         (b"accept", b"application/json, text/event-stream"),
                         (b"mcp-protocol-version", b"2025-06-18")]}
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        answered = anyio.Event()
        requests = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            if requests:
                return requests.pop()
            await answered.wait()  # then the client leaves
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered.set()

        if not started:
            await app(scope, receive, send)
            return
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)

    anyio.run(run)
    return sent


@pytest.fixture
def service(demo_repo) -> Iterator[Service]:
    served = Service(ServiceConfig({"beacon": Repository("beacon", demo_repo.path)}))
    yield served
    served.close()


def test_the_endpoint_answers_503_until_its_lifespan_runs(service: Service) -> None:
    """Mounted, its lifespan is the parent's to run: a parent that forgets is told so, not crashed."""
    sent = post(streamable_http_app(service), started=False)
    assert sent[0]["status"] == 503 and b"lifespan" in sent[1]["body"]


def test_allowed_hosts_refuse_another_host_header(service: Service) -> None:
    guarded = ["127.0.0.1:*", "localhost:*"]
    assert post(streamable_http_app(service, allowed_hosts=guarded), "attacker.example:80", started=True
                )[0]["status"] == 421
    assert post(streamable_http_app(service, allowed_hosts=guarded), started=True)[0]["status"] == 200
    assert post(streamable_http_app(service), "attacker.example:80", started=True)[0]["status"] == 200

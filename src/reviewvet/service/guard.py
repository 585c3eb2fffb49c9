"""The guard in front of every HTTP route: tokens, body size and the request counts of ``/metrics``.

``Guard`` is a pure ASGI middleware, not Starlette's ``BaseHTTPMiddleware``: that one runs the
app in another task, and the context variable set here (``auth.CURRENT_TOKEN``) would not reach
it; this way it reaches every app under the guard, the mounted MCP server included. For each
HTTP request it

- checks the bearer token when tokens are configured (401 with ``WWW-Authenticate: Bearer``
  otherwise; ``/healthz`` is open), comparing with ``auth.authenticate`` in constant time;
- reads the body whole while counting its bytes, so that a body over ``max_body_bytes`` is a 413
  whether its Content-Length said so or it came chunked; the app then reads it from memory;
- sets ``auth.CURRENT_TOKEN`` to the caller's token while the app serves the request;
- answers 500 (a generic detail; the traceback goes to the log) when the app raised;
- counts the request by route template, method and status, and times it.

``problem`` writes the ``application/problem+json`` answers of the whole HTTP layer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reviewvet.service.auth import CURRENT_TOKEN, authenticate
from reviewvet.service.config import Token

if TYPE_CHECKING:
    from reviewvet.service.core import Service
    from reviewvet.service.metrics import HttpMetrics

log = logging.getLogger("reviewvet.service")

PROBLEM = "application/problem+json"
PROBLEM_TYPES = {400: "malformed-request", 401: "unauthorized", 404: "not-found", 405: "method-not-allowed",
                 413: "too-large", 422: "invalid-request", 429: "busy", 500: "internal", 504: "timeout"}
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OPEN_PATHS = frozenset({"/healthz"})  # the only path served without a token


def problem(status: int, detail: str, *, field: str | None = None, kind: str | None = None,
            headers: Mapping[str, str] | None = None, extra: Mapping[str, Any] | None = None) -> Response:
    """An ``application/problem+json`` answer."""
    body = {"type": f"urn:reviewvet:problem:{kind or PROBLEM_TYPES.get(status, 'error')}",
            "title": HTTPStatus(status).phrase, "status": status, "detail": detail, "field": field, **(extra or {})}
    return Response(json.dumps(body, ensure_ascii=False), status, dict(headers or {}), media_type=PROBLEM)


class _BodyTooLarge(Exception):
    pass


class Guard:
    """Pure ASGI middleware in front of every route of the app (see the module's docstring)."""

    def __init__(self, app: ASGIApp, service: Service, metrics: HttpMetrics, routes: list[BaseRoute]) -> None:
        self.app = app
        self.service = service
        self.metrics = metrics
        self.routes = routes  # the app's route list, to name a request's route even when it is refused here

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websocket route is served
            await send({"type": "websocket.close", "code": 1008})
            return
        started = time.perf_counter()
        route = self._route(scope)  # before the app runs: a mounted app's routing rewrites the scope
        answered: list[int] = []

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered.append(int(message["status"]))
            await send(message)

        try:
            await self._guarded(scope, receive, recording, answered)
        finally:
            code = str(answered[0]) if answered else "none"
            method = scope["method"] if scope["method"] in METHODS else "other"  # a client's word: few values only
            self.metrics.observe(route, method, code, time.perf_counter() - started)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, answered: list[int]) -> None:
        tokens = self.service.config.tokens
        token: Token | None = None
        if tokens and scope["path"] not in OPEN_PATHS:
            token = authenticate(_header(scope, b"authorization"), tokens)
            if token is None:
                await _send(problem(401, "a bearer token is needed: Authorization: Bearer TOKEN",
                                    headers={"WWW-Authenticate": "Bearer"}), scope, receive, send)
                return
        body = await self._body(scope, receive, send)
        if body is None:
            return
        reset = CURRENT_TOKEN.set(token)
        try:
            await self.app(scope, _replay(body, receive), send)
        except Exception:
            log.exception("%s %s failed", scope["method"], scope["path"])
            if answered:
                raise
            await _send(problem(500, "an internal error; the server's log has the details"), scope, receive, send)
        finally:
            CURRENT_TOKEN.reset(reset)

    async def _body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or None when it was refused (413, 400) or the client left."""
        limit = self.service.config.limits.max_body_bytes
        refusal = _declared_length(_header(scope, b"content-length"), limit)
        if refusal is None:
            try:
                return await _read_body(receive, limit)
            except _BodyTooLarge:
                refusal = _too_large(limit)
        await _send(refusal, scope, receive, send)
        return None

    def _route(self, scope: Scope) -> str:
        """The template of the route ``scope`` asks for (``unmatched`` for none)."""
        for route in self.routes:
            if route.matches(scope)[0] is not Match.NONE:
                return str(getattr(route, "path", "unmatched"))
        return "unmatched"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _declared_length(value: str | None, limit: int) -> Response | None:
    """A refusal when the Content-Length is not a number or says the body is over ``limit``."""
    if value is None:
        return None
    if not value.strip().isdigit():
        return problem(400, f"Content-Length {value!r} is not a number", field="body")
    return _too_large(limit) if int(value) > limit else None


def _too_large(limit: int) -> Response:
    return problem(413, f"the body is over {limit} bytes (max_body_bytes)", field="body",
                   headers={"Connection": "close"})


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The body's bytes, counted as they arrive (so a chunked body cannot pass the limit); None if the client left."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that hands the body read already first, then waits on the client (for its disconnect)."""
    pending = [body]

    async def replayed() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        return await receive()

    return replayed


async def _send(response: Response, scope: Scope, receive: Receive, send: Send) -> None:
    await response(scope, receive, send)

"""The HTTP API: a thin FastAPI layer over ``core.Service`` (``reviewvet serve`` runs it).

Routes (OpenAPI documentation at ``/docs``):

    POST /v1/verify                 a whole review verified; the report in any output format
    POST /v1/claims:check           small claims checked, each answered verdict first
    POST /v1/blame                  provenance (regression, gap, ...) of PATH:LINES locations
    GET  /v1/symbols                the symbols a name can name
    GET  /v1/callers, /v1/callees   the call graph around a symbol
    GET  /v1/repos                  the repositories the caller may see
    POST /v1/repos/{name}:fetch     refresh a mirror from its configured URL
    GET  /healthz                   {"status": "ok"}, without a token
    GET  /metrics                   Prometheus text format 0.0.4
    /mcp                            the MCP server, when one is given, behind the same tokens

Every request passes ``guard.Guard``, a pure ASGI middleware: it checks the bearer token when
tokens are configured (401 otherwise), sets ``auth.CURRENT_TOKEN`` for the request (the routes,
and the mounted MCP app, read the caller from it), refuses a body over ``max_body_bytes`` (413)
and counts the request for ``/metrics``. A repository the token may not see is a 404 exactly like
an unknown one: the routes ask ``Service.repository`` with the caller's token.

The work of an API request runs in a worker thread, at most ``max_concurrency`` at once (one
more is refused with 429 and ``Retry-After: 1``, never queued), each bounded by
``timeout_seconds`` (504).

Every error is ``application/problem+json`` (RFC 9457): ``type``, ``title``, ``status``,
``detail`` and ``field``, the request field the error is about. Statuses:

    400  the body is not JSON, or a Content-Length is not a number
    401  no token, or not one of the configured tokens (with WWW-Authenticate: Bearer)
    404  an unknown route, or a repository that is unknown or that the token may not see
    405  a route asked with the wrong method
    413  a body over max_body_bytes
    422  a request that is well-formed JSON but unusable: a missing field, a wrong type, an unknown
         claim key, an unknown revision or one that looks like an option, a review with no
         findings, more findings or claims than max_findings
    429  max_concurrency requests at work already
    500  a bug in reviewvet (the detail is generic; the traceback goes to the server's log)
    502  the served repository or git failed (a broken or shallow mirror, a fetch the remote
         refused): not the request's fault, and repeating it will not help until the operator
         acts; the detail names the repository, never its path
    504  the work took longer than timeout_seconds
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from reviewvet import __version__
from reviewvet.errors import GitError, OutputError, RepositoryError, ReviewInputError, ReviewvetError, RevisionError
from reviewvet.report import FORMATS, render
from reviewvet.service.auth import CURRENT_TOKEN
from reviewvet.service.core import WALK_DEPTH, NotFound, Service
from reviewvet.service.guard import PROBLEM, Guard, problem
from reviewvet.service.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from reviewvet.service.metrics import HttpMetrics, exposition

__all__ = ["create_app"]

log = logging.getLogger("reviewvet.service")

T = TypeVar("T")

MEDIA_TYPES = {"json": "application/json", "sarif": "application/sarif+json", "markdown": "text/markdown",
               "github-comment": "text/markdown"}  # any other format: text/plain

# The error classes by status and problem type, most specific first (the first the error is an instance of).
ERROR_STATUS: tuple[tuple[type[ReviewvetError], int, str], ...] = (
    (NotFound, 404, "not-found"),
    (RevisionError, 422, "unknown-revision"),
    (RepositoryError, 502, "repository-failed"),
    (GitError, 502, "git-failed"),
    (OutputError, 500, "internal"),
    (ReviewvetError, 422, "invalid-request"),
)


# -- problems --------------------------------------------------------------------------------------


class Refused(Exception):
    """An answer that is no error of the request's content: 429 (busy), 504 (timed out)."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.headers = dict(headers or {})


class Problem(BaseModel):
    """What every error answers (RFC 9457), for the documentation."""

    type: str = Field(description="urn:reviewvet:problem:KIND, e.g. unknown-revision, not-found, busy")
    title: str = Field(description="the HTTP status phrase")
    status: int
    detail: str = Field(description="what is wrong, quoting the bad value")
    field: str | None = Field(description="the request field the error is about, e.g. head or claims/0/start")


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text, "content": {PROBLEM: {}}}
    for status, text in ((401, "no token or an unknown one"), (404, "unknown repository"),
                         (413, "body over max_body_bytes"), (422, "unusable request"),
                         (429, "max_concurrency requests at work; retry after Retry-After seconds"),
                         (502, "the repository or git failed"), (504, "the work took over timeout_seconds"))
}


# -- the service as the routes see it ---------------------------------------------------------------


class Gate:
    """How many requests are at work: a counter, not a queue (the one past the limit is refused)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.busy = 0
        self.refused = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self.busy >= self.limit:
                self.refused += 1
                return False
            self.busy += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.busy -= 1


class _Ticket:
    """One request's place at work, given back exactly once: by its worker thread when the work ends
    (even after the request timed out), or by the request when the work never started."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.state = "waiting"
        self._lock = threading.Lock()

    def start(self) -> bool:
        with self._lock:
            if self.state != "waiting":
                return False
            self.state = "running"
            return True

    def give_up(self) -> None:
        with self._lock:
            if self.state == "waiting":
                self.state = "given up"
                self.gate.leave()


@dataclass
class Api:
    """What the routes share: the service, the metrics and the gate of the work in progress."""

    service: Service
    metrics: HttpMetrics = field(default_factory=HttpMetrics)
    gate: Gate = field(init=False)

    def __post_init__(self) -> None:
        limits = self.service.config.limits
        self.gate = Gate(limits.max_concurrency)
        self.limiter = anyio.CapacityLimiter(limits.max_concurrency)
        self.scrubbed = sorted(((str(r.path), r.name) for r in self.service.config.repositories.values()),
                               key=lambda pair: -len(pair[0]))

    def repository(self, name: str) -> str:
        """``name`` when the caller may see it (checked before the work takes a place); NotFound otherwise."""
        return self.service.repository(name, CURRENT_TOKEN.get()).name

    async def work(self, job: Callable[[], T], *, fields: Mapping[str, str] | None = None) -> T:
        """``job()`` in a worker thread, within max_concurrency and timeout_seconds; an error about a
        service input that the request names otherwise gets the request's name (``fields``)."""
        if not self.gate.enter():
            raise Refused(429, f"{self.gate.limit} requests are at work already; retry in a second",
                          {"Retry-After": "1"})
        ticket = _Ticket(self.gate)

        def run() -> T:
            if not ticket.start():
                raise RuntimeError("the request gave up before its work started")
            try:
                return job()
            except ReviewvetError as exc:
                exc.field = (fields or {}).get(exc.field or "", exc.field)
                raise
            finally:
                self.gate.leave()

        try:
            with anyio.fail_after(self.service.config.limits.timeout_seconds):
                # On timeout the request answers 504 at once and its thread is abandoned, not stopped: it
                # finishes its work in the background (git processes and parses are not interrupted halfway)
                # and holds its place at work until then, so abandoned work still counts against max_concurrency.
                return await anyio.to_thread.run_sync(run, abandon_on_cancel=True, limiter=self.limiter)
        except TimeoutError:
            raise Refused(504, f"the work took longer than {self.service.config.limits.timeout_seconds:g} "
                               "seconds; it goes on in the background") from None
        finally:
            ticket.give_up()

    def scrub(self, text: str) -> str:
        """``text`` with the served repositories' paths replaced by their names."""
        for path, name in self.scrubbed:
            text = text.replace(path, name)
        return text


async def _api(request: Request) -> Api:
    api: Api = request.app.state.api
    return api


ApiDep = Annotated[Api, Depends(_api)]


# -- requests ---------------------------------------------------------------------------------------

FORMAT_ENUM: dict[str, Any] = {"enum": sorted(FORMATS)}  # the formats, listed in the documentation
REPOSITORY = "a repository's name, as the server's configuration gives it (GET /v1/repos lists them)"


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    repository: str = Field(description=REPOSITORY, examples=["beacon"])
    review: str | dict[str, Any] = Field(
        description="the review: a deep-review report in Markdown (or flattened to plain text), a claims file's "
                    "JSON text, or a claims document as an object")
    head: str = Field("auto", description="the revision the review is about; 'auto' uses the head the review "
                                          "names, else its pull request's ref, else the best candidate")
    base: str | None = Field(None, description="the base revision (default: main or master when present)")
    format: str = Field("json", description="the report's format", json_schema_extra=FORMAT_ENUM)

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in FORMATS:
            raise ValueError(f"unknown format {value!r}; known: {', '.join(sorted(FORMATS))}")
        return value


class Claim(BaseModel):
    """A claim to check: any of path, quote or symbol; the rest optional."""

    model_config = ConfigDict(extra="forbid", strict=True)

    path: str | None = Field(None, description="a file path at head", examples=["agent/internal/retry/budget.go"])
    start: int | None = Field(None, ge=1, description="first line claimed")
    end: int | None = Field(None, ge=1, description="last line claimed (default start)")
    quote: str | None = Field(None, description="code the claim quotes")
    symbol: str | None = Field(None, description="a symbol as reviews write it: Name, pkg.Name, (*T).Method")
    label: str | None = Field(None, description="regression, gap, ... (what the claim says of the lines' age)")
    title: str | None = Field(None, description="what the finding says, one line")
    severity: str | None = Field(None, description="critical, important, suggestion ...")


class ClaimsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    repository: str = Field(description=REPOSITORY)
    head: str = Field("HEAD", description="the revision the claims are about")
    base: str | None = Field(None, description="the base revision, for blame (default: main or master)")
    claims: list[Claim] | None = Field(None, description="the claims, answered in this order")
    claim: Claim | None = Field(None, description="one claim (instead of claims)")

    def claim_list(self) -> list[dict[str, Any]]:
        """The claims as the service takes them: what the client sent, without the fields it left out."""
        if (self.claims is None) == (self.claim is None):
            raise ReviewInputError("give either 'claims' (a list) or 'claim' (one object)", field="claims")
        if self.claim is not None:
            return [self.claim.model_dump(exclude_none=True)]
        return [c.model_dump(exclude_none=True) for c in self.claims or []]


class BlameRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    repository: str = Field(description=REPOSITORY)
    head: str = Field("HEAD", description="the pull request's head")
    base: str | None = Field(None, description="the base revision (default: main or master)")
    locations: list[str] = Field(description="PATH:LINE or PATH:START-END", examples=[["agent/main.go:40-52"]])


# -- the routes -------------------------------------------------------------------------------------

REV = {"head": "rev"}  # the service reads one revision as its head: these routes call it rev
Repo = Annotated[str, Query(description=REPOSITORY)]
Rev = Annotated[str, Query(description="the revision (default HEAD)")]
Symbol = Annotated[str, Query(description="a name as reviews write it: Name, pkg.Name, (*T).Method, a symbol id")]
Depth = Annotated[int, Query(ge=1, le=WALK_DEPTH, description=f"levels to follow, 1 to {WALK_DEPTH}")]


async def verify(body: VerifyRequest, api: ApiDep) -> Response:
    """Every finding of a review checked against the repository: the report in ``format``."""
    name = api.repository(body.repository)
    token = CURRENT_TOKEN.get()
    text = body.review if isinstance(body.review, str) else json.dumps(body.review)

    def job() -> Response:
        try:
            v = api.service.verify(name, text, head=body.head, base=body.base, token=token)
        except ReviewInputError as exc:
            exc.field = exc.field or "review"
            raise
        media = MEDIA_TYPES.get(body.format, "text/plain")
        charset = "; charset=utf-8" if media.startswith("text/") else ""
        return Response(render(body.format, v).encode("utf-8"), media_type=media + charset)

    return await api.work(job)


async def check_claims(body: ClaimsRequest, api: ApiDep) -> Response:
    """Each claim's verdict in one sentence, then the evidence: the lines at the claimed place, where the
    quote is (or its nearest match), the symbol's places, what git blame says."""
    name = api.repository(body.repository)
    claims = body.claim_list()
    token = CURRENT_TOKEN.get()
    results = await api.work(lambda: api.service.check_claims(name, claims, head=body.head, base=body.base,
                                                              token=token))
    return _json({"repository": name, "results": results})


async def blame(body: BlameRequest, api: ApiDep) -> Response:
    """Whether each location is new in the pull request (regression), older (gap), mixed or widened."""
    name = api.repository(body.repository)
    token = CURRENT_TOKEN.get()
    result = await api.work(lambda: api.service.blame(name, body.locations, head=body.head, base=body.base,
                                                      token=token))
    r = result.revisions
    return _json({"repository": name, "head": r.head, "merge_base": r.merge_base,
                  "merge_base_source": r.merge_base_source, "locations": [asdict(p) for p in result.locations]})


async def symbols(api: ApiDep, repository: Repo, name: Symbol, rev: Rev = "HEAD") -> Response:
    """The symbols ``name`` can name at ``rev``: kind, path and lines of each."""
    repo = api.repository(repository)
    token = CURRENT_TOKEN.get()
    found = await api.work(lambda: api.service.symbols(repo, name, rev=rev, token=token), fields=REV)
    return _json({"repository": repo, "name": name, "rev": rev, "symbols": found})


async def callers(api: ApiDep, repository: Repo, symbol: Symbol, depth: Depth = 1, rev: Rev = "HEAD") -> Response:
    """The call-graph edges towards the callers of ``symbol``, ``depth`` levels, each with its call site."""
    return await _walk(api, repository, symbol, "callers", depth, rev)


async def callees(api: ApiDep, repository: Repo, symbol: Symbol, depth: Depth = 1, rev: Rev = "HEAD") -> Response:
    """The call-graph edges towards what ``symbol`` calls, ``depth`` levels, each with its call site."""
    return await _walk(api, repository, symbol, "callees", depth, rev)


async def _walk(api: Api, repository: str, symbol: str, direction: str, depth: int, rev: str) -> Response:
    name = api.repository(repository)
    token = CURRENT_TOKEN.get()
    walked = await api.work(lambda: api.service.walk(name, symbol, direction, depth=depth, rev=rev, token=token),
                            fields=REV)
    return _json({"repository": name, "rev": rev, **walked})


async def repositories(api: ApiDep) -> Response:
    """The names of the repositories the caller's token may see."""
    return _json({"repositories": api.service.visible(CURRENT_TOKEN.get())})


async def fetch(name: str, api: ApiDep) -> Response:
    """Refresh the mirror from its configured URL (branches and pull-request refs); the seconds it took."""
    repo = api.repository(name)
    token = CURRENT_TOKEN.get()
    return _json(await api.work(lambda: api.service.fetch(repo, token=token)))


async def healthz() -> Response:
    """Whether the server answers (no token needed)."""
    return _json({"status": "ok"})


async def metrics(api: ApiDep) -> Response:
    """Requests, latency, the workspace pool and git, in the Prometheus text format 0.0.4."""
    text = exposition(api.metrics, api.service, in_flight=api.gate.busy, refused=api.gate.refused)
    return Response(text.encode("utf-8"), media_type=METRICS_CONTENT_TYPE)


def _json(data: Any) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, default=_plain).encode("utf-8"),
                    media_type="application/json")


def _plain(value: object) -> object:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


# -- errors -----------------------------------------------------------------------------------------


async def _reviewvet_error(request: Request, exc: Exception) -> Response:
    api: Api = request.app.state.api
    assert isinstance(exc, ReviewvetError)
    status, kind = next((s, k) for cls, s, k in ERROR_STATUS if isinstance(exc, cls))
    # git's messages about the repository name its path: the client knows the repository by its name only
    detail = api.scrub(str(exc)) if isinstance(exc, (RepositoryError, GitError)) else str(exc)
    if status >= 500:
        log.error("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        if status == 500:
            detail = "an internal error; the server's log has the details"
    return problem(status, detail, field=exc.field, kind=kind)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": "body" if e.get("type") == "json_invalid" else field_path(e.get("loc", ())),
               "message": _message(e)} for e in exc.errors()]
    malformed = any(e.get("type") == "json_invalid" for e in exc.errors())
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "the request is not usable"
    return problem(400 if malformed else 422, detail, field=errors[0]["field"] if errors else None,
                   kind="malformed-json" if malformed else "invalid-request", extra={"errors": errors})


def field_path(loc: Sequence[Any]) -> str:
    """A pydantic error's location as the request names it: ``claims/0/start``, ``depth``; ``body`` for the whole."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts[:1]
    return "/".join(parts) or "body"


def _message(error: Mapping[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    if error.get("type") == "json_invalid":
        where = error.get("loc", ())[1:]
        return f"not JSON: {ctx.get('error', 'decode error')}" + (f" at character {where[0]}" if where else "")
    return str(error.get("msg", "invalid"))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404:
        detail = f"no route {request.method} {request.url.path}"
    return problem(exc.status_code, detail, headers=exc.headers)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return problem(exc.status, str(exc), headers=exc.headers)


# The routes, in the order they are matched: (method, path, endpoint, summary).
ROUTES: tuple[tuple[str, str, Callable[..., Any], str], ...] = (
    ("POST", "/v1/verify", verify, "Verify a review"),
    ("POST", "/v1/claims:check", check_claims, "Check claims"),
    ("POST", "/v1/blame", blame, "Blame locations"),
    ("GET", "/v1/symbols", symbols, "Find symbols"),
    ("GET", "/v1/callers", callers, "Callers of a symbol"),
    ("GET", "/v1/callees", callees, "Callees of a symbol"),
    ("GET", "/v1/repos", repositories, "List repositories"),
    ("POST", "/v1/repos/{name}:fetch", fetch, "Fetch a mirror"),
    ("GET", "/healthz", healthz, "Health check"),
    ("GET", "/metrics", metrics, "Prometheus metrics"),
)
RESPONSES: dict[str, dict[int | str, dict[str, Any]]] = {
    "/v1/verify": {200: {"description": "the report in the asked format",
                         "content": {m: {} for m in sorted(set(MEDIA_TYPES.values()) | {"text/plain"})}}},
    "/metrics": {200: {"description": "the Prometheus text format 0.0.4", "content": {METRICS_CONTENT_TYPE: {}}}},
}
RAW = frozenset({"/v1/verify", "/metrics"})  # answers that are no JSON object

# -- the app ----------------------------------------------------------------------------------------

DESCRIPTION = """Check the findings of code-review reports against the git repositories this server is configured with.

Repositories are named, never given as paths. When the server has tokens, every route but
`/healthz` needs `Authorization: Bearer TOKEN`. Errors are `application/problem+json` naming the
request field they are about."""


def create_app(service: Service, *, mcp_app: ASGIApp | None = None) -> FastAPI:
    """The HTTP API over ``service``; ``mcp_app`` (an ASGI app) is mounted at ``/mcp`` behind the same tokens."""
    api = Api(service)
    app = FastAPI(title="reviewvet", version=__version__, description=DESCRIPTION, docs_url="/docs",
                  redoc_url=None, lifespan=_lifespan(mcp_app))
    app.state.api = api
    for method, path, endpoint, summary in ROUTES:
        responses = (PROBLEM_RESPONSES if path.startswith("/v1/") else {}) | RESPONSES.get(path, {})
        app.add_api_route(path, endpoint, methods=[method], summary=summary, responses=responses,
                          response_class=Response if path in RAW else JSONResponse)
    if mcp_app is not None:
        app.mount("/mcp", mcp_app)
    app.add_exception_handler(ReviewvetError, _reviewvet_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Refused, _refused)
    app.add_middleware(Guard, service=service, metrics=api.metrics, routes=app.router.routes)
    return app


def _lifespan(mcp_app: ASGIApp | None) -> Callable[[FastAPI], Any]:
    """Run the mounted app's own lifespan (an MCP server's session manager) inside the API's: a mounted
    Starlette app's lifespan does not run by itself."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = getattr(getattr(mcp_app, "router", None), "lifespan_context", None)
        if context is None:
            yield
            return
        async with context(mcp_app):
            yield

    return lifespan


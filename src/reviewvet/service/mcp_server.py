"""reviewvet's tools for coding agents, over the Model Context Protocol (the ``mcp`` SDK, 2.x).

An agent asks before it writes a finding: is this quote really at ``path:line``, does this symbol
exist and who calls it, did the pull request bring these lines in? Every tool answers verdict first,
in one sentence (``summary``, which is also the first line of the text content), then the evidence:
the lines really at the claimed place, where the quote is or its nearest match with the characters
that differ, the symbol's places, what git blame says. The answers are the service's own
(``Service.check_claims``, ``verify``, ``blame``, ``symbols``, ``walk``): nothing is checked here.

    check_claim     one claim (path, lines, quote, symbol, label) against a revision
    verify_review   a whole review: counts, then one line per finding
    blame_lines     regression or gap for PATH:LINES locations
    find_symbol     the places a name can name
    callers         the call graph towards a symbol's callers
    callees         ... and towards its callees

Every call passes the caller's token (``auth.CURRENT_TOKEN``, which the HTTP layer sets per request;
None over stdio, where the user runs the server) to the service, so a token limited to some
repositories sees no other. A bad argument or a ``ReviewvetError`` is a tool error result
(``isError``) naming the argument; the server goes on serving.

Two transports: ``run_stdio`` (``reviewvet mcp``, which an agent starts) and ``streamable_http_app``
(mounted by the HTTP service at ``/mcp``, behind its bearer-token middleware, which must also run the
mounted app's lifespan).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from reviewvet import __version__
from reviewvet.errors import ReviewvetError, UsageError
from reviewvet.service.auth import CURRENT_TOKEN
from reviewvet.service.core import WALK_DEPTH, NotFound, Service

if TYPE_CHECKING:
    from reviewvet.api import BlameResult
    from reviewvet.model.verification import Verification
    from reviewvet.service.config import Token

INSTRUCTIONS = """\
reviewvet checks what a code review says about a git repository against the repository itself.
Before you write a finding that quotes code, cites path:line, names a symbol or calls something a
regression, ask check_claim (or blame_lines, find_symbol, callers, callees); to check a whole review
report, ask verify_review. Each answer starts with the verdict in one sentence, then the evidence."""

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

# -- the arguments ---------------------------------------------------------------------------------

RepositoryArg = Annotated[str | None, Field(
    description="The repository's name as this server knows it (never a path); may be left out when the "
                "server has a default repository.")]
HeadArg = Annotated[str, Field(min_length=1, description="The revision the claim is about: a branch, tag or commit.")]
BaseArg = Annotated[str | None, Field(
    description="The branch the pull request targets; git blame is bounded by the merge base of base and head "
                "(default: main or master).")]
RevArg = Annotated[str, Field(min_length=1, description="The revision to read: a branch, tag or commit.")]
PathArg = Annotated[str | None, Field(min_length=1, description="The file the claim cites, e.g. cmd/app/main.go.")]
StartArg = Annotated[int | None, Field(ge=1, description="The first line the claim cites (1-based).")]
EndArg = Annotated[int | None, Field(ge=1, description="The last line the claim cites (default: start).")]
QuoteArg = Annotated[str | None, Field(min_length=1, description="Code the claim quotes, as it is written in it.")]
SymbolArg = Annotated[str | None, Field(
    min_length=1, description="A symbol the claim names: Name, pkg.Name, (*Type).Method.")]
LabelArg = Annotated[str | None, Field(
    description="regression (the pull request brought the code in) or gap (the code was there before it); "
                "git blame checks it.")]
WalkSymbolArg = Annotated[str, Field(min_length=1, description="A name as reviews write it: Name, pkg.Name, "
                                                               "(*Type).Method, or a symbol id.")]
DepthArg = Annotated[int, Field(ge=1, le=WALK_DEPTH, description=f"Levels to follow (1 to {WALK_DEPTH}).")]


# -- the answers -----------------------------------------------------------------------------------


class ShownLines(BaseModel):
    """The lines really at a claimed place, at head."""

    path: str
    start: int
    end: int
    text: list[str]


class Difference(BaseModel):
    quoted: str
    actual: str


class Nearest(BaseModel):
    """The closest text to a quote that is not found as written."""

    similarity: float
    differences: list[Difference]


class QuoteEvidence(BaseModel):
    status: str = Field(description="exact, normalised, elided, reflowed, abbreviated, other-file, base-only, "
                                    "earlier-version, near-miss, absent, no-file, unknown")
    at: str | None = Field(description="Where the quote (or its nearest match) is: path:lines.")
    symbol: str | None
    nearest: Nearest | None


class LineEvidence(BaseModel):
    claimed: str
    status: str = Field(description="exact, contained, drifted, stale, wrong, at-base, unverified, file-missing ...")
    actual: str | None = Field(description="Where the code really is: path:lines.")
    drift: int | None


class SymbolEvidence(BaseModel):
    identifier: str
    status: str = Field(description="found, ambiguous, base-only, external, unresolved, text-only, nowhere")
    symbols: list[str]
    places: list[str]


class BlameEvidence(BaseModel):
    status: str = Field(description="regression, gap, mixed, widened, removed-by-PR, unknown")
    label_agreement: str
    claims: list[str]


class ClaimEvidence(BaseModel):
    lines: list[ShownLines]
    quote: QuoteEvidence | None
    line_claim: LineEvidence | None
    symbols: list[SymbolEvidence]
    blame: BlameEvidence | None


class ClaimResult(BaseModel):
    """A claim's verdict, then its evidence."""

    summary: str = Field(description="The verdict in one sentence: CONFIRMED, REFUTED, DOUBTFUL or UNVERIFIABLE, "
                                     "then what the checks found.")
    verdict: str = Field(description="confirmed, refuted, doubtful, unverifiable, false positive or unchecked")
    flags: list[str]
    reasons: list[str]
    evidence_level: str
    evidence: ClaimEvidence
    rules: list[str]
    repository: str
    head: str
    merge_base: str | None


class FindingLine(BaseModel):
    key: str
    title: str
    verdict: str
    flags: list[str]
    sentence: str


class ReviewCounts(BaseModel):
    findings: int
    by_verdict: dict[str, int]
    by_flag: dict[str, int]
    flagged: int = Field(description="Findings that carry at least one flag.")
    parse_warnings: int = Field(description="Parts of the review the parser could not read: nobody checked them.")


class ReviewResult(BaseModel):
    """A review's findings counted by verdict, then one line per finding."""

    summary: str
    counts: ReviewCounts
    findings: list[FindingLine]
    repository: str
    head: str
    base: str | None
    merge_base: str | None
    head_evidence: str


class Commit(BaseModel):
    sha: str
    date: str
    summary: str


class BlamedLocation(BaseModel):
    location: str
    status: str = Field(description="regression, gap, mixed, widened, removed-by-PR, unknown")
    sentence: str
    pr_commits: list[Commit]
    old_commits: list[Commit]
    new_lines: list[int]
    reason: str


class BlameLinesResult(BaseModel):
    summary: str
    repository: str
    head: str
    merge_base: str | None
    locations: list[BlamedLocation]


class SymbolPlace(BaseModel):
    id: str
    kind: str
    name: str
    language: str
    path: str
    start: int
    end: int
    package: str
    receiver: str


class SymbolResult(BaseModel):
    summary: str
    repository: str
    rev: str
    symbols: list[SymbolPlace]


class CallEdge(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    depth: int
    path: str
    line: int
    confidence: str = Field(description="exact, by-type, by-name-only, external")


class WalkResult(BaseModel):
    summary: str
    repository: str
    rev: str
    symbol: str
    symbols: list[str] = Field(description="The symbol ids the name stands for.")
    direction: str
    depth: int
    edges: list[CallEdge]


# -- the tools -------------------------------------------------------------------------------------

Work = Callable[["Token | None"], BaseModel]


class Tools:
    """The tools of one server: each runs its service call in a worker thread, with the caller's token."""

    def __init__(self, service: Service, default_repository: str | None) -> None:
        self.service = service
        self.default = default_repository

    async def check_claim(self, repository: RepositoryArg = None, path: PathArg = None, start: StartArg = None,
                          end: EndArg = None, quote: QuoteArg = None, symbol: SymbolArg = None,
                          label: LabelArg = None, head: HeadArg = "HEAD", base: BaseArg = None
                          ) -> Annotated[CallToolResult, ClaimResult]:
        """Check one claim about the code before writing it: that the quote is at path:start-end, that the
        symbol exists, and (with a label) whether git blame agrees it is a regression or a gap. Give at least
        one of path, quote or symbol. The answer starts with the verdict in one sentence, then the lines
        really at the claimed place, where the quote is or its nearest match, the symbol's places, and blame."""
        values = {"path": path, "start": start, "end": end, "quote": quote, "symbol": symbol, "label": label}
        claim = {key: value for key, value in values.items() if value is not None}
        if not any(claim.get(key) for key in ("path", "quote", "symbol")):
            return error_result("give at least one of the arguments 'path', 'quote' or 'symbol'")

        def work(token: Token | None) -> ClaimResult:
            name = self.repository(repository, token)
            [answer] = self.service.check_claims(name, [claim], head=head, base=base, token=token)
            return claim_result(name, answer)

        return await self.respond(work, {"claims": ""})

    async def verify_review(self, review: Annotated[str, Field(min_length=1, description=(
                                "The review report: Markdown (or flattened Markdown) or reviewvet claims JSON."))],
                            repository: RepositoryArg = None,
                            head: Annotated[str, Field(min_length=1, description=(
                                "The revision the review is about; 'auto' finds the head the review names."))
                            ] = "auto",
                            base: BaseArg = None) -> Annotated[CallToolResult, ReviewResult]:
        """Verify every finding of a code-review report against the repository. The answer counts the
        findings by verdict, then gives one line per finding: its key, title, verdict, flags and one sentence."""
        size = len(review.encode("utf-8", "surrogatepass"))
        if size > self.service.config.limits.max_body_bytes:
            return error_result(f"argument 'review': {size} bytes, at most "
                                f"{self.service.config.limits.max_body_bytes}")

        def work(token: Token | None) -> ReviewResult:
            name = self.repository(repository, token)
            verification = self.service.verify(name, review, head=head, base=base, token=token, source="<mcp>")
            return review_result(name, verification)

        return await self.respond(work, {"findings": "review"})

    async def blame_lines(self, locations: Annotated[list[str], Field(min_length=1, description=(
                              "PATH:LINE or PATH:START-END locations, e.g. cmd/app/main.go:40-52."))],
                          repository: RepositoryArg = None, head: HeadArg = "HEAD", base: BaseArg = None
                          ) -> Annotated[CallToolResult, BlameLinesResult]:
        """Say whether lines are a regression (new in the pull request, with its commits) or a gap (there
        before it, with the newest old commit), by git blame bounded by the merge base of base and head."""

        def work(token: Token | None) -> BlameLinesResult:
            name = self.repository(repository, token)
            return blame_result(name, self.service.blame(name, locations, head=head, base=base, token=token))

        return await self.respond(work, {})

    async def find_symbol(self, name: Annotated[str, Field(min_length=1, description=(
                              "A name as reviews write it: Name, pkg.Name, (*Type).Method, or a symbol id."))],
                          repository: RepositoryArg = None, rev: RevArg = "HEAD"
                          ) -> Annotated[CallToolResult, SymbolResult]:
        """Find the functions, methods, types and values a name can stand for at a revision, with their places."""

        def work(token: Token | None) -> SymbolResult:
            repo = self.repository(repository, token)
            return symbol_result(repo, name, rev, self.service.symbols(repo, name, rev=rev, token=token))

        return await self.respond(work, {"head": "rev", "symbol": "name"})

    async def callers(self, symbol: WalkSymbolArg, repository: RepositoryArg = None, depth: DepthArg = 1,
                      rev: RevArg = "HEAD") -> Annotated[CallToolResult, WalkResult]:
        """List the call sites that call a symbol (and their callers, up to depth levels), from the call graph."""
        return await self.walk(symbol, "callers", repository, depth, rev)

    async def callees(self, symbol: WalkSymbolArg, repository: RepositoryArg = None, depth: DepthArg = 1,
                      rev: RevArg = "HEAD") -> Annotated[CallToolResult, WalkResult]:
        """List what a symbol calls (and what those call, up to depth levels), from the call graph."""
        return await self.walk(symbol, "callees", repository, depth, rev)

    async def walk(self, symbol: str, direction: str, repository: str | None, depth: int, rev: str
                   ) -> CallToolResult:
        def work(token: Token | None) -> WalkResult:
            name = self.repository(repository, token)
            graph = self.service.walk(name, symbol, direction, depth=depth, rev=rev, token=token)
            return walk_result(name, rev, depth, graph)

        return await self.respond(work, {"head": "rev"})

    # -- inside ----------------------------------------------------------------------------------------

    def repository(self, given: str | None, token: Token | None) -> str:
        """The repository named, else the server's default, else the only one the caller may see."""
        name = given or self.default
        if name:
            return name
        visible = self.service.visible(token)
        if len(visible) != 1:
            raise UsageError("no repository given, and this server has no default one", field="repository")
        return visible[0]

    async def respond(self, work: Work, arguments: Mapping[str, str]) -> CallToolResult:
        """``work`` done in a worker thread with the caller's token: its answer, or its error naming the
        argument (``arguments`` maps an error's field to this tool's argument where their names differ, or
        to "" where the field is no argument of the tool)."""
        token = CURRENT_TOKEN.get()  # read here, in the request's context, and handed over explicitly
        try:
            answer = await anyio.to_thread.run_sync(partial(work, token))
        except ReviewvetError as exc:
            return error_result(self.error_text(exc, arguments, token))
        return answer_result(answer)

    def error_text(self, exc: ReviewvetError, arguments: Mapping[str, str], token: Token | None) -> str:
        message = str(exc)
        for repository in self.service.config.repositories.values():  # clients name repositories, never paths
            path = str(repository.path)
            message = message.replace(repr(path), f"repository {repository.name!r}").replace(path, repository.name)
        if exc.field == "repository" or isinstance(exc, NotFound):
            visible = self.service.visible(token)
            message += f"; repositories: {', '.join(visible)}" if visible else "; no repository is visible to you"
        argument = arguments.get(exc.field or "", exc.field)
        return f"argument {argument!r}: {message}" if argument else message


def answer_result(answer: BaseModel) -> CallToolResult:
    """The structured answer, and as text its one-sentence summary first, then the whole answer as JSON."""
    data = answer.model_dump(mode="json", by_alias=True)
    text = f"{data['summary']}\n\n{json.dumps(data, indent=1)}"
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def error_result(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


# -- from the service's answers --------------------------------------------------------------------


def claim_result(repository: str, answer: Mapping[str, Any]) -> ClaimResult:
    fields = {key: value for key, value in answer.items() if key not in ("claim", "sentence")}
    return ClaimResult.model_validate(fields | {"summary": answer["sentence"], "repository": repository})


VERDICT_ORDER = ("false positive", "refuted", "doubtful", "unverifiable", "unchecked", "confirmed")


def review_result(repository: str, v: Verification) -> ReviewResult:
    from reviewvet.report.text import verdict_word
    from reviewvet.service.core import claim_sentence

    findings = []
    for fv in v.verdicts:
        word = verdict_word(fv, v.decisions.get(fv.finding.key))
        findings.append(FindingLine(key=fv.finding.key, title=fv.finding.title, verdict=word, flags=list(fv.flags),
                                    sentence=claim_sentence(fv, word)))
    by_verdict = Counter(f.verdict for f in findings)
    counts = ReviewCounts(findings=len(findings), by_verdict=dict(by_verdict),
                          by_flag=dict(Counter(flag for f in findings for flag in f.flags)),
                          flagged=sum(1 for f in findings if f.flags), parse_warnings=len(v.review.warnings))
    rv = v.revisions
    tally = ", ".join(f"{by_verdict[word]} {word.upper()}" for word in VERDICT_ORDER if by_verdict[word])
    summary = (f"{tally} of {len(findings)} findings, at head {rv.head[:12]}"
               f"{f' (merge base {rv.merge_base[:12]})' if rv.merge_base else ''}; {counts.flagged} carry flags"
               + (f"; {counts.parse_warnings} parts of the review could not be read" if counts.parse_warnings else "")
               + ".")
    return ReviewResult(summary=summary, counts=counts, findings=findings, repository=repository, head=rv.head,
                        base=rv.base, merge_base=rv.merge_base, head_evidence=rv.head_evidence)


SHOWN = 3  # places named in a summary sentence; the rest are counted


def blame_result(repository: str, result: BlameResult) -> BlameLinesResult:
    from dataclasses import asdict

    from reviewvet.report.text import describe_claim_provenance

    locations = [BlamedLocation(
        location=f"{c.path}:{c.start}" + (f"-{c.end}" if c.end != c.start else ""), status=c.status,
        sentence=describe_claim_provenance(c), pr_commits=[Commit(**asdict(x)) for x in c.pr_commits],
        old_commits=[Commit(**asdict(x)) for x in c.old_commits], new_lines=list(c.new_lines), reason=c.reason,
    ) for c in result.locations]
    statuses = Counter(loc.status for loc in locations)
    tally = ", ".join(f"{count} {status.upper()}" for status, count in statuses.most_common())
    summary = f"{tally}: " + "; ".join(loc.sentence for loc in locations[:SHOWN]) + _more(len(locations)) + "."
    rv = result.revisions
    return BlameLinesResult(summary=summary, repository=repository, head=rv.head, merge_base=rv.merge_base,
                            locations=locations)


def symbol_result(repository: str, name: str, rev: str, symbols: Sequence[Mapping[str, Any]]) -> SymbolResult:
    places = [SymbolPlace.model_validate(s) for s in symbols]
    if not places:
        summary = f"NOT FOUND: no symbol is named {name!r} at {rev}."
    else:
        shown = ", ".join(f"{p.kind} {p.id} at {p.path}:{p.start}-{p.end}" for p in places[:SHOWN])
        summary = (f"FOUND: {name!r} names {len(places)} symbol{'s' if len(places) != 1 else ''} at {rev}: "
                   f"{shown}{_more(len(places))}.")
    return SymbolResult(summary=summary, repository=repository, rev=rev, symbols=places)


def walk_result(repository: str, rev: str, depth: int, graph: Mapping[str, Any]) -> WalkResult:
    edges = [CallEdge.model_validate(e) for e in graph["edges"]]
    direction, symbol = graph["direction"], graph["symbol"]
    near = [e for e in edges if e.depth == 1]
    noun = "caller" if direction == "callers" else "callee"
    if not near:
        summary = f"NONE: {symbol!r} has no {direction} at {rev}."
    else:
        shown = ", ".join(f"{_short(e.to)} (call at {e.path}:{e.line}, {e.confidence})" for e in near[:SHOWN])
        summary = (f"{len(near)} {noun.upper()}{'S' if len(near) != 1 else ''} of {symbol!r} at {rev}: "
                   f"{shown}{_more(len(near))}" + (f"; {len(edges)} edges within {depth} levels" if depth > 1 else "")
                   + ".")
    return WalkResult(summary=summary, repository=repository, rev=rev, symbol=symbol, symbols=graph["symbols"],
                      direction=direction, depth=depth, edges=edges)


def _short(symbol_id: str) -> str:
    """``retry.(*Budget).Remaining`` for ``example.com/beacon/agent/internal/retry.(*Budget).Remaining``."""
    return symbol_id.rsplit("/", 1)[-1]


def _more(count: int) -> str:
    return f"; and {count - SHOWN} more" if count > SHOWN else ""


# -- the server ------------------------------------------------------------------------------------

TOOL_NAMES = ("check_claim", "verify_review", "blame_lines", "find_symbol", "callers", "callees")


def build_server(service: Service, *, default_repository: str | None = None) -> MCPServer:
    """The MCP server with reviewvet's tools over ``service``; ``default_repository`` stands in for a
    ``repository`` argument left out."""
    if default_repository is not None:
        service.repository(default_repository)  # NotFound now rather than on every call
    server: MCPServer = MCPServer("reviewvet", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")
    tools = Tools(service, default_repository)
    note = (f" The repository defaults to {default_repository!r}." if default_repository is not None
            else " Name the repository, unless you may see only one.")
    for name in TOOL_NAMES:
        method = getattr(tools, name)
        description = " ".join((method.__doc__ or "").split()) + note
        server.add_tool(method, name=name, description=description, annotations=READ_ONLY, structured_output=True)
    return server


def run_stdio(service: Service, default_repository: str | None) -> None:
    """Serve the tools on standard input and output until the client closes them (the SDK points file
    descriptor 1 at standard error meanwhile, so nothing but the protocol reaches standard output)."""
    server = build_server(service, default_repository=default_repository)
    anyio.run(server.run_stdio_async)


# -- over HTTP -------------------------------------------------------------------------------------


class McpEndpoint:
    """The ASGI endpoint behind ``streamable_http_app``: stateless streamable HTTP through the SDK's
    session manager, which ``lifespan`` runs. Until it runs, requests are answered 503."""

    def __init__(self, service: Service, allowed_hosts: Sequence[str] | None) -> None:
        server = build_server(service)
        server.streamable_http_app(stateless_http=True, transport_security=_host_checks(allowed_hosts))
        self.manager = server.session_manager  # made by the call above; the Starlette app it returns is not used
        self.running = False

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        async with self.manager.run():  # at most once: the SDK's manager cannot be started twice
            self.running = True
            try:
                yield
            finally:
                self.running = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.running:
            response = JSONResponse({"error": "the MCP endpoint is not started: the app serving it must run "
                                              "its lifespan (app.router.lifespan_context(app))"}, status_code=503)
            await response(scope, receive, send)
            return
        await self.manager.handle_request(scope, receive, send)


def _host_checks(allowed_hosts: Sequence[str] | None) -> TransportSecuritySettings:
    if allowed_hosts is None:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    hosts = list(allowed_hosts)
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=[f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")])


def streamable_http_app(service: Service, *, allowed_hosts: Sequence[str] | None = None) -> Starlette:
    """The tools over streamable HTTP: a Starlette app for the HTTP service to mount at ``/mcp``.

    Stateless: each POST is served on its own, by tasks that the HTTP request carrying it starts (and
    that inherit its context), so the tools see the ``auth.CURRENT_TOKEN`` that the parent's middleware
    set for that request; no session outlives its request. Every path below the mount point is the
    endpoint; a client that asks for ``/mcp`` is redirected to ``/mcp/`` by the parent (307).

    Its lifespan runs the SDK's session manager, and a mounted app's lifespan never runs by itself:
    the parent enters ``app.router.lifespan_context(app)`` in its own lifespan, once.

    ``allowed_hosts`` (``"127.0.0.1:*"``, ``"rv.example.com"``): when given, a request whose Host or
    Origin header names another host is refused (421, 403), against DNS rebinding; None checks no Host,
    leaving the guard to the parent's bearer tokens."""
    endpoint = McpEndpoint(service, allowed_hosts)
    return Starlette(routes=[Route("/{path:path}", endpoint=endpoint)], lifespan=endpoint.lifespan)

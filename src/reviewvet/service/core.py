"""The operations every long-running front end serves (HTTP routes, MCP tools, the benchmark):
verify a review, check small claims, blame lines, find symbols, walk the call graph, refresh a
mirror. Each takes a repository *name*, checks it against the configuration (and the caller's
token), holds a warm workspace from the pool and calls ``reviewvet.api``; the results are plain
JSON-ready data, the same for every front end.

A claim is the small shape an agent asks about before it writes a finding::

    {"path": "cmd/rdd/limavm.go", "start": 497, "end": 512, "quote": "return nil",
     "symbol": "watchUntil", "label": "regression", "title": "watchUntil returns nil when the watch closes"}

(any of path, quote or symbol; the rest optional). It is verified as a one-finding claims review
through ``api.verify_findings``, and answered verdict first: one sentence, then the evidence — the
lines really at the claimed place, where the quote is or its nearest match with the characters
that differ, the symbol's places, and what git blame says of the lines.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reviewvet.errors import ReviewInputError, ReviewvetError, UsageError
from reviewvet.service.config import Repository, ServiceConfig, Token
from reviewvet.service.pool import WorkspacePool

if TYPE_CHECKING:
    from reviewvet.api import BlameResult
    from reviewvet.model.checks import FindingVerdict
    from reviewvet.model.verification import Verification
    from reviewvet.workspace import Workspace

CLAIM_KEYS = {"path", "start", "end", "quote", "symbol", "label", "title", "severity"}
WALK_DEPTH = 5


class NotFound(ReviewvetError):
    """A repository (or a thing in it) the caller may not see or that does not exist: HTTP 404."""


@dataclass
class Counters:
    """What the service did, for /metrics: by operation, count, errors and seconds."""

    calls: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    git_processes: int = 0
    git_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()


class Service:
    """Verification as a service over the repositories of ``config``; thread-safe; ``close`` when done."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        limits = config.limits
        self.pool = WorkspacePool(config.cache_dir, limits.max_workspaces, limits.workspace_memory_bytes)
        self.counters = Counters()

    def close(self) -> None:
        self.pool.close()

    # -- who may see what ------------------------------------------------------------------------------

    def repository(self, name: str, token: Token | None = None) -> Repository:
        """The configured repository ``name`` (NotFound when there is none, or the token may not see it)."""
        repository = self.config.repository(name)
        if repository is None or (token is not None and not token.may_see(name)):
            raise NotFound(f"no repository {name!r}", field="repository")
        return repository

    def visible(self, token: Token | None) -> list[str]:
        return sorted(name for name in self.config.repositories if token is None or token.may_see(name))

    # -- the operations ---------------------------------------------------------------------------------

    def verify(self, name: str, text: str, *, head: str = "auto", base: str | None = None,
               token: Token | None = None, source: str = "<request>") -> Verification:
        """A whole review (Markdown or claims JSON) verified against ``name``."""
        from reviewvet.api import read_review, verify

        review = read_review(text, source)
        self._check_size(len(review.all_findings()), "findings")
        if not review.all_findings():
            raise ReviewInputError("the review has no findings to verify", field="review")
        with self._workspace("verify", name, head, base, token) as workspace:
            return verify(workspace, review)

    def check_claims(self, name: str, claims: Sequence[dict[str, Any]], *, head: str = "HEAD",
                     base: str | None = None, token: Token | None = None) -> list[dict[str, Any]]:
        """Each claim's verdict and evidence, in the order given."""
        from reviewvet.api import read_review, verify_findings

        self._check_size(len(claims), "claims")
        review = read_review(json.dumps(claims_document(claims)), "<claims>")
        with self._workspace("claims", name, head, base, token) as workspace:
            result = verify_findings(workspace, review.findings, review=review)
            with workspace.session():
                return [claim_answer(workspace, result, fv, claim)
                        for fv, claim in zip(result.verdicts, claims, strict=True)]

    def blame(self, name: str, locations: Sequence[str], *, head: str = "HEAD", base: str | None = None,
              token: Token | None = None) -> BlameResult:
        from reviewvet.api import blame

        self._check_size(len(locations), "locations")
        if not locations:
            raise UsageError("no location to blame: give PATH:LINE or PATH:START-END", field="locations")
        with self._workspace("blame", name, head, base, token) as workspace:
            return blame(workspace, locations)

    def symbols(self, name: str, query: str, *, rev: str = "HEAD", token: Token | None = None
                ) -> list[dict[str, Any]]:
        from dataclasses import asdict

        from reviewvet.api import find_symbols

        with self._workspace("symbols", name, rev, None, token) as workspace:
            return [asdict(s) for s in find_symbols(workspace, query)]

    def walk(self, name: str, symbol: str, direction: str, *, depth: int = 1, rev: str = "HEAD",
             token: Token | None = None) -> dict[str, Any]:
        """Callers or callees of ``symbol``, ``depth`` levels (at most WALK_DEPTH)."""
        from reviewvet.api import walk_calls

        if not 1 <= depth <= WALK_DEPTH:
            raise UsageError(f"depth {depth!r} must be between 1 and {WALK_DEPTH}", field="depth")
        with self._workspace(direction, name, rev, None, token) as workspace:
            starts, edges = walk_calls(workspace, symbol, direction, depth)
        return {"symbol": symbol, "symbols": starts, "direction": direction, "edges": edges}

    def fetch(self, name: str, *, token: Token | None = None) -> dict[str, Any]:
        """Refresh the mirror of ``name`` from its configured URL: the one thing the service writes."""
        from reviewvet.git import transport

        repository = self.repository(name, token)
        if repository.fetch_url is None:
            raise UsageError(f"repository {name!r} has no fetch URL configured", field="repository")
        started = time.perf_counter()
        with self._counted("fetch"):
            transport(["fetch", "--prune", "--no-tags", "--end-of-options", repository.fetch_url,
                       "+refs/heads/*:refs/heads/*", "+refs/pull/*:refs/pull/*"],
                      inside=repository.path, what=f"fetching {name!r}")
            self.pool.forget(name)
        return {"repository": name, "seconds": round(time.perf_counter() - started, 3)}

    # -- inside --------------------------------------------------------------------------------------

    @contextmanager
    def _workspace(self, operation: str, name: str, head: str, base: str | None, token: Token | None
                   ) -> Iterator[Workspace]:
        repository = self.repository(name, token)
        with self._counted(operation), self.pool.use(name, repository.path, head, base) as workspace:
            git = workspace.git
            processes, seconds = git.process_count, git.process_seconds
            try:
                yield workspace
            finally:
                with self.counters.lock:
                    self.counters.git_processes += git.process_count - processes
                    self.counters.git_seconds += git.process_seconds - seconds

    @contextmanager
    def _counted(self, operation: str) -> Iterator[None]:
        started = time.perf_counter()
        failed = True
        try:
            yield
            failed = False
        finally:
            c = self.counters
            with c.lock:
                c.calls[operation] = c.calls.get(operation, 0) + 1
                c.seconds[operation] = c.seconds.get(operation, 0.0) + time.perf_counter() - started
                if failed:
                    c.errors[operation] = c.errors.get(operation, 0) + 1

    def _check_size(self, count: int, what: str) -> None:
        limit = self.config.limits.max_findings
        if count > limit:
            raise UsageError(f"{count} {what}: at most {limit} in one request", field=what)


# -- claims --------------------------------------------------------------------------------------------


def claims_document(claims: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Small claims as a claims-v1 document (whose schema then checks every value)."""
    if not isinstance(claims, (list, tuple)) or not claims:
        raise UsageError("claims must be a non-empty list of objects", field="claims")
    return {"reviewvet_claims": 1, "findings": [_claim_finding(i, claim) for i, claim in enumerate(claims)]}


def _claim_finding(i: int, claim: dict[str, Any]) -> dict[str, Any]:
    where = f"claims/{i}"
    if not isinstance(claim, dict):
        raise UsageError(f"{where} must be an object", field="claims")
    unknown = set(claim) - CLAIM_KEYS
    if unknown:
        raise UsageError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; "
                         f"known: {', '.join(sorted(CLAIM_KEYS))}", field="claims")
    if not any(claim.get(k) for k in ("path", "quote", "symbol")):
        raise UsageError(f"{where} needs a path, a quote or a symbol", field="claims")
    finding: dict[str, Any] = {"id": f"C{i + 1}", "title": claim.get("title") or _title(claim)}
    if claim.get("path"):
        finding["locations"] = [{k: claim[k] for k in ("path", "start", "end") if claim.get(k) is not None}]
    if claim.get("quote"):
        finding["quotes"] = [{"text": claim["quote"], "role": "evidence"}]
    if claim.get("symbol"):
        finding["identifiers"] = [claim["symbol"]]
    finding |= {key: claim[key] for key in ("label", "severity") if claim.get(key)}
    return finding


def _title(claim: dict[str, Any]) -> str:
    return " ".join(str(claim[k]) for k in ("symbol", "path") if claim.get(k)) or "claim"


def claim_answer(workspace: Workspace, v: Verification, fv: FindingVerdict, claim: dict[str, Any]
                 ) -> dict[str, Any]:
    """A claim's answer: the verdict in one sentence first, then the evidence."""
    from reviewvet.api import claimed_lines
    from reviewvet.report.text import describe_decision, verdict_word

    decision = v.decisions.get(fv.finding.key)
    word = verdict_word(fv, decision)
    return {
        "claim": claim,
        "verdict": word,
        "sentence": claim_sentence(fv, word),
        "reasons": list(fv.verdict.reasons) if fv.verdict else [],
        "evidence_level": fv.verdict.evidence if fv.verdict else v.revisions.head_evidence,
        "flags": list(fv.flags),
        "evidence": {
            "lines": claimed_lines(workspace, v, fv),
            "quote": _quote_evidence(fv),
            "line_claim": _line_evidence(fv),
            "symbols": [{"identifier": c.identifier, "status": c.status, "symbols": list(c.symbols),
                         "places": [s.text() for s in c.locations]} for c in fv.symbols],
            "blame": _blame_evidence(fv),
        },
        "rules": describe_decision(decision) if decision is not None else [],
        "head": v.revisions.head,
        "merge_base": v.revisions.merge_base,
    }


def claim_sentence(fv: FindingVerdict, word: str) -> str:
    """``REFUTED: …`` — what the checks found, in one sentence a model can act on."""
    from reviewvet.report.text import describe_line, describe_quote

    parts = []
    for q in fv.quotes[:1]:
        parts.append(f"the quote is {describe_quote(q)}")
    for c in fv.lines[:1]:
        parts.append(f"{c.reference.written} is {describe_line(c)}")
    for s in fv.symbols[:1]:
        places = ", ".join(p.text() for p in s.locations[:3])
        parts.append(f"{s.identifier} is {s.status}" + (f" ({places})" if places else ""))
    if fv.provenance is not None and fv.provenance.status:
        parts.append(f"git blame says {fv.provenance.status}")
    return f"{word.upper()}: " + ("; ".join(parts) if parts else "nothing in the claim could be checked") + "."


def _quote_evidence(fv: FindingVerdict) -> dict[str, Any] | None:
    if not fv.quotes:
        return None
    q = fv.quotes[0]
    near = q.near_miss
    return {"status": q.status, "at": q.span.text() if q.span else None, "symbol": q.symbol or None,
            "nearest": None if near is None else {
                "similarity": round(near.similarity, 3),
                "differences": [{"quoted": d.quoted, "actual": d.actual} for d in near.differences[:5]]}}


def _line_evidence(fv: FindingVerdict) -> dict[str, Any] | None:
    if not fv.lines:
        return None
    c = fv.lines[0]
    return {"claimed": c.reference.written, "status": c.status, "actual": c.actual.text() if c.actual else None,
            "drift": c.drift}


def _blame_evidence(fv: FindingVerdict) -> dict[str, Any] | None:
    from reviewvet.report.text import describe_claim_provenance

    p = fv.provenance
    if p is None:
        return None
    return {"status": p.status, "label_agreement": p.agreement,
            "claims": [describe_claim_provenance(c) for c in p.claims]}


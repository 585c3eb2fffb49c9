"""reviewvet's front door: every command, service and worker verifies through these functions.

    from reviewvet.api import open_workspace, read_review, verify

    with open_workspace("path/to/repo", head="feature", base="main") as ws:
        result = verify(ws, read_review(text, source="review.md"))
        for v in result.verdicts:
            print(v.finding.key, v.verdict.grade if v.verdict else "-", v.flags)

- ``open_workspace`` opens a repository at a head and base; the workspace owns git, the
  revisions, the snapshots, the parsed indexes and every cache, and is closed on leaving the
  ``with`` block. A warm workspace answers a second review about the same pull request from
  memory. It runs one verification at a time (it is safe to share between threads).
- ``read_review`` reads a deep-review Markdown report or a claims JSON document.
- ``verify`` checks every finding of a review and applies the rules; ``verify_findings`` checks
  a few findings (one amended finding, say) against the same warm workspace.
- ``blame`` tells regression from pre-existing gap for ``path:lines`` locations; ``index``
  gives the parsed symbols and call graph of a revision.

Results are the frozen records of ``reviewvet.model``; ``reviewvet.report.render`` turns
one into text in any output format. Errors are ``reviewvet.errors.ReviewvetError``; its
``field`` names the input an error is about.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewvet.errors import ReviewvetError, UsageError, about
from reviewvet.model.checks import ClaimProvenance, FindingVerdict, primary_location
from reviewvet.model.review import Finding, Review
from reviewvet.report import RenderOptions, render
from reviewvet.model.source import FileText, Revisions
from reviewvet.model.verification import CheckOptions, Verification, VerifyOptions
from reviewvet.resolve.facts import RepositoryFacts
from reviewvet.workspace import RevisionPair, Workspace

if TYPE_CHECKING:
    from reviewvet.checks.context import CheckContext
    from reviewvet.checks.provenance import Claim
    from reviewvet.index.model import RepoIndex, Symbol
    from reviewvet.rules.context import Convention

DEFAULTS = VerifyOptions()
MAX_SHOWN_LINES = 40  # lines of one claimed place quoted back by claimed_lines

__all__ = [
    "BlameResult", "CheckOptions", "Finding", "FindingVerdict", "RenderOptions", "RepositoryFacts", "Review",
    "ReviewvetError", "claimed_lines", "Verification", "VerifyOptions", "Workspace", "blame", "index", "load_review",
    "find_symbols", "open_workspace", "read_review", "render", "verify", "verify_findings", "verify_repository",
    "walk_calls",
]


@contextmanager
def open_workspace(repo: str | Path, head: str = "HEAD", base: str | None = None, merge_base: str | None = None,
                   *, cache_dir: Path | None = None, use_cache: bool = True,
                   facts: RepositoryFacts | None = None, substitute: bool = False) -> Iterator[Workspace]:
    """A workspace over ``repo`` at ``head`` (a revision, or ``auto``: each review's own head, else its
    pull request's ref, else a commit its subjects name), compared with the merge base of ``base``
    and head (or ``merge_base`` as given). Parsed files are cached in ``cache_dir`` (default
    ``$REVIEWVET_CACHE_DIR`` or ``~/.cache/reviewvet``) unless ``use_cache`` is false, and so are the
    lookups (the lines and words of each blob) that spare later runs reading every file. What depends
    only on the repository's refs is asked of ``facts`` (share one between workspaces of a repository).
    ``substitute``: the head is known to stand in for the reviewed one (never taken at its word)."""
    from reviewvet.checks.search import normalised_lines
    from reviewvet.checks.symbols import words_of
    from reviewvet.index.cache import ParseCache
    from reviewvet.index.lookups import BlobLookups

    cache = ParseCache(cache_dir) if use_cache else None
    lookups = BlobLookups(cache.path.parent, words_of, normalised_lines) if cache is not None else None
    try:
        workspace = Workspace(Path(repo), head=head, base=base, merge_base=merge_base, cache=cache, lookups=lookups,
                              facts=facts, substitute=substitute)
    except BaseException:
        for store in (cache, lookups):
            if store is not None:
                store.close()
        raise
    try:
        yield workspace
    finally:
        workspace.close()


def read_review(text: str, source: str = "<review>") -> Review:
    """A Review from a deep-review Markdown report or a claims JSON document, chosen by content."""
    from reviewvet.ingest.claims import looks_like_claims, parse_claims
    from reviewvet.ingest.parse import parse_review

    if looks_like_claims(text):
        return parse_claims(text, source)
    return parse_review(text, source)


def load_review(path: Path) -> Review:
    """``read_review`` of a file, read with the limits and decoding errors of ``ingest.parse``."""
    from reviewvet.ingest.parse import read_review_file

    return read_review(read_review_file(path), str(path))


def verify(workspace: Workspace, review: Review, options: VerifyOptions = DEFAULTS) -> Verification:
    """Check every finding of ``review`` (and its agents' own, unless ``include_agents`` is off),
    then apply the rules and account per agent."""
    findings = review.all_findings() if options.include_agents else review.findings
    return _verification(workspace, review, findings, options)


def verify_findings(workspace: Workspace, findings: Sequence[Finding], options: VerifyOptions = DEFAULTS,
                    review: Review | None = None) -> Verification:
    """Check only ``findings`` (of ``review``, whose head and format they are judged by) against a warm
    workspace: an amended finding is re-verified without reading the rest of its review again."""
    own = review if review is not None else Review(source="<findings>", format="claims", findings=tuple(findings))
    return _verification(workspace, own, tuple(findings), options)


def verify_repository(repo: str | Path, review: Review, *, head: str = "HEAD", base: str | None = None,
                      merge_base: str | None = None, options: VerifyOptions = DEFAULTS,
                      cache_dir: Path | None = None, use_cache: bool = True) -> Verification:
    """``verify`` in a workspace opened for this one review, then closed."""
    with open_workspace(repo, head, base, merge_base, cache_dir=cache_dir, use_cache=use_cache) as workspace:
        return verify(workspace, review, options)


def _verification(workspace: Workspace, review: Review, findings: tuple[Finding, ...],
                  options: VerifyOptions) -> Verification:
    from reviewvet.checks.context import CheckContext
    from reviewvet.checks.finding import add_provenance, check_finding
    from reviewvet.rules.accounting import agent_accounting
    from reviewvet.rules.engine import apply_rules
    from reviewvet.rules.loader import load_rules

    timings: list[tuple[str, float]] = []
    git = workspace.git
    seconds, processes = git.process_seconds, git.process_count
    with workspace.session():
        started = time.perf_counter()
        rules = load_rules(list(options.rule_dirs), defaults=options.default_rules)
        revisions = workspace.revisions(review)
        timings.append(("resolve", time.perf_counter() - started))
        started = time.perf_counter()
        pair = workspace.pair(revisions)
        ctx = CheckContext(pair, options.checks, evidence=revisions.head_evidence,
                           flattened=review.format == "flattened", history=workspace.history(revisions))
        ctx.prefetch([ref.path for f in findings for ref in f.references if ref.path])
        verdicts = tuple(check_finding(ctx, f) for f in findings)
        timings.append(("checks", time.perf_counter() - started))
        started = time.perf_counter()
        if options.checks.provenance:
            verdicts = add_provenance(ctx, revisions, verdicts)
        verdicts = _with_line_hashes(pair, verdicts)
        timings.append(("provenance", time.perf_counter() - started))
        started = time.perf_counter()
        conventions = _conventions(pair, options.context)
        decisions = apply_rules(verdicts, rules, conventions, workspace.decisions)
        accounting = tuple(agent_accounting(review, verdicts, decisions))
        timings.append(("rules", time.perf_counter() - started))
    return Verification(review, revisions, verdicts, tuple(timings), git.process_seconds - seconds,
                        git.process_count - processes, decisions, accounting, tuple(rules),
                        tuple(c.name for c in conventions))


def _conventions(pair: RevisionPair, path: Path | None) -> list[Convention]:
    """Conventions from the file given, else from ``.reviewvet.yaml`` at the head revision."""
    from reviewvet.rules.context import CONTEXT_FILE, parse_context
    from reviewvet.rules.loader import read_rule_text

    if path is not None:
        try:
            return parse_context(str(path), read_rule_text(path))
        except OSError as exc:
            raise UsageError(f"conventions file {str(path)!r} cannot be read: {exc.strerror}",
                             field="context") from exc
    text = pair.head.file(CONTEXT_FILE)
    if isinstance(text, FileText):
        return parse_context(f"{CONTEXT_FILE} at {pair.head.rev[:12]}", "\n".join(text.lines))
    return []


def _with_line_hashes(pair: RevisionPair, verdicts: tuple[FindingVerdict, ...]) -> tuple[FindingVerdict, ...]:
    """GitHub's line hash of each finding's primary location, from the head blobs (read in one batch, once
    per workspace)."""
    located = {fv.finding.key: loc for fv in verdicts if (loc := primary_location(fv)) is not None}
    tree = pair.head.tree
    oids = {path: tree[path].oid for path, _, _ in located.values() if path in tree and not tree[path].is_symlink}
    if not oids:
        return verdicts
    hashes = pair.workspace.line_hashes(list(oids.values()))
    out = []
    for fv in verdicts:
        loc = located.get(fv.finding.key)
        found = hashes.get(oids.get(loc[0], ""), {}).get(loc[1]) if loc is not None else None
        out.append(replace(fv, line_hash=found) if found else fv)
    return tuple(out)


def claimed_lines(workspace: Workspace, v: Verification, fv: FindingVerdict) -> list[dict[str, Any]]:
    """The lines really at each place ``fv``'s finding claims, at the head verified: ``path``, ``start``,
    ``end`` and ``text`` (at most MAX_SHOWN_LINES each). The evidence a claim's author (or a model asked to
    reconsider) is shown."""
    snapshot = workspace.snapshot(v.revisions.head)
    resolved = {p.claimed: p.path for p in fv.paths if p.usable and p.path}
    out = []
    for ref in fv.finding.references:
        path = resolved.get(ref.path)
        if path is None or ref.start is None:
            continue
        file = snapshot.file(path)
        if not isinstance(file, FileText):
            continue
        end = min(ref.end or ref.start, ref.start + MAX_SHOWN_LINES - 1, len(file.lines))
        out.append({"path": path, "start": ref.start, "end": end, "text": list(file.lines[ref.start - 1:end])})
    return out


# -- blame --------------------------------------------------------------------------------

_LOCATION = re.compile(r"^(?P<path>[^:]+):(?P<start>\d+)(?:-(?P<end>\d+))?$")


@dataclass(frozen=True)
class BlameResult:
    """Provenance of locations: regression, gap, mixed, widened or unknown, one per location."""

    revisions: Revisions
    locations: tuple[ClaimProvenance, ...]


def blame(workspace: Workspace, locations: Iterable[str], blame_options: tuple[str, ...] = ("-w", "-M", "-C")
          ) -> BlameResult:
    """Blame ``PATH:LINE`` or ``PATH:START-END`` locations at the workspace's head, bounded by its merge base."""
    from reviewvet.checks.context import CheckContext
    from reviewvet.checks.provenance import provenance_for

    with workspace.session():
        revisions = workspace.revisions()
        if revisions.merge_base is None:
            raise UsageError("no merge base between base and head: " + "; ".join(revisions.notes), field="base")
        ctx = CheckContext(workspace.pair(revisions), CheckOptions(blame_options=blame_options))
        claims = [_claim(ctx, text) for text in locations]
        results = provenance_for(ctx, revisions.merge_base, revisions.head, [[c] for c in claims])
    return BlameResult(revisions, tuple(group[0] for group in results))


def _claim(ctx: CheckContext, text: str) -> Claim:
    from reviewvet.checks.provenance import Claim

    with about("locations"):
        match = _LOCATION.match(text)
        if not match:
            raise UsageError(f"location {text!r} is not PATH:LINE or PATH:START-END")
        start, end = int(match["start"]), int(match["end"] or match["start"])
        if start < 1 or end < start:
            raise UsageError(f"location {text!r}: the range must start at 1 or later and not run backwards")
        resolution = ctx.resolve(match["path"])
        if not resolution.usable or resolution.path is None:
            raise UsageError(f"location {text!r}: {resolution.reason}")
        file = ctx.head.file(resolution.path)
        if not isinstance(file, FileText):
            reason = file.reason if file is not None else "absent"
            raise UsageError(f"{resolution.path!r} cannot be read at the head: {reason}")
        if end > len(file.lines):
            raise UsageError(f"{resolution.path}:{start}-{end} runs past the end ({len(file.lines)} lines)")
        return Claim(resolution.path, start, end, "location")


# -- the parser layer ---------------------------------------------------------------------

def index(workspace: Workspace, rev: str | None = None, *, jobs: int | None = None) -> RepoIndex:
    """The parsed symbols and call graph at ``rev`` (default: the workspace's head), parsed by ``jobs``
    processes (default: one per CPU) where the parse cache does not have them."""
    with workspace.session():
        if rev is None:
            sha = workspace.revisions().head
        else:
            sha = workspace.git.resolve(rev, what="revision", field="rev")
        return workspace.index(sha, jobs=jobs)


def find_symbols(workspace: Workspace, name: str, rev: str | None = None) -> list[Symbol]:
    """The symbols ``name`` can name at ``rev`` (default the head): ``Name``, ``pkg.Name``, ``(*T).M``, an id."""
    with workspace.session():
        return index(workspace, rev).table.find(name)


def walk_calls(workspace: Workspace, symbol: str, direction: str, depth: int = 1, rev: str | None = None
               ) -> tuple[list[str], list[dict[str, Any]]]:
    """The symbols ``symbol`` names and the call-graph edges ``depth`` levels from them, breadth first,
    towards their callers (``direction`` ``callers``) or callees: ``from``, ``to``, ``depth``, ``path``,
    ``line`` and ``confidence`` of each edge, each edge once. UsageError when nothing has that name."""
    from collections import deque

    with workspace.session():
        idx = index(workspace, rev)
        calls = idx.calls
        starts = [s.id for s in idx.table.find(symbol)] or (
            [symbol] if calls.into(symbol) or calls.out_of(symbol) else [])
        if not starts:
            raise UsageError(f"no symbol {symbol!r} in {idx.rev[:12]}", field="symbol")
        rows: list[dict[str, Any]] = []
        seen = set(starts)
        queue = deque((s, 1) for s in starts)
        while queue:
            node, level = queue.popleft()
            edges = calls.into(node) if direction == "callers" else calls.out_of(node)
            for edge in sorted(edges, key=lambda e: (e.caller, e.callee, e.line)):
                other = edge.caller if direction == "callers" else edge.callee
                rows.append({"from": node, "to": other, "depth": level, "path": edge.path, "line": edge.line,
                             "confidence": edge.confidence})
                if other not in seen and level < depth:
                    seen.add(other)
                    queue.append((other, level + 1))
    return starts, rows

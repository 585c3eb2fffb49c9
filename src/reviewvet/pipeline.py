"""The verify job end to end: ingest, resolve, check. Returns plain records; never prints."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from reviewvet.checks.context import CheckContext, CheckOptions
from reviewvet.checks.flags import flags_for
from reviewvet.checks.lines import check_lines
from reviewvet.checks.model import LOCATED, FindingVerdict, QuoteCheck, SymbolCheck
from reviewvet.checks.quotes import check_quotes
from reviewvet.checks.symbols import check_symbols
from reviewvet.checks.verdict import finding_verdict
from reviewvet.index.cache import ParseCache
from reviewvet.errors import UsageError
from reviewvet.git import Git
from reviewvet.ingest.model import Finding, Review
from reviewvet.resolve.revisions import Revisions, resolve_revisions
from reviewvet.resolve.snapshot import Snapshot
from reviewvet.rules.accounting import AgentRow, agent_accounting
from reviewvet.rules.context import CONTEXT_FILE, Convention, parse_context
from reviewvet.rules.engine import apply_rules
from reviewvet.rules.loader import load_rules, read_rule_text
from reviewvet.rules.model import Decision, Rule

if TYPE_CHECKING:
    from reviewvet.checks.history import FileHistory


@dataclass(frozen=True)
class VerifyOptions:
    head: str = "HEAD"
    base: str | None = None
    merge_base: str | None = None
    include_agents: bool = True
    checks: CheckOptions = field(default_factory=CheckOptions)
    cache_dir: Path | None = None
    use_cache: bool = True
    rule_dirs: tuple[Path, ...] = ()
    default_rules: bool = True
    context: Path | None = None  # conventions file; default: .reviewvet.yaml at the head revision


@dataclass(frozen=True)
class Verification:
    review: Review
    revisions: Revisions
    verdicts: tuple[FindingVerdict, ...]
    timings: tuple[tuple[str, float], ...]
    git_seconds: float
    git_processes: int
    decisions: dict[str, Decision] = field(default_factory=dict)
    accounting: tuple[AgentRow, ...] = ()
    rules: tuple[Rule, ...] = ()
    conventions: tuple[str, ...] = ()  # names of the repository conventions in force


def clear_process_caches() -> None:
    """Forget the indexes this process remembers between verifications (for measurements)."""
    from reviewvet.checks import context
    from reviewvet.index import build

    build._MEMO.clear()
    context._LINE_INDEXES.clear()


def load_review(path: Path) -> Review:
    """A Review from a Markdown review or a JSON claims file, chosen by content."""
    from reviewvet.ingest.claims import looks_like_claims, parse_claims
    from reviewvet.ingest.parse import parse_review, read_review_file

    text = read_review_file(path)
    if looks_like_claims(text):
        return parse_claims(text, str(path))
    return parse_review(text, str(path))


def verify(review: Review, repo: Path, options: VerifyOptions = VerifyOptions()) -> Verification:
    timings: list[tuple[str, float]] = []
    started = time.perf_counter()
    rules = load_rules(list(options.rule_dirs), defaults=options.default_rules)
    git = Git(repo)
    revisions = resolve_revisions(git, review, head=options.head, base=options.base,
                                  merge_base=options.merge_base)
    timings.append(("resolve", time.perf_counter() - started))
    started = time.perf_counter()
    cache = ParseCache(options.cache_dir) if options.use_cache and options.checks.symbols else None
    ctx = CheckContext(Snapshot(git, revisions.head),
                       Snapshot(git, revisions.merge_base) if revisions.merge_base else None, options.checks,
                       cache=cache, evidence=revisions.head_evidence, flattened=review.format == "flattened",
                       history=_history(git, revisions))
    findings = review.all_findings() if options.include_agents else review.findings
    ctx.prefetch([ref.path for f in findings for ref in f.references if ref.path])
    try:
        verdicts = tuple(check_finding(ctx, f) for f in findings)
        timings.append(("checks", time.perf_counter() - started))
        started = time.perf_counter()
        if options.checks.provenance:
            verdicts = add_provenance(ctx, revisions, verdicts)
        timings.append(("provenance", time.perf_counter() - started))
    finally:
        if cache is not None:
            cache.close()
    started = time.perf_counter()
    conventions = load_conventions(ctx.head, options.context)
    decisions = apply_rules(verdicts, rules, conventions)
    accounting = tuple(agent_accounting(review, verdicts, decisions))
    timings.append(("rules", time.perf_counter() - started))
    return Verification(review, revisions, verdicts, tuple(timings), git.process_seconds, git.process_count,
                        decisions, accounting, tuple(rules), tuple(c.name for c in conventions))


def load_conventions(head: Snapshot, path: Path | None) -> list[Convention]:
    """Conventions from ``--context`` when given, else from ``.reviewvet.yaml`` at the head revision."""
    from reviewvet.resolve.snapshot import FileText

    if path is not None:
        try:
            return parse_context(str(path), read_rule_text(path))
        except OSError as exc:
            raise UsageError(f"--context {str(path)!r} cannot be read: {exc.strerror}") from exc
    text = head.file(CONTEXT_FILE)
    if isinstance(text, FileText):
        return parse_context(f"{CONTEXT_FILE} at {head.rev[:12]}", "\n".join(text.lines))
    return []


def _history(git: Git, revisions: Revisions) -> FileHistory | None:
    """Earlier versions to search for quotes, unless head is the very code the review read."""
    from reviewvet.checks.history import FileHistory

    if revisions.head_evidence == "reviewed-head":
        return None
    return FileHistory(git, revisions.history_tips, revisions.merge_base)


def check_finding(ctx: CheckContext, finding: Finding) -> FindingVerdict:
    paths = tuple(dict((r.path, ctx.resolve(r.path)) for r in finding.references if r.path).values())
    quotes = check_quotes(ctx, finding)
    symbols: list[SymbolCheck] = []
    if ctx.options.symbols:
        quotes = [_with_enclosing_symbol(ctx, q) for q in quotes]
        symbols = check_symbols(ctx, finding)
    lines = check_lines(ctx, finding, quotes)
    flags = flags_for(quotes, lines, [p.status for p in paths], symbols)
    foreign = {p.claimed for p in paths if p.status == "missing" and ctx.never_had(p.claimed)}
    graded_lines = tuple(c for c in lines if c.reference.path not in foreign)
    verdict = finding_verdict(tuple(quotes), graded_lines, tuple(symbols), ctx.evidence, flattened=ctx.flattened)
    return FindingVerdict(finding, paths, tuple(quotes), tuple(lines), flags, tuple(symbols), verdict=verdict)


def _with_enclosing_symbol(ctx: CheckContext, quote: QuoteCheck) -> QuoteCheck:
    if quote.span is None or quote.status not in LOCATED:
        return quote
    index = ctx.base_index() if quote.span.side == "base" else ctx.head_index()
    symbol = index.table.enclosing(quote.span.path, quote.span.start, quote.span.end) if index is not None else None
    return replace(quote, symbol=symbol.id) if symbol else quote


def add_provenance(ctx: CheckContext, revisions: Revisions, verdicts: tuple[FindingVerdict, ...]
                   ) -> tuple[FindingVerdict, ...]:
    """Blame every claim of every finding in one batch, then classify each finding."""
    from reviewvet.checks.provenance import claims_of, provenance_for, summarise

    if revisions.merge_base is None:
        reason = "no merge base: " + "; ".join(revisions.notes) if revisions.notes else "no merge base"
        return tuple(replace(v, provenance=summarise(v.finding, [], reason)) for v in verdicts)
    claims = [claims_of(v.finding, list(v.quotes), list(v.lines), list(v.symbols)) for v in verdicts]
    out = []
    for v, classified in zip(verdicts, provenance_for(ctx, revisions.merge_base, revisions.head, claims),
                             strict=True):
        provenance = summarise(v.finding, classified)
        flags = v.flags + (("mislabelled-provenance",) if provenance.agreement == "mislabelled" else ())
        out.append(replace(v, provenance=provenance, flags=flags))
    return tuple(out)

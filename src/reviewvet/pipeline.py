"""The verify job end to end: ingest, resolve, check. Returns plain records; never prints."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from reviewvet.checks.context import CheckContext, CheckOptions
from reviewvet.checks.flags import flags_for
from reviewvet.checks.lines import check_lines
from reviewvet.checks.model import FindingVerdict
from reviewvet.checks.quotes import check_quotes
from reviewvet.git import Git
from reviewvet.ingest.model import Finding, Review
from reviewvet.resolve.revisions import Revisions, resolve_revisions
from reviewvet.resolve.snapshot import Snapshot


@dataclass(frozen=True)
class VerifyOptions:
    head: str = "HEAD"
    base: str | None = None
    merge_base: str | None = None
    include_agents: bool = True
    checks: CheckOptions = field(default_factory=CheckOptions)


@dataclass(frozen=True)
class Verification:
    review: Review
    revisions: Revisions
    verdicts: tuple[FindingVerdict, ...]
    timings: tuple[tuple[str, float], ...]
    git_seconds: float
    git_processes: int


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
    git = Git(repo)
    revisions = resolve_revisions(git, review, head=options.head, base=options.base,
                                  merge_base=options.merge_base)
    timings.append(("resolve", time.perf_counter() - started))
    started = time.perf_counter()
    ctx = CheckContext(Snapshot(git, revisions.head),
                       Snapshot(git, revisions.merge_base) if revisions.merge_base else None, options.checks)
    findings = review.all_findings() if options.include_agents else review.findings
    ctx.prefetch([ref.path for f in findings for ref in f.references if ref.path])
    verdicts = tuple(check_finding(ctx, f) for f in findings)
    timings.append(("checks", time.perf_counter() - started))
    return Verification(review, revisions, verdicts, tuple(timings), git.process_seconds, git.process_count)


def check_finding(ctx: CheckContext, finding: Finding) -> FindingVerdict:
    paths = tuple(dict((r.path, ctx.resolve(r.path)) for r in finding.references if r.path).values())
    quotes = check_quotes(ctx, finding)
    lines = check_lines(ctx, finding, quotes)
    flags = flags_for(quotes, lines, [p.status for p in paths])
    return FindingVerdict(finding, paths, tuple(quotes), tuple(lines), flags)

"""Provenance: is what a finding points at new in the pull request (regression) or older (gap)?

For every claim (a located quote, or a line claim without one) the claimed lines are
blamed — only those lines — with one bounded ``git blame MERGE_BASE..HEAD`` per file and
all its ranges at once, run concurrently. Lines the bounded blame gives to the boundary
commit predate the pull request; only those get a second, full-history blame, for the
commit and date of their last change. ``-w -M -C`` is the default: re-indented, moved and
copied lines keep their old commit (a correctness choice, tested).

- regression: every blamed commit is in merge-base..head (named);
- gap: every line predates the merge base (the newest old commit is named, with its date);
- mixed: some of each (split by line);
- removed-by-PR: the quote exists only at the merge base;
- widened: a gap whose enclosing symbol has a caller or callee the pull request changed;
- unknown: no merge base, a shallow clone cutting the history, lines blame cannot place.
"""

from __future__ import annotations

import datetime
import difflib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewvet.git import BlameLine, CommitInfo, FileChange, Git

if TYPE_CHECKING:
    from reviewvet.checks.context import CheckContext
    from reviewvet.checks.model import LineCheck, QuoteCheck, SymbolCheck
    from reviewvet.ingest.model import Finding

PROVENANCE_STATUSES = ("regression", "gap", "mixed", "removed-by-PR", "widened", "unknown")
MAX_WORKERS = 4


@dataclass(frozen=True)
class CommitRef:
    sha: str
    date: str
    summary: str

    def short(self) -> str:
        return f"{self.sha[:8]}, {self.date}"


@dataclass(frozen=True)
class Widening:
    """A caller or callee of the claim's symbol that the pull request changed."""

    symbol: str
    relation: str
    path: str
    line: int
    commits: tuple[CommitRef, ...]


@dataclass(frozen=True)
class BaseSymbol:
    """The claim's enclosing symbol at the merge base: absent, unchanged or changed (with its diff)."""

    status: str
    symbol: str
    diff: str = ""


@dataclass(frozen=True)
class ClaimProvenance:
    path: str
    start: int
    end: int
    source: str  # "quote" or "line claim" or "symbol"
    status: str
    pr_commits: tuple[CommitRef, ...] = ()
    old_commits: tuple[CommitRef, ...] = ()
    new_lines: tuple[int, ...] = ()
    widened_by: tuple[Widening, ...] = ()
    symbol: str = ""
    base_symbol: BaseSymbol | None = None
    reason: str = ""


@dataclass(frozen=True)
class FindingProvenance:
    status: str
    claimed: str | None
    agreement: str  # agrees, mislabelled, no-label, unknown
    claims: tuple[ClaimProvenance, ...]
    reason: str = ""


# -- the blame engine ------------------------------------------------------------------------


class BlameEngine:
    """Blames claimed ranges in bulk: bounded first, full history only for old lines."""

    def __init__(self, git: Git, merge_base: str, head: str, options: tuple[str, ...] = ("-w", "-M", "-C")):
        self.git = git
        self.merge_base = merge_base
        self.head = head
        self.options = options
        self.lines: dict[tuple[str, int], BlameLine] = {}
        self.commits: dict[str, CommitInfo] = {}  # from the bounded blame: ``boundary`` means "before the PR"
        self.old: dict[tuple[str, int], BlameLine] = {}
        self.old_commits: dict[str, CommitInfo] = {}  # from the full-history blame of the old lines
        self.failures: dict[str, str] = {}

    def run(self, wanted: dict[str, set[int]]) -> None:
        todo = {path: lines - {line for (p, line) in self.lines if p == path} for path, lines in wanted.items()}
        todo = {p: ls for p, ls in todo.items() if ls}
        for path, (lines, commits) in self._many(f"{self.merge_base}..{self.head}", todo, False):
            self.commits.update(commits)
            for bl in lines:
                self.lines[(path, bl.line)] = bl
        boundary: dict[str, set[int]] = defaultdict(set)
        for (path, line), bl in self.lines.items():
            if self.commits[bl.sha].boundary and (path, line) not in self.old:
                boundary[path].add(line)
        for path, (lines, commits) in self._many(self.head, dict(boundary), True):
            self.old_commits.update(commits)
            for bl in lines:
                self.old[(path, bl.line)] = bl

    def _many(self, rev: str, wanted: dict[str, set[int]], full: bool):  # type: ignore[no-untyped-def]
        def one(path: str):  # type: ignore[no-untyped-def]
            try:
                return path, self.git.blame(rev, path, ranges(wanted[path]), options=self.options,
                                            full_history=full)
            except Exception as exc:  # a file blame cannot read: recorded, reported as unknown
                self.failures[path] = str(exc)
                return path, ([], {})

        if not wanted:
            return []
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(wanted))) as pool:
            return list(pool.map(one, sorted(wanted)))


def ranges(lines: set[int]) -> list[tuple[int, int]]:
    """Sorted line numbers as the fewest ``start,end`` ranges."""
    out: list[tuple[int, int]] = []
    for line in sorted(lines):
        if out and line == out[-1][1] + 1:
            out[-1] = (out[-1][0], line)
        else:
            out.append((line, line))
    return out


def commit_ref(info: CommitInfo) -> CommitRef:
    """The commit with its author date in the author's own time zone, as ``git log --date=short``."""
    sign = -1 if info.tz.startswith("-") else 1
    digits = info.tz.lstrip("+-").rjust(4, "0")
    offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])) * sign
    date = datetime.datetime.fromtimestamp(info.time, tz=datetime.timezone(offset)).date().isoformat()
    return CommitRef(info.sha, date, info.summary)


# -- classifying claims ----------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    path: str
    start: int
    end: int
    source: str
    removed: bool = False


def claims_of(finding: Finding, quotes: list[QuoteCheck], lines: list[LineCheck],
              symbols: list[SymbolCheck]) -> list[Claim]:
    """What a finding points at: located quotes, line claims not covered by one, else named symbols."""
    from reviewvet.checks.model import LOCATED  # model imports this module's records

    claims: list[Claim] = []
    for q in quotes:
        if q.span is None or q.status not in LOCATED:
            continue
        claims.append(Claim(q.span.path, q.span.start, q.span.end, "quote", removed=q.span.side == "base"))
    for c in lines:
        if c.status in ("exact", "contained", "drifted", "unverified", "stale") and c.path and c.basis != "quote":
            ref = c.reference
            if ref.start is not None and ref.end is not None and ref.start <= ref.end:
                claims.append(Claim(c.path, ref.start, ref.end, "line claim"))
    if not claims:
        for s in symbols:
            if s.status in ("found", "ambiguous") and len(s.locations) == 1:
                loc = s.locations[0]
                claims.append(Claim(loc.path, loc.start, loc.end, "symbol"))
    return claims


def classify(ctx: CheckContext, engine: BlameEngine, claim: Claim) -> ClaimProvenance:
    if claim.removed:
        return ClaimProvenance(claim.path, claim.start, claim.end, claim.source, "removed-by-PR",
                               reason="the quoted code exists only at the merge base")
    if claim.path in engine.failures:
        return ClaimProvenance(claim.path, claim.start, claim.end, claim.source, "unknown",
                               reason=engine.failures[claim.path])
    blamed = [engine.lines.get((claim.path, n)) for n in range(claim.start, claim.end + 1)]
    if any(b is None for b in blamed):
        return ClaimProvenance(claim.path, claim.start, claim.end, claim.source, "unknown",
                               reason="blame could not place every claimed line (past the end of the file?)")
    new = [b for b in blamed if b is not None and not engine.commits[b.sha].boundary]
    old_lines = [engine.old.get((claim.path, b.line)) for b in blamed if b is not None and b not in new]
    shallow = ctx.shallow_boundaries()
    if any(o is None or o.sha in shallow or set(o.sha) == {"0"} for o in old_lines):
        return ClaimProvenance(claim.path, claim.start, claim.end, claim.source, "unknown",
                               reason="the history before the merge base is cut (shallow clone) or incomplete")
    pr = _refs(engine.commits, {b.sha for b in new})
    old = _refs(engine.old_commits, {o.sha for o in old_lines if o is not None})
    newest_old = tuple(sorted(old, key=lambda c: (c.date, c.sha), reverse=True)[:1])
    status = "regression" if not old_lines else "gap" if not new else "mixed"
    symbol, base_symbol = _symbol_states(ctx, claim)
    return ClaimProvenance(claim.path, claim.start, claim.end, claim.source, status, pr, newest_old,
                           tuple(b.line for b in new), (), symbol, base_symbol)


def _refs(commits: dict[str, CommitInfo], shas: set[str]) -> tuple[CommitRef, ...]:
    return tuple(sorted((commit_ref(commits[s]) for s in shas), key=lambda c: (c.date, c.sha)))


def _symbol_states(ctx: CheckContext, claim: Claim) -> tuple[str, BaseSymbol | None]:
    """The innermost symbol around the claim at head, and what it was at the merge base."""
    from reviewvet.resolve.snapshot import FileText

    if not ctx.options.symbols:
        return "", None
    head = ctx.head_index().table.enclosing(claim.path, claim.start, claim.end)
    base_index = ctx.base_index()
    if head is None or base_index is None or ctx.base is None:
        return (head.id if head else ""), None
    old = base_index.by_id.get(head.id)
    if old is None:
        old = next((s for s in base_index.symbols if s.local == head.local and s.language == head.language
                    and (s.package == head.package or s.path == head.path)), None)
    if old is None:
        return head.id, BaseSymbol("absent", head.id)
    new_text, old_text = ctx.head.file(head.path), ctx.base.file(old.path)
    if not isinstance(new_text, FileText) or not isinstance(old_text, FileText):
        return head.id, None
    a = list(old_text.lines[old.start - 1:old.end])
    b = list(new_text.lines[head.start - 1:head.end])
    if a == b:
        return head.id, BaseSymbol("unchanged", old.id)
    diff = "\n".join(difflib.unified_diff(a, b, f"{old.path}@merge-base", f"{head.path}@head", n=1, lineterm=""))
    return head.id, BaseSymbol("changed", old.id, diff)


@dataclass(frozen=True)
class Touched:
    """A caller or callee of a gap's symbol that the pull request changed."""

    symbol: str
    relation: str
    path: str
    added: tuple[int, ...]  # head lines the PR added inside it
    deleted: bool  # the PR deleted lines that the symbol held at the merge base


def widening_candidates(ctx: CheckContext, prov: ClaimProvenance, changes: dict[str, FileChange]) -> list[Touched]:
    """Callers and callees of a gap's symbol whose lines the pull request added to or deleted from."""
    if prov.status != "gap" or not prov.symbol:
        return []
    index = ctx.head_index()
    near = index.neighbours
    neighbours = [(n, "caller") for n in near.callers.get(prov.symbol, ())]
    neighbours += [(n, "callee") for n in near.callees.get(prov.symbol, ())]
    base = ctx.base_index()
    found: list[Touched] = []
    for node, relation in dict.fromkeys(neighbours):
        symbol = index.by_id.get(node)  # external calls and top-level code are not symbols
        change = changes.get(symbol.path) if symbol is not None and node != prov.symbol else None
        if symbol is None or change is None:
            continue
        added = tuple(line for a, b in change.added for line in range(a, b + 1) if symbol.start <= line <= symbol.end)
        old = base.by_id.get(node) if base is not None else None
        deleted = old is not None and old.path == change.old_path and any(
            a <= old.end and old.start <= b for a, b in change.deleted)
        if added or deleted:
            found.append(Touched(node, relation, symbol.path, added, deleted))
    return found


def widen(ctx: CheckContext, engine: BlameEngine, prov: ClaimProvenance, found: list[Touched]) -> ClaimProvenance:
    """A gap becomes ``widened``, naming the changed callers and callees and the PR commits that
    changed them: from blame for added lines, from the file's history when lines were only deleted."""
    from dataclasses import replace

    if not found:
        return prov
    widenings = []
    for t in found:
        commits = _refs(engine.commits, {bl.sha for line in t.added if (bl := engine.lines.get((t.path, line)))
                                         is not None and not engine.commits[bl.sha].boundary})
        if not commits and t.deleted:
            commits = tuple(CommitRef(e.sha, e.date[:10], e.subject)
                            for e in ctx.head.git.commits_touching(engine.merge_base, engine.head, t.path))
        widenings.append(Widening(t.symbol, t.relation, t.path, (t.added or (0,))[0], commits))
    return replace(prov, status="widened", widened_by=tuple(widenings))


def provenance_for(ctx: CheckContext, merge_base: str, head: str,
                   claims: list[list[Claim]]) -> list[list[ClaimProvenance]]:
    """Provenance of groups of claims: every claimed line blamed in one batch, one diff, then classified."""
    engine = BlameEngine(ctx.head.git, merge_base, head, ctx.options.blame_options)
    wanted: dict[str, set[int]] = defaultdict(set)
    for group in claims:
        for c in group:
            if not c.removed:
                wanted[c.path].update(range(c.start, c.end + 1))
    engine.run(dict(wanted))
    return provenance_of(ctx, engine, claims, ctx.head.git.changed_lines(merge_base, head))


def provenance_of(ctx: CheckContext, engine: BlameEngine, claims: list[list[Claim]],
                  changes: dict[str, FileChange]) -> list[list[ClaimProvenance]]:
    """Classify every claim, blaming the changed callers and callees of all gaps in one more batch."""
    paths = sorted({c.path for group in claims for c in group})
    ctx.head.load(paths)  # one bulk read per side for the symbol diffs, not one per file
    if ctx.base is not None:
        ctx.base.load(paths)
    classified = [[classify(ctx, engine, c) for c in group] for group in claims]
    if not ctx.options.symbols:
        return classified
    touched = [[widening_candidates(ctx, p, changes) for p in group] for group in classified]
    wanted: dict[str, set[int]] = defaultdict(set)
    for group in touched:
        for found in group:
            for t in found:
                wanted[t.path].update(t.added)
    engine.run({path: lines for path, lines in wanted.items() if lines})
    return [[widen(ctx, engine, p, t) for p, t in zip(group, tgroup, strict=True)]
            for group, tgroup in zip(classified, touched, strict=True)]


def summarise(finding: Finding, claims: list[ClaimProvenance], reason: str = "") -> FindingProvenance:
    """One status for the finding, compared with the label the review gave it.

    Code the PR removed counts as new (a regression of what was there). A ``regression``
    label on claims that are partly new, or a ``gap`` label on them, is ``partial``.
    """
    statuses = {c.status for c in claims}
    if not claims:
        status, reason = "unknown", reason or "nothing located to blame"
    elif "unknown" in statuses:
        status, reason = "unknown", next(c.reason for c in claims if c.status == "unknown")
    elif statuses <= {"regression", "removed-by-PR"}:
        status = "regression" if "regression" in statuses else "removed-by-PR"
    elif statuses <= {"gap", "widened"}:
        status = "widened" if "widened" in statuses else "gap"
    else:
        status = "mixed"
    claimed = finding.label if finding.label in ("regression", "gap") else None
    new = status in ("regression", "removed-by-PR")
    old = status in ("gap", "widened")
    if claimed is None:
        agreement = "no-label"
    elif status == "unknown":
        agreement = "unknown"
    elif status == "mixed":
        agreement = "partial"
    elif (claimed == "regression" and new) or (claimed == "gap" and old):
        agreement = "agrees"
    else:
        agreement = "mislabelled"
    return FindingProvenance(status, claimed, agreement, tuple(claims), reason)

"""Provenance: is what a finding points at new in the pull request (regression) or older (gap)?

For every claim (a located quote, or a line claim without one) the claimed lines are
blamed — only those lines — with one bounded ``git blame MERGE_BASE..HEAD`` per file and
all its ranges at once, run concurrently. Lines the bounded blame gives to the boundary
commit predate the pull request; only those get a second, full-history blame, for the
commit and date of their last change. ``-w -M -C`` is the default: re-indented and moved
lines keep their old commit (a correctness choice, tested). Copy is not move: a line the
pull request copied — its origin still at head, elsewhere — is new where it was pasted, and
is blamed again without move detection for the PR commit that added it.

A finding is summarised by its primary claim: the one its title line names, else its first
evidence quote, else its first line claim, else its symbol; the other claims are listed beside.

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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from reviewvet.model.checks import (
    LOCATED, Agreement, BaseSymbol, ClaimProvenance, CommitRef, FindingProvenance, LineCheck, ProvenanceStatus,
    QuoteCheck, SymbolCheck, Widening,
)
from reviewvet.model.source import BlameLine, CommitInfo, FileChange, FileText

if TYPE_CHECKING:
    from reviewvet.checks.context import CheckContext
    from reviewvet.checks.source import Blamed, Repository
    from reviewvet.model.review import Finding

MAX_WORKERS = 4


# -- the blame engine ------------------------------------------------------------------------


class BlameEngine:
    """Blames claimed ranges in bulk: bounded first, full history only for old lines.

    ``changes`` is the pull request's diff (merge base to head): a line the bounded blame gives
    to the old side although the diff added it, whose origin is still at head elsewhere, was
    copied by the pull request and is blamed again without move detection.
    """

    def __init__(self, repo: Repository, merge_base: str, head: str, options: tuple[str, ...] = ("-w", "-M", "-C"),
                 changes: dict[str, FileChange] | None = None):
        self.repo = repo
        self.merge_base = merge_base
        self.head = head
        self.options = options
        self.plain = tuple(o for o in options if not o.startswith(("-M", "-C")))  # without move detection
        self.changes = changes if changes is not None else repo.changes(merge_base, head)
        self._by_old: dict[str, dict[str, FileChange]] = {}  # boundary commit -> its diff to head, by old path
        self.lines: dict[tuple[str, int], BlameLine] = {}
        self.commits: dict[str, CommitInfo] = {}  # from the bounded blame: ``boundary`` means "before the PR"
        self.old: dict[tuple[str, int], BlameLine] = {}
        self.old_commits: dict[str, CommitInfo] = {}  # from the full-history blame of the old lines
        self.failures: dict[str, str] = {}

    def run(self, wanted: dict[str, set[int]]) -> None:
        todo = {path: lines - {line for (p, line) in self.lines if p == path} for path, lines in wanted.items()}
        todo = {p: ls for p, ls in todo.items() if ls}
        copies: dict[str, set[int]] = defaultdict(set)
        for path, (lines, commits) in self._many(f"{self.merge_base}..{self.head}", todo, False):
            self.commits.update(commits)
            for bl in lines:
                self.lines[(path, bl.line)] = bl
                if commits[bl.sha].boundary and self.plain != self.options and self._copied(path, bl):
                    copies[path].add(bl.line)
        self._reblame_copies(dict(copies))
        boundary: dict[str, set[int]] = defaultdict(set)
        for (path, line), bl in self.lines.items():
            if self.commits[bl.sha].boundary and (path, line) not in self.old:
                boundary[path].add(line)
        for path, (lines, commits) in self._many(self.head, dict(boundary), True):
            self.old_commits.update(commits)
            for bl in lines:
                self.old[(path, bl.line)] = bl

    def _copied(self, path: str, bl: BlameLine) -> bool:
        """Is this old-side line a copy: added by the PR's diff, its origin still at head elsewhere?

        A line the diff did not add is the same line as before; an origin the PR deleted or
        changed was moved or re-indented, and keeps its old commit.
        """
        change = self.changes.get(path)
        if change is None or not bl.path or not any(a <= bl.line <= b for a, b in change.added):
            return False
        if bl.sha not in self._by_old:
            diff = self.changes if bl.sha == self.merge_base else self.repo.changes(bl.sha, self.head)
            self._by_old[bl.sha] = {c.old_path: c for c in diff.values()}
        origin = self._by_old[bl.sha].get(bl.path)
        at_head = (bl.path, bl.orig_line) if origin is None else (origin.path, origin.new_line(bl.orig_line))
        return at_head[1] is not None and at_head != (path, bl.line)

    def _reblame_copies(self, copies: dict[str, set[int]]) -> None:
        """Copied lines, blamed again without move detection: the PR commit that pasted them
        (a line that blame still gives to the old side is left so)."""
        for path, (lines, commits) in self._many(f"{self.merge_base}..{self.head}", copies, False, self.plain):
            self.commits.update(commits)
            for bl in lines:
                if not commits[bl.sha].boundary:
                    self.lines[(path, bl.line)] = bl

    def _many(self, rev: str, wanted: dict[str, set[int]], full: bool,
              options: tuple[str, ...] | None = None) -> list[tuple[str, Blamed]]:
        def one(path: str) -> tuple[str, Blamed]:
            try:
                return path, self.repo.blame(rev, path, ranges(wanted[path]),
                                             options=self.options if options is None else options,
                                             full_history=full)
            except Exception as exc:  # a file blame cannot read: recorded, reported as unknown
                self.failures[path] = str(exc)
                return path, ([], {})

        if not wanted:
            return []
        if len(wanted) == 1:  # one file: no thread to start (a warm workspace answers it from memory)
            return [one(path) for path in wanted]
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
    primary: bool = False


def claims_of(finding: Finding, quotes: list[QuoteCheck], lines: list[LineCheck],
              symbols: list[SymbolCheck]) -> list[Claim]:
    """What a finding points at: located quotes, line claims not covered by one, else named symbols.

    Exactly one claim is ``primary`` (see ``primary_claim``) when there are any.
    """
    quoted = [(q, Claim(q.span.path, q.span.start, q.span.end, "quote", removed=q.span.side == "base"))
              for q in quotes if q.span is not None and q.status in LOCATED]
    claimed = [(c, Claim(c.path, c.reference.start, c.reference.end, "line claim")) for c in lines
               if c.status in ("exact", "contained", "drifted", "unverified", "stale") and c.path
               and c.basis != "quote" and c.reference.start is not None and c.reference.end is not None
               and c.reference.start <= c.reference.end]
    claims = [claim for _, claim in quoted] + [claim for _, claim in claimed]
    if not claims:
        for s in symbols:
            if s.status in ("found", "ambiguous") and len(s.locations) == 1:
                loc = s.locations[0]
                claims.append(Claim(loc.path, loc.start, loc.end, "symbol"))
    first = primary_claim(finding, lines, quoted, claimed) or next(iter(claims), None)
    return [replace(c, primary=True) if c is first else c for c in claims]


def primary_claim(finding: Finding, lines: list[LineCheck], quoted: list[tuple[QuoteCheck, Claim]],
                  claimed: list[tuple[LineCheck, Claim]]) -> Claim | None:
    """The claim a finding is about: the location written on its title line (its own line claim,
    or the located quote it was paired with), else its first evidence quote, else its first line claim.

    Line checks are matched to references by span: the checks keep one reference per span.
    """
    for ref in (r for r in finding.references if r.line == finding.line):
        checks = [c for c in lines if (c.reference.path, c.reference.start, c.reference.end)
                  == (ref.path, ref.start, ref.end)]
        own = [claim for check, claim in claimed if any(check is c for c in checks)]
        paired = [claim for q, claim in quoted
                  if any(c.basis == "quote" and c.actual is not None and c.actual == q.span for c in checks)]
        if own or paired:
            return (own or paired)[0]
    evidence = sorted((pair for pair in quoted if pair[0].role == "evidence"), key=lambda pair: pair[0].block)
    return evidence[0][1] if evidence else claimed[0][1] if claimed else None


def classify(ctx: CheckContext, engine: BlameEngine, claim: Claim) -> ClaimProvenance:
    result = _classify(ctx, engine, claim)
    return replace(result, primary=True) if claim.primary else result


def _classify(ctx: CheckContext, engine: BlameEngine, claim: Claim) -> ClaimProvenance:
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
    status: ProvenanceStatus = "regression" if not old_lines else "gap" if not new else "mixed"
    symbol, base_symbol = _symbol_states(ctx, claim)
    return ClaimProvenance(claim.path, claim.start, claim.end, claim.source, status, pr, newest_old,
                           tuple(b.line for b in new), (), symbol, base_symbol)


def _refs(commits: dict[str, CommitInfo], shas: set[str]) -> tuple[CommitRef, ...]:
    return tuple(sorted((commit_ref(commits[s]) for s in shas), key=lambda c: (c.date, c.sha)))


def _symbol_states(ctx: CheckContext, claim: Claim) -> tuple[str, BaseSymbol | None]:
    """The innermost symbol around the claim at head, and what it was at the merge base."""
    if not ctx.options.symbols:
        return "", None
    head = ctx.head_index().table.enclosing(claim.path, claim.start, claim.end)
    base_index = ctx.base_index()
    if head is None or base_index is None or ctx.base is None:
        return (head.id if head else ""), None
    old = base_index.with_id(head.id, head.name)
    if old is None:
        old = next((s for s in base_index.named(head.name) if s.local == head.local and s.language == head.language
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
    callers, callees = index.calls.neighbours(prov.symbol)
    neighbours = [(n, "caller") for n in callers] + [(n, "callee") for n in callees]
    base = ctx.base_index()
    found: list[Touched] = []
    for node, relation in dict.fromkeys(neighbours):
        symbol = index.symbol(node)  # external calls and top-level code are not symbols
        change = changes.get(symbol.path) if symbol is not None and node != prov.symbol else None
        if symbol is None or change is None:
            continue
        added = tuple(line for a, b in change.added for line in range(a, b + 1) if symbol.start <= line <= symbol.end)
        old = base.with_id(node, symbol.name) if base is not None else None
        deleted = old is not None and old.path == change.old_path and any(
            a <= old.end and old.start <= b for a, b in change.deleted)
        if added or deleted:
            found.append(Touched(node, relation, symbol.path, added, deleted))
    return found


def widen(ctx: CheckContext, engine: BlameEngine, prov: ClaimProvenance, found: list[Touched]) -> ClaimProvenance:
    """A gap becomes ``widened``, naming the changed callers and callees and the PR commits that
    changed them: from blame for added lines, from the file's history when lines were only deleted."""
    if not found:
        return prov
    widenings = []
    for t in found:
        commits = _refs(engine.commits, {bl.sha for line in t.added if (bl := engine.lines.get((t.path, line)))
                                         is not None and not engine.commits[bl.sha].boundary})
        if not commits and t.deleted:
            commits = tuple(CommitRef(e.sha, e.date[:10], e.subject)
                            for e in ctx.repo.commits_touching(engine.merge_base, engine.head, t.path))
        widenings.append(Widening(t.symbol, t.relation, t.path, (t.added or (0,))[0], commits))
    return replace(prov, status="widened", widened_by=tuple(widenings))


def provenance_for(ctx: CheckContext, merge_base: str, head: str,
                   claims: list[list[Claim]]) -> list[list[ClaimProvenance]]:
    """Provenance of groups of claims: every claimed line blamed in one batch, one diff, then classified."""
    changes = ctx.repo.changes(merge_base, head)
    engine = BlameEngine(ctx.repo, merge_base, head, ctx.options.blame_options, changes)
    wanted: dict[str, set[int]] = defaultdict(set)
    for group in claims:
        for c in group:
            if not c.removed:
                wanted[c.path].update(range(c.start, c.end + 1))
    engine.run(dict(wanted))
    return provenance_of(ctx, engine, claims, changes)


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
    """One status for the finding — its primary claim's — compared with the label the review gave it.

    Secondary claims (other references, later quotes) stay listed but do not change the answer.
    Code the PR removed counts as new (a regression of what was there). A ``regression`` or
    ``gap`` label on a primary claim that is partly new is ``partial``.
    """
    primary = next((c for c in claims if c.primary), next(iter(claims), None))
    status: ProvenanceStatus
    if primary is None:
        status, reason = "unknown", reason or "nothing located to blame"
    else:
        status = primary.status
        reason = primary.reason if status == "unknown" else reason
    claimed = finding.label if finding.label in ("regression", "gap") else None
    new = status in ("regression", "removed-by-PR")
    old = status in ("gap", "widened")
    agreement: Agreement
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

"""Facts the checks produce, with the vocabulary of every status, grade and flag. Checks never
print; reports render these records. Nothing here reads git or files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from reviewvet.model.review import Finding, Reference
from reviewvet.model.source import EvidenceLevel, PathResolution

# Quote statuses. The first five mean the quote was found at head in a claimed file.
QuoteStatus = Literal["exact", "normalised", "elided", "reflowed", "abbreviated", "other-file", "base-only",
                      "earlier-version", "near-miss", "absent", "no-file", "unknown", "not-checked"]
QUOTE_STATUSES: tuple[QuoteStatus, ...] = get_args(QuoteStatus)
FOUND: tuple[QuoteStatus, ...] = QUOTE_STATUSES[:5]
# Statuses whose span is where the quoted code really is (at head, or at the merge base).
LOCATED: tuple[QuoteStatus, ...] = QUOTE_STATUSES[:7]

# How sure a check's answer is, and on what evidence. A verdict is ``refuted`` only when
# nothing but the reviewer's error explains it; ``unverifiable`` when the code changed
# since the review; ``doubtful`` when something does not match but could be explained
# (an abbreviation, a guessed block boundary, a changed head). "" is a check that grades nothing.
Grade = Literal["confirmed", "refuted", "doubtful", "unverifiable"]
GRADES: tuple[Grade, ...] = get_args(Grade)
# The certainty of the code a check looked at: the review's own head, a head chosen while
# the review's head is missing (by commit subjects, a pull-request ref, or the user), a head
# the user gave for a review that names none, or a flattened document (block boundaries guessed).
EVIDENCE_LEVELS: tuple[EvidenceLevel, ...] = get_args(EvidenceLevel)
SymbolStatus = Literal["found", "ambiguous", "base-only", "external", "unresolved", "text-only", "nowhere"]
SYMBOL_STATUSES: tuple[SymbolStatus, ...] = get_args(SymbolStatus)
LineStatus = Literal["exact", "contained", "drifted", "stale", "at-base", "wrong", "unverified", "file-missing",
                     "base-only", "unknown"]
LINE_STATUSES: tuple[LineStatus, ...] = get_args(LineStatus)
Side = Literal["head", "base"]
# Where a span's lines were read: head or the merge base; an earlier version of the file
# (``history``); a symbol's definition or an identifier's mention (line checks only).
SpanSide = Literal["head", "base", "history", "definition", "mention"]
ProvenanceStatus = Literal["regression", "gap", "mixed", "removed-by-PR", "widened", "unknown"]
PROVENANCE_STATUSES: tuple[ProvenanceStatus, ...] = get_args(ProvenanceStatus)
Agreement = Literal["agrees", "mislabelled", "partial", "no-label", "unknown"]
FindingStatus = Literal["problems", "verified", "unchecked"]


@dataclass(frozen=True)
class Span:
    """Lines ``start``..``end`` (1-based, inclusive) of ``path`` at revision ``rev`` (a SHA)."""

    path: str
    start: int
    end: int
    rev: str
    side: SpanSide = "head"

    def overlaps(self, start: int, end: int) -> bool:
        return self.start <= end and start <= self.end

    def text(self) -> str:
        return f"{self.path}:{self.start}" if self.start == self.end else f"{self.path}:{self.start}-{self.end}"


@dataclass(frozen=True)
class NearMiss:
    similarity: float
    differences: tuple[Difference, ...]


@dataclass(frozen=True)
class QuoteCheck:
    """Where a code block's claimed lines were found (or why not)."""

    block: int
    block_line: int
    role: str
    status: QuoteStatus
    span: Span | None = None
    matched: tuple[str, ...] = ()
    near_miss: NearMiss | None = None
    searched: tuple[str, ...] = ()
    reason: str = ""
    symbol: str = ""  # id of the innermost symbol around the located lines
    grade: Grade | Literal[""] = ""  # "" for a block not claimed to exist
    evidence: EvidenceLevel | Literal[""] = ""
    presence: float | None = None  # share of the block's substantive lines found anywhere (absent, near-miss)
    argued: bool = False  # a near miss whose differing characters the finding itself argues about

    @property
    def found(self) -> bool:
        return self.status in FOUND


@dataclass(frozen=True)
class LineCheck:
    """A ``path:a-b`` claim compared with where the quote or named identifier really is."""

    reference: Reference
    status: LineStatus
    path: str | None = None
    actual: Span | None = None
    drift: int | None = None
    basis: str = ""
    reason: str = ""


@dataclass(frozen=True)
class SymbolCheck:
    """Whether an identifier a finding names is a symbol of the repository, and where."""

    identifier: str
    status: SymbolStatus
    symbols: tuple[str, ...] = ()
    locations: tuple[Span, ...] = ()
    reason: str = ""
    role: str = "asserted"  # asserted, proposed, missing, external or not-a-symbol: only asserted ones must exist
    grade: Grade | Literal[""] = ""
    evidence: EvidenceLevel | Literal[""] = ""


@dataclass(frozen=True)
class Verdict:
    """How certain the checks are about a finding as a whole, and why."""

    grade: Grade
    evidence: EvidenceLevel  # the weakest evidence the grade rests on
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class FindingVerdict:
    """Everything the checks found out about one finding."""

    finding: Finding
    paths: tuple[PathResolution, ...]
    quotes: tuple[QuoteCheck, ...]
    lines: tuple[LineCheck, ...]
    flags: tuple[str, ...]
    symbols: tuple[SymbolCheck, ...] = ()
    provenance: FindingProvenance | None = None
    verdict: Verdict | None = None
    line_hash: str = ""  # GitHub's hash of the first line of ``primary_location`` at head ("" when none)

    @property
    def status(self) -> FindingStatus:
        if self.flags:
            return "problems"
        confirmed = (any(q.found for q in self.quotes) or any(c.status in ("exact", "contained") for c in self.lines)
                     or any(s.status == "found" for s in self.symbols))
        return "verified" if confirmed else "unchecked"


@dataclass(frozen=True)
class Difference:
    """One place where a quote and the closest source text differ."""

    quoted: str
    actual: str
    quoted_line: str
    actual_line: str




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
    status: ProvenanceStatus
    pr_commits: tuple[CommitRef, ...] = ()
    old_commits: tuple[CommitRef, ...] = ()
    new_lines: tuple[int, ...] = ()
    widened_by: tuple[Widening, ...] = ()
    symbol: str = ""
    base_symbol: BaseSymbol | None = None
    reason: str = ""
    primary: bool = False  # the claim the finding is about: it decides the finding's status


@dataclass(frozen=True)
class FindingProvenance:
    status: ProvenanceStatus
    claimed: str | None
    agreement: Agreement
    claims: tuple[ClaimProvenance, ...]
    reason: str = ""


def primary_location(fv: FindingVerdict) -> tuple[str, int, int] | None:
    """Where the finding's code really is at head: a located quote, else a checked line claim."""
    for q in fv.quotes:
        if q.found and q.span is not None and q.span.side == "head":
            return q.span.path, q.span.start, q.span.end
    for q in fv.quotes:
        if q.status in ("other-file", "near-miss") and q.span is not None and q.span.side == "head":
            return q.span.path, q.span.start, q.span.end
    for c in fv.lines:
        if c.path and c.status not in ("file-missing", "unknown", "base-only"):
            if c.actual is not None and c.actual.side == "head" and c.status in ("drifted", "wrong", "stale"):
                return c.path, c.actual.start, c.actual.end
            if c.reference.start is not None and c.reference.end is not None:
                return c.path, c.reference.start, c.reference.end
    return None

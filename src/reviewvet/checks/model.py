"""Facts the checks produce. Checks never print; reports render these records."""

from __future__ import annotations

from dataclasses import dataclass

from reviewvet.checks.matching import Difference
from reviewvet.checks.provenance import FindingProvenance
from reviewvet.ingest.model import Finding, Reference
from reviewvet.resolve.snapshot import PathResolution

# Quote statuses. The first five mean the quote was found at head in a claimed file.
FOUND = ("exact", "normalised", "elided", "reflowed", "abbreviated")
# Statuses whose span is where the quoted code really is (at head, or at the merge base).
LOCATED = (*FOUND, "other-file", "base-only")
QUOTE_STATUSES = (*FOUND, "other-file", "base-only", "earlier-version", "near-miss", "absent", "no-file", "unknown",
                  "not-checked")

# How sure a check's answer is, and on what evidence. A verdict is ``refuted`` only when
# nothing but the reviewer's error explains it; ``unverifiable`` when the code changed
# since the review; ``doubtful`` when something does not match but could be explained
# (an abbreviation, a guessed block boundary, a changed head).
GRADES = ("confirmed", "refuted", "doubtful", "unverifiable")
# The certainty of the code a check looked at: the review's own head, a head chosen while
# the review's head is missing (by commit subjects, a pull-request ref, or the user), a head
# the user gave for a review that names none, or a flattened document (block boundaries guessed).
EVIDENCE_LEVELS = ("reviewed-head", "user-given-head", "substitute-head", "flattened")
SYMBOL_STATUSES = ("found", "ambiguous", "base-only", "external", "unresolved", "text-only", "nowhere")
LINE_STATUSES = ("exact", "contained", "drifted", "stale", "at-base", "wrong", "unverified", "file-missing",
                 "base-only", "unknown")


@dataclass(frozen=True)
class Span:
    """Lines ``start``..``end`` (1-based, inclusive) of ``path`` at revision ``rev`` (a SHA)."""

    path: str
    start: int
    end: int
    rev: str
    side: str = "head"

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
    status: str
    span: Span | None = None
    matched: tuple[str, ...] = ()
    near_miss: NearMiss | None = None
    searched: tuple[str, ...] = ()
    reason: str = ""
    symbol: str = ""  # id of the innermost symbol around the located lines
    grade: str = ""  # one of GRADES ("" for a block not claimed to exist)
    evidence: str = ""  # one of EVIDENCE_LEVELS
    presence: float | None = None  # share of the block's substantive lines found anywhere (absent, near-miss)
    argued: bool = False  # a near miss whose differing characters the finding itself argues about

    @property
    def found(self) -> bool:
        return self.status in FOUND


@dataclass(frozen=True)
class LineCheck:
    """A ``path:a-b`` claim compared with where the quote or named identifier really is."""

    reference: Reference
    status: str
    path: str | None = None
    actual: Span | None = None
    drift: int | None = None
    basis: str = ""
    reason: str = ""


@dataclass(frozen=True)
class SymbolCheck:
    """Whether an identifier a finding names is a symbol of the repository, and where."""

    identifier: str
    status: str
    symbols: tuple[str, ...] = ()
    locations: tuple[Span, ...] = ()
    reason: str = ""
    role: str = "asserted"  # asserted, proposed, missing, external or not-a-symbol: only asserted ones must exist
    grade: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class Verdict:
    """How certain the checks are about a finding as a whole, and why."""

    grade: str  # one of GRADES
    evidence: str  # one of EVIDENCE_LEVELS: the weakest evidence the grade rests on
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

    @property
    def status(self) -> str:
        if self.flags:
            return "problems"
        confirmed = (any(q.found for q in self.quotes) or any(c.status in ("exact", "contained") for c in self.lines)
                     or any(s.status == "found" for s in self.symbols))
        return "verified" if confirmed else "unchecked"

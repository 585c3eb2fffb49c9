"""Plain records the ingest stage produces: a Review and its Findings."""

from __future__ import annotations

from dataclasses import dataclass, field

SECTIONS = ("critical", "important", "suggestion", "design", "testing", "documentation")
BLOCK_ROLES = ("evidence", "diff", "proposal")
# What a finding says about an identifier it names; only "asserted" ones must exist in the repository.
IDENTIFIER_ROLES = ("asserted", "proposed", "missing", "external", "not-a-symbol")


@dataclass(frozen=True)
class Reference:
    """A ``path:line`` or ``path:a-b`` claim as written in the review."""

    path: str
    start: int | None
    end: int | None
    written: str
    line: int  # line of the review where it is written

    def span(self) -> str:
        if self.start is None:
            return self.path
        if self.end is None or self.end == self.start:
            return f"{self.path}:{self.start}"
        return f"{self.path}:{self.start}-{self.end}"


@dataclass(frozen=True)
class CodeBlock:
    """A code block of a finding.

    ``claimed`` are the lines the block says exist in the repository (an evidence
    block's lines; a diff's ``-`` and context lines), ``proposed`` the lines it
    proposes (a diff's ``+`` lines, a proposal's lines).
    """

    role: str
    language: str
    text: str
    line: int
    claimed: tuple[str, ...]
    proposed: tuple[str, ...]
    path_hint: str | None = None


@dataclass(frozen=True)
class Finding:
    """One finding of a review, consolidated or from one agent's raw review.

    ``identifiers`` are all the code names the finding mentions; ``asserted`` the subset it
    says exist in this repository (named in its title or diagnosis, not as missing, proposed,
    from another project, or shaped like a header, flag, variable, key or file), and
    ``identifier_roles`` gives each identifier its role (one of ``IDENTIFIER_ROLES``).
    ``occurrence`` counts findings of the same origin and id (2 for the second ``I3``).
    """

    id: str
    section: str
    title: str
    agents: tuple[str, ...]
    severity: str | None
    label: str | None
    scope: str | None
    references: tuple[Reference, ...]
    identifiers: tuple[str, ...]
    blocks: tuple[CodeBlock, ...]
    line: int
    end_line: int
    origin: str = "consolidated"
    body: str = ""
    asserted: tuple[str, ...] = ()
    identifier_roles: tuple[tuple[str, str], ...] = ()
    occurrence: int = 1

    @property
    def key(self) -> str:
        """A handle unique within a review: origin and id (``consolidated/I1``, ``Codex/S2``),
        with ``#2`` … for a repeated one (``consolidated/I3#2``)."""
        suffix = f"#{self.occurrence}" if self.occurrence > 1 else ""
        return f"{self.origin}/{self.id}{suffix}"


@dataclass(frozen=True)
class Reviewer:
    name: str
    family: str
    effort: str | None = None


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str


@dataclass(frozen=True)
class ParseWarning:
    line: int
    message: str


@dataclass(frozen=True)
class AgentReview:
    """One agent's raw review from the appendix."""

    agent: str
    heading: str
    line: int
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Review:
    """A parsed review document."""

    source: str
    format: str
    title: str = ""
    date: str | None = None
    repository: str | None = None
    pr_number: int | None = None
    pr_title: str | None = None
    round: str | None = None
    author: str | None = None
    branch: str | None = None
    reviewers: tuple[Reviewer, ...] = ()
    commits: tuple[Commit, ...] = ()
    head_sha: str | None = None
    verdict: str | None = None
    findings: tuple[Finding, ...] = ()
    agent_reviews: tuple[AgentReview, ...] = ()
    warnings: tuple[ParseWarning, ...] = field(default=())
    reconciliation: tuple[tuple[int, str], ...] = ()  # (line, text) of each Reconciliation item
    tables: tuple[tuple[int, tuple[tuple[str, ...], ...]], ...] = ()  # (line, rows) of every table

    def all_findings(self) -> tuple[Finding, ...]:
        """Consolidated findings followed by every agent's own findings."""
        own = tuple(f for agent in self.agent_reviews for f in agent.findings)
        return self.findings + own

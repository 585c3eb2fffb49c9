"""What the checks share while verifying one review: the repository (through ``checks.source``),
the options, and how certain it is that head is the code the review read."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reviewvet.model.verification import CheckOptions

if TYPE_CHECKING:
    from reviewvet.checks.source import History, LineSearch, Repository, RevisionFiles, Side
    from reviewvet.index.model import RepoIndex
    from reviewvet.model.source import EvidenceLevel, PathResolution


@dataclass
class CheckContext:
    repo: Repository
    options: CheckOptions = field(default_factory=CheckOptions)
    evidence: EvidenceLevel = "user-given-head"  # how certain it is that head is the code the review read
    flattened: bool = False  # the review's code-block boundaries were guessed
    history: History | None = None  # versions to search when head may have changed since the review

    def __post_init__(self) -> None:
        if self.history is not None:
            self.history.max_bytes = self.options.max_scan_bytes

    @property
    def head(self) -> RevisionFiles:
        return self.repo.head

    @property
    def base(self) -> RevisionFiles | None:
        return self.repo.base

    @property
    def quote_evidence(self) -> EvidenceLevel:
        """The evidence level of a quote check: a flattened document's blocks are guesses first of all."""
        return "flattened" if self.flattened else self.evidence

    def never_had(self, claimed: str) -> bool:
        return self.repo.never_had(claimed)

    def resolve(self, claimed: str) -> PathResolution:
        return self.repo.resolve(claimed)

    def prefetch(self, claimed_paths: list[str]) -> None:
        """Read every claimed file at head and base in one bulk read per side."""
        resolutions = [self.resolve(p) for p in dict.fromkeys(claimed_paths)]
        head_paths = [r.path for r in resolutions if r.usable and r.path]
        head_paths += [c for r in resolutions for c in r.candidates]
        self.head.load(head_paths)
        if self.base is not None:
            self.base.load(head_paths + [r.path for r in resolutions if r.status == "base-only" and r.path])

    def line_search(self, side: Side) -> LineSearch:
        """Where normalised lines are among every file of head or base: an index when the revision's
        text fits in ``max_index_bytes``, else ``git grep`` (see checks.search)."""
        return self.repo.line_search(side, self.options.max_index_bytes, self.options.max_scan_bytes)

    def words(self, side: Side) -> Container[str]:
        """Every identifier-shaped word in the text files of head or base (see ``Repository.words``)."""
        if side == "base" and self.base is None:
            return set()
        return self.repo.words(side, self.options.max_index_bytes, self.options.max_scan_bytes)

    def head_index(self) -> RepoIndex:
        index = self.repo.index("head")
        assert index is not None
        return index

    def base_index(self) -> RepoIndex | None:
        return self.repo.index("base") if self.base is not None else None

    def imported_from_outside(self, name: str) -> bool:
        """Whether head's files import a package from outside the repository under ``name``."""
        return self.head_index().imports_from_outside(name)

    def shallow_boundaries(self) -> set[str]:
        return self.repo.shallow_boundaries()

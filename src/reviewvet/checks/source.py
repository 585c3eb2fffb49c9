"""What the checks may ask of the repository under review, as protocols.

The checks never open git: a workspace (``reviewvet.workspace``) answers these questions
for a pair of revisions — the head a review is checked against and the merge base — and a
test may hand the checks any other object that answers them.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from reviewvet.index.model import RepoIndex
    from reviewvet.model.source import (
        BlameLine, CommitInfo, FileChange, FileText, LogEntry, PathResolution, TreeEntry, Unreadable, Version,
    )

Side = Literal["head", "base"]
Blamed = tuple[list["BlameLine"], dict[str, "CommitInfo"]]


@dataclass(frozen=True)
class Occurrences:
    """The files found holding one normalised line; ``complete`` when every file that could was looked at."""

    paths: tuple[str, ...]
    complete: bool = True

    @property
    def absent(self) -> bool:
        """In no file, for certain."""
        return self.complete and not self.paths


class LineSearch(Protocol):
    kind: str  # "index" or "grep"

    def lookup(self, lines: Sequence[str]) -> dict[str, Occurrences]:
        """Where each normalised line is (every line asked for is a key of the answer)."""


class RevisionFiles(Protocol):
    """The files of one revision, read in bulk and kept within a memory budget."""

    @property
    def rev(self) -> str: ...

    @property
    def tree(self) -> Mapping[str, TreeEntry]: ...

    def file(self, path: str) -> FileText | Unreadable | None:
        """The text of ``path``, Unreadable with the reason, or None when the revision has no such path."""

    def load(self, paths: list[str]) -> None:
        """Read ``paths`` now, in bulk, so later ``file`` calls are answered from memory."""

    def stream(self, paths: list[str] | None = None, *, keep: bool = False) -> Iterator[FileText | Unreadable]:
        """Each of ``paths`` (default: every file), read in bulk; kept only when ``keep``."""

    def readable_bytes(self, paths: list[str] | None = None) -> int:
        """Bytes that reading ``paths`` (default: every file) as text would read."""

    def grep(self, patterns: list[list[str]]) -> list[str] | None:
        """Paths holding, on one line, every fixed string of one of ``patterns``; None when the search failed."""


class History(Protocol):
    """Earlier versions of files, between the merge base and the heads that could be the reviewed one."""

    max_bytes: int
    max_versions: int

    def versions(self, paths: list[str]) -> list[Version]: ...

    def unread(self, paths: list[str]) -> int: ...

    def normalised_lines(self, paths: list[str]) -> set[str]: ...


@runtime_checkable
class Repository(Protocol):
    """The repository at a head and a merge base, as the checks see it."""

    @property
    def head(self) -> RevisionFiles: ...

    @property
    def base(self) -> RevisionFiles | None: ...

    def resolve(self, claimed: str) -> PathResolution:
        """Where a path a review claims is at head (or why it cannot be used)."""

    def never_had(self, claimed: str) -> bool:
        """Whether ``claimed`` lies under a top-level folder neither revision has: another project's file."""

    def line_search(self, side: Side, max_index_bytes: int, max_scan_bytes: int) -> LineSearch:
        """Where normalised lines are among every file of one side."""

    def words(self, side: Side, max_index_bytes: int, max_scan_bytes: int) -> Container[str]:
        """Every identifier-shaped word in the text files of one side."""

    def index(self, side: Side) -> RepoIndex | None:
        """The parsed symbols and call graph of one side (None: no merge base)."""

    def shallow_boundaries(self) -> set[str]:
        """Commits whose parents a shallow clone does not have."""

    def changes(self, old: str, new: str) -> dict[str, FileChange]:
        """What the diff from ``old`` to ``new`` did to each file, by path at ``new``."""

    def blame(self, rev: str, path: str, ranges: Sequence[tuple[int, int]], *, options: tuple[str, ...],
              full_history: bool) -> Blamed:
        """Who last changed the given lines of ``path`` (``rev`` is a commit or an ``A..B`` range)."""

    def commits_touching(self, old: str, new: str, path: str) -> list[LogEntry]:
        """The commits of ``old..new`` that changed ``path``."""

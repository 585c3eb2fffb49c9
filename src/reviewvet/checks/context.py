"""What the checks share while verifying one review: snapshots, resolved paths, options."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reviewvet.checks.search import GrepLines, GrepWords, LineIndex, LineSearch
from reviewvet.resolve.snapshot import FileText, PathResolution, Snapshot, resolve_path

if TYPE_CHECKING:
    from reviewvet.checks.history import FileHistory
    from reviewvet.index.build import RepoIndex
    from reviewvet.index.cache import ParseCache


# Per process, the last few revisions' line indexes: a commit's files never change.
_LINE_INDEXES: dict[tuple[str, str], LineIndex] = {}
MiB = 1024 * 1024


@dataclass(frozen=True)
class CheckOptions:
    """How the checks match, and how much of a repository they may read.

    The all-files search (a quote in another file, a quote's lines anywhere) indexes a
    revision when its text fits in ``max_index_bytes``; the index keeps about 2.5 bytes of
    memory per byte of text (3.2 while it is built; measured on short, all-distinct lines),
    so at most ~0.65 GB per side by default, and is built at ~20 MB/s on one core. A larger
    revision is searched with ``git grep`` instead (~5 s per 465 MB scanned), reading at most
    ``max_scan_bytes`` of candidate files per lookup. The same scan budget bounds the
    earlier versions read for one quote and the files read to confirm where a quote is;
    ``max_fuzzy_bytes`` bounds the files compared fuzzily with one quote.
    """

    near_miss_threshold: float = 0.8
    max_drift: int = 5
    min_global_chars: int = 20
    symbols: bool = True
    provenance: bool = True
    blame_options: tuple[str, ...] = ("-w", "-M", "-C")
    max_index_bytes: int = 256 * MiB
    max_scan_bytes: int = 64 * MiB
    max_fuzzy_bytes: int = 32 * MiB


@dataclass
class CheckContext:
    head: Snapshot
    base: Snapshot | None
    options: CheckOptions = field(default_factory=CheckOptions)
    _resolved: dict[str, PathResolution] = field(default_factory=dict)
    cache: ParseCache | None = None
    _searches: dict[str, LineSearch] = field(default_factory=dict)
    _repo_index: dict[str, RepoIndex] = field(default_factory=dict)
    _words: dict[str, Container[str]] = field(default_factory=dict)
    _external: set[str] | None = None
    _shallow: set[str] | None = None
    evidence: str = "user-given-head"  # how certain it is that head is the code the review read
    flattened: bool = False  # the review's code-block boundaries were guessed
    history: FileHistory | None = None  # versions to search when head may have changed since the review
    _top_dirs: set[str] | None = None

    def __post_init__(self) -> None:
        if self.history is not None:
            self.history.max_bytes = self.options.max_scan_bytes

    @property
    def quote_evidence(self) -> str:
        """The evidence level of a quote check: a flattened document's blocks are guesses first of all."""
        return "flattened" if self.flattened else self.evidence

    def never_had(self, claimed: str) -> bool:
        """A claimed path under a top-level folder neither head nor the merge base has: another project's file."""
        if self._top_dirs is None:
            self._top_dirs = {p.split("/", 1)[0] for p in self.head.tree}
            if self.base is not None:
                self._top_dirs |= {p.split("/", 1)[0] for p in self.base.tree}
        path = claimed.removeprefix("./")
        return bool(path) and path.split("/", 1)[0] not in self._top_dirs

    def resolve(self, claimed: str) -> PathResolution:
        if claimed not in self._resolved:
            self._resolved[claimed] = resolve_path(claimed, self.head, self.base)
        return self._resolved[claimed]

    def prefetch(self, claimed_paths: list[str]) -> None:
        """Read every claimed file at head and base in one bulk read per side."""
        resolutions = [self.resolve(p) for p in dict.fromkeys(claimed_paths)]
        head_paths = [r.path for r in resolutions if r.usable and r.path]
        head_paths += [c for r in resolutions for c in r.candidates]
        self.head.load(head_paths)
        if self.base is not None:
            self.base.load(head_paths + [r.path for r in resolutions if r.status == "base-only" and r.path])

    def line_search(self, side: str) -> LineSearch:
        """Where normalised lines are among every file of head or base: an index when the revision's
        text fits in ``max_index_bytes``, else ``git grep`` (see checks.search)."""
        if side not in self._searches:
            snapshot = self.head if side == "head" else self.base
            assert snapshot is not None
            if snapshot.readable_bytes() > self.options.max_index_bytes:
                self._searches[side] = GrepLines(snapshot, self.options.max_scan_bytes)
            else:
                self._searches[side] = _line_index(snapshot)
        return self._searches[side]

    # -- the parser layer, built on first use and shared by every finding --------------------

    def _index(self, snapshot: Snapshot) -> RepoIndex:
        from reviewvet.index.build import index_revision_memo

        if snapshot.rev not in self._repo_index:
            self._repo_index[snapshot.rev] = index_revision_memo(snapshot.git, snapshot.rev, cache=self.cache,
                                                                 tree=snapshot.tree)
        return self._repo_index[snapshot.rev]

    def head_index(self) -> RepoIndex:
        return self._index(self.head)

    def base_index(self) -> RepoIndex | None:
        return self._index(self.base) if self.base is not None else None

    def words(self, side: str) -> Container[str]:
        """Every identifier-shaped word in the text files of head or base: a set when the revision's text
        fits in ``max_index_bytes``, else looked up word by word with ``git grep`` (checks.search)."""
        from reviewvet.checks.symbols import words_of

        snapshot = self.head if side == "head" else self.base
        if snapshot is None:
            return set()
        if side not in self._words and snapshot.readable_bytes() > self.options.max_index_bytes:
            self._words[side] = GrepWords(snapshot, self.options.max_scan_bytes, words_of)
        if side not in self._words:
            words: set[str] = set()
            for f in snapshot.stream():  # the files are not kept: only their words
                if isinstance(f, FileText):
                    words |= words_of([f.lines])
            self._words[side] = words
        return self._words[side]

    def external_packages(self) -> set[str]:
        from reviewvet.checks.symbols import external_packages

        if self._external is None:
            self._external = external_packages(self.head_index())
        return self._external

    def shallow_boundaries(self) -> set[str]:
        if self._shallow is None:
            self._shallow = self.head.git.shallow_boundaries()
        return self._shallow


def _line_index(snapshot: Snapshot) -> LineIndex:
    """The line index of a revision, built once per process (the last few are kept)."""
    key = (str(snapshot.git.repo.resolve()), snapshot.rev)
    index = _LINE_INDEXES.get(key)
    if index is None:
        index = LineIndex.build(snapshot)
        if len(_LINE_INDEXES) >= 4:
            _LINE_INDEXES.pop(next(iter(_LINE_INDEXES)))
        _LINE_INDEXES[key] = index
    return index

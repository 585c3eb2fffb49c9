"""What the checks share while verifying one review: snapshots, resolved paths, options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reviewvet.checks.matching import index_lines
from reviewvet.resolve.snapshot import PathResolution, Snapshot, resolve_path

if TYPE_CHECKING:
    from reviewvet.checks.history import FileHistory
    from reviewvet.index.build import RepoIndex
    from reviewvet.index.cache import ParseCache


# Per process, the last few revisions' line indexes: a commit's files never change.
_LINE_INDEXES: dict[tuple[str, str], dict[str, list[tuple[str, int]]]] = {}


@dataclass(frozen=True)
class CheckOptions:
    near_miss_threshold: float = 0.8
    max_drift: int = 5
    min_global_chars: int = 20
    symbols: bool = True
    provenance: bool = True
    blame_options: tuple[str, ...] = ("-w", "-M", "-C")


@dataclass
class CheckContext:
    head: Snapshot
    base: Snapshot | None
    options: CheckOptions = field(default_factory=CheckOptions)
    _resolved: dict[str, PathResolution] = field(default_factory=dict)
    cache: ParseCache | None = None
    _head_index: dict[str, list[tuple[str, int]]] | None = None
    _base_index: dict[str, list[tuple[str, int]]] | None = None
    _repo_index: dict[str, RepoIndex] = field(default_factory=dict)
    _words: dict[str, set[str]] = field(default_factory=dict)
    _external: set[str] | None = None
    _shallow: set[str] | None = None
    evidence: str = "user-given-head"  # how certain it is that head is the code the review read
    flattened: bool = False  # the review's code-block boundaries were guessed
    history: FileHistory | None = None  # versions to search when head may have changed since the review
    _top_dirs: set[str] | None = None

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

    def line_index(self, side: str) -> dict[str, list[tuple[str, int]]]:
        """Normalised line -> (path, position among the file's non-blank lines), over every file."""
        snapshot = self.head if side == "head" else self.base
        assert snapshot is not None
        cached = self._head_index if side == "head" else self._base_index
        if cached is not None:
            return cached
        key = (str(snapshot.git.repo.resolve()), snapshot.rev)
        index = _LINE_INDEXES.get(key)
        if index is None:
            index = {}
            for text in snapshot.text_files():
                for pos, norm in enumerate(index_lines(text.lines).norm):
                    index.setdefault(norm, []).append((text.path, pos))
            if len(_LINE_INDEXES) >= 4:
                _LINE_INDEXES.pop(next(iter(_LINE_INDEXES)))
            _LINE_INDEXES[key] = index
        if side == "head":
            self._head_index = index
        else:
            self._base_index = index
        return index

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

    def words(self, side: str) -> set[str]:
        """Every identifier-shaped word in the text files of head or base."""
        from reviewvet.checks.symbols import words_of

        snapshot = self.head if side == "head" else self.base
        if snapshot is None:
            return set()
        if side not in self._words:
            self._words[side] = words_of([f.lines for f in snapshot.text_files()])
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

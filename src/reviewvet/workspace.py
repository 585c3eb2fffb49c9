"""A workspace: one repository, opened once, with everything reviewvet learns about it kept.

A workspace owns the git process runner, the revisions it was opened at, the snapshots of
every revision read (bounded, least recently used first out), the parsed indexes, the line
indexes, the quote histories, the parse cache and the per-file memos of the matchers. Nothing
of it is process-wide: two workspaces share nothing, and closing one frees it all.

One verification runs at a time per workspace (a lock), so a long-running front end can keep
a workspace warm and share it between requests; parallel work opens more workspaces.
``RevisionPair`` is what the checks see of it (``checks.source.Repository``): a head and a
merge base, with path resolution remembered.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Container, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from reviewvet.checks.matching import Memos, memos_in_use
from reviewvet.checks.search import GrepLines, GrepWords, LineIndex
from reviewvet.checks.source import LineSearch
from reviewvet.git import Git
from reviewvet.index.lookups import RevisionLines, RevisionWords
from reviewvet.model.source import FileChange, FileText, LogEntry, PathResolution, Revisions
from reviewvet.resolve.facts import RepositoryFacts
from reviewvet.resolve.revisions import resolve_revisions
from reviewvet.resolve.snapshot import Snapshot, resolve_path
from reviewvet.rules.engine import DecisionMemo

if TYPE_CHECKING:
    from reviewvet.checks.source import Blamed, Side
    from reviewvet.index.model import RepoIndex
    from reviewvet.index.cache import ParseCache
    from reviewvet.index.lookups import BlobLookups
    from reviewvet.model.review import Review
    from reviewvet.resolve.history import FileHistory

MAX_SNAPSHOTS = 8  # revisions whose trees and file texts a workspace keeps (each bounded in bytes)
MAX_INDEXES = 4  # parsed revisions kept: a batch of reviews of one pull request shares two
MAX_LINE_HASHES = 256  # files whose GitHub line hashes are kept, by blob id
MAX_BLAMES = 512  # blame answers kept (commit ids are immutable: an answer never goes stale)


class Workspace:
    """One repository and what has been read of it. Use ``reviewvet.api.open_workspace``."""

    def __init__(self, repo: Path, *, head: str = "HEAD", base: str | None = None, merge_base: str | None = None,
                 cache: ParseCache | None = None, lookups: BlobLookups | None = None,
                 facts: RepositoryFacts | None = None, substitute: bool = False) -> None:
        self.git = Git(repo)
        self.head, self.base, self.merge_base = head, base, merge_base
        self.cache = cache
        self.facts = facts if facts is not None else RepositoryFacts()  # what the repository's refs make true
        self.substitute = substitute  # the head stands in for the reviewed one (see resolve_revisions)
        self.lookups = lookups
        self.lock = threading.RLock()
        self.memos = Memos()
        self._snapshots: OrderedDict[str, Snapshot] = OrderedDict()
        self._indexes: OrderedDict[str, RepoIndex] = OrderedDict()
        self._searches: dict[tuple[str, str, int], LineSearch] = {}
        self._words: dict[tuple[str, str, int], Container[str]] = {}
        self._changes: dict[tuple[str, str], dict[str, FileChange]] = {}
        self._revisions: dict[tuple[str | None, ...], Revisions] = {}
        self._shallow: set[str] | None = None
        self._blames: OrderedDict[tuple[object, ...], Blamed] = OrderedDict()
        self._line_hashes: OrderedDict[str, dict[int, str]] = OrderedDict()
        self.decisions = DecisionMemo()  # the rules' decisions by their inputs (rules.engine)
        self._closed = False

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Forget everything read and close the parse cache; the workspace cannot be used after."""
        with self.lock:
            if self.cache is not None:
                self.cache.close()
            if self.lookups is not None:
                self.lookups.close()
            self._snapshots.clear()
            self._indexes.clear()
            self._searches.clear()
            self._words.clear()
            self._changes.clear()
            self.memos = Memos()
            self._closed = True

    @contextmanager
    def session(self) -> Iterator[Workspace]:
        """Hold the workspace for one piece of work: the lock, and the matchers' memos in use."""
        with self.lock:
            if self._closed:
                raise ValueError("the workspace is closed")
            with memos_in_use(self.memos):
                yield self

    # -- revisions -------------------------------------------------------------------------

    def revisions(self, review: Review | None = None) -> Revisions:
        """The revisions a review is verified against: the workspace's head and base, or with head
        ``auto`` the review's own head, its pull request's ref, or a commit its subjects name."""
        # The review decides how certain the head is (its own head or a substitute), and with ``auto`` which it is.
        key = (self.head, self.base, self.merge_base, _review_key(review))
        if key not in self._revisions:
            self._revisions[key] = resolve_revisions(self.git, review, head=self.head, base=self.base,
                                                     merge_base=self.merge_base, facts=self.facts,
                                                     substitute=self.substitute)
        return self._revisions[key]

    def pair(self, revisions: Revisions) -> RevisionPair:
        """The head and merge base of ``revisions``, as the checks see them."""
        base = self.snapshot(revisions.merge_base) if revisions.merge_base else None
        return RevisionPair(self, self.snapshot(revisions.head), base)

    # -- what is read, kept per revision ---------------------------------------------------

    def snapshot(self, rev: str) -> Snapshot:
        if rev in self._snapshots:
            self._snapshots.move_to_end(rev)
        else:
            self._snapshots[rev] = Snapshot(self.git, rev)
            if len(self._snapshots) > MAX_SNAPSHOTS:
                self._snapshots.popitem(last=False)
        return self._snapshots[rev]

    def index(self, rev: str, *, jobs: int | None = None) -> RepoIndex:
        """The parsed symbols and call graph of ``rev``, through the parse cache when there is one."""
        from reviewvet.index.build import index_revision

        if rev in self._indexes:
            self._indexes.move_to_end(rev)
        else:
            self._indexes[rev] = index_revision(self.git, rev, cache=self.cache, tree=self.snapshot(rev).tree,
                                                jobs=jobs)
            if len(self._indexes) > MAX_INDEXES:
                self._indexes.popitem(last=False)
        return self._indexes[rev]

    def line_search(self, snapshot: Snapshot, max_index_bytes: int, max_scan_bytes: int) -> LineSearch:
        """An index of every line of a revision when its text fits in ``max_index_bytes``, else ``git grep``."""
        rev = snapshot.rev
        grep = snapshot.readable_bytes() > max_index_bytes
        key = (rev, "grep" if grep else "index", max_scan_bytes if grep else 0)
        if key not in self._searches:
            if grep:
                self._searches[key] = GrepLines(snapshot, max_scan_bytes)
            elif self._stored(snapshot):
                assert self.lookups is not None
                self._searches[key] = RevisionLines(self.lookups, snapshot)
            else:
                self._searches[key] = LineIndex.build(snapshot)
        return self._searches[key]

    def _stored(self, snapshot: Snapshot) -> bool:
        """Whether the lookup store answers for ``snapshot`` (every text blob of it recorded now)."""
        return self.lookups is not None and self.lookups.prepare(snapshot)

    def words(self, snapshot: Snapshot, max_index_bytes: int, max_scan_bytes: int) -> Container[str]:
        """Every identifier-shaped word of a revision: a set when its text fits, else looked up with ``git grep``."""
        from reviewvet.checks.symbols import words_of

        rev = snapshot.rev
        grep = snapshot.readable_bytes() > max_index_bytes
        key = (rev, "grep" if grep else "set", max_scan_bytes if grep else 0)
        if key not in self._words:
            if grep:
                self._words[key] = GrepWords(snapshot, max_scan_bytes, words_of)
            elif self._stored(snapshot):
                assert self.lookups is not None
                self._words[key] = RevisionWords(self.lookups, snapshot)
            else:
                words: set[str] = set()
                for f in snapshot.stream():  # the files are not kept: only their words
                    if isinstance(f, FileText):
                        words |= words_of([f.lines])
                self._words[key] = words
        return self._words[key]

    def blame(self, rev: str, path: str, ranges: Sequence[tuple[int, int]], *, options: tuple[str, ...],
              full_history: bool) -> Blamed:
        """git blame of ``ranges`` of ``path`` at ``rev`` (resolved commit ids), remembered: a warm workspace
        asked again about the same lines (a service's repeated claim) starts no process."""
        key = (rev, path, tuple(ranges), options, full_history)
        found = self._blames.get(key)
        if found is None:
            found = self.git.blame(rev, path, list(ranges), options=options, full_history=full_history)
            self._blames[key] = found
            if len(self._blames) > MAX_BLAMES:
                self._blames.popitem(last=False)
        else:
            self._blames.move_to_end(key)
        return found

    def line_hashes(self, oids: Sequence[str]) -> dict[str, dict[int, str]]:
        """GitHub's line hashes of each text blob in ``oids`` (binary ones left out), by blob id; the blobs
        not yet hashed are read in one batch."""
        from reviewvet.resolve.linehash import line_hashes

        missing = [oid for oid in dict.fromkeys(oids) if oid not in self._line_hashes]
        for oid, data in self.git.read_blobs(missing).items() if missing else ():
            self._line_hashes[oid] = {} if b"\x00" in data[:8192] else line_hashes(data.decode("utf-8", "replace"))
        while len(self._line_hashes) > MAX_LINE_HASHES:
            self._line_hashes.popitem(last=False)
        return {oid: self._line_hashes[oid] for oid in oids if oid in self._line_hashes}

    def changes(self, old: str, new: str) -> dict[str, FileChange]:
        if (old, new) not in self._changes:
            self._changes[(old, new)] = self.git.changed_lines(old, new)
        return self._changes[(old, new)]

    def shallow_boundaries(self) -> set[str]:
        if self._shallow is None:
            self._shallow = self.git.shallow_boundaries()
        return self._shallow

    def history(self, revisions: Revisions) -> FileHistory | None:
        """Earlier versions to search for quotes, unless head is the very code the review read."""
        from reviewvet.resolve.history import FileHistory

        if revisions.head_evidence == "reviewed-head":
            return None
        return FileHistory(self.git, revisions.history_tips, revisions.merge_base)


class RevisionPair:
    """The repository at a head and a merge base, as the checks see it (``checks.source.Repository``)."""

    def __init__(self, workspace: Workspace, head: Snapshot, base: Snapshot | None) -> None:
        self.workspace = workspace
        self._head = head
        self._base = base
        self._resolved: dict[str, PathResolution] = {}
        self._top_dirs: set[str] | None = None

    @property
    def head(self) -> Snapshot:
        return self._head

    @property
    def base(self) -> Snapshot | None:
        return self._base

    def _side(self, side: Side) -> Snapshot:
        snapshot = self._head if side == "head" else self._base
        assert snapshot is not None, "no merge base: the base side cannot be read"
        return snapshot

    def resolve(self, claimed: str) -> PathResolution:
        if claimed not in self._resolved:
            self._resolved[claimed] = resolve_path(claimed, self._head, self._base)
        return self._resolved[claimed]

    def never_had(self, claimed: str) -> bool:
        if self._top_dirs is None:
            self._top_dirs = {p.split("/", 1)[0] for p in self._head.tree}
            if self._base is not None:
                self._top_dirs |= {p.split("/", 1)[0] for p in self._base.tree}
        path = claimed.removeprefix("./")
        return bool(path) and path.split("/", 1)[0] not in self._top_dirs

    def line_search(self, side: Side, max_index_bytes: int, max_scan_bytes: int) -> LineSearch:
        return self.workspace.line_search(self._side(side), max_index_bytes, max_scan_bytes)

    def words(self, side: Side, max_index_bytes: int, max_scan_bytes: int) -> Container[str]:
        return self.workspace.words(self._side(side), max_index_bytes, max_scan_bytes)

    def index(self, side: Side) -> RepoIndex | None:
        if side == "base" and self._base is None:
            return None
        return self.workspace.index(self._side(side).rev)

    def shallow_boundaries(self) -> set[str]:
        return self.workspace.shallow_boundaries()

    def changes(self, old: str, new: str) -> dict[str, FileChange]:
        return self.workspace.changes(old, new)

    def blame(self, rev: str, path: str, ranges: Sequence[tuple[int, int]], *, options: tuple[str, ...],
              full_history: bool) -> Blamed:
        return self.workspace.blame(rev, path, ranges, options=options, full_history=full_history)

    def commits_touching(self, old: str, new: str, path: str) -> list[LogEntry]:
        return self.workspace.git.commits_touching(old, new, path)


def _review_key(review: Review | None) -> str | None:
    """What the revisions depend on in a review: the head and commits it names, its pull request."""
    if review is None:
        return None
    commits = ",".join(f"{c.sha}:{c.subject}" for c in review.commits)
    return f"{review.head_sha}|{commits}|{review.pr_number}|{review.repository}|{review.branch}"

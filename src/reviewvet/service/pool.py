"""Warm workspaces for a long-running service: one per repository and revisions asked about, kept
open between requests, least recently used closed first.

A workspace runs one piece of work at a time (its own lock), so requests about the same pull
request queue on one warm workspace and requests about others run beside it. A workspace in use
is never closed: ``use`` counts its users, and only idle workspaces are evicted — when there are
more than ``max_workspaces``, or while the process's resident memory is over the limit (read from
``/proc/self/statm``; where that cannot be read, the count alone bounds the pool).

Revisions are resolved to commit ids before a workspace is chosen, so a branch that moved (after
a fetch) gets a new workspace and the old one ages out; ``auto`` heads are resolved per review
inside the workspace. A name (a branch, ``HEAD``) is resolved again at most every
``RESOLVE_SECONDS`` — each answer carries the commit it verified, and a fetch through the service
forgets the names of that repository at once; a commit id needs no resolving at all. What only
the refs decide is shared by every workspace of a repository (``RepositoryFacts``).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from reviewvet.git import Git
from reviewvet.resolve.facts import RepositoryFacts
from reviewvet.workspace import Workspace

SHA = frozenset("0123456789abcdef")
RESOLVE_SECONDS = 2.0  # how long a name's commit id is taken as known

Key = tuple[str, str, str, str]  # repository name, head, base, merge base (commit ids, or "auto"/"")


@dataclass
class _Entry:
    workspace: Workspace
    stack: ExitStack
    users: int = 0


@dataclass
class PoolStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    open: int = 0


@dataclass
class WorkspacePool:
    """Open workspaces by repository and revisions; thread-safe."""

    cache_dir: Path | None = None
    max_workspaces: int = 16
    memory_bytes: int = 1024 * 1024 * 1024
    stats: PoolStats = field(default_factory=PoolStats)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()
        self._facts: dict[str, RepositoryFacts] = {}
        self._gits: dict[str, Git] = {}  # one runner per repository, for resolving revisions
        self._resolved: dict[tuple[str, str], tuple[float, str]] = {}  # (repository, name) -> (when, commit id)

    @contextmanager
    def use(self, name: str, path: Path, head: str, base: str | None, merge_base: str | None = None
            ) -> Iterator[Workspace]:
        """The warm workspace of ``name`` at these revisions (opened on first use), held while in the block."""
        key = self._key(name, path, head, base, merge_base)
        entry = self._acquire(key, path)
        try:
            yield entry.workspace
        finally:
            with self._lock:
                entry.users -= 1
            self._evict()

    def close(self) -> None:
        """Close every workspace (those in use are closed when their work ends: closing waits for it)."""
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
            self.stats.open = 0
        for entry in entries:
            entry.stack.close()

    def forget(self, name: str) -> None:
        """Let the workspaces of ``name`` age out at once (after a fetch moved its refs)."""
        with self._lock:
            self._facts.pop(name, None)
            self._gits.pop(name, None)
            for known in [k for k in self._resolved if k[0] == name]:
                del self._resolved[known]
            stale = [key for key, entry in self._entries.items() if key[0] == name and entry.users == 0]
            dropped = [self._entries.pop(key) for key in stale]
            self.stats.open = len(self._entries)
        for entry in dropped:
            entry.stack.close()

    # -- inside --------------------------------------------------------------------------------

    def _key(self, name: str, path: Path, head: str, base: str | None, merge_base: str | None) -> Key:
        """Revisions as commit ids (``auto`` stays itself): one process each, none for ids already full."""

        def resolved(rev: str | None, what: str, field_name: str) -> str:
            if rev is None or rev == "" or (what == "head" and rev == "auto"):
                return rev or ""
            if len(rev) == 40 and set(rev) <= SHA:
                return rev
            now = time.monotonic()
            with self._lock:
                git = self._gits.get(name)
                known = self._resolved.get((name, rev))
            if known is not None and now - known[0] < RESOLVE_SECONDS:
                return known[1]
            if git is None:
                git = Git(path)
                with self._lock:
                    self._gits.setdefault(name, git)
            sha = git.resolve(rev, what=what, field=field_name)
            with self._lock:
                self._resolved[(name, rev)] = (now, sha)
            return sha

        return (name, resolved(head, "head", "head"), resolved(base, "base", "base"),
                resolved(merge_base, "merge base", "merge-base"))

    def _acquire(self, key: Key, path: Path) -> _Entry:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                entry.users += 1
                self.stats.hits += 1
                return entry
            facts = self._facts.setdefault(key[0], RepositoryFacts())
        entry = self._open(key, path, facts)  # outside the lock: opening reads the repository
        with self._lock:
            raced = self._entries.get(key)
            if raced is not None:  # another request opened it meanwhile: use theirs
                raced.users += 1
                self.stats.hits += 1
                spare, entry = entry, raced
            else:
                spare = None
                entry.users += 1
                self._entries[key] = entry
                self.stats.misses += 1
                self.stats.open = len(self._entries)
        if spare is not None:
            spare.stack.close()
        self._evict()
        return entry

    def _open(self, key: Key, path: Path, facts: RepositoryFacts) -> _Entry:
        from reviewvet.api import open_workspace

        _, head, base, merge_base = key
        stack = ExitStack()
        try:
            workspace = stack.enter_context(open_workspace(path, head or "HEAD", base or None, merge_base or None,
                                                           cache_dir=self.cache_dir, facts=facts))
        except BaseException:
            stack.close()
            raise
        return _Entry(workspace, stack)

    def _evict(self) -> None:
        """Close idle workspaces, oldest first, while there are too many or memory is over the limit."""
        while True:
            with self._lock:
                idle = [key for key, entry in self._entries.items() if entry.users == 0]
                over = len(self._entries) > self.max_workspaces or (
                    len(self._entries) > 1 and resident_bytes() > self.memory_bytes)
                if not idle or not over:
                    return
                entry = self._entries.pop(idle[0])
                self.stats.evictions += 1
                self.stats.open = len(self._entries)
            entry.stack.close()


def resident_bytes() -> int:
    """This process's resident memory, or 0 when the system does not say."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")

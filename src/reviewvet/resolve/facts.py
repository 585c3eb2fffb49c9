"""What a repository's refs make true, worked out once per state of the refs and shared.

Some answers depend on nothing but the repository: every commit any ref reaches with its subject
(``git log --all``), which refs reach a commit (``for-each-ref --contains``), the recent
first-parent history of a commit, the refs of a pull request. They cost a walk of the whole
history each (no commit-graph is assumed, and none is ever written), so a batch of reviews of one
repository must not ask them again per review.

The state is the digest of every ref's name and target, HEAD included, read by one ``git show-ref
--head`` on each use (cheap: no history is walked). For one state of one repository each answer
is computed at most once, when first asked, by the git runner of whoever asks (its processes are
counted where they ran). A new commit on any branch, a fetched pull request or a moved HEAD is a
new state with answers of its own; the last few states are kept.

Nothing is persisted: the answers live as long as the ``RepositoryFacts`` object, which a
workspace keeps and an ingest shares between all the reviews a worker process verifies. Nothing is
written into the repository.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from reviewvet.errors import GitError
from reviewvet.git import Git
from reviewvet.model.source import LogEntry

MAX_STATES = 4  # states of the refs kept per facts object (each holds one full subject history)

Ref = tuple[str, str]  # (ref name, object id)


@dataclass(frozen=True)
class SubjectHistory:
    """Every commit reachable from a ref or HEAD, newest first, findable by its (stripped) subject."""

    entries: tuple[LogEntry, ...]
    by_subject: dict[str, tuple[int, ...]] = field(repr=False)

    @classmethod
    def of(cls, entries: Iterable[LogEntry]) -> SubjectHistory:
        listed = tuple(entries)
        positions: dict[str, list[int]] = {}
        for i, entry in enumerate(listed):
            positions.setdefault(entry.subject.strip(), []).append(i)
        return cls(listed, {subject: tuple(found) for subject, found in positions.items()})

    def with_subjects(self, subjects: Iterable[str]) -> list[LogEntry]:
        """The commits whose stripped subject is one of ``subjects``, in history order (newest first)."""
        found = {i for s in set(subjects) for i in self.by_subject.get(s.strip(), ())}
        return [self.entries[i] for i in sorted(found)]


class RefState:
    """The answers for one state of one repository's refs; each is computed once, when first asked."""

    def __init__(self, repo: str, digest: str, refs: tuple[Ref, ...]) -> None:
        self.repo, self.digest, self.refs = repo, digest, refs
        self._lock = threading.RLock()
        self._history: SubjectHistory | None = None
        self._containing: dict[tuple[str, int], list[str]] = {}
        self._first_parent: dict[str, tuple[int, list[LogEntry]]] = {}

    def pull_request_refs(self, number: int) -> list[Ref]:
        """(ref name, object id) of pull request ``number``'s refs, its head first, merge refs left out;
        the refs ``Git.pull_request_refs`` lists, read from the listing already made."""
        own = f"refs/pull/{number}/"
        remote = re.compile(rf"refs/remotes/[^/]*/(?:pull/{number}/[^/]*|pr/{number})")
        refs = [(name, sha) for name, sha in self.refs
                if name.startswith(own) or remote.fullmatch(name)]
        heads = [(name, sha) for name, sha in refs if not name.endswith("/merge")]
        return sorted(heads, key=lambda r: not r[0].endswith("/head"))

    def subject_history(self, git: Git) -> SubjectHistory:
        """Every commit on any ref, by subject: one ``git log --all`` per state."""
        with self._lock:
            if self._history is None:
                self._history = SubjectHistory.of(git.log_all())
            return self._history

    def refs_containing(self, git: Git, sha: str, limit: int = 5) -> list[str]:
        """Up to ``limit`` refs that reach commit ``sha``: one ``for-each-ref --contains`` per commit
        (and limit) per state."""
        with self._lock:
            key = (sha, limit)
            if key not in self._containing:
                self._containing[key] = git.refs_containing(sha, limit=limit)
            return list(self._containing[key])

    def first_parent_subjects(self, git: Git, tip: str, limit: int) -> list[LogEntry]:
        """The last ``limit`` commits of ``tip``'s first-parent history, oldest first; a longer read of
        the same tip answers a shorter one."""
        with self._lock:
            read, entries = self._first_parent.get(tip, (0, []))
            if read < limit and len(entries) == read:  # not read that far yet, and there may be more
                read, entries = limit, git.first_parent_subjects(tip, None, limit=limit)
                self._first_parent[tip] = (read, entries)
            return entries[-limit:] if limit > 0 else []


class RepositoryFacts:
    """The ``RefState`` of a repository's current refs, shared by every review that asks.

    Safe to share between threads (each state computes under its own lock) and between workspaces
    of one repository or several (states are keyed by the repository's path too).
    """

    def __init__(self, max_states: int = MAX_STATES) -> None:
        self.max_states = max_states
        self._lock = threading.Lock()
        self._states: OrderedDict[tuple[str, str], RefState] = OrderedDict()

    def state(self, git: Git) -> RefState:
        """The answers for the refs ``git``'s repository has now (one ``git show-ref --head``)."""
        refs = read_refs(git)
        digest = refs_digest(refs)
        key = (str(git.repo.resolve()), digest)
        with self._lock:
            if key in self._states:
                self._states.move_to_end(key)
            else:
                self._states[key] = RefState(key[0], digest, refs)
                while len(self._states) > self.max_states:
                    self._states.popitem(last=False)
            return self._states[key]


def read_refs(git: Git) -> tuple[Ref, ...]:
    """Every ref's (name, object id), HEAD included, sorted by name; none when the repository has none."""
    try:
        out = git.output(["show-ref", "--head"])
    except GitError:  # no ref at all (an empty repository): show-ref says so by failing
        return ()
    refs = (line.partition(" ") for line in out.splitlines())
    return tuple(sorted((name, sha) for sha, _, name in refs if name))


def refs_digest(refs: Iterable[Ref]) -> str:
    """The state of the refs: a digest of every name and target."""
    digest = hashlib.sha256()
    for name, sha in refs:
        digest.update(f"{name}\x00{sha}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()

"""Lookups kept on disk beside the parse cache, keyed by blob id: which blobs hold a line, a word.

A quote not found where it is claimed is looked up in every file of a revision, and an
identifier is looked for as a word anywhere; answering either from scratch reads and hashes
every file at head and at the merge base on every run. Here each text blob is read once, ever:
its normalised lines (as 64-bit hashes) and its identifier-shaped words go into two inverted
tables, and a revision whose every text blob is recorded is remembered by its commit id. A
later run on the same revision reads nothing; a pull request's head costs only the blobs it
changed. An answer then names the blobs holding a line or word, and the revision's tree
(which the snapshot lists anyway) says which of its paths they are.

The hash is a keyed-free BLAKE2b of the line, stable across processes (Python's ``hash`` is
not). A collision can only add a file (the matchers then find nothing in it) or count a line
as present that is not: it never makes a quote look invented.

A store that cannot be opened, read or written is reported (``problem``) and bypassed; the
caller then builds the lookups in memory as before. It never stops a job.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from reviewvet.checks.source import Occurrences
from reviewvet.model.source import FileText
from reviewvet.resolve.snapshot import Snapshot

VERSION = 1  # of what a blob's rows hold: bump when normalisation or word splitting changes (a new file)
LOOKUPS_FILE = f"lookups-v{VERSION}.sqlite3"
CHUNK = 500  # ids per IN (...) query
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS blob (id INTEGER PRIMARY KEY, oid TEXT UNIQUE NOT NULL)",
    "CREATE TABLE IF NOT EXISTS line (hash INTEGER, blob INTEGER, PRIMARY KEY (hash, blob)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS word (word TEXT, blob INTEGER, PRIMARY KEY (word, blob)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS revision (rev TEXT PRIMARY KEY) WITHOUT ROWID",
)


def line_hash(line: str) -> int:
    """A stable signed 64-bit hash of a normalised line (SQLite integers are signed)."""
    digest = hashlib.blake2b(line.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class BlobLookups:
    """The on-disk line and word tables of every blob recorded, in one SQLite file."""

    def __init__(self, directory: Path, words_of: Callable[[list[tuple[str, ...]]], set[str]],
                 normalised: Callable[[Iterable[str]], Iterable[str]]) -> None:
        self.path = directory / LOOKUPS_FILE
        self.problem = ""
        self.blobs_recorded = 0  # blobs read and recorded by this object (a measure of the work done)
        self._words_of = words_of
        self._normalised = normalised
        self._ready: set[str] = set()
        self._paths: dict[str, PathsByOid] = {}
        self._db: sqlite3.Connection | None = None
        try:
            directory.mkdir(parents=True, exist_ok=True)
            # Used by one thread at a time (the workspace's lock), not always the one that opened it.
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages while a revision is recorded
            for statement in _SCHEMA:
                self._db.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            self._fail("is not usable", exc)

    @property
    def usable(self) -> bool:
        return self._db is not None

    def _fail(self, what: str, exc: BaseException) -> None:
        self.problem = f"lookup store {str(self.path)!r} {what} ({exc}); searching without it"
        if self._db is not None:
            self._db.close()
        self._db = None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- recording ---------------------------------------------------------------------------

    def prepare(self, snapshot: Snapshot) -> bool:
        """Record every text blob of ``snapshot`` not yet recorded; False when the store is unusable."""
        if self._db is None:
            return False
        if snapshot.rev in self._ready:
            return True
        try:
            if not self._revision_done(snapshot.rev):
                self._record(snapshot, self._unrecorded(snapshot))
                self._db.execute("INSERT OR IGNORE INTO revision VALUES (?)", (snapshot.rev,))
        except sqlite3.Error as exc:
            self._fail("could not be used", exc)
            return False
        self._ready.add(snapshot.rev)
        return True

    def _revision_done(self, rev: str) -> bool:
        assert self._db is not None
        return self._db.execute("SELECT 1 FROM revision WHERE rev = ?", (rev,)).fetchone() is not None

    def _unrecorded(self, snapshot: Snapshot) -> list[str]:
        """One readable path for each blob of the revision that is not recorded yet."""
        assert self._db is not None
        by_oid = {entry.oid: path for path, entry in snapshot.tree.items() if snapshot.readable(path)}
        oids = sorted(by_oid)
        for i in range(0, len(oids), CHUNK):
            chunk = oids[i:i + CHUNK]
            rows = self._db.execute(f"SELECT oid FROM blob WHERE oid IN ({','.join('?' * len(chunk))})", chunk)
            for (oid,) in rows:
                del by_oid[oid]
        return sorted(by_oid.values())

    def _record(self, snapshot: Snapshot, paths: list[str]) -> None:
        """Read ``paths`` in bulk (not kept by the snapshot) and write their rows, a batch at a time;
        a blob is marked recorded only together with its rows."""
        assert self._db is not None
        lines: list[tuple[int, int]] = []
        words: list[tuple[str, int]] = []
        done = 0
        self._db.execute("BEGIN")
        try:
            for f in snapshot.stream(paths):
                blob = self._blob_id(snapshot.tree[f.path].oid)
                if isinstance(f, FileText):
                    lines += [(h, blob) for h in {line_hash(n) for n in self._normalised(f.lines) if n}]
                    words += [(w, blob) for w in self._words_of([f.lines])]
                done += 1
                if len(lines) + len(words) > 200_000:
                    self._write(lines, words)
                    lines, words = [], []
                    self._db.execute("COMMIT")
                    self._db.execute("BEGIN")
            self._write(lines, words)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.rollback()
            raise
        self.blobs_recorded += done

    def _blob_id(self, oid: str) -> int:
        assert self._db is not None
        self._db.execute("INSERT OR IGNORE INTO blob (oid) VALUES (?)", (oid,))
        return int(self._db.execute("SELECT id FROM blob WHERE oid = ?", (oid,)).fetchone()[0])

    def _write(self, lines: list[tuple[int, int]], words: list[tuple[str, int]]) -> None:
        assert self._db is not None
        # In key order: SQLite inserts into its B-trees a quarter faster than in file order.
        self._db.executemany("INSERT OR IGNORE INTO line VALUES (?, ?)", sorted(lines))
        self._db.executemany("INSERT OR IGNORE INTO word VALUES (?, ?)", sorted(words))

    # -- asking ------------------------------------------------------------------------------

    def paths(self, snapshot: Snapshot) -> PathsByOid:
        """The readable paths of a revision by blob id (made once per revision)."""
        if snapshot.rev not in self._paths:
            self._paths[snapshot.rev] = PathsByOid(snapshot)
        return self._paths[snapshot.rev]

    def blobs_with_line(self, line: str) -> list[str]:
        assert self._db is not None
        return [oid for (oid,) in self._db.execute(
            "SELECT blob.oid FROM line JOIN blob ON blob.id = line.blob WHERE line.hash = ?", (line_hash(line),))]

    def blobs_with_word(self, word: str) -> Iterable[str]:
        assert self._db is not None
        return (oid for (oid,) in self._db.execute(
            "SELECT blob.oid FROM word JOIN blob ON blob.id = word.blob WHERE word.word = ?", (word,)))


class RevisionLines:
    """``LineSearch`` over a prepared revision: the blobs holding a line, as the revision's paths."""

    kind = "index"

    def __init__(self, lookups: BlobLookups, snapshot: Snapshot) -> None:
        self._lookups = lookups
        self._paths = lookups.paths(snapshot)

    def lookup(self, lines: Sequence[str]) -> dict[str, Occurrences]:
        found: dict[str, Occurrences] = {}
        for n in dict.fromkeys(lines):
            if not n:
                found[n] = Occurrences(())
                continue
            paths = [p for oid in self._lookups.blobs_with_line(n) for p in self._paths.get(oid, ())]
            found[n] = Occurrences(tuple(sorted(paths, key=self._paths.order)))
        return {n: found[n] for n in lines}


class RevisionWords:
    """Whether a word is in any text file of a prepared revision (a ``Container[str]``)."""

    def __init__(self, lookups: BlobLookups, snapshot: Snapshot) -> None:
        self._lookups = lookups
        self._paths = lookups.paths(snapshot)
        self._known: dict[str, bool] = {}

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not word:
            return False
        if word not in self._known:
            self._known[word] = any(oid in self._paths for oid in self._lookups.blobs_with_word(word))
        return self._known[word]


class PathsByOid(dict[str, list[str]]):
    """The readable paths of a revision by blob id, and each path's place in the tree's order."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self._position: dict[str, int] = {}
        for i, (path, entry) in enumerate(snapshot.tree.items()):
            if snapshot.readable(path):
                self.setdefault(entry.oid, []).append(path)
                self._position[path] = i

    def order(self, path: str) -> int:
        return self._position[path]

"""A persistent cache of parse results keyed by git blob id, language and parser version.

One SQLite file (``$REVIEWVET_CACHE_DIR``, else ``$XDG_CACHE_HOME/reviewvet``, else
``~/.cache/reviewvet``) shared by every repository: a blob parsed once is never parsed
again, whatever revision or repository it appears in. Beside each result it keeps the names
the file defines, calls and imports (``names``), written in the same transaction, so that
the files of one name are found without decoding every result. A cache that cannot be
opened or written is reported and bypassed; it never stops a job.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any
from pathlib import Path

from reviewvet.index.names import names_of
from reviewvet.index.records import PARSER_VERSION, ParsedFile

# The layout's version is in the name: a cache written before the names were kept (which would
# answer "defined nowhere" for every file it holds) is never read as if it had them.
CACHE_FILE = "parse-cache-v2.sqlite3"
CHUNK = 500  # ids per IN (...) query
Key = tuple[str, str]  # (blob id, language)


def default_cache_dir() -> Path:
    if os.environ.get("REVIEWVET_CACHE_DIR"):
        return Path(os.environ["REVIEWVET_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reviewvet"


class ParseCache:
    """get_many / put_many over (blob id, language) for the current parser version."""

    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or default_cache_dir()) / CACHE_FILE
        self.problem = ""
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A workspace may be used from several threads, one at a time (its lock): the connection
            # goes with it.
            self._db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS parsed (oid TEXT, language TEXT, version INTEGER, data TEXT, "
                "PRIMARY KEY (oid, language, version))"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS revisions (rev TEXT, version INTEGER, PRIMARY KEY (rev, version))")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS names (role TEXT, name TEXT, version INTEGER, oid TEXT, language TEXT, "
                "PRIMARY KEY (role, name, version, oid, language)) WITHOUT ROWID"
            )
        except (OSError, sqlite3.Error) as exc:
            self.problem = f"parse cache {str(self.path)!r} is not usable ({exc}); parsing without it"
            self._db = None

    def complete(self, rev: str) -> bool:
        """Whether every source file of commit ``rev`` (with its size limit) is known to be cached."""
        if self._db is None:
            return False
        try:
            row = self._db.execute("SELECT 1 FROM revisions WHERE rev = ? AND version = ?", (rev, PARSER_VERSION))
            return row.fetchone() is not None
        except sqlite3.Error as exc:
            self.problem = f"parse cache {str(self.path)!r} could not be read ({exc}); parsing without it"
            return False

    def mark_complete(self, rev: str) -> None:
        """Remember that every source file of commit ``rev`` is cached (a commit id names its files for good)."""
        if self._db is None or self.problem:
            return
        try:
            with self._db:
                self._db.execute("INSERT OR IGNORE INTO revisions VALUES (?, ?)", (rev, PARSER_VERSION))
        except sqlite3.Error as exc:
            self.problem = f"parse cache {str(self.path)!r} could not be written ({exc})"

    def known(self, keys: Iterable[Key]) -> set[Key]:
        """Which of ``keys`` the cache holds a result for, without reading the results."""
        wanted = set(keys)
        found: set[Key] = set()
        if self._db is None or not wanted:
            return found
        try:
            found.update((oid, language) for oid, language in self._parsed("oid, language", wanted))
        except sqlite3.Error as exc:
            self.problem = f"parse cache {str(self.path)!r} could not be read ({exc}); parsing without it"
            return set()
        return found & wanted

    def get_many(self, keys: Iterable[Key]) -> dict[Key, ParsedFile]:
        wanted = list(keys)
        found: dict[Key, ParsedFile] = {}
        if self._db is None or not wanted:
            return found
        try:
            for oid, language, data in self._parsed("oid, language, data", wanted):
                found[(oid, language)] = ParsedFile.from_json(json.loads(data))
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            self.problem = f"parse cache {str(self.path)!r} could not be read ({exc}); parsing without it"
            return {}
        keep = set(wanted)
        return {k: v for k, v in found.items() if k in keep}

    def _parsed(self, columns: str, keys: Iterable[Key]) -> Iterator[tuple[Any, ...]]:
        """``columns`` of the current version's results for the blobs of ``keys``, a chunk of ids at a time."""
        assert self._db is not None
        oids = sorted({oid for oid, _ in keys})
        for i in range(0, len(oids), CHUNK):
            chunk = oids[i:i + CHUNK]
            yield from self._db.execute(
                f"SELECT {columns} FROM parsed WHERE version = ? AND oid IN ({','.join('?' * len(chunk))})",
                [PARSER_VERSION, *chunk])

    def holders(self, role: str, name: str) -> set[Key] | None:
        """The blobs (and languages) whose files have ``name`` in ``role`` (``names.DEFINES`` ...);
        None when the cache cannot answer."""
        if self._db is None:
            return None
        try:
            rows = self._db.execute("SELECT oid, language FROM names WHERE role = ? AND name = ? AND version = ?",
                                    (role, name, PARSER_VERSION))
            return {(oid, language) for oid, language in rows}
        except sqlite3.Error as exc:
            self.problem = f"parse cache {str(self.path)!r} could not be read ({exc}); parsing without it"
            return None

    def put_many(self, items: dict[Key, ParsedFile]) -> None:
        """Store results with their names, all or nothing."""
        if self._db is None or not items:
            return
        rows = [(oid, lang, PARSER_VERSION, json.dumps(pf.to_json(), separators=(",", ":")))
                for (oid, lang), pf in items.items()]
        names = [(role, name, PARSER_VERSION, oid, lang) for (oid, lang), pf in items.items()
                 for role, name in names_of(pf)]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO parsed VALUES (?, ?, ?, ?)", rows)
                self._db.executemany("INSERT OR IGNORE INTO names VALUES (?, ?, ?, ?, ?)", names)
        except sqlite3.Error as exc:
            self.problem = f"parse cache {str(self.path)!r} could not be written ({exc})"

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

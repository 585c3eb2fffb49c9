"""A persistent cache of parse results keyed by git blob id, language and parser version.

One SQLite file (``$REVIEWVET_CACHE_DIR``, else ``$XDG_CACHE_HOME/reviewvet``, else
``~/.cache/reviewvet``) shared by every repository: a blob parsed once is never parsed
again, whatever revision or repository it appears in. A cache that cannot be opened or
written is reported and bypassed; it never stops a job.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from reviewvet.index.records import PARSER_VERSION, ParsedFile

CACHE_FILE = "parse-cache.sqlite3"


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
        except (OSError, sqlite3.Error) as exc:
            self.problem = f"parse cache {str(self.path)!r} is not usable ({exc}); parsing without it"
            self._db = None

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ParsedFile]:
        wanted = list(keys)
        found: dict[tuple[str, str], ParsedFile] = {}
        if self._db is None or not wanted:
            return found
        oids = sorted({oid for oid, _ in wanted})
        try:
            for i in range(0, len(oids), 500):
                chunk = oids[i:i + 500]
                rows = self._db.execute(
                    "SELECT oid, language, data FROM parsed WHERE version = ? "
                    f"AND oid IN ({','.join('?' * len(chunk))})",
                    [PARSER_VERSION, *chunk],
                )
                for oid, language, data in rows:
                    found[(oid, language)] = ParsedFile.from_json(json.loads(data))
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            self.problem = f"parse cache {str(self.path)!r} could not be read ({exc}); parsing without it"
            return {}
        keep = set(wanted)
        return {k: v for k, v in found.items() if k in keep}

    def put_many(self, items: dict[tuple[str, str], ParsedFile]) -> None:
        if self._db is None or not items:
            return
        rows = [(oid, lang, PARSER_VERSION, json.dumps(pf.to_json(), separators=(",", ":")))
                for (oid, lang), pf in items.items()]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO parsed VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:
            self.problem = f"parse cache {str(self.path)!r} could not be written ({exc})"

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

"""The audit store: the one module that talks to DuckDB.

The schema is created and migrated here (``schema_version`` records what was applied).
Each review is written in one transaction: a crash or Ctrl-C mid-review leaves the store
as it was before that review. A review is identified by the hash of its text; ingesting
the same text again changes nothing, and a changed report (same source, new text)
replaces its old rows in the same transaction that writes the new ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reviewvet.errors import ReviewvetError

SCHEMA_VERSION = 2
TABLES = ("reviews", "agents", "findings", "agent_findings", "claims", "rule_hits", "consolidator")

_MIGRATIONS = {
    1: [
        """CREATE TABLE reviews (
            review_id VARCHAR PRIMARY KEY, source VARCHAR, title VARCHAR, repository VARCHAR,
            pr_number INTEGER, pr_title VARCHAR, round VARCHAR, review_date VARCHAR, month VARCHAR,
            format VARCHAR, head_named VARCHAR, head_used VARCHAR, merge_base VARCHAR,
            status VARCHAR, reason VARCHAR, warnings INTEGER, ingested_at TIMESTAMP)""",
        """CREATE TABLE agents (review_id VARCHAR, agent VARCHAR, model VARCHAR, effort VARCHAR)""",
        """CREATE TABLE findings (
            review_id VARCHAR, finding_key VARCHAR, origin VARCHAR, id VARCHAR, section VARCHAR,
            title VARCHAR, agents VARCHAR[], model VARCHAR, claimed_severity VARCHAR, claimed_label VARCHAR,
            final_severity VARCHAR, final_label VARCHAR, false_positive BOOLEAN, merged_into VARCHAR,
            duplicate_group VARCHAR, shared_with VARCHAR[], unique_insight BOOLEAN, status VARCHAR,
            flags VARCHAR[], provenance VARCHAR, agreement VARCHAR, line INTEGER)""",
        """CREATE TABLE agent_findings (review_id VARCHAR, finding_key VARCHAR, agent VARCHAR, model VARCHAR,
            source VARCHAR)""",
        """CREATE TABLE claims (
            review_id VARCHAR, finding_key VARCHAR, kind VARCHAR, status VARCHAR, path VARCHAR,
            start_line INTEGER, end_line INTEGER, detail VARCHAR)""",
        """CREATE TABLE rule_hits (review_id VARCHAR, finding_key VARCHAR, code VARCHAR, name VARCHAR,
            effect VARCHAR)""",
        """CREATE TABLE consolidator (
            review_id VARCHAR, agent VARCHAR, written VARCHAR, decision VARCHAR, linked_key VARCHAR,
            link VARCHAR, reviewvet_decision VARCHAR, agrees BOOLEAN, text VARCHAR)""",
    ],
    # Graded verdicts: how certain each finding's and each claim's answer is, and on what evidence.
    2: [
        "ALTER TABLE reviews ADD COLUMN head_evidence VARCHAR",
        "ALTER TABLE findings ADD COLUMN verdict VARCHAR",
        "ALTER TABLE findings ADD COLUMN evidence VARCHAR",
        "ALTER TABLE claims ADD COLUMN grade VARCHAR",
        "ALTER TABLE claims ADD COLUMN evidence VARCHAR",
    ],
}


class StoreError(ReviewvetError):
    """The audit store cannot be opened or written."""


def default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(os.environ.get("REVIEWVET_DB") or Path(base) / "reviewvet" / "audit.duckdb")


class Store:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        import duckdb

        self.path = path
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise StoreError(f"audit store {str(path)!r} does not exist; ingest reviews first")
        try:
            self.db = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" in message.lower():
                raise StoreError(f"audit store {str(path)!r} is in use by another reviewvet process; "
                                 "try again when it has finished") from exc
            raise StoreError(f"audit store {str(path)!r} cannot be opened: {message.split(': ', 1)[-1]}") from exc
        except duckdb.Error as exc:
            raise StoreError(f"audit store {str(path)!r} cannot be opened: {exc}") from exc
        if not read_only:
            self.migrate()
        else:
            self._check_version()

    def _check_version(self) -> None:
        """A read-only store must be one this reviewvet understands."""
        import duckdb

        try:
            have = self.version()
        except duckdb.Error as exc:
            raise StoreError(f"{str(self.path)!r} is not a reviewvet audit store (no schema_version table)") from exc
        if have > SCHEMA_VERSION:
            raise StoreError(f"audit store {str(self.path)!r} has schema version {have}; this reviewvet knows "
                             f"{SCHEMA_VERSION}: upgrade reviewvet")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------------

    def migrate(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied_at TIMESTAMP)")
        current = self.db.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        have = int(current[0]) if current else 0
        if have > SCHEMA_VERSION:
            raise StoreError(f"audit store {str(self.path)!r} has schema version {have}; this reviewvet knows "
                             f"{SCHEMA_VERSION}: upgrade reviewvet")
        for version in range(have + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in _MIGRATIONS[version]:
                    self.db.execute(statement)
                self.db.execute("INSERT INTO schema_version VALUES (?, now())", [version])

    def version(self) -> int:
        row = self.db.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    # -- writing ----------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def has_review(self, review_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM reviews WHERE review_id = ?", [review_id]).fetchone() is not None

    def status_of(self, review_id: str) -> str | None:
        row = self.db.execute("SELECT status FROM reviews WHERE review_id = ?", [review_id]).fetchone()
        return str(row[0]) if row else None

    def reviews_from(self, source: str) -> list[str]:
        rows = self.db.execute("SELECT review_id FROM reviews WHERE source = ?", [source]).fetchall()
        return [r[0] for r in rows]

    def write_review(self, rows: dict[str, list[Sequence[Any]]], replaces: list[str]) -> None:
        """All rows of one review, replacing older versions of the same source, atomically."""
        with self.transaction():
            for old in replaces:
                for table in TABLES:
                    self.db.execute(f"DELETE FROM {table} WHERE review_id = ?", [old])
            for table in TABLES:
                for row in rows.get(table, []):
                    marks = ", ".join("?" * len(row))
                    self.db.execute(f"INSERT INTO {table} VALUES ({marks})", list(row))

    # -- reading ----------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        import duckdb

        try:
            cursor = self.db.execute(sql, list(params))
        except duckdb.Error as exc:
            raise StoreError(f"query failed: {str(exc).splitlines()[0]}") from exc
        columns = [d[0] for d in cursor.description] if cursor.description else []
        return columns, cursor.fetchall()

    def export(self, sql: str, target: Path, fmt: str) -> None:
        """Write a query's result as CSV or Parquet through DuckDB's COPY (written whole or not at all)."""
        import duckdb

        options = "FORMAT CSV, HEADER" if fmt == "csv" else "FORMAT PARQUET"
        partial = target.with_name(f".{target.name}.partial")
        try:
            self.db.execute(f"COPY ({sql}) TO '{_quote(str(partial))}' ({options})")
        except duckdb.Error as exc:
            partial.unlink(missing_ok=True)
            raise StoreError(f"export to {str(target)!r} failed: {str(exc).splitlines()[0]}") from exc
        os.replace(partial, target)


def _quote(text: str) -> str:
    return text.replace("'", "''")

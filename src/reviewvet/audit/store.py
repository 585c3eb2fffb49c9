"""The audit store: the one module that talks to DuckDB.

The schema is created and migrated here (``schema_version`` records what was applied).
Each review is written in one transaction: a crash or Ctrl-C mid-review leaves the store
as it was before that review. A review is identified by the hash of its text; ingesting
the same text again changes nothing, and a changed report (same source, new text)
replaces its old rows in the same transaction that writes the new ones.

Every connection is locked down before any statement runs: no file outside the store
(``enable_external_access``; the report's CSV/Parquet export alone asks for files), no
extension installed or loaded, and the configuration locked so no query can change that.
A store is checked before it is used: a DuckDB file (not another file), not cut short,
and a reviewvet store — a DuckDB file of another program is never written into.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from reviewvet.errors import ReviewvetError

SCHEMA_VERSION = 4
TABLES = ("reviews", "agents", "findings", "agent_findings", "claims", "rule_hits", "consolidator", "challenges")
# The schema version that created each table added after the first: an older store lacks it until migrated.
TABLE_SINCE = {"challenges": 4}

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
    # How each review's head was chosen: review, pr-ref, subjects, branch or map (NULL: not verified).
    3: [
        "ALTER TABLE reviews ADD COLUMN head_how VARCHAR",
    ],
    # Challenged findings: what the model asked answered (withdraw, amend, defend, or failed), the claim it
    # made instead (JSON text) and that claim's verdict when verified again, and what the question cost.
    # ``agents``: the agent families the finding belongs to, as agent_findings attributes them.
    4: [
        """CREATE TABLE challenges (
            review_id VARCHAR, finding_key VARCHAR, agents VARCHAR[], provider VARCHAR, model VARCHAR,
            outcome VARCHAR, reason VARCHAR, claim VARCHAR, regrade VARCHAR, flags VARCHAR[], survived BOOLEAN,
            input_tokens BIGINT, output_tokens BIGINT, cost_usd DOUBLE, seconds DOUBLE)""",
    ],
}

# DuckDB's file header and its two database headers come before the first block.
_HEADER_BYTES = 3 * 4096
# The only statements `audit sql` runs. DuckDB parses DESCRIBE, SHOW, SUMMARIZE, VALUES and
# FROM-first queries as SELECT. PRAGMA is refused: some pragmas set options or write files
# (profiling_output); its read-only forms are table functions: SELECT * FROM pragma_table_info('claims').
_ALLOWED = "SELECT statements only (WITH … SELECT, DESCRIBE, SHOW TABLES and SUMMARIZE are SELECTs too)"
# Statements in one `audit sql` text: each may hold --max-rows rows in memory until all are printed.
MAX_STATEMENTS = 100

_KIND_NAMES = {"LOAD": "INSTALL or LOAD", "VARIABLE_SET": "SET VARIABLE", "COPY_DATABASE": "COPY FROM DATABASE"}


class StoreError(ReviewvetError):
    """The audit store cannot be opened, read or written."""


class StoreRowsError(StoreError):
    """One review's rows cannot be stored (a value out of range, the wrong shape); the store is
    as it was before that review, and ingest goes on with the next one."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool  # more rows than max_rows were there
    statement: str = ""  # the statement's text, without the semicolon that ends it


@dataclass(frozen=True)
class StoredHead:
    """What the store says of one review's verification (NULLs as None)."""

    status: str | None
    evidence: str | None  # reviewed-head, substitute-head, user-given-head
    how: str | None  # review, pr-ref, subjects, branch, map
    head: str | None
    date: str | None  # the review's date, YYYY-MM-DD


def tables_at(version: int) -> tuple[str, ...]:
    """The tables a store of schema ``version`` has (none before version 1)."""
    return tuple(t for t in TABLES if 1 <= TABLE_SINCE.get(t, 1) <= version)


def default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(os.environ.get("REVIEWVET_DB") or Path(base) / "reviewvet" / "audit.duckdb")


STORAGE_VERSION = "v2.0.0"  # see pyproject.toml's duckdb pin


def _config(*, files: bool) -> dict[str, Any]:
    """Locked down: no extension installed or loaded, no file but the store unless ``files``."""
    config: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                              "allow_community_extensions": False,
                              # written in the oldest format of the pinned major version, so that any
                              # DuckDB client of that major version reads the store
                              "storage_compatibility_version": STORAGE_VERSION}
    if not files:
        config["enable_external_access"] = False
    config["lock_configuration"] = True
    return config


class Store:
    """The audit store at ``path``. ``read_only`` for reports and queries; ``files`` lets
    :meth:`export` write CSV and Parquet files (nothing else asks for a file)."""

    def __init__(self, path: Path, *, read_only: bool = False, files: bool = False) -> None:
        self.path = path
        self._types: dict[str, list[str]] = {}
        if read_only and not path.exists():
            raise StoreError(f"audit store {str(path)!r} does not exist; ingest reviews first")
        if not read_only and path.exists():
            self._open(read_only=True, files=False, empty_ok=True).close()  # looked at before any write
        elif not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = self._open(read_only=read_only, files=files, empty_ok=not read_only)
        if not read_only:
            try:
                self.migrate()
            except BaseException:
                self.db.close()
                raise

    def _open(self, *, read_only: bool, files: bool, empty_ok: bool) -> Any:
        """A connection to a DuckDB file that is whole and a reviewvet store (or empty, when
        ``empty_ok``)."""
        self.db = self._connect(read_only=read_only, files=files)
        try:
            self._check_intact()
            self._check_is_store(empty_ok=empty_ok)
        except BaseException:
            self.db.close()
            raise
        return self.db

    def _connect(self, *, read_only: bool, files: bool) -> Any:
        import duckdb

        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"audit store {str(self.path)!r} is not a file")
        try:
            return duckdb.connect(str(self.path), read_only=read_only, config=_config(files=files))
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "lock" in message.lower():
                raise StoreError(f"audit store {str(self.path)!r} is in use by another reviewvet process; "
                                 "try again when it has finished") from exc
            if "not a valid DuckDB database file" in message:
                raise StoreError(f"audit store {str(self.path)!r} cannot be opened: it is not a DuckDB "
                                 "database file") from exc
            raise StoreError(f"audit store {str(self.path)!r} cannot be opened: "
                             f"{message.split(': ', 1)[-1]}") from exc

    def _check_intact(self) -> None:
        """A file cut short still opens while its catalog survives; the blocks its header
        counts must all be there, or the answers would be wrong or fail halfway."""
        row = self._fetch("SELECT total_blocks, block_size FROM pragma_database_size() "
                          "WHERE database_name = current_database()")
        if not row:
            return
        need, have = _HEADER_BYTES + int(row[0][0]) * int(row[0][1]), self.path.stat().st_size
        if have < need:
            raise StoreError(f"audit store {str(self.path)!r} is truncated: {have} bytes, its header "
                             f"counts {need}; restore it from a copy")

    def _check_is_store(self, *, empty_ok: bool) -> None:
        """A reviewvet store: ``schema_version`` and every table of its version, and no newer
        version; or, when ``empty_ok``, a DuckDB file with nothing in it yet."""
        names = {r[0] for r in self._fetch(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
            "AND NOT internal")}
        if not names and empty_ok:
            return
        if "schema_version" not in names:
            found = ", ".join(repr(n) for n in sorted(names)[:5]) or "no tables"
            raise StoreError(f"{str(self.path)!r} is not a reviewvet audit store (no schema_version table; "
                             f"it has {found}); reviewvet will not write into it")
        have = self.version()
        if have > SCHEMA_VERSION:
            raise StoreError(f"audit store {str(self.path)!r} has schema version {have}; this reviewvet knows "
                             f"{SCHEMA_VERSION}: upgrade reviewvet")
        missing = [t for t in tables_at(have) if t not in names]
        if missing:
            raise StoreError(f"{str(self.path)!r} is not a reviewvet audit store: schema version {have} "
                             f"but no table {', '.join(map(repr, missing))}")

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        import duckdb

        try:
            return list(self.db.execute(sql, list(params)).fetchall())
        except duckdb.Error as exc:
            raise self._damaged(exc) from exc
        except RuntimeError as exc:
            _reraise(exc)

    def _damaged(self, exc: Exception) -> StoreError:
        return StoreError(f"audit store {str(self.path)!r} cannot be read: {_first_line(exc)}")

    def _failed(self, exc: Exception) -> StoreError:
        """A query's error: the store's own fault (a damaged file) names the store."""
        return self._damaged(exc) if _is_damage(exc) else StoreError(f"query failed: {_first_line(exc)}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------------

    def migrate(self) -> None:
        self._check_is_store(empty_ok=True)  # nothing is created in another program's database
        have = self.version() if self._has_version_table() else 0
        for version in range(have + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                if version == 1:
                    self.db.execute("CREATE TABLE IF NOT EXISTS schema_version "
                                    "(version INTEGER, applied_at TIMESTAMP)")
                for statement in _MIGRATIONS[version]:
                    self.db.execute(statement)
                self.db.execute("INSERT INTO schema_version VALUES (?, now())", [version])

    def _has_version_table(self) -> bool:
        return bool(self._fetch("SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() "
                                "AND table_name = 'schema_version'"))

    def version(self) -> int:
        row = self._fetch("SELECT coalesce(max(version), 0) FROM schema_version")
        return int(row[0][0]) if row else 0

    def has_table(self, table: str) -> bool:
        """Whether the store has ``table``: a store opened read-only is not migrated, so an old one may lack it."""
        return table in tables_at(self.version())

    # -- writing ----------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; any exception (Ctrl-C included) rolls it back and is raised again.
        Ctrl-C while DuckDB runs a statement reaches here as DuckDB's 'Query interrupted'
        RuntimeError; it leaves as the KeyboardInterrupt it was."""
        import duckdb

        self.db.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException as exc:
            try:
                self.db.execute("ROLLBACK")
            except (duckdb.Error, RuntimeError):
                pass  # an aborted transaction is discarded with the connection anyway
            if isinstance(exc, RuntimeError):
                _reraise(exc)
            raise
        try:
            self.db.execute("COMMIT")
        except RuntimeError as exc:
            _reraise(exc)

    def has_review(self, review_id: str) -> bool:
        return bool(self._fetch("SELECT 1 FROM reviews WHERE review_id = ?", [review_id]))

    def status_of(self, review_id: str) -> str | None:
        row = self._fetch("SELECT status FROM reviews WHERE review_id = ?", [review_id])
        return str(row[0][0]) if row else None

    def head_of(self, review_id: str) -> StoredHead | None:
        """How a stored review was verified: its status, head and how certain that head is."""
        row = self._fetch("SELECT status, head_evidence, head_how, head_used, review_date FROM reviews "
                          "WHERE review_id = ?", [review_id])
        return StoredHead(*row[0]) if row else None

    def reviews_from(self, source: str) -> list[str]:
        return [r[0] for r in self._fetch("SELECT review_id FROM reviews WHERE source = ?", [source])]

    def write_review(self, rows: dict[str, list[Sequence[Any]]], replaces: list[str]) -> None:
        """All rows of one review, replacing older versions of the same source, atomically.
        Each table's rows go in with one statement. StoreRowsError when the rows do not fit
        (the store is as before); StoreError when the store cannot be written."""
        import duckdb

        try:
            with self.transaction():
                for old in replaces:
                    for table in TABLES:
                        self.db.execute(f"DELETE FROM {table} WHERE review_id = ?", [old])
                for table in TABLES:
                    if rows.get(table):
                        self._insert(table, rows[table])
        except (duckdb.DataError, duckdb.IntegrityError) as exc:
            raise StoreRowsError(f"cannot be stored: {_first_line(exc)}") from exc
        except duckdb.Error as exc:
            raise StoreError(f"audit store {str(self.path)!r} cannot be written: {_first_line(exc)}") from exc

    def _insert(self, table: str, rows: list[Sequence[Any]]) -> None:
        """All rows of a table by one INSERT: a list parameter per column, unnested side by side
        (row-by-row INSERTs cost a statement each: 60 000 rows took a minute)."""
        types = self._column_types(table)
        for row in rows:
            if len(row) != len(types):
                raise StoreRowsError(f"cannot be stored: a row of {table!r} has {len(row)} values, "
                                     f"the table {len(types)} columns")
        columns = [list(column) for column in zip(*rows, strict=True)]
        values = ", ".join(f"unnest(?::{t}[])" for t in types)
        self.db.execute(f"INSERT INTO {table} SELECT {values}", columns)

    def _column_types(self, table: str) -> list[str]:
        if table not in self._types:
            self._types[table] = [r[0] for r in self._fetch(
                "SELECT data_type FROM duckdb_columns() WHERE database_name = current_database() "
                "AND table_name = ? ORDER BY column_index", [table])]
        return self._types[table]

    # -- reading ----------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """One of reviewvet's own queries."""
        import duckdb

        try:
            cursor = self.db.execute(sql, list(params))
        except duckdb.Error as exc:
            raise self._failed(exc) from exc
        except RuntimeError as exc:
            _reraise(exc)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        return columns, cursor.fetchall()

    def user_query(self, sql: str, *, max_rows: int, timeout: float) -> list[QueryResult]:
        """A query text the user wrote: one or more SELECT statements, every one checked before any
        runs (:func:`select_statements`), run in order and stopped once ``timeout`` seconds have
        passed in all, at most ``max_rows`` rows fetched of each. The store must be open read-only
        (it is, for `audit sql`)."""
        statements = select_statements(sql)
        deadline = time.monotonic() + timeout
        results = []
        for number, statement in enumerate(statements, 1):
            where = f" at statement {number} of {len(statements)}, {_short(_statement_text(statement))!r}" if (
                len(statements) > 1) else ""
            results.append(self._user_select(statement, max_rows, (deadline, timeout), where))
        return results

    def _user_select(self, statement: Any, max_rows: int, limit: tuple[float, float], where: str) -> QueryResult:
        """One checked statement, interrupted at the deadline of ``limit`` (deadline, seconds)."""
        import duckdb

        deadline, timeout = limit
        if time.monotonic() >= deadline:
            raise _over_time(timeout)
        try:
            with self._interrupted_at(deadline):
                cursor = self.db.execute(statement)
                columns = [d[0] for d in cursor.description] if cursor.description else []
                rows = cursor.fetchmany(max_rows + 1)
        except duckdb.InterruptException as exc:
            raise _over_time(timeout) from exc
        except duckdb.Error as exc:
            if _is_damage(exc):
                raise self._damaged(exc) from exc
            raise StoreError(f"query failed{where}: {_first_line(exc)}") from exc
        except RuntimeError as exc:
            _reraise(exc)
        return QueryResult(columns, rows[:max_rows], len(rows) > max_rows, _statement_text(statement))

    @contextmanager
    def _interrupted_at(self, deadline: float) -> Iterator[None]:
        """Interrupt the statement this block runs once ``deadline`` (time.monotonic) has passed, and
        again every 50 ms until the block ends: DuckDB forgets an interrupt sent before a statement starts."""
        done = threading.Event()

        def watch() -> None:
            done.wait(max(deadline - time.monotonic(), 0.0))
            while not done.is_set():
                self.db.interrupt()
                done.wait(0.05)

        watcher = threading.Thread(target=watch, name="reviewvet-sql-deadline", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()
            watcher.join()  # no interrupt reaches a later statement

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


def select_statements(sql: str) -> list[Any]:
    """The statements of ``sql`` as DuckDB's own parser splits them, when every one is a SELECT;
    StoreError naming the first that is not otherwise (so nothing runs)."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(f"query {_short(sql)!r} is not valid SQL: {_first_line(exc)}") from exc
    if not statements:
        raise StoreError(f"query {_short(sql)!r} is empty; give {_ALLOWED}")
    if len(statements) > MAX_STATEMENTS:
        raise StoreError(f"query {_short(sql)!r} has {len(statements)} statements; give at most {MAX_STATEMENTS}")
    for number, statement in enumerate(statements, 1):
        if statement.type != duckdb.StatementType.SELECT:
            raise StoreError(_refusal(sql, statement, number, len(statements)))
    return statements


def _refusal(sql: str, statement: Any, number: int, count: int) -> str:
    """Why the query text ``sql`` is refused: its statement ``number`` (of ``count``) is not a SELECT."""
    kind = statement.type.name
    name = _KIND_NAMES.get(kind, kind.replace("_", " "))
    article = "an" if name[0] in "AEIOU" else "a"
    hint = " (for pragma_table_info and the like: SELECT * FROM pragma_table_info('claims'))" if (
        kind == "PRAGMA") else ""
    what = f"is {article} {name} statement"
    if count > 1:
        what = f"was not run: its statement {number} of {count}, {_short(_statement_text(statement))!r}, {what}"
    return f"query {_short(sql)!r} {what}; the store is read-only here: give {_ALLOWED}{hint}"


def _statement_text(statement: Any) -> str:
    """A parsed statement's text as written, without the space around it and its closing semicolon."""
    return str(statement.query).strip().removesuffix(";").rstrip()


def _over_time(timeout: float) -> StoreError:
    return StoreError(f"query stopped after its time limit of {timeout:g} s", field="timeout")


def _reraise(exc: RuntimeError) -> NoReturn:
    """DuckDB turns Ctrl-C during a statement into RuntimeError('Query interrupted'): raise the
    KeyboardInterrupt it was. Any other RuntimeError is raised as it is."""
    if "interrupted" in str(exc).lower():
        raise KeyboardInterrupt from exc
    raise exc


def _is_damage(exc: Exception) -> bool:
    """DuckDB's errors about the file itself: a failed checksum (a bare duckdb.Error), I/O, internal."""
    import duckdb

    damage = (duckdb.IOException, duckdb.InternalException, duckdb.FatalException, duckdb.SerializationException)
    return type(exc) is duckdb.Error or isinstance(exc, damage) or "corrupt" in str(exc).lower()


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _short(sql: str, limit: int = 60) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _quote(text: str) -> str:
    return text.replace("'", "''")

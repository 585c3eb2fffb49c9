"""The audit store: schema and migrations, refusing stores it cannot use, one transaction per review."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from reviewvet.audit.store import SCHEMA_VERSION, TABLES, Store, StoreError

from .helpers import DEMO_REVIEW, cli, cli_process, counts, query


def review_row(rid: str, title: str) -> tuple[object, ...]:
    """A row of `reviews` (18 columns)."""
    return (rid, f"{rid}.md", title, "acme/kettle", 7, "pr", "1", "2026-02-10", "2026-02", "markdown",
            "abc1234", None, None, "unverified", "test", 0, None, None)


def test_fresh_store_has_schema_version_2_and_every_table(tmp_path: Path) -> None:
    db = tmp_path / "new" / "audit.duckdb"
    with Store(db) as store:
        assert store.version() == SCHEMA_VERSION == 2
    names = {r[0] for r in query(db, "SELECT table_name FROM duckdb_tables()")}
    assert names == {*TABLES, "schema_version"}


def test_reopening_does_not_migrate_twice(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    Store(db).close()
    Store(db).close()
    assert query(db, "SELECT version FROM schema_version ORDER BY version") == [(1,), (2,)]


def test_a_version_1_store_gains_the_verdict_columns(tmp_path: Path) -> None:
    from reviewvet.audit.store import _MIGRATIONS

    db = tmp_path / "audit.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    for statement in _MIGRATIONS[1]:
        con.execute(statement)
    con.execute("INSERT INTO schema_version VALUES (1, now())")
    con.close()
    with Store(db) as store:
        assert store.version() == 2
    columns = {r[0] for r in query(db, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'findings'")}
    assert {"verdict", "evidence"} <= columns


def test_store_with_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (3, now())")
    con.close()
    with pytest.raises(StoreError, match=r"schema version 3; this reviewvet knows 2: upgrade reviewvet"):
        Store(db)
    assert query(db, "SELECT max(version) FROM schema_version") == [(3,)]


def test_report_refuses_a_store_with_a_newer_schema(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (3, now())")
    con.close()
    code, _, err = cli("audit", "report", "--db", db)
    assert code == 2
    assert "schema version 3" in err


def test_corrupted_store_exits_2_naming_it_and_is_left_alone(tmp_path: Path, demo_repo) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "audit.duckdb"
    garbage = bytes(range(256)) * 64  # 16 KiB that are no DuckDB file
    db.write_bytes(garbage)
    code, out, err = cli("audit", "ingest", DEMO_REVIEW, "--repo", demo_repo.path, "--db", db)
    assert code == 2
    assert err.startswith("reviewvet: error: audit store ")
    assert str(db) in err and "cannot be opened" in err
    assert "Traceback" not in err and out == ""
    assert db.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.duckdb"]  # no WAL or new file beside it


def test_store_held_by_another_process_is_in_use(tmp_path: Path, demo_repo) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "audit.duckdb"
    Store(db).close()
    with subprocess.Popen(
            [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                                   "print('held', flush=True); time.sleep(60)", str(db)],
            stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            code, out, err = cli("audit", "ingest", DEMO_REVIEW, "--repo", demo_repo.path, "--db", db)
        finally:
            holder.kill()
    assert code == 2
    assert "is in use by another reviewvet process" in err and str(db) in err
    assert out == ""
    assert counts(db)["reviews"] == 0


def test_store_held_in_this_process_is_in_use_for_a_cli_in_another(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    with Store(db):
        proc = cli_process("audit", "sql", "SELECT count(*) FROM reviews", "--db", db)
    assert proc.returncode == 2
    assert "in use" in proc.stderr and "Traceback" not in proc.stderr


def test_a_write_failing_halfway_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    with Store(db) as store:
        store.write_review({"reviews": [review_row("a" * 32, "first")],
                            "agents": [("a" * 32, "Claude", "Claude Opus 4.7", "high")]}, [])
    before = counts(db)
    with Store(db) as store, pytest.raises(duckdb.Error):
        # Replaces the first review; its reviews and agents rows go in, then findings has 3 of 22 columns.
        store.write_review({"reviews": [review_row("b" * 32, "second")],
                            "agents": [("b" * 32, "Codex", "Codex GPT 5.4", "high")],
                            "findings": [("b" * 32, "consolidated/I1", "consolidated")]}, ["a" * 32])
    assert counts(db) == before
    assert query(db, "SELECT review_id, title FROM reviews") == [("a" * 32, "first")]
    assert query(db, "SELECT agent FROM agents") == [("Claude",)]

"""The audit store: schema and migrations, refusing stores it cannot use, one transaction per review."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from reviewvet.audit.store import SCHEMA_VERSION, TABLES, Store, StoreError, StoreRowsError

from .helpers import (
    DEMO_REVIEW,
    cli,
    cli_process,
    ctrl_c_at,
    counts,
    ctrl_c_inside,
    fill_store,
    finding_row,
    query,
    review_row,
    synthetic_rows,
)


def test_fresh_store_has_schema_version_4_and_every_table(tmp_path: Path) -> None:
    db = tmp_path / "new" / "audit.duckdb"
    with Store(db) as store:
        assert store.version() == SCHEMA_VERSION == 4
    names = {r[0] for r in query(db, "SELECT table_name FROM duckdb_tables()")}
    assert names == {*TABLES, "schema_version"}


def test_reopening_does_not_migrate_twice(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    Store(db).close()
    Store(db).close()
    assert query(db, "SELECT version FROM schema_version ORDER BY version") == [(1,), (2,), (3,), (4,)]


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
        assert store.version() == 4
    columns = {r[0] for r in query(db, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'findings'")}
    assert {"verdict", "evidence"} <= columns


def test_a_version_2_store_gains_head_how_and_keeps_its_reviews(tmp_path: Path) -> None:
    from reviewvet.audit.store import _MIGRATIONS

    db = tmp_path / "audit.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    for version in (1, 2):
        for statement in _MIGRATIONS[version]:
            con.execute(statement)
        con.execute("INSERT INTO schema_version VALUES (?, now())", [version])
    con.execute("INSERT INTO reviews (review_id, status, head_evidence) VALUES ('r1', 'verified', 'reviewed-head')")
    con.close()
    with Store(db) as store:
        assert store.version() == 4
        stored = store.head_of("r1")
    assert stored is not None and (stored.status, stored.evidence, stored.how) == ("verified", "reviewed-head", None)
    assert query(db, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'reviews' "
                     "ORDER BY column_index DESC LIMIT 2") == [("head_how",), ("head_evidence",)]
    assert query(db, "SELECT version FROM schema_version ORDER BY version") == [(1,), (2,), (3,), (4,)]


def test_store_with_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (5, now())")
    con.close()
    with pytest.raises(StoreError, match=r"schema version 5; this reviewvet knows 4: upgrade reviewvet"):
        Store(db)
    assert query(db, "SELECT max(version) FROM schema_version") == [(5,)]


def test_report_refuses_a_store_with_a_newer_schema(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (5, now())")
    con.close()
    code, _, err = cli("audit", "report", "--db", db)
    assert code == 2
    assert "schema version 5" in err


def test_corrupted_store_exits_2_naming_it_and_is_left_alone(tmp_path: Path, demo_repo) -> None:
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


def test_store_held_by_another_process_is_in_use(tmp_path: Path, demo_repo) -> None:
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
    with Store(db) as store, pytest.raises(StoreRowsError, match="out of range for the destination type INT32"):
        # Replaces the first review; its reviews and agents rows go in, then a finding's line does not fit.
        store.write_review({"reviews": [review_row("b" * 32, "second")],
                            "agents": [("b" * 32, "Codex", "Codex GPT 5.4", "high")],
                            "findings": [finding_row("b" * 32, 1, line=2**31)]}, ["a" * 32])
    assert counts(db) == before
    assert query(db, "SELECT review_id, title FROM reviews") == [("a" * 32, "first")]
    assert query(db, "SELECT agent FROM agents") == [("Claude",)]


# -- files that are not (whole) reviewvet stores ----------------------------------------------------


def foreign_duckdb(path: Path) -> bytes:
    """Another program's DuckDB file; its bytes."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (id INTEGER, total DECIMAL(10, 2))")
    con.execute("INSERT INTO orders VALUES (1, 9.99), (2, 19.99)")
    con.close()
    return path.read_bytes()


def test_ingest_into_another_programs_duckdb_file_is_refused_before_any_ddl(tmp_path: Path, demo_repo) -> None:
    db = tmp_path / "orders.duckdb"
    before = foreign_duckdb(db)
    code, out, err = cli("audit", "ingest", DEMO_REVIEW, "--repo", demo_repo.path, "--db", db)
    assert (code, out) == (2, "")
    assert err == (f"reviewvet: error: {str(db)!r} is not a reviewvet audit store (no schema_version table; "
                   "it has 'orders'); reviewvet will not write into it\n")
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.duckdb"]
    assert query(db, "SELECT table_name FROM duckdb_tables()") == [("orders",)]


@pytest.mark.parametrize("command", [("sql", "SELECT 1"), ("report",)])
def test_reading_another_programs_duckdb_file_exits_2_naming_it(tmp_path: Path, command: tuple[str, ...]) -> None:
    db = tmp_path / "orders.duckdb"
    before = foreign_duckdb(db)
    code, out, err = cli("audit", *command, "--db", db)
    assert (code, out) == (2, "")
    assert err.startswith(f"reviewvet: error: {str(db)!r} is not a reviewvet audit store")
    assert db.read_bytes() == before


def test_an_empty_duckdb_file_becomes_a_store(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    duckdb.connect(str(db)).close()
    with Store(db) as store:
        assert store.version() == SCHEMA_VERSION


def test_a_store_missing_one_of_its_tables_is_not_a_store(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE claims")
    con.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match=r"is not a reviewvet audit store: schema version 4 but no table 'claims'"):
        Store(db)
    assert db.read_bytes() == before


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """A store of 102 reviews spanning several of DuckDB's blocks."""
    db = tmp_path / "audit.duckdb"
    fill_store(db, 102)
    assert db.stat().st_size > 4 * 262144
    return db


@pytest.mark.parametrize("cut", [1, 4096, 200_000, "half"])
def test_a_truncated_store_answers_nothing_and_is_left_as_it_is(filled: Path, cut: int | str,
                                                                demo_repo) -> None:
    size = filled.stat().st_size
    with filled.open("r+b") as handle:
        handle.truncate(size // 2 if cut == "half" else size - int(cut))
    damaged = filled.read_bytes()
    for command in (("sql", "SELECT count(*) FROM reviews"), ("report",),
                    ("ingest", DEMO_REVIEW, "--repo", demo_repo.path)):
        code, out, err = cli("audit", *command, "--db", filled)
        assert (code, out) == (2, ""), (command, out)
        assert err.startswith(f"reviewvet: error: audit store {str(filled)!r} ")
        assert "truncated" in err or "cannot be opened" in err, err
        assert "Traceback" not in err and len(err.splitlines()) == 1
    assert filled.read_bytes() == damaged
    assert sorted(p.name for p in filled.parent.iterdir()) == ["audit.duckdb"]


def test_a_store_with_damaged_blocks_exits_2_naming_it(filled: Path) -> None:
    import hashlib

    with Store(filled, read_only=True) as store:
        [(blocks, size)] = store.query("SELECT total_blocks, block_size FROM pragma_database_size()")[1]
    with filled.open("r+b") as handle:  # a few bytes flipped at the start of every block of data
        for block in range(1, blocks):
            handle.seek(3 * 4096 + block * size + 8)
            data = handle.read(32)
            handle.seek(3 * 4096 + block * size + 8)
            handle.write(bytes(b ^ 0xFF for b in data))
    digest = hashlib.sha256(filled.read_bytes()).hexdigest()
    query_all = "SELECT max(title), max(detail) FROM findings JOIN claims USING (review_id, finding_key)"
    code, out, err = cli("audit", "sql", query_all, "--db", filled)
    assert (code, out) == (2, "")
    assert err.startswith(f"reviewvet: error: audit store {str(filled)!r} cannot be ")
    assert "Corrupt database file" in err and "Traceback" not in err
    assert hashlib.sha256(filled.read_bytes()).hexdigest() == digest


# -- Ctrl-C --------------------------------------------------------------------------------------------


def test_ctrl_c_while_duckdb_runs_a_write_is_a_keyboard_interrupt_and_rolls_it_back(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    fill_store(db, 2)
    before = counts(db)
    slow = "INSERT INTO claims SELECT 'r', 'k', 'line', 'exact', 'p', 1, 2, 'd', NULL, NULL FROM range(2000000)"
    with Store(db) as store:
        # DuckDB reports Ctrl-C during a statement as RuntimeError('Query interrupted'); it must
        # leave the transaction as the KeyboardInterrupt it was, the statement undone.
        this = "test_ctrl_c_while_duckdb_runs_a_write_is_a_keyboard_interrupt_and_rolls_it_back"
        with ctrl_c_inside(this, at="store.db.execute(slow)", after=0.05, simulated=True) as pressed, \
                pytest.raises(KeyboardInterrupt) as caught:
            with store.transaction():
                store.db.execute("DELETE FROM reviews")
                store.db.execute(slow)
        assert pressed and isinstance(caught.value.__cause__, RuntimeError)  # it came through DuckDB
        store.write_review(synthetic_rows("f" * 32, 1), [])  # the connection is still usable
    assert counts(db) == {**before, "reviews": before["reviews"] + 1, "findings": before["findings"] + 1,
                          "agents": before["agents"] + 1, "claims": before["claims"] + 5}


def test_ctrl_c_while_ingest_writes_a_review_exits_130_and_the_store_is_as_before_it(tmp_path: Path) -> None:
    review = tmp_path / "review.json"
    findings = [{"id": f"I{n}", "title": f"finding {n}", "severity": "important",
                 "locations": [{"path": "kettle/boil.go", "start": n + 1}]} for n in range(100)]
    review.write_text(json.dumps({"reviewvet_claims": 1, "head": "0924ff3", "findings": findings}))
    db = tmp_path / "audit.duckdb"
    with Store(db) as store:  # another, big review: deleting the old rows of the next one takes a while
        store.write_review(synthetic_rows("e" * 32, 40_000), [])
    assert cli("audit", "ingest", review, "--db", db)[0] == 0
    before = query(db, "SELECT * FROM reviews ORDER BY ALL"), counts(db)
    findings[0]["title"] = "changed"  # a changed report: its old rows are deleted, then the new ones written
    review.write_text(json.dumps({"reviewvet_claims": 1, "head": "0924ff3", "findings": findings}))
    with ctrl_c_at("write_review", 'self.db.execute(f"DELETE', where={"table": "claims"}) as pressed:
        code, out, err = cli("audit", "ingest", review, "--db", db)
    assert pressed == ["write_review"]
    assert (code, out, err) == (130, "", "reviewvet: interrupted\n")
    assert (query(db, "SELECT * FROM reviews ORDER BY ALL"), counts(db)) == before

"""`reviewvet audit sql` is one read-only SELECT: nothing written, no other file read, no extension
loaded, bounded in time and rows. Each probe is refused with exit 2 and leaves every file as it was."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from .helpers import cli, counts, fill_store

SECRET = "the-secret-is-42"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a store of 102 reviews and a file no query may read."""
    folder = tmp_path_factory.mktemp("sql")
    fill_store(folder / "audit.duckdb", 102)
    (folder / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def refused(folder: Path, query: str, monkeypatch: pytest.MonkeyPatch, *extra: str) -> str:
    """Run the query from inside ``folder``; it must exit 2 with one line, and change nothing."""
    monkeypatch.chdir(folder)
    db = folder / "audit.duckdb"
    before, rows = snapshot(folder), counts(db)
    code, out, err = cli("audit", "sql", query, "--db", db, *extra)
    assert (code, out) == (2, ""), err
    assert err.startswith("reviewvet: error: ") and len(err.splitlines()) == 1 and "Traceback" not in err
    assert SECRET not in err
    assert snapshot(folder) == before and counts(db) == rows == {**rows, "reviews": 102}
    return err


@pytest.mark.parametrize("query", [
    "SELECT count(*) FROM reviews; DELETE FROM reviews",
    "SELECT 1; SELECT 2",
    # The reported escape: a writable second database, then the store detached and attached writable.
    "ATTACH 'other.duckdb' AS other (READ_WRITE); USE other; DETACH audit; "
    "ATTACH 'audit.duckdb' AS audit2 (READ_WRITE); DELETE FROM audit2.reviews WHERE review_id > '0000000c'",
])
def test_more_than_one_statement_is_refused(store_dir: Path, query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    n = query.count(";") + 1
    assert f"has {n} statements; give a single SELECT" in refused(store_dir, query, monkeypatch)


@pytest.mark.parametrize(("query", "kind"), [
    ("ATTACH 'audit.duckdb' AS w (READ_WRITE)", "an ATTACH"),
    ("ATTACH 'other.duckdb' AS other (READ_WRITE)", "an ATTACH"),
    ("DETACH audit", "a DETACH"),
    ("USE memory", "a SET"),
    ("DELETE FROM reviews", "a DELETE"),
    ("COPY reviews TO 'reviews.csv'", "a COPY"),
    ("COPY (SELECT * FROM reviews) TO '/tmp/reviewvet-copy-probe.csv'", "a COPY"),
    ("EXPORT DATABASE 'dump'", "an EXPORT"),
    ("SET log_query_path = 'queries.log'", "a SET"),
    ("INSTALL httpfs", "an INSTALL or LOAD"),
    ("LOAD httpfs", "an INSTALL or LOAD"),
    ("CALL pragma_version()", "a CALL"),
    ("PRAGMA profiling_output = 'profile.json'", "a SET"),  # DuckDB parses a pragma assignment as SET
])
def test_statements_other_than_select_are_refused_by_their_type(store_dir: Path, query: str, kind: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    err = refused(store_dir, query, monkeypatch)
    assert f"query {query[:40]!r}"[:-1] in err  # quoted, shortened when long
    assert f" is {kind} statement; the store is read-only here: give a single SELECT" in err
    assert not Path("/tmp/reviewvet-copy-probe.csv").exists()


def test_pragma_is_refused_with_its_table_function_named(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    err = refused(store_dir, "PRAGMA table_info('claims')", monkeypatch)
    assert "SELECT * FROM pragma_table_info('claims')" in err


@pytest.mark.parametrize("query", [
    "SELECT content FROM read_text('secret.txt')",
    "SELECT * FROM read_csv('{folder}/secret.txt')",
    "SELECT * FROM glob('{folder}/*')",
    "WITH f AS (SELECT content FROM read_text('/etc/hostname')) SELECT * FROM f",
])
def test_a_select_cannot_read_other_files(store_dir: Path, query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    err = refused(store_dir, query.format(folder=store_dir), monkeypatch)
    assert "query failed: Permission Error" in err and "disabled by configuration" in err


def test_a_select_cannot_load_an_extension_to_reach_the_network(store_dir: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    started = time.monotonic()
    err = refused(store_dir, "SELECT * FROM read_csv('https://example.invalid/reviews.csv')", monkeypatch)
    assert "query failed:" in err
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(("query", "expected"), [
    ("SHOW TABLES", "schema_version"),
    ("DESCRIBE claims", "start_line"),
    ("SELECT name FROM pragma_table_info('claims')", "evidence"),
    ("WITH r AS (SELECT * FROM reviews) SELECT count(*) AS n FROM r", "102"),
    ("FROM reviews SELECT count(*) AS n", "102"),
    ("SELECT count(*) AS n FROM reviews;", "102"),
])
def test_selects_in_every_spelling_are_answered(store_dir: Path, query: str, expected: str) -> None:
    code, out, err = cli("audit", "sql", query, "--db", store_dir / "audit.duckdb", "--csv")
    assert code == 0, err
    assert expected in out


def test_a_query_over_its_time_is_stopped(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started = time.monotonic()
    err = refused(store_dir, "SELECT count(*) FROM range(100000000000000) a", monkeypatch, "--timeout", "0.5")
    assert "--timeout: query stopped after its time limit of 0.5 s" in err
    assert time.monotonic() - started < 15


def test_rows_are_bounded(store_dir: Path) -> None:
    code, out, err = cli("audit", "sql", "SELECT * FROM range(1000000000000)", "--max-rows", "5", "--csv",
                         "--db", store_dir / "audit.duckdb")
    assert code == 0
    assert out.split() == ["range", "0", "1", "2", "3", "4"]
    assert "only the first 5 rows (--max-rows)" in err


@pytest.mark.parametrize(("flag", "value"), [("--max-rows", "0"), ("--timeout", "0"), ("--timeout", "nan")])
def test_bad_bounds_are_usage_errors(store_dir: Path, flag: str, value: str) -> None:
    code, out, err = cli("audit", "sql", "SELECT 1", flag, value, "--db", store_dir / "audit.duckdb")
    assert (code, out) == (2, "")
    assert err.startswith(f"reviewvet: error: {flag} ")

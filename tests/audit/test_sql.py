"""`reviewvet audit sql` runs read-only SELECT statements: nothing written, no other file read, no
extension loaded, bounded in time and rows. Each probe is refused with exit 2 and leaves every file
as it was. Every statement's result is printed, in each format, with DuckDB's own column names."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
import time
import tomllib
from pathlib import Path

import duckdb
import pytest
from packaging.requirements import Requirement

from reviewvet.audit.store import TABLES

from .helpers import ROOT, cli, counts, fill_store

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


@pytest.mark.parametrize(("query", "which"), [
    ("SELECT count(*) FROM reviews; DELETE FROM reviews", "statement 2 of 2, 'DELETE FROM reviews', is a DELETE"),
    ("SELECT 1; SELECT 2; COPY reviews TO 'reviews.csv'",
     "statement 3 of 3, \"COPY reviews TO 'reviews.csv'\", is a COPY"),
    # The reported escape: a writable second database, then the store detached and attached writable.
    ("ATTACH 'other.duckdb' AS other (READ_WRITE); USE other; DETACH audit; "
     "ATTACH 'audit.duckdb' AS audit2 (READ_WRITE); DELETE FROM audit2.reviews WHERE review_id > '0000000c'",
     "statement 1 of 5, \"ATTACH 'other.duckdb' AS other (READ_WRITE)\", is an ATTACH"),
    ("SELECT 1;\nSELECT 2;\n  -- and then\n  INSTALL httpfs;", "statement 3 of 3, '-- and then INSTALL httpfs', is an "
                                                             "INSTALL or LOAD"),
])
def test_a_statement_other_than_select_among_several_refuses_them_all(store_dir: Path, query: str, which: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    err = refused(store_dir, query, monkeypatch)
    assert f" was not run: its {which} statement; the store is read-only here: give SELECT statements only" in err


def test_nothing_runs_before_a_refused_statement(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first statement would outlast --timeout if it ran (and say so): the refusal comes first."""
    err = refused(store_dir, "SELECT count(*) FROM range(100000000000000) a; DELETE FROM reviews", monkeypatch,
                  "--timeout", "5")
    assert "its statement 2 of 2, 'DELETE FROM reviews', is a DELETE statement" in err


def test_too_many_statements_are_refused(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "has 101 statements; give at most 100" in refused(store_dir, "SELECT 1;" * 101, monkeypatch)


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
    assert f" is {kind} statement; the store is read-only here: give SELECT statements only" in err
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


# -- several statements, column names, NULL and the formats ----------------------------------------------

TWO = 'SELECT 1 AS "Mixed Case", NULL AS "a b", \'\' AS e, count(*) FROM reviews; SELECT 2 AS n ORDER BY n;'


def run(store_dir: Path, query: str, *options: str) -> str:
    code, out, err = cli("audit", "sql", query, "--db", store_dir / "audit.duckdb", *options)
    assert (code, err) == (0, ""), err
    return out


def test_a_table_heads_each_result_with_its_statement(store_dir: Path) -> None:
    out = run(store_dir, TWO)
    first, second = out.split("\n\n")
    assert first.splitlines()[0] == TWO.split(";")[0]
    assert first.splitlines()[1].split() == ["Mixed", "Case", "┃", "a", "b", "┃", "e", "┃", "count_star()"]
    assert first.splitlines()[3].split() == ["1", "│", "NULL", "│", "│", "102"]
    assert first.splitlines()[-1] == "1 row(s)"
    assert second.splitlines()[0] == "SELECT 2 AS n ORDER BY n"
    assert [line.strip() for line in second.splitlines()[1:]] == ["n", "━━━", "2", "1 row(s)"]


def test_one_statement_is_printed_without_its_heading(store_dir: Path) -> None:
    out = run(store_dir, "SELECT review_id FROM reviews ORDER BY review_id LIMIT 2", "--format", "text")
    assert [line.strip() for line in out.splitlines()] == [
        "review_id", "━" * 34, "0" * 32, "0" * 31 + "1", "2 row(s)"]


def test_csv_separates_results_by_a_blank_line(store_dir: Path) -> None:
    out = run(store_dir, TWO, "--format", "csv")
    first, second = out.split("\r\n\r\n")
    assert first == 'Mixed Case,a b,e,count_star()\r\n1,,"",102'
    assert second == "n\r\n2\r\n"
    assert list(csv.reader(io.StringIO(first))) == [["Mixed Case", "a b", "e", "count_star()"], ["1", "", "", "102"]]


def test_json_is_a_list_of_results_and_one_statement_its_result(store_dir: Path) -> None:
    both = json.loads(run(store_dir, TWO, "--format", "json"))
    assert both == [{"statement": TWO.split(";")[0], "columns": ["Mixed Case", "a b", "e", "count_star()"],
                     "rows": [[1, None, "", 102]], "truncated": False},
                    {"statement": "SELECT 2 AS n ORDER BY n", "columns": ["n"], "rows": [[2]], "truncated": False}]
    assert json.loads(run(store_dir, "SELECT 2 AS n", "--json")) == {
        "statement": "SELECT 2 AS n", "columns": ["n"], "rows": [[2]], "truncated": False}


def test_markdown_prints_a_table_per_statement(store_dir: Path) -> None:
    out = run(store_dir, TWO, "--format", "markdown")
    assert out.split("\n") == [
        "```sql", TWO.split(";")[0], "```", "",
        "| Mixed Case | a b | e | count_star() |", "|---|---|---|---|", "| 1 | NULL |  | 102 |", "",
        "```sql", "SELECT 2 AS n ORDER BY n", "```", "",
        "| n |", "|---|", "| 2 |", ""]


@pytest.mark.parametrize(("fmt", "expected"), [
    ("table", " [1, NULL] │ true │ {'k': NULL} │ \\x1b[2J │ [b]x │ a|b"),
    ("markdown", "| [1, NULL] | true | {'k': NULL} | \\x1b[2J | [b]x | a\\|b |"),
    ("csv", '"[1, NULL]",true,{\'k\': NULL},\x1b[2J,[b]x,a|b'),
])
def test_values_are_written_as_duckdb_writes_them(store_dir: Path, fmt: str, expected: str) -> None:
    out = run(store_dir, "SELECT [1, NULL] AS l, true AS t, {'k': NULL} AS s, chr(27) || '[2J' AS e, "
                         "'[b]x' AS m, 'a|b' AS p", "--format", fmt)
    assert expected in out.splitlines()


def test_json_holds_lists_maps_and_numbers_json_has_no_name_for(store_dir: Path) -> None:
    data = json.loads(run(store_dir, "SELECT [1, NULL] AS l, MAP {DATE '2026-02-10': 'nan'::DOUBLE} AS m, "
                                     "'-inf'::DOUBLE AS i, {'k': NULL} AS s", "--json"))
    assert data["rows"] == [[[1, None], {"2026-02-10": "nan"}, "-inf", {"k": None}]]


def test_a_fence_is_longer_than_the_backticks_in_its_statement(store_dir: Path) -> None:
    out = run(store_dir, "SELECT '```' AS \"`\"; SELECT 1 AS n", "--format", "markdown")
    assert out.startswith("````sql\nSELECT '```' AS \"`\"\n````\n\n| ` |\n")


def test_a_failing_statement_is_named_and_nothing_is_printed(store_dir: Path) -> None:
    code, out, err = cli("audit", "sql", "SELECT 1; SELECT nope FROM reviews", "--db", store_dir / "audit.duckdb")
    assert (code, out) == (2, "")
    assert err.startswith("reviewvet: error: query failed at statement 2 of 2, 'SELECT nope FROM reviews': "
                          "Binder Error")


def test_the_time_limit_covers_every_statement(store_dir: Path) -> None:
    started = time.monotonic()
    code, out, err = cli("audit", "sql", "SELECT 1; SELECT count(*) FROM range(100000000000000) a", "--timeout",
                         "0.5", "--db", store_dir / "audit.duckdb")
    assert (code, out) == (2, "")
    assert err == "reviewvet: error: --timeout: query stopped after its time limit of 0.5 s\n"
    assert time.monotonic() - started < 15


def test_no_statement_starts_after_the_time_limit(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    err = refused(store_dir, "SELECT 1", monkeypatch, "--timeout", "1e-9")
    assert err == "reviewvet: error: --timeout: query stopped after its time limit of 1e-09 s\n"


def test_rows_are_bounded_per_statement(store_dir: Path) -> None:
    code, out, err = cli("audit", "sql", "SELECT * FROM range(3); SELECT * FROM range(10)", "--max-rows", "5",
                         "--csv", "--db", store_dir / "audit.duckdb")
    assert code == 0
    assert out.split() == ["range", "0", "1", "2", "range", "0", "1", "2", "3", "4"]
    assert err == "reviewvet: only the first 5 rows of statement 2 (--max-rows)\n"


# -- the query from standard input --------------------------------------------------------------------------------


def with_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_a_dash_reads_the_statements_from_standard_input(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_stdin(monkeypatch, "\ufeffSELECT 'é' AS \"Ünïcode\";\n-- the count\nSELECT count(*) AS n FROM reviews;\n"
               .encode())
    assert run(store_dir, "-", "--csv") == "Ünïcode\r\né\r\n\r\nn\r\n102\r\n"


@pytest.mark.parametrize(("data", "message"), [
    (b"SELECT 1" + b" " * (1 << 20), "query '-': standard input holds more than 1 MiB; give at most 1048576 bytes"),
    (b"SELECT '\xff'", "query '-': standard input is not UTF-8: byte 0xff at offset 8"),
    (b"", "query '' is empty; give SELECT statements only"),
])
def test_standard_input_that_cannot_be_a_query_is_refused(store_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                          data: bytes, message: str) -> None:
    with_stdin(monkeypatch, data)
    assert message in refused(store_dir, "-", monkeypatch)


def test_standard_input_that_cannot_be_read_is_refused(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    closed = io.TextIOWrapper(io.BytesIO(b"SELECT 1"), encoding="utf-8")
    closed.close()
    monkeypatch.setattr(sys, "stdin", closed)
    assert "query '-': standard input cannot be read: I/O operation on closed file" in refused(store_dir, "-",
                                                                                               monkeypatch)


def test_no_standard_input_is_refused(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    assert "query '-': there is no standard input" in refused(store_dir, "-", monkeypatch)


# -- the DuckDB the store is written with ---------------------------------------------------------------------------


def test_the_store_is_read_by_a_plain_duckdb_of_the_pinned_major_version(store_dir: Path) -> None:
    """What the README says: the store is DuckDB 2.0 storage, which a DuckDB 2 client opens read-only."""
    [pin] = [Requirement(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "dependencies"] if Requirement(r).name == "duckdb"]
    assert str(pin.specifier) == "<3,>=2.0.1" and pin.specifier.contains(duckdb.__version__)
    con = duckdb.connect(str(store_dir / "audit.duckdb"), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        [(tags,)] = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'audit'").fetchall()
    finally:
        con.close()
    assert tables == {*TABLES, "schema_version"}
    assert tags == {"storage_version": "v2.0.0+"}

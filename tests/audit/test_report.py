"""`reviewvet audit report` and `audit sql` over a store holding the demo review (Markdown and
flattened), verified with the demo repository's conventions."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from .helpers import DEMO_REVIEW, cli, counts, markdown_tables, query

PNG = b"\x89PNG\r\n\x1a\n"


def per_agent(out: str) -> dict[str, dict[str, str]]:
    return {row["agent"]: row for row in markdown_tables(out)["per agent"]}


def terminal_row(out: str, title: str, metric: str) -> list[str]:
    """One metric row of a transposed terminal table: its values, one per agent."""
    section = out[out.index(title):]
    line = next(li for li in section.splitlines() if li.strip().startswith(metric + " "))
    return [cell.strip() for cell in line.split("│")[1:]]


def test_terminal_report_by_agent_model_month_and_round(demo_store: Path) -> None:
    code, out, err = cli("audit", "report", "--by", "agent", "model", "month", "round", "--db", demo_store)
    assert code == 0, err
    for title in ("per agent", "per model", "per month", "per round", "consolidator comparison"):
        assert title in out
    assert re.search(r"metric\s+┃ Claude\s+┃ Codex\s+┃ Gemini", out)
    assert "Codex / Codex GPT 5.4" in out and "Gemini / 2026-01" in out and "Claude / 1" in out
    assert terminal_row(out, "per agent", "near miss") == ["0", "1", "0"]
    assert terminal_row(out, "per agent", "wrong paths") == ["0", "0", "1"]
    assert terminal_row(out, "per agent", "style contradictions") == ["0", "0", "1"]
    assert terminal_row(out, "per model", "near miss") == ["0", "1", "0"]


def test_markdown_report_gives_per_agent_metrics(demo_store: Path) -> None:
    code, out, _ = cli("audit", "report", "--by", "agent", "--format", "markdown", "--db", demo_store)
    assert code == 0
    assert out.startswith("# reviewvet audit\n\n## per agent\n\n| agent | findings |")
    agents = per_agent(out)
    assert sorted(agents) == ["Claude", "Codex", "Gemini"]
    assert agents["Codex"]["near_miss"] == "1"  # the flattened review's S2, attributed to Codex
    assert agents["Gemini"]["wrong_paths"] == "1"
    assert agents["Gemini"]["style_contradictions"] == "1"  # Gemini S3 asks for a teardown the context forbids
    assert agents["Gemini"]["false_positives"] == "1"
    assert all(a["verified_findings"] == a["findings"] for a in agents.values())


def test_near_miss_is_the_flattened_reviews_s2_attributed_to_codex(demo_store: Path) -> None:
    rows = query(demo_store, """SELECT r.source, a.agent, c.finding_key FROM claims c
                                JOIN reviews r USING (review_id)
                                JOIN agent_findings a USING (review_id, finding_key)
                                WHERE c.status = 'near-miss'""")
    assert rows == [(str(DEMO_REVIEW.with_name("demo-flat.txt")), "Codex", "consolidated/S2")]


def test_out_writes_csv_parquet_charts_and_a_self_contained_page(demo_store: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, _, err = cli("audit", "report", "--by", "agent", "month", "--out", out_dir, "--db", demo_store)
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "audit.html", "errors-per-agent.png", "false-positive-rate-by-month.png",
        "per-agent.csv", "per-agent.parquet", "per-month.csv", "per-month.parquet"]
    with (out_dir / "per-agent.csv").open(newline="") as handle:
        rows = {r["agent"]: r for r in csv.DictReader(handle)}
    assert rows["Codex"]["near_miss"] == "1" and rows["Gemini"]["wrong_paths"] == "1"
    con = duckdb.connect()
    parquet = con.execute("SELECT agent, wrong_paths, style_contradictions FROM read_parquet(?) ORDER BY 1",
                          [str(out_dir / "per-agent.parquet")]).fetchall()
    con.close()
    assert parquet == [("Claude", 0, 0), ("Codex", 0, 0), ("Gemini", 1, 1)]
    for png in out_dir.glob("*.png"):
        data = png.read_bytes()
        assert data.startswith(PNG) and len(data) > 1024, png
    page = (out_dir / "audit.html").read_text("utf-8")
    assert page.count("data:image/png;base64,") == 2
    assert "<h2>per agent</h2><table>" in page and "<h2>consolidator comparison</h2>" in page
    assert "<td>Gemini</td>" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)


def test_report_with_out_refuses_a_missing_store(tmp_path: Path) -> None:
    db = tmp_path / "missing.duckdb"
    code, _, err = cli("audit", "report", "--out", tmp_path / "out", "--db", db)
    assert code == 2 and "does not exist" in err
    assert not db.exists()


def test_consolidator_comparison_lists_the_demo_reviews_disagreements(demo_store: Path) -> None:
    code, out, _ = cli("audit", "report", "--by", "agent", "--format", "markdown", "--db", demo_store)
    assert code == 0
    listed = [(Path(r["source"]).name, r["written"], r["consolidator"], r["reviewvet"])
              for r in markdown_tables(out)["disagreements and unlinked reconciliation items"]]
    assert ("demo-review.md", "Claude I3", "downgraded", "kept") in listed
    assert ("demo-review.md", "Codex I2", "downgraded", "kept") in listed
    assert not any(name == "demo-review.md" and written == "Gemini S3" for name, written, *_ in listed)
    # ... because with the context reviewvet drops Gemini S3 too.
    assert query(demo_store, """SELECT c.decision, c.reviewvet_decision, c.agrees FROM consolidator c
                                JOIN reviews r USING (review_id)
                                WHERE c.written = 'Gemini S3' AND r.source LIKE '%demo-review.md'""") == [
        ("dropped", "dropped", True)]


def test_without_the_context_gemini_s3_is_kept_and_listed(tmp_path: Path, demo_repo: Any) -> None:
    db = tmp_path / "audit.duckdb"
    assert cli("audit", "ingest", DEMO_REVIEW, "--repo", demo_repo.path, "--db", db)[0] == 0
    code, out, _ = cli("audit", "report", "--by", "agent", "--format", "markdown", "--db", db)
    assert code == 0
    assert per_agent(out)["Gemini"]["style_contradictions"] == "0"
    listed = [(r["written"], r["consolidator"], r["reviewvet"])
              for r in markdown_tables(out)["disagreements and unlinked reconciliation items"]]
    assert ("Gemini S3", "dropped", "kept") in listed


def test_consolidator_comparison_agree_and_disagree_count_its_items(demo_store: Path) -> None:
    code, out, _ = cli("audit", "report", "--by", "agent", "--format", "markdown", "--db", demo_store)
    assert code == 0
    for row in markdown_tables(out)["consolidator comparison"]:
        assert int(row["agree"]) + int(row["disagree"]) <= int(row["items"]), row


def test_sql_prints_the_result(demo_store: Path) -> None:
    code, out, _ = cli("audit", "sql", "SELECT count(*) FROM reviews", "--db", demo_store)
    assert code == 0
    assert "1 row(s)" in out and "count star()" in out
    assert re.search(r"^\s*2\s*$", out, re.M)


def test_sql_csv(demo_store: Path) -> None:
    code, out, _ = cli("audit", "sql", "SELECT agent, count(*) AS n FROM agents GROUP BY agent ORDER BY agent",
                       "--csv", "--db", demo_store)
    assert code == 0
    assert list(csv.reader(io.StringIO(out))) == [["agent", "n"], ["Claude", "2"], ["Codex", "2"], ["Gemini", "2"]]


@pytest.mark.parametrize("statement", ["DELETE FROM reviews", "INSERT INTO agents VALUES ('x', 'y', 'z', 'w')",
                                       "DROP TABLE findings"])
def test_sql_cannot_write(demo_store: Path, statement: str) -> None:
    before = counts(demo_store)
    code, out, err = cli("audit", "sql", statement, "--db", demo_store)
    assert code == 2
    kind = {"DELETE": "a DELETE", "INSERT": "an INSERT", "DROP": "a DROP"}[statement.split()[0]]
    assert err.startswith(f"reviewvet: error: query {statement!r} is {kind} statement; the store is read-only")
    assert out == "" and counts(demo_store) == before


@pytest.mark.parametrize(("statement", "start", "message"), [
    ("SELEC 1", "reviewvet: error: query 'SELEC 1' is not valid SQL:", "Parser Error"),
    ("SELECT nope FROM reviews", "reviewvet: error: query failed:", '"nope" not found')])
def test_bad_query_exits_2_with_a_clear_message(demo_store: Path, statement: str, start: str, message: str) -> None:
    code, out, err = cli("audit", "sql", statement, "--db", demo_store)
    assert code == 2 and out == ""
    assert err.startswith(start) and message in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_sql_on_a_missing_store_says_to_ingest_first(tmp_path: Path) -> None:
    code, _, err = cli("audit", "sql", "SELECT 1", "--db", tmp_path / "none.duckdb")
    assert code == 2 and "does not exist; ingest reviews first" in err
    assert not (tmp_path / "none.duckdb").exists()

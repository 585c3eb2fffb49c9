"""`reviewvet audit report` and `audit sql` over a store holding the demo review (Markdown and
flattened), verified with the demo repository's conventions."""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reviewvet.audit import charts, report
from reviewvet.audit.rates import Rate, wilson

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
    assert out.startswith("# reviewvet audit\n\n## sample\n\n")
    assert "\n\n| agent | findings |" in out[out.index("## per agent"):]
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
    assert "<h2>per agent</h2><p class='note'>" in page and "<h2>consolidator comparison</h2>" in page
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
    assert "1 row(s)" in out and "count_star()" in out  # column names as DuckDB gives them
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


# -- an honest report: the sample, rates with intervals, charts ---------------------------------------

# A small store written by the store's own writer: (review, agent, month, status, head evidence, how the
# head was found, reason, findings as (false positive, verdict)).
SMALL_STORE = [
    ("r1", "Claude", "2026-01", "verified", "reviewed-head", "review", "",
     [(True, "refuted"), (True, "confirmed")] + [(False, "confirmed")] * 8),
    ("r2", "Claude", "2026-03", "verified", "substitute-head", "pr-ref", "",
     [(True, "doubtful")] + [(False, "confirmed")] * 3),
    ("r3", "Codex", "2026-01", "verified", "reviewed-head", "review", "", [(False, "confirmed")] * 5),
    ("r4", "Codex", "2026-02", "unverified", None, None, "no repository given", [(False, None)] * 3),
    ("r5", "Gemini", "2026-03", "unverified", None, None, "the review's head (abc1234) is not in the repository",
     [(False, None)] * 2),
    ("r6", "Gemini", "2026-03", "unverified", None, None, "the review's head (def5678) is not in the repository",
     [(False, None)]),
]
HEAD_MISSING = "the review's head (…) is not in the repository"


def row_of(store: Any, table: str, **values: Any) -> tuple[Any, ...]:
    """A row of ``table`` in the store's own column order: the values given, NULL elsewhere."""
    _, names = store.query("SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                           "AND table_name = ? ORDER BY column_index", [table])
    return tuple(values.get(name) for (name,) in names)


def review_rows(store: Any, spec: tuple[Any, ...]) -> dict[str, list[Any]]:
    rid, agent, month, status, evidence, how, reason, findings = spec
    rows: dict[str, list[Any]] = {
        "reviews": [row_of(store, "reviews", review_id=rid, source=f"{rid}.md", month=month, round="1",
                           status=status, reason=reason, head_evidence=evidence, head_how=how)],
        "agents": [row_of(store, "agents", review_id=rid, agent=agent, model=f"{agent} 1")],
        "findings": [], "agent_findings": []}
    for n, (false_positive, verdict) in enumerate(findings):
        key = f"{agent}/I{n}"
        rows["findings"].append(row_of(store, "findings", review_id=rid, finding_key=key, origin=agent,
                                       section="important", claimed_severity="important",
                                       final_severity="important", false_positive=false_positive,
                                       shared_with=[], unique_insight=True, verdict=verdict))
        rows["agent_findings"].append(row_of(store, "agent_findings", review_id=rid, finding_key=key, agent=agent,
                                             model=f"{agent} 1", source="appendix"))
    return rows


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    from reviewvet.audit.store import Store

    db = tmp_path / "small.duckdb"
    with Store(db) as store:
        for spec in SMALL_STORE:
            store.write_review(review_rows(store, spec), [])
    return db


def textbook_wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval as it is usually written, in terms of the observed proportion."""
    z, p = 1.96, k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n)


@pytest.mark.parametrize(("k", "n", "published"), [
    (0, 10, (0.0, 0.2775)), (5, 10, (0.2366, 0.7634)), (10, 10, (0.7225, 1.0)), (1, 3, (0.0615, 0.7923)),
    (3, 14, (0.0757, 0.4759))])
def test_wilson_interval_of_known_cases(k: int, n: int, published: tuple[float, float]) -> None:
    low, high = wilson(k, n) or (math.nan, math.nan)
    expected = textbook_wilson(k, n)
    assert low == pytest.approx(max(0.0, expected[0]), abs=1e-12)
    assert high == pytest.approx(min(1.0, expected[1]), abs=1e-12)
    assert (round(low, 4), round(high, 4)) == published


def test_a_rate_over_nothing_is_no_rate() -> None:
    assert wilson(0, 0) is None
    nothing = Rate(0, 0)
    assert nothing.rate is None and str(nothing) == "— (0/0)"
    assert nothing.data() == {"k": 0, "n": 0, "rate": None, "ci_low": None, "ci_high": None}
    assert str(Rate(5, 10)) == "50.0% (5/10, 95% CI 23.7–76.3%)"
    assert str(Rate(0, 10)) == "0.0% (0/10, 95% CI 0.0–27.8%)"


SAMPLE_ROWS = [
    ("reviews found", "6", "25"),
    ("verified at the reviewed head", "2", "15"),
    ("verified at a substitute head", "1", "4"),
    ("verified at a user-given head", "0", "0"),
    ("unverified", "3", "6"),
    ("unverified: no repository given", "1", "3"),
    (f"unverified: {HEAD_MISSING}", "2", "3"),
]


def test_markdown_states_the_sample_first(small_store: Path) -> None:
    code, out, err = cli("audit", "report", "--format", "markdown", "--db", small_store)
    assert code == 0, err
    assert out.startswith("# reviewvet audit\n\n## sample\n\n")
    sample = [(r["population"], r["reviews"], r["findings"]) for r in markdown_tables(out)["sample"]]
    assert all(row in sample for row in SAMPLE_ROWS), sample
    assert "- `fp_rate` (False-positive rate): false positives / verified findings" in out


def test_terminal_states_the_sample_and_the_populations_of_each_table(small_store: Path) -> None:
    code, out, err = cli("audit", "report", "--by", "agent", "month", "--db", small_store)
    assert code == 0, err
    assert out.index("sample") < out.index("per agent")
    for population, reviews, findings in SAMPLE_ROWS:
        assert re.search(rf"{re.escape(population)}\s+│\s+{reviews}\s+│\s+{findings}\b", out), population
    flat = " ".join(out.split())
    assert ("25 findings: 19 of verified reviews (15 at the reviewed head, 4 at a substitute head, 0 at a "
            "user-given head), 6 of unverified reviews.") in flat
    assert "These rows mix reviews verified at the reviewed head with reviews verified at another head" in flat
    assert terminal_row(out, "per agent", "fp rate") == [
        "21.4% (3/14, 95% CI 7.6–47.6%)", "0.0% (0/5, 95% CI 0.0–43.4%)", "— (0/0)"]
    assert terminal_row(out, "per agent", "at substitute head") == ["4", "0", "0"]


def test_json_gives_the_sample_and_each_rate_with_its_counts_and_interval(small_store: Path) -> None:
    code, out, err = cli("audit", "report", "--by", "agent", "--format", "json", "--db", small_store)
    assert code == 0, err
    found = {t["title"]: t for t in json.loads(out)}
    assert list(found)[0] == "sample"
    sample = found["sample"]["sample"]
    assert (sample["reviews"], sample["findings"]) == (6, 25)
    assert sample["verified"] == {"reviewed-head": {"reviews": 2, "findings": 15},
                                  "substitute-head": {"reviews": 1, "findings": 4},
                                  "user-given-head": {"reviews": 0, "findings": 0}}
    assert sample["unverified"] == {"reviews": 3, "findings": 6, "reasons": [
        {"reason": "no repository given", "reviews": 1, "findings": 3},
        {"reason": HEAD_MISSING, "reviews": 2, "findings": 3}]}
    if sample["head_how"] is not None:  # stores whose reviews record how their head was found
        assert sample["head_how"] == {"pr-ref": {"reviews": 1, "findings": 4}, "review": {"reviews": 2, "findings": 15}}
    table = found["per agent"]
    rows = {row[0]: dict(zip(table["columns"], row, strict=True)) for row in table["rows"]}
    low, high = textbook_wilson(3, 14)
    claude = rows["Claude"]["fp_rate"]
    assert (claude["k"], claude["n"], claude["rate"]) == (3, 14, 3 / 14)
    assert (claude["ci_low"], claude["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert rows["Claude"]["refuted_rate"]["k"] == 1
    assert rows["Gemini"]["fp_rate"] == {"k": 0, "n": 0, "rate": None, "ci_low": None, "ci_high": None}
    assert (rows["Claude"]["at_reviewed_head"], rows["Claude"]["at_substitute_head"]) == (10, 4)
    assert "fp_rate" in table["definitions"] and "verified findings only" in table["note"]


def test_html_page_states_the_sample_with_readable_columns_and_definitions(small_store: Path, tmp_path: Path) -> None:
    code, _, err = cli("audit", "report", "--by", "agent", "--out", tmp_path / "out", "--db", small_store)
    assert code == 0, err
    page = (tmp_path / "out" / "audit.html").read_text("utf-8")
    assert page.index("<h2>sample</h2>") < page.index("<h2>per agent</h2>")
    for population, reviews, findings in SAMPLE_ROWS:
        assert f"<tr><td>{html.escape(population)}</td><td>{reviews}</td><td>{findings}</td></tr>" in page
    assert "<th>False-positive rate</th>" in page and "<th>At substitute head</th>" in page
    assert "<th>fp_rate</th>" not in page and "<th>verified_findings</th>" not in page
    assert "<dt>False-positive rate</dt><dd>false positives / verified findings" in page
    assert "<td>21.4% (3/14, 95% CI 7.6–47.6%)</td>" in page and "<td>— (0/0)</td>" in page
    assert "install reviewvet[charts]" not in page.lower()


def test_csv_gives_each_rate_with_its_wilson_interval(small_store: Path, tmp_path: Path) -> None:
    code, _, err = cli("audit", "report", "--by", "agent", "--out", tmp_path / "out", "--db", small_store)
    assert code == 0, err
    with (tmp_path / "out" / "per-agent.csv").open(newline="") as handle:
        rows = {r["agent"]: r for r in csv.DictReader(handle)}
    low, high = textbook_wilson(3, 14)
    assert float(rows["Claude"]["fp_rate"]) == pytest.approx(3 / 14)
    assert float(rows["Claude"]["fp_rate_ci_low"]) == pytest.approx(low)
    assert float(rows["Claude"]["fp_rate_ci_high"]) == pytest.approx(high)
    assert float(rows["Codex"]["fp_rate_ci_low"]) == 0.0
    assert rows["Gemini"]["fp_rate"] == rows["Gemini"]["fp_rate_ci_low"] == ""  # no rate over nothing


def test_a_month_without_data_is_a_gap_not_zero(small_store: Path) -> None:
    from reviewvet.audit.store import Store

    with Store(small_store, read_only=True) as store:
        series = charts.month_series(*store.query(report.REPORTS["month"]))
        figures = charts.figures(store.query(report.REPORTS["agent"]), store.query(report.REPORTS["month"]))
    assert series.months == ["2026-01", "2026-02", "2026-03"]
    assert series.rates == {"Claude": [Rate(2, 10), None, Rate(1, 4)],
                            "Codex": [Rate(0, 5), None, None]}  # Gemini has no verified finding
    import matplotlib.pyplot as plt

    try:
        ax = figures["false-positive-rate-by-month.png"].axes[0]
        lines = {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}
        assert lines["Claude"][0] == 20.0 and math.isnan(lines["Claude"][1]) and lines["Claude"][2] == 25.0
        assert lines["Codex"][0] == 0.0 and all(math.isnan(v) for v in lines["Codex"][1:])
        assert "Gemini" not in lines
        assert ax.get_ylim()[0] == 0
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "hollow: fewer than 10 verified findings that month" in legend
        bars = figures["errors-per-agent.png"].axes[0]
        assert bars.get_ylim()[0] == 0
        hatched = {patch.get_hatch() for patch in bars.patches}
        assert hatched == {"//", None}  # Codex (5 verified findings) is hatched, Claude (14) is not
        assert f"hatched: fewer than {charts.SMALL_SAMPLE} verified findings" in [
            t.get_text() for t in bars.get_legend().get_texts()]
    finally:
        for figure in figures.values():
            plt.close(figure)


def test_without_the_charts_extra_the_page_has_tables_and_says_how_to_get_charts(
        small_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises ImportError
    assert not report.charts_available()
    out_dir = tmp_path / "out"
    code, _, err = cli("audit", "report", "--by", "agent", "month", "--out", out_dir, "--db", small_store)
    assert code == 0 and "Traceback" not in err
    assert "install reviewvet[charts] for charts" in err.lower()
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "audit.html", "per-agent.csv", "per-agent.parquet", "per-month.csv", "per-month.parquet"]
    page = (out_dir / "audit.html").read_text("utf-8")
    assert "Install reviewvet[charts] for charts" in page and "data:image/png" not in page
    assert "<h2>sample</h2>" in page and "<h2>per month</h2>" in page


def test_without_matplotlib_in_a_fresh_process_the_report_still_writes_the_page(small_store: Path,
                                                                               tmp_path: Path) -> None:
    blocked = ("import sys; sys.modules['matplotlib'] = None; from reviewvet.cli import main; "
               f"sys.exit(main(['audit', 'report', '--out', {str(tmp_path / 'out')!r}, '--db', {str(small_store)!r}]))")
    proc = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "Install reviewvet[charts] for charts" in (tmp_path / "out" / "audit.html").read_text("utf-8")
    assert not list((tmp_path / "out").glob("*.png"))

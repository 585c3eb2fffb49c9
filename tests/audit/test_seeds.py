"""The five real seed reports ingest as unverified (their repository is not here), with their
findings and what their consolidators decided."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .helpers import cli, markdown_tables, query


@pytest.fixture(scope="module")
def seed_store(seeds: Path, demo_repo: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("seeds") / "audit.duckdb"
    code, out, err = cli("audit", "ingest", seeds, "--repo", demo_repo.path, "--db", db)
    assert code == 0, err
    assert out.startswith("5 files: 0 added, 0 replaced, 5 unverified, 0 unchanged, 0 skipped")
    return db


def consolidator(db: Path, prefix: str, where: str = "TRUE") -> list[tuple[Any, ...]]:
    return query(db, f"""SELECT c.written, c.decision, c.linked_key, c.link, c.reviewvet_decision
                         FROM consolidator c JOIN reviews r USING (review_id)
                         WHERE r.source LIKE '%/{prefix}\\_%' ESCAPE '\\' AND {where} ORDER BY 1, 2""")


def test_seeds_are_stored_unverified_with_their_findings(seed_store: Path) -> None:
    rows = query(seed_store, """SELECT regexp_extract(r.source, '(\\d{3})_', 1), r.status, r.reason,
                                       (SELECT count(*) FROM findings f WHERE f.review_id = r.review_id)
                                FROM reviews r ORDER BY 1""")
    assert [r[0] for r in rows] == ["000", "001", "002", "003", "004"]
    for prefix, status, reason, findings in rows:
        assert status == "unverified", prefix
        assert reason.startswith("the review's head (") and reason.endswith(") is not in the repository"), prefix
        assert findings > 0, prefix
    assert query(seed_store, "SELECT DISTINCT status FROM findings") == [("unverified",)]
    assert query(seed_store, "SELECT count(*) FROM claims") == [(0,)]


def test_seed_001_reconciliation_links_three_downgrades_to_the_agents_findings(seed_store: Path) -> None:
    assert consolidator(seed_store, "001", "c.written NOT LIKE 'retro:%'") == [
        ("Claude I3", "downgraded", "Claude/I3", "id+content", "unverified"),
        ("Claude I4", "downgraded", "Claude/I4", "id+content", "unverified"),
        ("Codex I1", "downgraded", "Codex/I1", "id+content", "unverified"),
    ]


def test_retro_summary_counts_are_stored(seed_store: Path) -> None:
    rows = query(seed_store, """SELECT regexp_extract(r.source, '(\\d{3})_', 1), c.agent, c.written, c.decision
                                FROM consolidator c JOIN reviews r USING (review_id) WHERE c.link = 'table'""")
    retro = {(p, agent, written.removeprefix("retro:")): int(count) for p, agent, written, count in rows}
    assert {a: retro[("000", a, "false-positives")] for a in ("Claude", "Codex", "Gemini")} == {
        "Claude": 1, "Codex": 1, "Gemini": 0}
    assert {a: retro[("000", a, "dropped")] for a in ("Claude", "Codex", "Gemini")} == {
        "Claude": 1, "Codex": 1, "Gemini": 0}
    assert {a: retro[("001", a, "downgraded")] for a in ("Claude", "Codex", "Gemini")} == {
        "Claude": 2, "Codex": 1, "Gemini": 0}
    assert retro[("003", "Gemini", "downgraded")] == 3


def test_seed_000_dropped_codex_item_is_unlinked_and_reported(seed_store: Path) -> None:
    [(written, decision, key, link, ours)] = consolidator(seed_store, "000", "c.written = 'Codex I1'")
    assert (written, decision, key, link, ours) == ("Codex I1", "dropped", None, "unlinked", "unlinked")
    code, out, _ = cli("audit", "report", "--by", "agent", "--format", "markdown", "--db", seed_store)
    assert code == 0
    listed = markdown_tables(out)["disagreements and unlinked reconciliation items"]
    assert any(r["source"].endswith(".txt") and "/000_" in r["source"] and r["written"] == "Codex I1"
               and r["consolidator"] == "dropped" and r["reviewvet"] == "unlinked" for r in listed)


def test_seed_000_reconciliation_keeps_all_four_items(seed_store: Path) -> None:
    written = [r[0] for r in consolidator(seed_store, "000", "c.written NOT LIKE 'retro:%'")]
    assert written == ["Claude I1", "Claude I2", "Claude S10", "Codex I1"]

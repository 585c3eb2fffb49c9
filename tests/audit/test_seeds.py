"""The five real seed reports ingest as unverified against another repository, with their
findings and what their consolidators decided; against their own repository (a clone of the
bundle in ../shared/real-repo/, whose origin is a local path) all five are verified."""

from __future__ import annotations

import json
import subprocess
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
    other = ("the review is about 'rancher-sandbox/rancher-desktop-daemon', but the repository's origin is "
             "'https://github.com/example-org/beacon.git'")
    for prefix, status, reason, findings in rows:
        assert status == "unverified", prefix
        assert findings > 0, prefix
        if prefix != "002":  # the demo's origin names another repository than the review does
            assert reason == other, prefix
            continue
        # seed 002 names no repository: its head is looked for, and is not here
        assert reason.startswith(("the review's head (", "the review's commits")), prefix
        assert reason.endswith(" is not in the repository, its pull request has no ref here and no commit "
                               "matches its commit subjects"), prefix
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


# -- against their own repository ------------------------------------------------------------------


def test_every_seed_is_verified_against_its_own_repository_without_a_mapping(
        seeds: Path, real_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    code, out, err = cli("audit", "ingest", seeds, "--repo", real_repo, "--db", db, "--format", "json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["counts"]["added"] == 5
    assert summary["sample"] == {"reviews": 5, "reviewed_head": 1, "substitute_head": 4, "given_head": 0,
                                 "substitute_by": {"pr-ref": 4}, "unverified": {}, "not_stored": 0}
    rows = query(db, """SELECT regexp_extract(source, '(\\d{3})_', 1), status, head_evidence, head_how, head_used
                        FROM reviews ORDER BY 1""")
    pull = {pr: _rev(real_repo, f"refs/pull/{pr}/head") for pr in (234, 242, 295, 336)}
    assert rows == [
        ("000", "verified", "substitute-head", "pr-ref", pull[336]),
        ("001", "verified", "substitute-head", "pr-ref", pull[336]),
        ("002", "verified", "substitute-head", "pr-ref", pull[242]),
        ("003", "verified", "reviewed-head", "review", pull[295]),
        ("004", "verified", "substitute-head", "pr-ref", pull[234]),
    ]
    # The repository each review names is stored, though the clone's origin is a local path.
    assert query(db, "SELECT DISTINCT repository FROM reviews WHERE repository IS NOT NULL") == [
        ("rancher-sandbox/rancher-desktop-daemon",)]


def test_a_base_naming_the_pull_request_gives_each_seed_its_own_merge_base(
        seeds: Path, real_repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    code, _, err = cli("audit", "ingest", seeds, "--repo", real_repo, "--base", "base/pr-{pr}", "--db", db)
    assert code == 0, err
    rows = query(db, "SELECT pr_number, merge_base FROM reviews ORDER BY source")
    assert rows == [(pr, _merge_base(real_repo, f"base/pr-{pr}", f"refs/pull/{pr}/head"))
                    for pr in (336, 336, 242, 295, 234)]


def _rev(repo: Path, rev: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--end-of-options", rev],
                          check=True, capture_output=True, text=True).stdout.strip()


def _merge_base(repo: Path, one: str, two: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "merge-base", one, two],
                          check=True, capture_output=True, text=True).stdout.strip()

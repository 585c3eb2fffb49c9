"""Challenged findings in the audit store: the `challenges` table (schema version 4, migrated onto older
stores), written from a verification's challenges the way ingest writes its other rows, replaced with
them, and the audit report's section on what the challenges came to per agent and per model.

The verification is the demo's, really verified with its conventions; the challenges are records
attached to its refuted, doubtful and false-positive findings, as ``reviewvet challenge`` attaches a
model's answers (no model is asked here)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reviewvet.api import VerifyOptions, verify_repository
from reviewvet.audit import ingest as ing
from reviewvet.audit import report
from reviewvet.audit.rates import Rate
from reviewvet.audit.store import SCHEMA_VERSION, Store, StoreError, tables_at
from reviewvet.ingest.parse import parse_review, read_review_file
from reviewvet.model.challenge import ChallengeOutcome
from reviewvet.model.verification import Verification

from .helpers import DEMO_CONTEXT, DEMO_REVIEW, cli, markdown_tables, query

CLAIM = {"id": "S3-challenged", "title": "the amended claim", "label": "gap",
         "quotes": [{"text": "set -u", "role": "evidence"}], "locations": [{"path": "scripts/run-agent.sh"}]}
COLUMNS = ["review_id", "finding_key", "agents", "provider", "model", "outcome", "reason", "claim", "regrade",
           "flags", "survived", "input_tokens", "output_tokens", "cost_usd", "seconds"]
ROWS = ("SELECT finding_key, agents, provider, model, outcome, reason, claim, regrade, flags, survived, "
        "input_tokens, output_tokens, cost_usd, seconds FROM challenges ORDER BY finding_key")


@pytest.fixture(scope="module")
def challenged(demo_repo: Any) -> Verification:
    """The demo verified with its conventions, and three of its findings challenged: the doubtful one amended
    (and confirmed: it survived), the refuted one withdrawn, and a false positive's challenge failed."""
    review = parse_review(read_review_file(DEMO_REVIEW), "demo-review.md")
    v = verify_repository(demo_repo.path, review, head=demo_repo.head, base=demo_repo.base,
                          options=VerifyOptions(context=DEMO_CONTEXT))

    def key(grade: str, false_positive: bool) -> str:
        return next(fv.finding.key for fv in v.verdicts if fv.verdict and fv.verdict.grade == grade
                    and v.decisions[fv.finding.key].false_positive == false_positive)

    return replace(v, challenges=(
        ChallengeOutcome(key("doubtful", False), "anthropic", "claude-x", "amend", "cited the wrong lines",
                         claim=CLAIM, regrade="confirmed", survived=True, input_tokens=1200, output_tokens=80,
                         cost_usd=0.0042, seconds=3.25),
        ChallengeOutcome(key("refuted", True), "openai", "gpt-y", "withdraw", "the evidence shows it is wrong",
                         input_tokens=900, output_tokens=40, seconds=1.5),
        ChallengeOutcome(key("confirmed", True), "anthropic", "claude-x", "failed",
                         "the model could not be asked: timed out", seconds=60.0),
    ))


def item() -> ing.Item:
    return ing.Item(str(DEMO_REVIEW), DEMO_REVIEW.name, read_review_file(DEMO_REVIEW))


def store_verification(db: Path, v: Verification, source: ing.Item) -> None:
    """Write a verification's rows as ingest does, replacing the rows of an older text of its source."""
    with Store(db) as store:
        store.write_review(ing.item_rows(source, v.review, v), store.reviews_from(source.source))


def test_the_demo_challenges_are_the_three_wanted(challenged: Verification) -> None:
    keys = [c.key for c in challenged.challenges]
    assert keys == ["consolidated/S3", "consolidated/S2", "Gemini/S3"]
    assert [challenged.challenge(k) for k in keys] == list(challenged.challenges)
    assert [c.outcome for c in challenged.challenges] == ["amend", "withdraw", "failed"]


# -- the table ----------------------------------------------------------------------------------------


def test_each_challenge_is_a_row_of_the_challenges_table(tmp_path: Path, challenged: Verification) -> None:
    db = tmp_path / "audit.duckdb"
    store_verification(db, challenged, item())
    assert [r[0] for r in query(db, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'challenges' "
                                    "ORDER BY column_index")] == COLUMNS
    rows = query(db, ROWS)
    assert [row[:6] for row in rows] == [
        ("Gemini/S3", ["Gemini"], "anthropic", "claude-x", "failed", "the model could not be asked: timed out"),
        ("consolidated/S2", ["Codex"], "openai", "gpt-y", "withdraw", "the evidence shows it is wrong"),
        ("consolidated/S3", ["Claude"], "anthropic", "claude-x", "amend", "cited the wrong lines")]
    assert [row[6:] for row in rows] == [
        (None, None, [], False, 0, 0, None, 60.0),
        (None, None, [], False, 900, 40, None, 1.5),
        (json.dumps(CLAIM, sort_keys=True), "confirmed", [], True, 1200, 80, 0.0042, 3.25)]
    assert json.loads(rows[2][6]) == CLAIM
    assert query(db, "SELECT DISTINCT c.review_id = r.review_id FROM challenges c, reviews r") == [(True,)]


def test_a_verification_without_challenges_writes_no_challenge_rows(tmp_path: Path, challenged: Verification) -> None:
    db = tmp_path / "audit.duckdb"
    store_verification(db, replace(challenged, challenges=()), item())
    assert query(db, "SELECT count(*) FROM challenges") == [(0,)]
    assert query(db, "SELECT count(*) FROM findings")[0][0] == len(challenged.verdicts)


def test_writing_the_same_review_again_replaces_its_challenges(tmp_path: Path, challenged: Verification) -> None:
    db = tmp_path / "audit.duckdb"
    store_verification(db, challenged, item())
    store_verification(db, replace(challenged, challenges=challenged.challenges[:1]), item())
    assert query(db, "SELECT finding_key FROM challenges") == [("consolidated/S3",)]


def test_a_changed_report_ingested_again_replaces_its_challenges(tmp_path: Path, challenged: Verification,
                                                                 demo_repo: Any) -> None:
    db = tmp_path / "audit.duckdb"
    first = item()
    store_verification(db, challenged, first)
    changed = replace(first, text=first.text + "\n<!-- edited -->\n")
    with Store(db) as store:
        summary = ing.ingest(store, [changed], ing.Options(demo_repo.path, verify=VerifyOptions(context=DEMO_CONTEXT)))
    assert [o.status for o in summary.outcomes] == ["replaced"]
    assert query(db, "SELECT count(*) FROM reviews") == [(1,)]
    assert query(db, "SELECT count(*) FROM challenges") == [(0,)]  # ingest asks no model: the new text has none


# -- the migration --------------------------------------------------------------------------------------


def version_3_store(db: Path) -> None:
    """A store as reviewvet wrote it at schema version 3, holding one review."""
    from reviewvet.audit.store import _MIGRATIONS

    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    for version in (1, 2, 3):
        for statement in _MIGRATIONS[version]:
            con.execute(statement)
        con.execute("INSERT INTO schema_version VALUES (?, now())", [version])
    con.execute("INSERT INTO reviews (review_id, status, head_evidence, head_how) "
                "VALUES ('r1', 'verified', 'reviewed-head', 'review')")
    con.close()


def test_a_version_3_store_gains_the_challenges_table_and_keeps_its_reviews(tmp_path: Path,
                                                                            challenged: Verification) -> None:
    db = tmp_path / "audit.duckdb"
    version_3_store(db)
    with Store(db) as store:
        assert store.version() == SCHEMA_VERSION == 4
        assert store.has_table("challenges")
        stored = store.head_of("r1")
    assert stored is not None and (stored.status, stored.how) == ("verified", "review")
    assert query(db, "SELECT version FROM schema_version ORDER BY version") == [(1,), (2,), (3,), (4,)]
    assert [r[0] for r in query(db, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'challenges' "
                                    "ORDER BY column_index")] == COLUMNS
    store_verification(db, challenged, item())
    assert query(db, "SELECT count(*) FROM challenges") == [(3,)]
    assert query(db, "SELECT count(*) FROM reviews") == [(2,)]


def test_a_version_3_store_read_only_is_reported_without_a_challenges_section(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    version_3_store(db)
    with Store(db, read_only=True) as store:  # not migrated: read-only stores are never written
        assert store.version() == 3 and not store.has_table("challenges")
        titles = [t.title for t in report.tables(store, ["agent"])]
    assert not any("challenge" in title for title in titles)
    assert "challenges" not in tables_at(3) and "challenges" in tables_at(4)


def test_a_version_4_store_without_its_challenges_table_is_not_a_store(tmp_path: Path) -> None:
    db = tmp_path / "audit.duckdb"
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE challenges")
    con.close()
    with pytest.raises(StoreError, match=r"schema version 4 but no table 'challenges'"):
        Store(db)


# -- the report section ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def challenged_store(challenged: Verification, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("challenged-store") / "audit.duckdb"
    store_verification(db, challenged, item())
    return db


def test_the_report_counts_each_agents_challenges_with_the_survival_rate(challenged_store: Path) -> None:
    code, out, err = cli("audit", "report", "--format", "markdown", "--db", challenged_store)
    assert code == 0, err
    rows = {row.pop("agent"): row for row in markdown_tables(out)["challenges per agent"]}
    names = ("challenged", "withdrawn", "amended", "defended", "failed", "answered", "survived", "survival_rate")
    assert rows == {
        "Claude": dict(zip(names, ("1", "0", "1", "0", "0", "1", "1", str(Rate(1, 1))), strict=True)),
        "Codex": dict(zip(names, ("1", "1", "0", "0", "0", "1", "0", str(Rate(0, 1))), strict=True)),
        "Gemini": dict(zip(names, ("1", "0", "0", "0", "1", "0", "0", "— (0/0)"), strict=True)),
    }
    assert rows["Claude"]["survival_rate"] == "100.0% (1/1, 95% CI 20.7–100.0%)"
    assert "- `survival_rate` (Survival rate): survived / answered" in out


def test_the_report_gives_tokens_and_cost_per_model(challenged_store: Path) -> None:
    code, out, err = cli("audit", "report", "--format", "markdown", "--db", challenged_store)
    assert code == 0, err
    rows = markdown_tables(out)["challenges per model"]
    assert [(r["provider"], r["model"], r["challenges"], r["answered"], r["survived"], r["input_tokens"],
             r["output_tokens"], r["priced"], r["cost_usd"], r["seconds"]) for r in rows] == [
        ("anthropic", "claude-x", "2", "1", "1", "1200", "80", "1", "0.0042", "63.25"),
        ("openai", "gpt-y", "1", "1", "0", "900", "40", "0", "", "1.5")]


def test_the_json_report_gives_the_survival_rate_with_its_interval(challenged_store: Path) -> None:
    code, out, err = cli("audit", "report", "--format", "json", "--db", challenged_store)
    assert code == 0, err
    [section] = [t for t in json.loads(out) if t["title"] == "challenges per agent"]
    rate = {row[0]: row[section["columns"].index("survival_rate")] for row in section["rows"]}
    assert rate["Claude"] == Rate(1, 1).data() and rate["Codex"] == Rate(0, 1).data()
    assert rate["Gemini"] == {"k": 0, "n": 0, "rate": None, "ci_low": None, "ci_high": None}
    assert section["definitions"]["failed"].startswith("challenges the model could not be asked")


def test_the_terminal_report_ends_with_the_challenges(challenged_store: Path) -> None:
    code, out, err = cli("audit", "report", "--db", challenged_store)
    assert code == 0, err
    assert out.index("consolidator comparison") < out.index("challenges per agent") < out.index("challenges per model")


def test_a_store_without_challenges_has_no_challenges_section(demo_store: Path) -> None:
    code, out, err = cli("audit", "report", "--format", "json", "--db", demo_store)
    assert code == 0, err
    assert not any("challenge" in t["title"] for t in json.loads(out))
    with Store(demo_store, read_only=True) as store:
        assert report.challenge_tables(store) == []

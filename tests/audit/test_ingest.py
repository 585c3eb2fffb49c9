"""`reviewvet audit ingest`: finding reviews, verifying each at its head, storing it once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reviewvet.audit import ingest as ing
from reviewvet.audit.store import Store

from .helpers import DEMO_CONTEXT, DEMO_FLAT, DEMO_REVIEW, EMPTY_REVIEW, cli, cli_process, counts, kettle_review, query

FINDINGS = ("SELECT r.source, f.finding_key, f.final_severity, f.false_positive "
            "FROM findings f JOIN reviews r USING (review_id) ORDER BY ALL")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_demo_review_is_verified_at_the_commits_it_names(tmp_path: Path, demo_repo: Any) -> None:
    db = tmp_path / "audit.duckdb"
    code, out, err = cli("audit", "ingest", DEMO_REVIEW, "--repo", demo_repo.path, "--db", db)
    assert code == 0, err
    assert out.startswith("1 files: 1 added, 0 replaced, 0 unverified, 0 unchanged, 0 skipped")
    [(status, reason, repository, month, head)] = query(
        db, "SELECT status, reason, repository, month, head_used FROM reviews")
    assert (status, reason, repository, month) == ("verified", "", "example-org/beacon", "2026-01")
    assert head == demo_repo.head_sha
    assert {r[0] for r in query(db, "SELECT agent FROM agents")} == {"Claude", "Codex", "Gemini"}
    # Checks ran: quotes were matched against the files at the head.
    assert query(db, "SELECT count(*) FROM claims WHERE kind = 'quote' AND status = 'exact'")[0][0] > 0


def test_ingesting_the_same_files_again_changes_nothing(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    review = write(tmp_path / "reviews", "pr-7.md", kettle_review(head))
    db = tmp_path / "audit.duckdb"
    assert cli("audit", "ingest", review, "--repo", repo.path, "--db", db)[0] == 0
    before, rows = counts(db), query(db, "SELECT review_id, ingested_at FROM reviews")
    code, out, _ = cli("audit", "ingest", review, "--repo", repo.path, "--db", db)
    assert code == 0
    assert out.startswith("1 files: 0 added, 0 replaced, 0 unverified, 1 unchanged, 0 skipped")
    assert counts(db) == before
    assert query(db, "SELECT review_id, ingested_at FROM reviews") == rows


def test_a_changed_report_replaces_its_rows(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    review = write(tmp_path, "pr-7.md", kettle_review(head))
    db = tmp_path / "audit.duckdb"
    assert cli("audit", "ingest", review, "--repo", repo.path, "--db", db)[0] == 0
    before = counts(db)
    review.write_text(kettle_review(head, title="20260210-093000-pr-7 (amended)"), encoding="utf-8")
    code, out, _ = cli("audit", "ingest", review, "--repo", repo.path, "--db", db)
    assert code == 0
    assert "1 replaced" in out
    assert counts(db) == before  # the old rows went, none doubled
    assert query(db, "SELECT title FROM reviews") == [("Deep Review: 20260210-093000-pr-7 (amended)",)]
    assert query(db, "SELECT count(DISTINCT review_id) FROM findings") == [(1,)]


def test_folder_lists_non_review_files_and_empty_reviews_as_skipped(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    folder = tmp_path / "reviews"
    write(folder, "pr-7.md", kettle_review(head))
    write(folder, "notes.csv", "a,b\n")
    write(folder / "img", "chart.png", "not really a png")
    write(folder, "pr-8.md", EMPTY_REVIEW)
    write(folder, ".hidden.md", kettle_review(head, title="hidden"))
    db = tmp_path / "audit.duckdb"
    code, out, _ = cli("audit", "ingest", folder, "--repo", repo.path, "--db", db)
    assert code == 0
    assert out.startswith("4 files: 1 added, 0 replaced, 0 unverified, 0 unchanged, 3 skipped")
    assert f"skipped: {folder / 'notes.csv'}: not a review file (.csv)" in out
    assert f"skipped: {folder / 'img' / 'chart.png'}: not a review file (.png)" in out
    assert f"skipped: {folder / 'pr-8.md'}: no findings (not a review?)" in out
    assert ".hidden.md" not in out
    assert query(db, "SELECT source FROM reviews") == [(str(folder / "pr-7.md"),)]


def lost_review(commit: str = "0badc0d") -> str:
    """A kettle review whose head is not in the repository and whose commit subject matches none."""
    return kettle_review(commit).replace("kettle: refuse to boil without water", "kettle: a commit never pushed")


def test_review_whose_head_is_not_in_the_repository_is_stored_unverified(tmp_path: Path, kettle: Any) -> None:
    repo, _ = kettle
    review = write(tmp_path, "pr-7.md", lost_review())
    db = tmp_path / "audit.duckdb"
    code, out, _ = cli("audit", "ingest", review, "--repo", repo.path, "--db", db)
    assert code == 0
    reason = ("the review's head (0badc0d) is not in the repository, its pull request has no ref here and no "
              "commit matches its commit subjects")
    assert f"unverified: {review}: {reason}" in out
    assert query(db, "SELECT status, reason, head_named, head_used FROM reviews") == [
        ("unverified", reason, "0badc0d", None)]
    assert query(db, "SELECT DISTINCT status FROM findings") == [("unverified",)]
    assert query(db, "SELECT count(*) FROM claims") == [(0,)]


def test_mapping_file_gives_an_unnamed_head(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    review = write(tmp_path, "pr-7.md", lost_review())
    mapping = write(tmp_path, "map.yaml", "pr-7.md:\n  head: fix/dry-kettle\n  base: main\n")
    db = tmp_path / "audit.duckdb"
    code, out, err = cli("audit", "ingest", review, "--repo", repo.path, "--map", mapping, "--db", db)
    assert code == 0, err
    assert "1 added" in out
    assert query(db, "SELECT status, head_used, head_how, head_evidence FROM reviews") == [
        ("verified", head, "map", "substitute-head")]
    assert query(db, "SELECT finding_key, status FROM findings ORDER BY 1") == [
        ("consolidated/I1", "verified"), ("consolidated/S1", "verified")]


def test_mapping_to_a_missing_revision_stores_the_review_unverified_with_the_reason(tmp_path: Path,
                                                                                    kettle: Any) -> None:
    repo, _ = kettle
    review = write(tmp_path, "pr-7.md", kettle_review("0badc0d"))
    mapping = write(tmp_path, "map.yaml", "pr-7.md: {head: fix/no-such-branch}\n")
    db = tmp_path / "audit.duckdb"
    assert cli("audit", "ingest", review, "--repo", repo.path, "--map", mapping, "--db", db)[0] == 0
    [(status, reason)] = query(db, "SELECT status, reason FROM reviews")
    assert status == "unverified"
    assert reason.startswith("verification failed:") and "fix/no-such-branch" in reason


def test_a_mapping_given_later_verifies_a_stored_unverified_review(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    review = write(tmp_path, "pr-7.md", lost_review())
    mapping = write(tmp_path, "map.yaml", "pr-7.md: {head: fix/dry-kettle}\n")
    db = tmp_path / "audit.duckdb"
    assert cli("audit", "ingest", review, "--repo", repo.path, "--db", db)[0] == 0
    assert query(db, "SELECT status FROM reviews") == [("unverified",)]
    code, out, _ = cli("audit", "ingest", review, "--repo", repo.path, "--map", mapping, "--db", db)
    assert (code, out.startswith("1 files: 0 added, 1 replaced")) == (0, True), out
    assert query(db, "SELECT status, head_used, head_how FROM reviews") == [("verified", head, "map")]


def test_review_about_another_repository_than_origin_is_stored_unverified(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    repo.run("remote", "add", "origin", "https://example.com/acme/other.git")
    review = write(tmp_path, "pr-7.md", kettle_review(head))
    db = tmp_path / "audit.duckdb"
    code, out, _ = cli("audit", "ingest", review, "--repo", repo.path, "--db", db)
    assert code == 0
    [(status, reason)] = query(db, "SELECT status, reason FROM reviews")
    assert status == "unverified"
    assert "'acme/kettle'" in reason and "'https://example.com/acme/other.git'" in reason
    assert f"unverified: {review}: {reason}" in out


def test_review_about_the_origin_repository_is_verified(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    repo.run("remote", "add", "origin", "git@github.com:acme/kettle.git")
    review = write(tmp_path, "pr-7.md", kettle_review(head))
    db = tmp_path / "audit.duckdb"
    assert cli("audit", "ingest", review, "--repo", repo.path, "--db", db)[0] == 0
    assert query(db, "SELECT status FROM reviews") == [("verified",)]


def test_origin_whose_name_only_ends_like_the_reviewed_repository_is_another_repository(
        tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    repo.run("remote", "add", "origin", "https://example.com/not-acme/kettle.git")
    review = write(tmp_path, "pr-7.md", kettle_review(head))
    db = tmp_path / "audit.duckdb"
    assert cli("audit", "ingest", review, "--repo", repo.path, "--db", db)[0] == 0
    assert query(db, "SELECT status FROM reviews") == [("unverified",)]


def test_origin_spelled_in_other_case_is_the_same_repository(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    repo.run("remote", "add", "origin", "https://github.com/Acme/Kettle.git")
    review = write(tmp_path, "pr-7.md", kettle_review(head))
    db = tmp_path / "audit.duckdb"
    assert cli("audit", "ingest", review, "--repo", repo.path, "--db", db)[0] == 0
    assert query(db, "SELECT status FROM reviews") == [("verified",)]


def test_git_branch_reads_reviews_committed_on_a_branch_without_checking_it_out(tmp_path: Path,
                                                                                kettle: Any) -> None:
    repo, head = kettle
    repo.branch("reports", "main")
    repo.checkout("reports")
    repo.commit("reports: PR 7", {"reviews/pr-7.md": kettle_review(head), "reviews/pr-8.md": EMPTY_REVIEW,
                                  "reviews/chart.svg": "<svg/>"}, date="2026-02-11T09:00:00+00:00")
    repo.checkout("fix/dry-kettle")
    state = (repo.rev("HEAD"), repo.run("symbolic-ref", "HEAD"), repo.run("status", "--porcelain"))
    db = tmp_path / "audit.duckdb"
    code, out, err = cli("audit", "ingest", "--git-branch", "reports", "--repo", repo.path, "--db", db)
    assert code == 0, err
    assert "1 added" in out
    assert "skipped: reports:reviews/chart.svg: not a review file" in out
    assert "skipped: reports:reviews/pr-8.md: no findings (not a review?)" in out
    assert query(db, "SELECT source, status, head_used FROM reviews") == [("reports:reviews/pr-7.md", "verified",
                                                                           head)]
    assert (repo.rev("HEAD"), repo.run("symbolic-ref", "HEAD"), repo.run("status", "--porcelain")) == state
    assert not (repo.path / "reviews").exists()


def test_two_jobs_store_the_same_rows_as_one(tmp_path: Path, demo_repo: Any) -> None:
    rows = []
    for jobs in (1, 2):
        db = tmp_path / f"jobs-{jobs}.duckdb"
        code, out, err = cli("audit", "ingest", DEMO_REVIEW, DEMO_FLAT, "--repo", demo_repo.path, "--context",
                             DEMO_CONTEXT, "--jobs", jobs, "--db", db)
        assert code == 0, err
        assert out.startswith("2 files: 2 added, 0 replaced, 0 unverified, 0 unchanged, 0 skipped")
        rows.append(query(db, FINDINGS))
    assert rows[0] == rows[1]
    assert len(rows[0]) > 20 and any(r[3] for r in rows[0])  # something was judged a false positive


def test_second_ingest_while_one_is_running_exits_2_and_the_first_completes(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    first = write(tmp_path, "pr-7.md", kettle_review(head))
    second = write(tmp_path, "pr-7b.md", kettle_review(head, title="second"))
    db = tmp_path / "audit.duckdb"
    items, _ = ing.from_paths([first])
    with Store(db) as store:  # the first ingest holds the store ...
        proc = cli_process("audit", "ingest", second, "--repo", repo.path, "--db", db)
        summary = ing.ingest(store, items, ing.Options(repo.path))  # ... and finishes while the second is refused
    assert proc.returncode == 2
    assert "is in use by another reviewvet process" in proc.stderr and "Traceback" not in proc.stderr
    assert [o.status for o in summary.outcomes] == ["added"]
    assert query(db, "SELECT source, status FROM reviews") == [(str(first), "verified")]


def test_two_copies_of_one_review_in_one_ingest_are_stored_once(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    folder = tmp_path / "reviews"
    write(folder, "a.md", kettle_review(head))
    write(folder, "copy-of-a.md", kettle_review(head))
    db = tmp_path / "audit.duckdb"
    code, out, err = cli("audit", "ingest", folder, "--repo", repo.path, "--db", db)
    assert (code, "Traceback" in err) == (0, False)
    assert "1 unchanged" in out
    assert query(db, "SELECT count(*) FROM reviews") == [(1,)]


def test_a_changed_report_named_by_another_spelling_of_its_path_still_replaces(
        tmp_path: Path, kettle: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, head = kettle
    review = write(tmp_path, "pr-7.md", kettle_review(head))
    db = tmp_path / "audit.duckdb"
    monkeypatch.chdir(tmp_path)
    assert cli("audit", "ingest", "pr-7.md", "--repo", repo.path, "--db", db)[0] == 0
    review.write_text(kettle_review(head, title="amended"), encoding="utf-8")
    code, out, _ = cli("audit", "ingest", review, "--repo", repo.path, "--db", db)
    assert "1 replaced" in out
    assert query(db, "SELECT title FROM reviews") == [("Deep Review: amended",)]


# -- one bad review is skipped, the rest are stored ------------------------------------------------


def test_a_line_number_past_two_billion_is_stored_without_the_number_and_the_batch_goes_on(
        tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    folder = tmp_path / "reviews"
    claims = {"reviewvet_claims": 1, "head": head, "findings": [
        {"id": "I1", "title": "the loop overshoots", "severity": "important",
         "locations": [{"path": "kettle/boil.go", "start": 3_000_000_000, "end": 3_000_000_002}],
         "quotes": [{"text": "k.Heat(5)", "language": "go"}]}]}
    write(folder, "a-huge-line.json", json.dumps(claims))
    write(folder, "b-fine.md", kettle_review(head, title="fine"))
    db = tmp_path / "audit.duckdb"
    code, out, err = cli("audit", "ingest", folder, "--repo", repo.path, "--db", db)
    assert code == 0, err
    assert out.startswith("2 files: 2 added"), out
    assert query(db, "SELECT kind, status, start_line, end_line FROM claims "
                     "WHERE detail = 'kettle/boil.go:3000000000-3000000002'") == [("line", "wrong", None, None)]
    assert query(db, "SELECT count(*) FROM findings") == [(3,)]


def test_rows_that_do_not_fit_skip_their_review_with_the_reason_and_the_store_is_unchanged(
        tmp_path: Path) -> None:
    from .helpers import finding_row, review_row

    db = tmp_path / "audit.duckdb"
    item = ing.Item(str(tmp_path / "r.md"), "r.md", "text")
    rows = {"reviews": [review_row("c" * 32, "bad")], "findings": [finding_row("c" * 32, 1, line=2**40)]}
    with Store(db) as store:
        outcome = ing._store(store, item, [], ing.Checked("unverified", "no --repo given", rows, 1))
        good = ing._store(store, item, [], ing.Checked("unverified", "no --repo given",
                                                       {"reviews": [review_row("d" * 32, "ok")]}))
    assert (outcome.status, good.status) == ("skipped", "unverified")
    assert outcome.reason.startswith("cannot be stored: Conversion Error") and "INT32" in outcome.reason
    assert query(db, "SELECT review_id FROM reviews") == [("d" * 32,)]
    assert query(db, "SELECT count(*) FROM findings") == [(0,)]


# -- the per-review time budget --------------------------------------------------------------------


def test_reviews_over_the_budget_are_skipped_and_the_ingest_ends(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    folder = tmp_path / "reviews"
    write(folder, "pr-7.md", kettle_review(head))
    write(folder, "pr-7b.md", kettle_review(head, title="second"))
    db = tmp_path / "audit.duckdb"
    code, out, err = cli("audit", "ingest", folder, "--repo", repo.path, "--review-budget", "0.001", "--db", db)
    assert code == 0, err
    assert out.startswith("2 files: 0 added, 0 replaced, 0 unverified, 0 unchanged, 2 skipped"), out
    for name in ("pr-7.md", "pr-7b.md"):
        assert f"skipped: {folder / name}: over budget: not done in 0.001 s, the time allowed for one review" in out
    assert counts(db)["reviews"] == 0
    # Nothing of the stopped work is left behind: a second ingest with the default budget stores both.
    code, out, err = cli("audit", "ingest", folder, "--repo", repo.path, "--db", db)
    assert (code, out.startswith("2 files: 2 added")) == (0, True), out + err


@pytest.mark.parametrize("budget", ["0", "-1", "inf", "nan"])
def test_a_budget_that_is_not_a_positive_number_is_a_usage_error(tmp_path: Path, budget: str) -> None:
    review = write(tmp_path, "pr-8.md", EMPTY_REVIEW)
    code, out, err = cli("audit", "ingest", review, "--review-budget", budget, "--db", tmp_path / "a.duckdb")
    assert (code, out) == (2, "")
    assert err.startswith(f"reviewvet: error: --review-budget {float(budget)!r} must be")
    assert not (tmp_path / "a.duckdb").exists()


# -- reviews on a git branch get the checks files get ------------------------------------------------


def test_git_branch_reviews_get_the_size_and_binary_checks_of_files(tmp_path: Path, kettle: Any) -> None:
    from reviewvet.ingest.parse import MAX_REVIEW_BYTES

    repo, head = kettle
    huge = "# Deep Review: huge\n" + "x" * MAX_REVIEW_BYTES
    repo.branch("reports", "main")
    repo.checkout("reports")
    repo.commit("reports", {"reviews/pr-7.md": kettle_review(head), "reviews/huge.md": huge,
                            "reviews/binary.md": "# Deep Review\x00\x01\x02\n"}, date="2026-02-11T09:00:00+00:00")
    repo.checkout("main")
    db = tmp_path / "audit.duckdb"
    code, out, err = cli("audit", "ingest", "--git-branch", "reports", "--repo", repo.path, "--db", db)
    assert code == 0, err
    assert out.startswith("5 files: 1 added"), out  # and the repository's README.md and boil.go
    size = len(huge.encode())
    assert (f"skipped: reports:reviews/huge.md: review 'reports:reviews/huge.md' is {size} bytes; "
            f"the limit is {MAX_REVIEW_BYTES}") in out
    assert "skipped: reports:reviews/binary.md: review 'reports:reviews/binary.md' is a binary file" in out
    assert query(db, "SELECT source FROM reviews") == [("reports:reviews/pr-7.md",)]


@pytest.mark.parametrize("jobs", ["0", "100000"])
def test_jobs_are_bounded(tmp_path: Path, jobs: str) -> None:
    review = write(tmp_path, "pr-8.md", EMPTY_REVIEW)
    code, out, err = cli("audit", "ingest", review, "--jobs", jobs, "--db", tmp_path / "a.duckdb")
    assert (code, out) == (2, "")
    assert err.startswith(f"reviewvet: error: --jobs {jobs} must be between 1 and ")
    assert not (tmp_path / "a.duckdb").exists()


def test_outcome_lines_spell_out_control_characters(tmp_path: Path, kettle: Any) -> None:
    repo, _ = kettle
    folder = tmp_path / "reviews"
    write(folder, "clear\x1b[2J.csv", "a,b\n")
    code, out, _ = cli("audit", "ingest", folder, "--repo", repo.path, "--db", tmp_path / "audit.duckdb")
    assert code == 0
    assert "\x1b" not in out and "clear\\x1b[2J.csv" in out


def test_a_force_pushed_review_whose_commits_survive_is_verified_at_them(make_repo, tmp_path: Path) -> None:
    """The review's own commits are still in the object store though no ref reaches them: ingest
    verifies at them (the code the review read), as ``verify --head auto`` does, without asking
    every ref which commits it holds."""
    from tests.resolve.test_revisions import flat_review, force_push, gone, history

    repo = history(make_repo)
    old = [repo.rev("feature~1"), repo.rev("feature")]
    force_push(repo, gc=False)
    assert not any(gone(repo, sha) for sha in old)
    review = tmp_path / "review.md"
    review.write_text(flat_review(old), encoding="utf-8")
    db = tmp_path / "audit.duckdb"
    code, out, err = cli("audit", "ingest", review, "--repo", repo.path, "--base", "main", "--db", db)
    assert code == 0, err
    assert query(db, "SELECT status, head_used FROM reviews") == [("verified", old[-1])]

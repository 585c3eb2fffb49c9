"""`audit ingest` picks each review's head as `verify --head auto` does (or from another report of
its branch, or from the mapping), records how, and tells a mirror's origin from another repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reviewvet.audit import ingest as ing

from .helpers import BOIL_PR, cli, kettle_review, query

HEADS = "SELECT status, head_how, head_evidence, head_used FROM reviews"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def gone(repo: Any, sha: str) -> bool:
    proc = subprocess.run(["git", "-C", str(repo.path), "cat-file", "-e", f"{sha}^{{commit}}"],
                          capture_output=True, check=False)
    return proc.returncode != 0


def force_push(repo: Any, old: str) -> str:
    """`fix/dry-kettle` rewritten (same subject, another date and a line more) and the old head pruned,
    as in a fresh clone after a force-push. Returns the new head."""
    repo.checkout("fix/dry-kettle")
    repo.run("reset", "-q", "--hard", "main~1")
    new: str = repo.commit("kettle: refuse to boil without water", {"kettle/boil.go": BOIL_PR + "// rebased\n"},
                           date="2026-02-05T09:00:00+00:00")
    repo.checkout("main")
    repo.run("reflog", "expire", "--expire=now", "--all")
    repo.run("gc", "-q", "--prune=now")
    assert gone(repo, old) and not gone(repo, new)
    return new


def branch_only(title: str = "20260211-100000-pr-7") -> str:
    """A kettle review naming its branch but no head and no commits."""
    text = kettle_review("0000000", title=title)
    lines = [line for line in text.splitlines(keepends=True) if "**Commits**" not in line]
    return "".join(lines).replace("| **Date** | 2026-02-10 09:30 |", "| **Date** | 2026-02-11 10:00 |")


def ingest(*args: Any) -> tuple[str, dict[str, Any]]:
    """The text summary and the JSON summary of two runs of the same ingest into two stores."""
    *front, db = args
    code, text, err = cli("audit", "ingest", *front, "--db", db)
    assert code == 0, err
    code, out, err = cli("audit", "ingest", *front, "--db", Path(str(db) + ".json"), "--format", "json")
    assert code == 0, err
    return text, json.loads(out)


# -- heads as `verify --head auto` picks them --------------------------------------------------------


def test_a_review_whose_head_is_here_is_verified_at_it(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    review = write(tmp_path, "pr-7.md", kettle_review(head))
    text, data = ingest(review, "--repo", repo.path, tmp_path / "a.duckdb")
    assert query(tmp_path / "a.duckdb", HEADS) == [("verified", "review", "reviewed-head", head)]
    assert "1 reviews: 1 verified at the reviewed head, 0 at a substitute head, 0 at a head given, 0 unverified" in text
    assert data["outcomes"][0]["evidence"] == "reviewed-head" and data["outcomes"][0]["how"] == "review"


def test_a_force_pushed_head_is_found_through_the_pull_requests_ref(tmp_path: Path, kettle: Any) -> None:
    repo, old = kettle
    new = force_push(repo, old)
    repo.run("update-ref", "refs/pull/7/head", new)
    review = write(tmp_path, "pr-7.md", kettle_review(old))
    text, data = ingest(review, "--repo", repo.path, tmp_path / "a.duckdb")
    assert query(tmp_path / "a.duckdb", HEADS) == [("verified", "pr-ref", "substitute-head", new)]
    assert "0 verified at the reviewed head, 1 at a substitute head (1 pr-ref)" in text
    assert data["sample"]["substitute_by"] == {"pr-ref": 1}


def test_a_force_pushed_head_is_found_by_its_commit_subjects(tmp_path: Path, kettle: Any) -> None:
    repo, old = kettle
    new = force_push(repo, old)
    review = write(tmp_path, "pr-7.md", kettle_review(old))
    _, data = ingest(review, "--repo", repo.path, tmp_path / "a.duckdb")
    assert query(tmp_path / "a.duckdb", HEADS) == [("verified", "subjects", "substitute-head", new)]
    assert data["sample"]["substitute_by"] == {"subjects": 1}


def test_the_mapping_wins_over_the_reviews_own_head(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    review = write(tmp_path, "pr-7.md", kettle_review(head))
    mapping = write(tmp_path, "map.yaml", "pr-7.md: {head: main}\n")
    text, _ = ingest(review, "--repo", repo.path, "--map", mapping, tmp_path / "a.duckdb")
    assert query(tmp_path / "a.duckdb", HEADS) == [("verified", "map", "substitute-head", repo.rev("main"))]
    assert "1 at a substitute head (1 map)" in text


def test_one_set_of_repository_facts_serves_every_review_of_a_process(
        tmp_path: Path, kettle: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewvet.git import Git

    repo, old = kettle
    new = force_push(repo, old)
    walks: list[str] = []
    log_all = Git.log_all

    def counted(self: Git, *args: Any, **kwargs: Any) -> Any:
        walks.append(str(self.repo))
        return log_all(self, *args, **kwargs)

    monkeypatch.setattr(Git, "log_all", counted)
    options = ing.Options(repo.path)
    answers = [ing.verify_item(ing.Item(f"pr-7-{n}.md", f"pr-7-{n}.md", kettle_review(old, title=f"round {n}")),
                               options) for n in range(3)]
    assert [(a.status, a.head, a.choice.how if a.choice else None) for a in answers] == [
        ("verified", new, "subjects")] * 3
    assert len(walks) == 1


# -- reports naming only their branch -----------------------------------------------------------------


def test_a_report_naming_only_its_branch_takes_the_newest_head_of_another_report_of_it(
        tmp_path: Path, kettle: Any) -> None:
    repo, first = kettle
    repo.checkout("fix/dry-kettle")
    second = repo.commit("readme: mention dry kettles", {"README.md": "# kettle\n\nNever dry.\n"},
                         date="2026-02-06T09:00:00+00:00")
    repo.checkout("main")
    folder = tmp_path / "reviews"
    # The newest report sorts neither first nor last: the head is chosen by the reports' dates.
    for name, head, day in (("a-round-1", first, "10"), ("b-round-2", second, "12"), ("c-round-0", first, "09")):
        write(folder, f"{name}.md", kettle_review(head, title=name).replace("2026-02-10 09:30", f"2026-02-{day} 09:30"))
    write(folder, "d-branch-only.md", branch_only())
    text, data = ingest(folder, "--repo", repo.path, tmp_path / "a.duckdb")
    assert query(tmp_path / "a.duckdb", f"{HEADS} ORDER BY source") == [
        ("verified", "review", "reviewed-head", first), ("verified", "review", "reviewed-head", second),
        ("verified", "review", "reviewed-head", first), ("verified", "branch", "substitute-head", second)]
    assert "4 reviews: 3 verified at the reviewed head, 1 at a substitute head (1 branch)" in text
    assert data["sample"]["substitute_by"] == {"branch": 1}
    # The stand-in head is graded as one in every finding too: never taken at its word.
    graded = query(tmp_path / "a.duckdb", "SELECT DISTINCT f.evidence FROM findings f JOIN reviews r "
                   "USING (review_id) WHERE r.head_how = 'branch'")
    assert graded == [("substitute-head",)]


def test_a_report_naming_only_its_branch_alone_is_unverified_with_the_reason(tmp_path: Path, kettle: Any) -> None:
    repo, _ = kettle
    review = write(tmp_path, "branch-only.md", branch_only())
    text, data = ingest(review, "--repo", repo.path, tmp_path / "a.duckdb")
    [(status, how, reason)] = query(tmp_path / "a.duckdb", "SELECT status, head_how, reason FROM reviews")
    assert (status, how) == ("unverified", None)
    assert reason == ("the review names no head commit, its pull request has no ref here, nor has any other report "
                      "of its branch 'fix/dry-kettle' a head, and the mapping file gives none")
    assert "1 reviews: 0 verified at the reviewed head, 0 at a substitute head, 0 at a head given, 1 unverified" in text
    assert "unverified: 1 names no head" in text
    assert data["sample"]["unverified"] == {"no-head": 1}


def test_a_report_naming_only_its_branch_takes_the_head_of_one_stored_before(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    folder = tmp_path / "reviews"
    named = write(folder, "a.md", kettle_review(head))
    db = tmp_path / "a.duckdb"
    assert cli("audit", "ingest", named, "--repo", repo.path, "--db", db)[0] == 0
    write(folder, "b.md", branch_only())
    code, out, err = cli("audit", "ingest", folder, "--repo", repo.path, "--db", db)
    assert code == 0, err
    assert out.startswith("2 files: 1 added, 0 replaced, 0 unverified, 1 unchanged"), out
    assert "2 reviews: 1 verified at the reviewed head, 1 at a substitute head (1 branch)" in out
    assert query(db, f"{HEADS} WHERE source LIKE '%b.md'") == [("verified", "branch", "substitute-head", head)]


def test_a_stored_unverified_review_is_verified_once_its_head_can_be_found(tmp_path: Path, kettle: Any) -> None:
    repo, old = kettle
    new = force_push(repo, old)
    repo.run("branch", "-D", "fix/dry-kettle")  # nothing holds the new head: the review cannot be verified
    review = write(tmp_path, "pr-7.md", kettle_review(old))
    db = tmp_path / "a.duckdb"
    assert cli("audit", "ingest", review, "--repo", repo.path, "--db", db)[0] == 0
    assert query(db, "SELECT status FROM reviews") == [("unverified",)]
    repo.run("update-ref", "refs/pull/7/head", new)  # the pull request's ref is fetched
    code, out, _ = cli("audit", "ingest", review, "--repo", repo.path, "--db", db)
    assert out.startswith("1 files: 0 added, 1 replaced"), out
    assert query(db, HEADS) == [("verified", "pr-ref", "substitute-head", new)]


# -- which repository -------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["{tmp}/mirrors/kettle.git", "file://{tmp}/mirrors/kettle.git",
                                    "../kettle.bundle"])
def test_an_origin_that_is_a_local_path_is_not_another_repository(tmp_path: Path, kettle: Any, origin: str) -> None:
    repo, head = kettle
    repo.run("remote", "add", "origin", origin.format(tmp=tmp_path))
    review = write(tmp_path, "pr-7.md", kettle_review(head))
    ingest(review, "--repo", repo.path, tmp_path / "a.duckdb")
    assert query(tmp_path / "a.duckdb", "SELECT status, repository FROM reviews") == [("verified", "acme/kettle")]


def test_a_hosted_origin_naming_another_repository_is_still_refused(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    repo.run("remote", "add", "origin", "git@example.com:acme/other.git")
    review = write(tmp_path, "pr-7.md", kettle_review(head))
    text, data = ingest(review, "--repo", repo.path, tmp_path / "a.duckdb")
    assert query(tmp_path / "a.duckdb", "SELECT status, reason FROM reviews") == [
        ("unverified", "the review is about 'acme/kettle', but the repository's origin is "
                       "'git@example.com:acme/other.git'")]
    assert "unverified: 1 about another repository" in text
    assert data["sample"]["unverified"] == {"other-repository": 1}


def test_repo_name_states_the_identity_over_the_origin(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    repo.run("remote", "add", "origin", "https://example.com/acme/other.git")
    review = write(tmp_path, "pr-7.md", kettle_review(head))
    ingest(review, "--repo", repo.path, "--repo-name", "Acme/Kettle", tmp_path / "a.duckdb")
    assert query(tmp_path / "a.duckdb", "SELECT status FROM reviews") == [("verified",)]


def test_repo_name_refuses_a_review_of_another_repository(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    review = write(tmp_path, "pr-7.md", kettle_review(head))
    ingest(review, "--repo", repo.path, "--repo-name", "acme/teapot", tmp_path / "a.duckdb")
    assert query(tmp_path / "a.duckdb", "SELECT status, reason, head_how FROM reviews") == [
        ("unverified", "the review is about 'acme/kettle', but the repository was stated to be 'acme/teapot'", None)]


def test_repo_name_is_stored_for_a_review_that_names_no_repository(tmp_path: Path, kettle: Any) -> None:
    repo, head = kettle
    text = kettle_review(head).replace("| **Repo** | [acme/kettle](https://github.com/acme/kettle) |\n", "")
    review = write(tmp_path, "pr-7.md", text)
    ingest(review, "--repo", repo.path, "--repo-name", "acme/kettle", tmp_path / "a.duckdb")
    assert query(tmp_path / "a.duckdb", "SELECT status, repository FROM reviews") == [("verified", "acme/kettle")]


@pytest.mark.parametrize("name", ["kettle", "acme/kettle/extra", "-acme/kettle", "acme/..", "acme/", "acme kettle/x"])
def test_repo_name_must_be_owner_slash_name(tmp_path: Path, name: str) -> None:
    review = write(tmp_path, "pr-7.md", kettle_review("abc1234"))
    code, out, err = cli("audit", "ingest", review, f"--repo-name={name}", "--db", tmp_path / "a.duckdb")
    assert (code, out) == (2, "")
    assert err.startswith(f"reviewvet: error: --repo-name {name!r} must be OWNER/NAME")
    assert not (tmp_path / "a.duckdb").exists()



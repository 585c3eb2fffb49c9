"""Repository facts: the subject history, ref containment and pull-request refs are worked out once
per state of the refs and shared by every review; an explicit head asks none of them; nothing is
written into the repository.

git processes are counted by kind from git's own trace (``GIT_TRACE`` names a file that every git
process appends a line to), so a scan run by any path, in this process or a worker, is seen.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from reviewvet.api import open_workspace, read_review, verify
from reviewvet.cli import main
from reviewvet.git import Git
from reviewvet.resolve.facts import RepositoryFacts
from reviewvet.resolve.revisions import check_review_head

from tests.audit.helpers import cli_process, query

from tests.resolve.test_revisions import SUBJECTS, flat_review, force_push, gone, history

Trace = Callable[[], Counter[str]]
REVIEWS = 5


@pytest.fixture
def git_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Trace:
    """From now on every git process is traced; the function counts them by kind so far."""
    log = tmp_path / "git-trace.log"
    monkeypatch.setenv("GIT_TRACE", str(log))
    return lambda: kinds(log)


def kinds(log: Path) -> Counter[str]:
    """git processes of a trace by kind: 'log --all', 'log --first-parent', 'for-each-ref --contains SHA',
    else the command."""
    counted: Counter[str] = Counter()
    text = log.read_text(errors="replace") if log.exists() else ""
    for line in text.splitlines():
        if "trace: built-in: git " not in line:
            continue
        words = re.sub(r" -c \S+", "", line.split("trace: built-in: git ", 1)[1]).split()
        if words[0] == "log" and "--all" in words:
            counted["log --all"] += 1
        elif words[0] == "log" and "--first-parent" in words:
            counted["log --first-parent"] += 1
        elif words[0] == "for-each-ref" and any("--contains" in w for w in words):
            counted[f"for-each-ref --contains {_contained(words)}"] += 1
        else:
            counted[words[0]] += 1
    return counted


def _contained(words: list[str]) -> str:
    return next(w.strip("'").split("=", 1)[1] for w in words if "--contains" in w)


def contains_runs(counted: Counter[str]) -> dict[str, int]:
    """How often ``for-each-ref --contains`` ran, per commit asked about."""
    return {k.rsplit(" ", 1)[1]: n for k, n in counted.items() if k.startswith("for-each-ref --contains")}


def reviews_of(shas: list[str], count: int = REVIEWS) -> list[str]:
    """``count`` different reviews naming the same commits (only their titles differ)."""
    text = flat_review(shas)
    return [text.replace("# Deep Review: queue limit", f"# Deep Review: queue limit, round {n}") for n in range(count)]


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (the work tree and the git directory) with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- shared between reviews ----------------------------------------------------------------------


def test_head_auto_for_many_reviews_reads_the_history_of_every_ref_once(make_repo, git_trace: Trace) -> None:
    repo = history(make_repo)
    old = [repo.rev("feature~1"), repo.rev("feature")]
    tip = force_push(repo)
    assert all(gone(repo, sha) for sha in old)
    facts = RepositoryFacts()
    heads = []
    for text in reviews_of(old):
        with open_workspace(repo.path, "auto", "main", use_cache=False, facts=facts) as workspace:
            heads.append(verify(workspace, read_review(text)).revisions.head)
    assert heads == [tip] * REVIEWS  # every review found the rewritten branch by its subjects
    counted = git_trace()
    assert counted["log --all"] == 1
    assert counted["log --first-parent"] == 2  # each candidate's (the two rewritten commits) once, not per review


def test_head_auto_asks_once_per_commit_which_refs_reach_it(make_repo, git_trace: Trace) -> None:
    repo = history(make_repo)
    old = [repo.rev("feature~1"), repo.rev("feature")]
    force_push(repo, gc=False)  # the reviewed commits survive, but no ref reaches them
    kept = repo.rev("main")
    facts = RepositoryFacts()
    texts = reviews_of(old) + reviews_of([kept], 2)
    for text in texts:
        with open_workspace(repo.path, "auto", "main", use_cache=False, facts=facts) as workspace:
            verify(workspace, read_review(text))
    assert contains_runs(git_trace()) == {old[-1]: 1, kept: 1}


def test_an_ingest_of_reviews_whose_heads_are_missing_scans_the_repository_at_most_once(
        make_repo, tmp_path: Path, git_trace: Trace) -> None:
    """Every review names commits a force-push removed; the mapping gives the head. The ingest runs
    in worker processes, so the trace counts their git processes too."""
    repo = history(make_repo)
    old = [repo.rev("feature~1"), repo.rev("feature")]
    force_push(repo)
    folder = tmp_path / "reviews"
    folder.mkdir()
    mapping = {}
    for n, text in enumerate(reviews_of(old, 6)):
        (folder / f"round-{n}.md").write_text(text, encoding="utf-8")
        mapping[f"round-{n}.md"] = {"head": "feature", "base": "main"}
    (tmp_path / "map.json").write_text(json.dumps(mapping), encoding="utf-8")
    db = tmp_path / "audit.duckdb"
    proc = cli_process("audit", "ingest", folder, "--repo", repo.path, "--map", tmp_path / "map.json",
                       "--db", db, "--no-cache", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert query(db, "SELECT count(*) FROM reviews WHERE status = 'verified'") == [(6,)]
    counted = git_trace()
    assert counted["log --all"] <= 1
    assert all(n == 1 for n in contains_runs(counted).values())


def test_check_review_head_with_shared_facts_reads_the_history_once(make_repo, git_trace: Trace) -> None:
    repo = history(make_repo)
    old = [repo.rev("feature~1"), repo.rev("feature")]
    tip = force_push(repo)
    git, facts = Git(repo.path), RepositoryFacts()
    checks = [check_review_head(git, read_review(text), facts=facts) for text in reviews_of(old)]
    assert {c.candidates[0].sha for c in checks} == {tip}
    assert git_trace()["log --all"] == 1


# -- an explicit head --------------------------------------------------------------------------


@pytest.mark.parametrize("gc", [True, False], ids=["reviewed-commits-gone", "reviewed-commits-unreachable"])
def test_an_explicit_head_runs_no_repository_wide_scan(capsys, make_repo, tmp_path: Path, monkeypatch, gc: bool
                                                       ) -> None:
    repo = history(make_repo)
    old = [repo.rev("feature~1"), repo.rev("feature")]
    tip = force_push(repo, gc=gc)
    review = tmp_path / "review.md"
    review.write_text(flat_review(old), encoding="utf-8")
    log = tmp_path / "git-trace.log"
    monkeypatch.setenv("GIT_TRACE", str(log))
    code = main(["verify", str(review), "--repo", str(repo.path), "--head", "feature", "--base", "main",
                 "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    revisions = json.loads(out)["revisions"]
    assert revisions["head"]["sha"] == tip
    assert revisions["review_head"]["candidates"] == []
    counted = kinds(log)
    assert counted["log --all"] == 0
    assert contains_runs(counted) == {}
    assert counted["rev-parse"] > 0  # the trace did record this run's git processes


# -- states of the refs -------------------------------------------------------------------------


def test_a_new_commit_on_a_branch_is_a_new_state_with_new_answers(make_repo, git_trace: Trace) -> None:
    repo = history(make_repo)
    git, facts = Git(repo.path), RepositoryFacts()
    first = facts.state(git)
    assert facts.state(git) is first  # nothing moved: the same answers
    before = first.subject_history(git)
    assert [e.sha for e in before.with_subjects([SUBJECTS[1]])] == [repo.rev("feature")]
    f1 = repo.rev("feature~1")
    assert first.refs_containing(git, f1) == ["refs/heads/feature"]

    repo.checkout("main")
    repo.run("merge", "-q", "--no-ff", "-m", "merge the limit", "feature")
    second = facts.state(git)
    assert second is not first and second.digest != first.digest
    assert second.subject_history(git).with_subjects(["merge the limit"])[0].sha == repo.rev("main")
    assert before.with_subjects(["merge the limit"]) == []
    assert second.refs_containing(git, f1) == ["refs/heads/feature", "refs/heads/main"]
    assert first.subject_history(git) is before  # the old state keeps its own answers
    counted = git_trace()
    assert counted["log --all"] == 2 and contains_runs(counted) == {f1: 2}


def test_a_moved_pull_request_ref_is_a_new_state(make_repo) -> None:
    repo = history(make_repo)
    repo.run("update-ref", "refs/pull/7/head", repo.rev("feature~1"))
    git, facts = Git(repo.path), RepositoryFacts()
    assert facts.state(git).pull_request_refs(7) == [("refs/pull/7/head", repo.rev("feature~1"))]
    repo.run("update-ref", "refs/pull/7/head", repo.rev("feature"))
    assert facts.state(git).pull_request_refs(7) == [("refs/pull/7/head", repo.rev("feature"))]


def test_only_the_last_states_are_kept(make_repo) -> None:
    repo = history(make_repo)
    git, facts = Git(repo.path), RepositoryFacts(max_states=2)
    first = facts.state(git)
    for n in range(2):
        repo.run("update-ref", f"refs/heads/extra-{n}", repo.rev("main"))
        facts.state(git)
    repo.run("update-ref", "-d", "refs/heads/extra-0")
    repo.run("update-ref", "-d", "refs/heads/extra-1")
    again = facts.state(git)
    assert again.digest == first.digest and again is not first  # evicted, so worked out anew


def test_pull_request_refs_match_what_git_lists(make_repo) -> None:
    repo = history(make_repo)
    tip, older = repo.rev("feature"), repo.rev("feature~1")
    for ref, sha in (("refs/pull/7/head", tip), ("refs/pull/7/merge", older), ("refs/pull/70/head", older),
                     ("refs/remotes/up/pr/7", older), ("refs/remotes/origin/pull/7/head", tip),
                     ("refs/remotes/a/b/pull/7/head", older), ("refs/remotes/up/pr/70", older),
                     ("refs/heads/pull/7/head", older)):
        repo.run("update-ref", ref, sha)
    git = Git(repo.path)
    listed = RepositoryFacts().state(git).pull_request_refs(7)
    assert listed == git.pull_request_refs(7)
    assert listed[0] == ("refs/pull/7/head", tip) and len(listed) == 3
    assert RepositoryFacts().state(git).pull_request_refs(8) == git.pull_request_refs(8) == []


def test_a_longer_first_parent_read_answers_a_shorter_one(make_repo, git_trace: Trace) -> None:
    repo = history(make_repo)  # feature's first-parent history: four commits
    git = Git(repo.path)
    state = RepositoryFacts().state(git)
    tip = repo.rev("feature")
    for limit in (3, 2, 1, 3, 10, 4, 50):
        assert state.first_parent_subjects(git, tip, limit) == git.first_parent_subjects(tip, None, limit=limit)
    # Seven reads by git directly; two by the facts: 3, then 10 (which held the whole history).
    assert git_trace()["log --first-parent"] == 7 + 2


def test_an_empty_repository_has_a_state_and_no_answers(make_repo) -> None:
    repo = make_repo("empty")
    git = Git(repo.path)
    state = RepositoryFacts().state(git)
    assert state.refs == () and state.pull_request_refs(1) == []
    assert state.subject_history(git).entries == ()


# -- read-only ------------------------------------------------------------------------------------


def test_facts_write_nothing_into_the_repository(make_repo, tmp_path: Path) -> None:
    repo = history(make_repo)
    old = [repo.rev("feature~1"), repo.rev("feature")]
    force_push(repo, gc=False)
    before = files_of(repo.path)
    facts = RepositoryFacts()
    for text in reviews_of(old, 2) + reviews_of(["1234567"], 1):
        with open_workspace(repo.path, "auto", "main", use_cache=False, facts=facts) as workspace:
            verify(workspace, read_review(text))
    state = facts.state(Git(repo.path))
    state.subject_history(Git(repo.path))
    assert files_of(repo.path) == before
    assert not (repo.path / ".git" / "objects" / "info" / "commit-graph").exists()

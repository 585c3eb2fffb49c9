"""Revisions: merge base (computed, given, stacked), the review's own head, and force-pushed
branches whose reviewed commits no longer exist (candidates by commit subject, --head auto).

History built by ``history()``::

    main:     c1 ── c2 ─────────── c3
                     \\
    feature:          f1 ── f2          (the PR; f1 bounds the queue, f2 documents it)
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


from reviewvet.cli import main
from reviewvet.git import Git
from reviewvet.ingest.parse import parse_review
from reviewvet.resolve.revisions import check_review_head

QUEUE_GO = "package app\n\n// Push appends x.\nfunc Push(x int) {\n\tqueue = append(queue, x)\n}\n"
QUEUE_GO_PR = QUEUE_GO.replace("\tqueue = append", "\tif len(queue) >= limit {\n\t\treturn\n\t}\n\tqueue = append")
SUBJECTS = ("queue: bound the length", "queue: document the limit", "queue: test the limit")
PR_FILES = ({"app/queue.go": QUEUE_GO_PR}, {"docs/limit.md": "The queue holds at most limit items.\n"},
            {"app/queue_test.go": "package app\n\nfunc TestLimit(t *testing.T) {}\n"})

FINDING = """\
## Important Issues

I1. **`Push` drops items silently when the queue is full** — `app/queue.go:5-7` [Codex]

```go
\tif len(queue) >= limit {
\t\treturn
\t}
```

The caller cannot tell a dropped item from a queued one.

*(important, regression — the bound is new in this PR.)*
"""


def pr_commits(repo, day: int, count: int = 2) -> list[str]:
    """Commit the PR's changes on the current branch, one a day from ``day``; return the SHAs."""
    return [repo.commit(SUBJECTS[i], PR_FILES[i], date=f"2026-05-{day + i:02d}T10:00:00+00:00")
            for i in range(count)]


def history(make_repo, count: int = 2):
    repo = make_repo()
    repo.commit("core: add the queue", {"app/queue.go": QUEUE_GO}, date="2026-05-01T09:00:00+00:00")
    repo.commit("core: add pop", {"app/pop.go": "package app\n\nfunc Pop() int { return 0 }\n"},
                date="2026-05-02T09:00:00+00:00")
    repo.branch("feature")
    repo.checkout("feature")
    pr_commits(repo, 3, count)
    repo.checkout("main")
    repo.commit("readme: add usage", {"README.md": "# queue\n"}, date="2026-05-06T09:00:00+00:00")
    return repo


def prune(repo) -> None:
    """Forget unreachable commits, as a fresh clone after a force-push would."""
    repo.run("reflog", "expire", "--expire=now", "--all")
    repo.run("gc", "-q", "--prune=now")


def force_push(repo, count: int = 2, gc: bool = True) -> str:
    """Rewrite `feature` with the same subjects and changes on other dates; return the new tip."""
    fork = repo.rev("feature~%d" % count)
    repo.run("checkout", "-q", "-b", "rewritten", fork)
    tip = pr_commits(repo, 20, count)[-1]
    repo.checkout("main")
    repo.run("branch", "-D", "feature")
    repo.run("branch", "-m", "rewritten", "feature")
    if gc:
        prune(repo)
    return tip


def gone(repo, sha: str) -> bool:
    proc = subprocess.run(["git", "-C", str(repo.path), "cat-file", "-e", f"{sha}^{{commit}}"],
                          capture_output=True, check=False)
    return proc.returncode != 0


def flat_review(shas: list[str], subjects: tuple[str, ...] = SUBJECTS) -> str:
    """Header with the commits one a line (``Commits <sha> <subject>``), then one finding."""
    lines = [f"{sha[:7]} {subject}" for sha, subject in zip(shas, subjects, strict=False)]
    return f"# Deep Review: queue limit\n\nCommits {lines[0]}\n" + "".join(f"{x}\n" for x in lines[1:]) + "\n" + FINDING


def verify(capsys, tmp_path: Path, repo, text: str, *args: str) -> tuple[int, dict | None, str]:
    review = tmp_path / "review.md"
    review.write_text(text, encoding="utf-8")
    code = main(["verify", str(review), "--repo", str(repo.path), "--format", "json", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


# -- merge base ------------------------------------------------------------------------------


def test_merge_base_is_computed_from_base(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    code, data, err = verify(capsys, tmp_path, repo, "# Deep Review\n\n" + FINDING,
                             "--base", "main", "--head", "feature")
    assert code == 0, err
    rev = data["revisions"]
    assert rev["base"] == {"rev": "main", "sha": repo.rev("main")}
    assert rev["head"] == {"rev": "feature", "sha": repo.rev("feature")}
    assert rev["merge_base"] == {"sha": repo.rev("main~1"), "source": "computed"}  # c2, not main's tip c3
    assert data["findings"][0]["quotes"][0]["status"] == "exact"


def test_merge_base_flag_overrides_the_computed_one(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    c1 = repo.rev("main~2")
    code, data, err = verify(capsys, tmp_path, repo, "# Deep Review\n\n" + FINDING,
                             "--base", "main", "--head", "feature", "--merge-base", c1[:10])
    assert code == 0, err
    assert data["revisions"]["merge_base"] == {"sha": c1, "source": "given"}


def test_stacked_pr_uses_the_other_branch_as_base(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    repo.branch("feature-docs", "feature")
    repo.checkout("feature-docs")
    repo.commit("docs: move the limit into the README", {"docs/limit.md": None, "README.md": "# queue\n\nlimit\n"},
                date="2026-05-08T09:00:00+00:00")
    text = ("# Deep Review\n\n## Important Issues\n\nI1. **The limit note is gone** — `docs/limit.md:1` [Claude]\n\n"
            "```\nThe queue holds at most limit items.\n```\n\n*(important, regression — removed here.)*\n")

    code, data, err = verify(capsys, tmp_path, repo, text, "--base", "feature", "--head", "feature-docs")
    assert code == 0, err
    assert data["revisions"]["merge_base"] == {"sha": repo.rev("feature"), "source": "computed"}
    assert repo.rev("feature") != repo.rev("main~1")
    [finding] = data["findings"]
    assert finding["paths"][0]["status"] == "base-only"  # docs/limit.md exists at the stacked base
    assert finding["quotes"][0]["status"] == "base-only"

    code, data, err = verify(capsys, tmp_path, repo, text, "--base", "main", "--head", "feature-docs")
    assert code == 0, err
    assert data["revisions"]["merge_base"]["sha"] == repo.rev("main~1")  # against main, the file never existed
    assert data["findings"][0]["paths"][0]["status"] == "missing"


# -- the review's own head -------------------------------------------------------------------


def test_review_commits_that_exist_are_reported_found(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    shas = [repo.rev("feature~1"), repo.rev("feature")]
    code, data, err = verify(capsys, tmp_path, repo, flat_review(shas), "--base", "main", "--head", "auto")
    assert code == 0, err
    check = data["revisions"]["review_head"]
    assert check["status"] == "found"
    assert check["named"] == [s[:7] for s in shas]
    assert check["found"] == [{"named": s[:7], "sha": s} for s in shas]
    assert check["missing"] == [] and check["candidates"] == []
    assert data["revisions"]["head"]["sha"] == shas[-1]  # auto: the newest of the review's commits


def test_head_row_names_the_reviewed_commit_and_auto_uses_it(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    f1 = repo.rev("feature~1")
    text = f"# Deep Review: queue limit\n\n| | |\n|---|---|\n| **Head** | `{f1[:9]}` |\n\n" + FINDING
    code, data, err = verify(capsys, tmp_path, repo, text, "--base", "main", "--head", "auto")
    assert code == 0, err
    assert data["revisions"]["review_head"]["found"] == [{"named": f1[:9], "sha": f1}]
    assert data["revisions"]["head"]["sha"] == f1  # the reviewed commit, not the branch tip
    assert any("the review's own head" in note for note in data["revisions"]["notes"])


# -- force-pushed branches -------------------------------------------------------------------


def test_rebased_branch_reports_missing_shas_and_a_candidate(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    old = [repo.rev("feature~1"), repo.rev("feature")]
    tip = force_push(repo)
    assert tip not in old and all(gone(repo, sha) for sha in old)
    text = flat_review(old)

    check = check_review_head(Git(repo.path), parse_review(text))
    assert check.status == "missing"
    assert check.missing == tuple(s[:7] for s in old) and check.found == ()
    best = check.candidates[0]
    assert (best.sha, best.matched, best.total, best.confidence) == (tip, 2, 2, 1.0)

    # Candidates are looked for by ``--head auto`` only (an explicit head searches no other history).
    code, data, err = verify(capsys, tmp_path, repo, text, "--base", "main", "--head", "auto")
    assert code == 0, err
    reported = data["revisions"]["review_head"]
    assert reported["status"] == "missing"
    assert reported["missing"] == [s[:7] for s in old]
    first = reported["candidates"][0]
    assert first["sha"] == tip and first["confidence"] == 1.0
    assert first["subject"] == SUBJECTS[1]
    assert "feature" in first["refs"]


def test_force_pushed_commits_not_yet_collected_are_unreachable(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    old = [repo.rev("feature~1"), repo.rev("feature")]
    tip = force_push(repo, gc=False)
    assert not any(gone(repo, sha) for sha in old)  # the objects are still there
    check = check_review_head(Git(repo.path), parse_review(flat_review(old)))
    assert (check.status, check.missing) == ("unreachable", ())
    assert check.unreachable == tuple(s[:7] for s in old)
    assert check.candidates[0].sha == tip
    # The reviewed code is still here: --head auto verifies against it, with certainty.
    code, data, err = verify(capsys, tmp_path, repo, flat_review(old), "--base", "main", "--head", "auto")
    assert code == 0, err
    assert data["revisions"]["head"]["sha"] == old[-1]
    assert data["revisions"]["head_evidence"] == "reviewed-head"
    assert any("no ref reaches it" in n for n in data["revisions"]["notes"])


def test_an_explicit_head_asks_no_ref_whether_it_reaches_the_reviews_head(capsys, tmp_path, make_repo,
                                                                           monkeypatch):
    """Reachability only chooses the head for ``--head auto``: with a head given, the repository-wide
    ``for-each-ref --contains`` is not run, and the answer is the same."""
    repo = history(make_repo)
    old = [repo.rev("feature~1"), repo.rev("feature")]
    code, auto, err = verify(capsys, tmp_path, repo, flat_review(old), "--base", "main", "--head", "auto")
    assert code == 0, err

    def refuse(*args: object, **kwargs: object) -> list[str]:
        raise AssertionError("refs_containing ran for an explicit head")

    monkeypatch.setattr(Git, "refs_containing", refuse)
    code, given, err = verify(capsys, tmp_path, repo, flat_review(old), "--base", "main", "--head", old[-1])
    assert code == 0, err
    assert given["revisions"]["head_evidence"] == auto["revisions"]["head_evidence"] == "reviewed-head"
    assert [f["verdict"] for f in given["findings"]] == [f["verdict"] for f in auto["findings"]]


def test_a_head_is_the_reviewed_one_only_when_every_named_commit_is_here(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    first = repo.rev("feature~1")
    code, data, err = verify(capsys, tmp_path, repo, flat_review([first, "fedcba0987654321"]), "--base", "main",
                             "--head", first)
    assert code == 0, err
    assert data["revisions"]["head_evidence"] == "substitute-head"
    code, data, err = verify(capsys, tmp_path, repo, flat_review([first]), "--base", "main", "--head", first)
    assert data["revisions"]["head_evidence"] == "reviewed-head"


def test_head_auto_verifies_against_the_rewritten_branch(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    old = [repo.rev("feature~1"), repo.rev("feature")]
    tip = force_push(repo)
    code, data, err = verify(capsys, tmp_path, repo, flat_review(old), "--base", "main", "--head", "auto")
    assert code == 0, err
    assert data["revisions"]["head"] == {"rev": "auto", "sha": tip}
    assert any(f"using candidate {tip[:12]} (2/2 subjects match)" in n for n in data["revisions"]["notes"])
    [finding] = data["findings"]
    assert finding["quotes"][0]["status"] == "exact"
    assert finding["quotes"][0]["span"]["rev"] == tip


def test_head_auto_without_a_plausible_candidate_exits_2(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    review = flat_review(["1234567890abcdef", "fedcba0987654321"], ("parser: accept tabs", "lexer: count columns"))
    code, _, err = verify(capsys, tmp_path, repo, review, "--base", "main", "--head", "auto")
    assert code == 2
    assert err.startswith("reviewvet: error: --head: head auto: the review's head is not reachable in the repository")
    assert "name the head to verify against" in err


def test_head_auto_with_a_review_that_names_no_commits_exits_2(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    code, _, err = verify(capsys, tmp_path, repo, "# Deep Review\n\n" + FINDING, "--base", "main", "--head", "auto")
    assert code == 2
    assert "--head: head auto" in err and "name the head to verify against" in err


def pull_request_only(repo) -> tuple[list[str], str]:
    """Rewrite the PR on no branch, keep it only under refs/pull/7/head; return (old SHAs, new tip)."""
    old = [repo.rev("feature~1"), repo.rev("feature")]
    repo.checkout(repo.rev("feature~2"))  # detached: the rewritten commits live on no branch
    tip = pr_commits(repo, 20)[-1]
    repo.run("update-ref", "refs/pull/7/head", tip)
    repo.checkout("main")
    repo.run("branch", "-D", "feature")
    prune(repo)
    assert all(gone(repo, sha) for sha in old) and not gone(repo, tip)
    return old, tip


def test_candidate_under_a_pull_request_ref_is_found(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    old, tip = pull_request_only(repo)
    code, data, err = verify(capsys, tmp_path, repo, flat_review(old), "--base", "main", "--head", "auto")
    assert code == 0, err
    first = data["revisions"]["review_head"]["candidates"][0]
    assert first["sha"] == tip and first["confidence"] == 1.0
    assert data["revisions"]["head"]["sha"] == tip


def test_candidate_under_a_pull_request_ref_names_that_ref(capsys, tmp_path, make_repo):
    repo = history(make_repo)
    old, tip = pull_request_only(repo)
    check = check_review_head(Git(repo.path), parse_review(flat_review(old)))
    assert check.candidates[0].sha == tip
    assert "refs/pull/7/head" in check.candidates[0].refs


def test_head_auto_with_commits_separated_by_br_in_a_table_cell(capsys, tmp_path, make_repo):
    repo = history(make_repo, count=3)
    old = [repo.rev("feature~2"), repo.rev("feature~1"), repo.rev("feature")]
    tip = force_push(repo, count=3)
    cell = "<br>".join(f"`{sha[:7]}` {subject}" for sha, subject in zip(old, SUBJECTS, strict=False))
    text = f"# Deep Review: queue limit\n\n| | |\n|---|---|\n| **Commits** | {cell} |\n\n" + FINDING
    code, data, err = verify(capsys, tmp_path, repo, text, "--base", "main", "--head", "auto")
    assert code == 0, err
    assert data["revisions"]["review_head"]["candidates"][0]["confidence"] == 1.0
    assert data["revisions"]["head"]["sha"] == tip

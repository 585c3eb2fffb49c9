"""Repository shapes that are not plain files must never produce a false positive: a path inside a
submodule, a file stored as a Git LFS pointer, and a short exact quote that lives in another file."""

from __future__ import annotations

from reviewvet.git import Git
from reviewvet.ingest.parse import parse_review
from reviewvet.api import verify_repository
from reviewvet.resolve.snapshot import Snapshot
from reviewvet.model.source import Unreadable

CLIENT_QUOTE = "func (c *Client) Do(req *Request) error {\n\treturn c.send(req)\n}\n"
GITLINK = "1234567890abcdef1234567890abcdef12345678"
LFS_POINTER = ("version https://git-lfs.github.com/spec/v1\n"
               "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")


def review(head: str, code: str, ref: str) -> str:
    heading = f" — `{ref}`" if ref else ""
    return (f"# Deep Review: client\n\n| | |\n|---|---|\n| **PR** | #7 — client |\n"
            f"| **Commits** | `{head}` client |\n\n"
            f"## Important Issues\n\nI1. **Dropped errors**{heading} [Claude]\n\n"
            f"The client drops the send error.\n\n```go\n{code}```\n\n*(important, regression.)*\n")


def only(result):
    (fv,) = [v for v in result.verdicts if v.finding.origin == "consolidated"]
    return fv, result.decisions[fv.finding.key]


def submodule_repo(make_repo):
    """main: an app and a vendor folder; the PR adds a submodule (a gitlink, mode 160000) at vendor/lib."""
    repo = make_repo()
    repo.commit("app", {"app/main.go": "package main\n\nfunc main() {}\n", "vendor/README": "vendored code\n"})
    repo.branch("feature")
    repo.checkout("feature")
    repo.run("update-index", "--add", "--cacheinfo", f"160000,{GITLINK},vendor/lib")
    repo.run("commit", "-q", "--no-verify", "-m", "vendor: the client library as a submodule")
    return repo, repo.rev("HEAD")


def test_a_path_inside_a_submodule_is_unknown_not_a_false_positive(make_repo) -> None:
    repo, head = submodule_repo(make_repo)
    assert Snapshot(Git(repo.path), head).tree["vendor/lib"].is_submodule
    result = verify_repository(repo.path, parse_review(review(head[:7], CLIENT_QUOTE, "vendor/lib/client.go:10-12")),
                               head=head, base="main")
    fv, decision = only(result)
    (path,) = fv.paths
    assert path.status == "submodule"
    assert path.reason == ("'vendor/lib/client.go' is inside submodule 'vendor/lib': "
                           "its files are not in this repository")
    assert fv.quotes[0].status == "unknown" and fv.quotes[0].grade == "doubtful"
    assert "inside submodule 'vendor/lib'" in fv.quotes[0].reason
    assert [c.status for c in fv.lines] == ["unknown"]
    assert "inside submodule 'vendor/lib'" in fv.lines[0].reason
    assert fv.verdict is not None and fv.verdict.grade != "refuted"
    assert not decision.false_positive and "RV104" not in decision.rule_codes


def test_a_path_into_a_submodule_from_its_module_root_is_unknown_too(make_repo) -> None:
    repo, head = submodule_repo(make_repo)
    result = verify_repository(repo.path, parse_review(review(head[:7], CLIENT_QUOTE, "lib/client.go:10-12")),
                               head=head, base="main")
    fv, decision = only(result)
    assert fv.paths[0].status == "submodule"
    assert fv.quotes[0].status == "unknown"
    assert not decision.false_positive


def test_a_git_lfs_pointer_is_unreadable_and_its_quote_unknown(make_repo) -> None:
    repo = make_repo()
    repo.commit("app", {"app/main.go": "package main\n\nfunc main() {}\n"})
    repo.branch("feature")
    repo.checkout("feature")
    head = repo.commit("client, stored with Git LFS", {"app/client.go": LFS_POINTER})
    text = Snapshot(Git(repo.path), head).file("app/client.go")
    assert text == Unreadable("app/client.go", "is a Git LFS pointer: its content is not in the repository")
    result = verify_repository(repo.path, parse_review(review(head[:7], CLIENT_QUOTE, "app/client.go:10-12")),
                               head=head, base="main")
    fv, decision = only(result)
    assert fv.quotes[0].status == "unknown" and fv.quotes[0].grade == "doubtful"
    assert "Git LFS pointer" in fv.quotes[0].reason
    assert fv.lines[0].status == "unknown" and "Git LFS pointer" in fv.lines[0].reason
    assert not decision.false_positive and "RV101" not in decision.rule_codes


def test_a_file_that_only_starts_like_a_pointer_is_still_text(make_repo) -> None:
    repo = make_repo()
    long_text = LFS_POINTER + "x\n" * 600  # over 1024 bytes: not a pointer
    head = repo.commit("notes", {"docs/lfs.txt": long_text})
    assert not isinstance(Snapshot(Git(repo.path), head).file("docs/lfs.txt"), Unreadable)


def short_quote_repo(make_repo):
    repo = make_repo()
    repo.commit("a", {"pkg/a.go": "package pkg\n\nfunc A() {\n\tx := 1\n}\n"})
    repo.branch("feature")
    repo.checkout("feature")
    head = repo.commit("b", {"pkg/b.go": "package pkg\n\nfunc B() error {\n\treturn nil\n}\n"})
    return repo, head


def test_a_short_exact_quote_in_another_file_is_found_not_a_perfect_near_miss(make_repo) -> None:
    """`return nil` is too short for the all-files search; the fuzzy search finds it exactly in pkg/b.go."""
    repo, head = short_quote_repo(make_repo)
    result = verify_repository(repo.path, parse_review(review(head[:7], "return nil\n", "pkg/c.go:4")), head=head,
                               base="main")
    fv, decision = only(result)
    quote = fv.quotes[0]
    assert quote.status == "other-file" and quote.near_miss is None
    assert quote.grade == "confirmed"
    assert quote.span is not None and (quote.span.path, quote.span.start) == ("pkg/b.go", 4)
    assert quote.reason == "found in 'pkg/b.go', not in the claimed file"
    assert "near-miss-quote" not in fv.flags and "wrong-path" in fv.flags
    assert not decision.false_positive


def test_a_short_exact_quote_without_a_path_is_found(make_repo) -> None:
    repo, head = short_quote_repo(make_repo)
    result = verify_repository(repo.path, parse_review(review(head[:7], "return nil\n", "")), head=head, base="main")
    fv, _ = only(result)
    assert fv.quotes[0].status == "normalised" and fv.quotes[0].grade == "confirmed"
    assert fv.quotes[0].reason == "found by searching every file"

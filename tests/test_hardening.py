"""Inputs that once broke reviewvet: partial clones, unusual git configuration, odd line
breaks, path-only and backwards line claims, invented packages, many files for one quote."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from reviewvet.model.verification import CheckOptions
from reviewvet.cli import main
from reviewvet.git import Git
from reviewvet.ingest.parse import parse_review
from reviewvet.api import VerifyOptions, load_review, verify_repository

GO = ("package m\n\n// Twice doubles.\nfunc Twice(a int) int {\n\treturn Add(a, a)\n}\n\n"
      "func Add(a, b int) int {\n\treturn a + b\n}\n")


def small_repo(make_repo, name: str = "repo"):
    repo = make_repo(name)
    repo.commit("m: add", {"go.mod": "module example.com/m\n\ngo 1.21\n", "a.go": GO}, date="2025-03-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("m: add three", {"a.go": GO.replace("return a + b", "return a + b + 0")},
                date="2025-03-02T09:00:00+00:00")
    return repo


def finding(ref: str, code: str = "", title: str = "Twice", label: str = "gap") -> str:
    block = f"```go\n{code}```\n\n" if code else ""
    return (f"# Deep Review: t\n\n## Important Issues\n\nI1. **{title}** — `{ref}` [Claude]\n\n"
            f"The code at `{ref}` is the point.\n\n{block}*(important, {label} — here.)*\n")


def run(repo, text: str, use_cache: bool = True, **options):
    return verify_repository(repo.path, parse_review(text), head="pr", base="main", use_cache=use_cache,
                             options=VerifyOptions(**options))


def test_a_partial_clone_is_refused_and_left_untouched(make_repo, tmp_path: Path, capsys) -> None:
    source = small_repo(make_repo, "source")
    source.run("config", "uploadpack.allowFilter", "true")  # our own test repository, serving the clone
    clone = tmp_path / "partial"
    subprocess.run(["git", "clone", "-q", "--no-checkout", "--filter=blob:none", f"file://{source.path}", str(clone)],
                   check=True, capture_output=True)
    before = sorted(p.name for p in (clone / ".git" / "objects" / "pack").iterdir())
    review = tmp_path / "r.md"
    review.write_text(finding("a.go:4-6", "func Twice(a int) int {\n"), encoding="utf-8")
    code = main(["verify", str(review), "--repo", str(clone), "--base", "origin/main", "--head", "origin/pr"])
    assert code == 2 and "partial clone" in capsys.readouterr().err
    assert sorted(p.name for p in (clone / ".git" / "objects" / "pack").iterdir()) == before


def test_the_users_git_configuration_does_not_change_results(make_repo, tmp_path: Path, monkeypatch) -> None:
    repo = small_repo(make_repo)
    plain = run(repo, finding("a.go:4-6", "func Twice(a int) int {\n"))
    config = tmp_path / "gitconfig"
    config.write_text("[diff]\n\tnoprefix = true\n\tmnemonicPrefix = true\n[blame]\n\tignoreRevsFile = .nope\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    configured = run(repo, finding("a.go:4-6", "func Twice(a int) int {\n"))
    statuses = [[c.status for c in v.provenance.claims] for v in (plain.verdicts[0], configured.verdicts[0])]
    assert statuses == [["widened"], ["widened"]]  # blame ran, and the diff was read: Add changed


def test_changed_paths_with_spaces_are_read(make_repo) -> None:
    repo = make_repo()
    repo.commit("add", {"my dir/a b.go": GO}, date="2025-03-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    head = repo.commit("change", {"my dir/a b.go": GO.replace("a + b", "b + a")}, date="2025-03-02T09:00:00+00:00")
    changes = Git(repo.path).changed_lines(repo.rev("main"), head)
    assert list(changes) == ["my dir/a b.go"] and changes["my dir/a b.go"].added == ((9, 9),)


def test_a_form_feed_does_not_shift_line_numbers(make_repo) -> None:
    repo = make_repo()
    repo.commit("add", {"a.go": GO.replace("// Twice doubles.", "// Twice doubles.\f")},
                date="2025-03-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    (v,) = run(repo, finding("a.go:4-6", "func Twice(a int) int {\n\treturn Add(a, a)\n}\n")).verdicts
    assert [c.status for c in v.lines] == ["exact"]
    assert v.provenance is not None and v.provenance.status == "gap"


def test_a_claim_without_lines_and_a_backwards_range(make_repo, tmp_path: Path) -> None:
    repo = small_repo(make_repo)
    claims = tmp_path / "c.json"
    claims.write_text(json.dumps({"reviewvet_claims": 1, "findings": [
        {"id": "I1", "title": "t", "label": "gap", "locations": [{"path": "a.go"}]}]}), encoding="utf-8")
    (v,) = verify_repository(repo.path, load_review(claims), head="pr", base="main").verdicts
    assert [c.status for c in v.lines] == ["unverified"]
    (back,) = run(repo, finding("a.go:6-4")).verdicts
    assert [c.status for c in back.lines] == ["unknown"] and "backwards" in back.lines[0].reason
    assert back.provenance is not None and not any(c.start > c.end for c in back.provenance.claims)


def test_an_invented_package_is_unresolved_not_external(make_repo) -> None:
    repo = small_repo(make_repo)
    (v,) = run(repo, finding("a.go:4-6", title="`retrykit.ResetBudget()` is never called")).verdicts
    assert [(s.identifier, s.status) for s in v.symbols if s.identifier.startswith("retrykit")] == [
        ("retrykit.ResetBudget", "unresolved")]


def test_a_short_absent_quote_reads_all_candidate_files_in_one_process(make_repo) -> None:
    repo = make_repo()
    files = {f"pkg/f{i}.go": f"package pkg\n\nfunc F{i}() int {{ return {i} }}\n" for i in range(60)}
    repo.commit("many", files, date="2025-03-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    text = ("# Deep Review: t\n\n## Important Issues\n\nI1. **x** [Claude]\n\n```go\nzork()\n```\n\n"
            "*(important, gap — x.)*\n")
    result = run(repo, text, use_cache=False, checks=CheckOptions(symbols=False, provenance=False))
    assert result.verdicts[0].quotes[0].status == "absent"
    assert result.git_processes < 15, result.git_processes


def test_within_that_is_not_a_number_is_a_clear_error(make_repo, tmp_path: Path, capsys) -> None:
    repo = small_repo(make_repo)
    context = tmp_path / "ctx.yaml"
    context.write_text("conventions:\n  - name: x\n    files: '*.go'\n    when: 'a'\n    require_after: 'b'\n"
                       "    within: three\n", encoding="utf-8")
    review = tmp_path / "r.md"
    review.write_text(finding("a.go:4-6"), encoding="utf-8")
    code = main(["verify", str(review), "--repo", str(repo.path), "--base", "main", "--head", "pr",
                 "--context", str(context)])
    err = capsys.readouterr().err
    assert code == 2 and f"{context}:6:" in err and "within" in err and "Traceback" not in err
    assert os.path.exists(context)

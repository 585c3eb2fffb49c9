"""Provenance on small real repositories: regression, gap, mixed, removed-by-PR, widened, unknown.

Every test builds its own history with RepoBuilder (fixed dates, a ``main`` branch and a PR
branch ``pr``) and runs the real CLI in-process: ``reviewvet blame --json`` for locations, and
``reviewvet verify --format json`` on a deep-review Markdown written in the test, whose
``*(important, regression — ...)*`` tags exercise the label comparison.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from gitbuild import GitError

from reviewvet.model.verification import CheckOptions
from reviewvet.cli import main
from reviewvet.ingest.parse import parse_review
from reviewvet.api import VerifyOptions, verify_repository

GO_MOD = "module example.com/m\n\ngo 1.22\n"


# -- helpers ----------------------------------------------------------------------------------


def blame(capsys, repo, *locations: str, head: str = "pr", options: tuple[str, ...] = ()):
    """``reviewvet blame --json``: the list of location results."""
    code = main(["blame", "--repo", str(repo.path), "--base", "main", "--head", head, "--json",
                 *options, *locations])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)["locations"]


def blame_one(capsys, repo, location: str, **kw):
    (result,) = blame(capsys, repo, location, **kw)
    return result


def finding(n: int, ref: str, code: str, label: str, lang: str = "go") -> str:
    return (f"I{n}. **Finding {n}** — `{ref}` [Claude]\n\n```{lang}\n{code}```\n\n"
            f"Something is wrong here.\n\n*(important, {label} — see above.)*\n\n")


def review(*findings: str, header: str = "") -> str:
    return f"# Deep Review: provenance\n\n{header}## Important Issues\n\n{''.join(findings)}"


def verify_json(capsys, tmp_path: Path, repo, text: str, *options: str, head: str = "pr",
                expect: int = 0):
    """``reviewvet verify --format json``: the whole report."""
    path = tmp_path / "review.md"
    path.write_text(text, encoding="utf-8")
    code = main(["verify", str(path), "--repo", str(repo.path), "--base", "main", "--head", head,
                 "--format", "json", *options])
    captured = capsys.readouterr()
    assert code == expect, captured.err
    return json.loads(captured.out)


def prov(report, n: int):
    return next(f for f in report["findings"] if f["id"] == f"I{n}")["provenance"]


def shas(refs) -> list[str]:
    return [r["sha"] for r in refs]


# -- 1. gap -------------------------------------------------------------------------------------

PARSE_V1 = """\
package m

import "strings"

// Parse splits a key=value pair.
func Parse(s string) (string, string) {
\tk, v, _ := strings.Cut(s, "=")
\treturn k, v
}
"""
PARSE_V2 = PARSE_V1.replace("\treturn k, v\n", "\treturn strings.TrimSpace(k), v\n")


def test_old_untouched_code_is_a_gap_naming_the_newest_old_commit(make_repo, capsys, tmp_path) -> None:
    repo = make_repo()
    first = repo.commit("parse: add", {"go.mod": GO_MOD, "a.go": PARSE_V1}, date="2025-02-03T09:00:00+00:00")
    repo.commit("parse: trim the key", {"a.go": PARSE_V2}, date="2025-05-20T09:00:00+00:00")
    # the author date (not the committer date) is the one reported
    repo.run("commit", "--amend", "--no-edit", "-q", "--date=2025-05-18T08:00:00+00:00")
    newest = repo.rev("HEAD")
    repo.commit("tools: lint", {"tools/lint.sh": "#!/bin/sh\ngo vet ./...\n"}, date="2025-06-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("version: add", {"b.go": "package m\n\nconst Version = \"1.0\"\n"}, date="2026-01-10T09:00:00+00:00")

    loc = blame_one(capsys, repo, "a.go:6-8")
    assert loc["status"] == "gap"
    assert loc["old_commits"] == [{"sha": newest, "date": "2025-05-18", "summary": "parse: trim the key"}]
    assert first not in shas(loc["old_commits"])
    assert loc["pr_commits"] == [] and loc["new_lines"] == []

    code = "func Parse(s string) (string, string) {\n\tk, v, _ := strings.Cut(s, \"=\")\n"
    report = verify_json(capsys, tmp_path, repo, review(finding(1, "a.go:6-7", code, "regression")),
                         "--fail-on", "mislabelled-provenance", expect=1)
    p = prov(report, 1)
    assert (p["status"], p["claimed"], p["agreement"]) == ("gap", "regression", "mislabelled")
    assert "mislabelled-provenance" in report["findings"][0]["flags"]
    assert report["summary"]["labels"] == {"mislabelled": 1}


# -- 2. regression ---------------------------------------------------------------------------

RETRY = """\
package m

func Retry(n int, f func() error) error {
\tfor i := 0; i < n; i++ {
\t\tif err := f(); err == nil {
\t\t\treturn nil
\t\t}
\t}
\treturn nil
}
"""


def test_a_line_rewritten_in_the_pr_is_a_regression_naming_that_commit(make_repo, capsys, tmp_path) -> None:
    repo = make_repo()
    repo.commit("retry: add", {"go.mod": GO_MOD, "a.go": RETRY}, date="2025-03-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    rewrite = repo.commit("retry: give up with an error",
                          {"a.go": RETRY.replace("\treturn nil\n}", "\treturn errGaveUp\n}")})
    repo.commit("retry: name the error", {"errors.go": "package m\n\nvar errGaveUp = error(nil)\n"})

    loc = blame_one(capsys, repo, "a.go:9")
    assert loc["status"] == "regression"
    assert shas(loc["pr_commits"]) == [rewrite] and loc["old_commits"] == []
    assert loc["new_lines"] == [9]

    code = "\treturn errGaveUp\n"
    report = verify_json(capsys, tmp_path, repo, review(finding(1, "a.go:9", code, "gap"),
                                                        finding(2, "a.go:9", code, "regression")))
    wrong, right = prov(report, 1), prov(report, 2)
    assert (wrong["status"], wrong["agreement"]) == ("regression", "mislabelled")
    assert (right["status"], right["agreement"]) == ("regression", "agrees")
    assert shas(right["claims"][0]["pr_commits"]) == [rewrite]
    assert ["mislabelled-provenance" in f["flags"] for f in report["findings"]] == [True, False]


# -- 3. mixed --------------------------------------------------------------------------------

CONFIG = """\
package m

func Load(path string) (Config, error) {
\tdata, err := readFile(path)
\tif err != nil {
\t\treturn Config{}, err
\t}
\treturn decode(data)
}
"""


def test_a_claim_over_old_and_new_lines_is_mixed_split_by_line(make_repo, capsys, tmp_path) -> None:
    repo = make_repo()
    old = repo.commit("config: load", {"go.mod": GO_MOD, "a.go": CONFIG}, date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    edited = CONFIG.replace("readFile(path)", "readFile(clean(path))").replace(
        "\t\treturn Config{}, err", "\t\treturn Config{}, fmt.Errorf(\"load %s: %w\", path, err)")
    new = repo.commit("config: wrap the error", {"a.go": edited})

    loc = blame_one(capsys, repo, "a.go:3-8")
    assert loc["status"] == "mixed"
    assert loc["new_lines"] == [4, 6]
    assert shas(loc["pr_commits"]) == [new] and shas(loc["old_commits"]) == [old]

    code = "".join(edited.splitlines(keepends=True)[2:8])
    report = verify_json(capsys, tmp_path, repo, review(finding(1, "a.go:3-8", code, "regression")))
    p = prov(report, 1)
    assert (p["status"], p["agreement"]) == ("mixed", "partial")
    assert p["claims"][0]["new_lines"] == [4, 6]


# -- 4. moved code ------------------------------------------------------------------------------

KEEP = """\
package m

func Keep(a int) int {
\treturn a + 1
}
"""
CHECKSUM = """\
// Checksum adds up the bytes of payload, modulo the table size.
func Checksum(payload []byte, tableSize int) int {
\ttotal := 0
\tfor _, b := range payload {
\t\ttotal = (total*31 + int(b)) % tableSize
\t}
\treturn total
}
"""


def test_a_function_moved_to_another_file_keeps_its_old_commit(make_repo, capsys) -> None:
    repo = make_repo()
    old = repo.commit("checksum: add", {"go.mod": GO_MOD, "a.go": KEEP + "\n" + CHECKSUM},
                      date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    move = repo.commit("checksum: move to its own file",
                       {"a.go": KEEP, "b.go": "package m\n\n" + CHECKSUM})

    default = blame_one(capsys, repo, "b.go:4-9")
    assert default["status"] == "gap" and shas(default["old_commits"]) == [old]
    naive = blame_one(capsys, repo, "b.go:4-9", options=("--no-move-detection",))
    assert naive["status"] == "regression" and shas(naive["pr_commits"]) == [move]


# -- 5. re-indented code ------------------------------------------------------------------------

DEPLOY = """\
#!/bin/sh
set -eu

deploy() {
  for host in "$@"; do
    scp build.tar.gz "$host:/srv/"
    ssh "$host" 'tar -xzf /srv/build.tar.gz -C /srv/app'
  done
}
"""


def test_reindented_lines_keep_their_old_commit_unless_whitespace_counts(make_repo, capsys) -> None:
    repo = make_repo()
    old = repo.commit("deploy: add", {"deploy.sh": DEPLOY}, date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    reindented = "".join(line.replace("  ", "\t") if line.startswith("  ") else line
                         for line in DEPLOY.splitlines(keepends=True))
    assert reindented != DEPLOY
    indent = repo.commit("deploy: indent with tabs", {"deploy.sh": reindented})

    default = blame_one(capsys, repo, "deploy.sh:5-8")
    assert default["status"] == "gap" and shas(default["old_commits"]) == [old]
    strict = blame_one(capsys, repo, "deploy.sh:5-8", options=("--no-ignore-whitespace",))
    assert strict["status"] == "regression" and shas(strict["pr_commits"]) == [indent]
    assert strict["new_lines"] == [5, 6, 7, 8]


# -- 6. removed by the PR --------------------------------------------------------------------

LEGACY = """\

// Legacy decodes the version 1 wire format.
func Legacy(b []byte) (int, error) {
\tif len(b) < 4 {
\t\treturn 0, errShort
\t}
\treturn int(b[0])<<24 | int(b[1])<<16, nil
}
"""


def test_a_quote_found_only_at_the_merge_base_is_removed_by_the_pr(make_repo, capsys, tmp_path) -> None:
    repo = make_repo()
    repo.commit("codec: add", {"go.mod": GO_MOD, "a.go": KEEP + LEGACY}, date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("codec: drop version 1", {"a.go": KEEP})

    code = "func Legacy(b []byte) (int, error) {\n\tif len(b) < 4 {\n\t\treturn 0, errShort\n"
    report = verify_json(capsys, tmp_path, repo, review(finding(1, "a.go:8-10", code, "regression"),
                                                        finding(2, "a.go:8-10", code, "gap")))
    right, wrong = prov(report, 1), prov(report, 2)
    assert [c["status"] for c in right["claims"]] == ["removed-by-PR"]
    assert (right["status"], right["agreement"]) == ("removed-by-PR", "agrees")
    assert (wrong["status"], wrong["agreement"]) == ("removed-by-PR", "mislabelled")


# -- 7. rebased after review ----------------------------------------------------------------

QUEUE = """\
package m

func Drain(q []int) int {
\tn := 0
\tfor range q {
\t\tn++
\t}
\treturn n
}
"""


def test_a_rebased_pr_is_verified_at_its_new_head(make_repo, capsys, tmp_path) -> None:
    repo = make_repo()
    old = repo.commit("queue: drain", {"go.mod": GO_MOD, "a.go": QUEUE}, date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    reviewed = repo.commit("queue: count twice", {"a.go": QUEUE.replace("\t\tn++\n", "\t\tn += 2\n")})
    repo.checkout("main")
    repo.commit("readme", {"README.md": "# m\n"})
    repo.checkout("pr")
    repo.run("rebase", "-q", "main")
    rebased = repo.rev("pr")
    assert rebased != reviewed
    repo.run("update-ref", "-d", "ORIG_HEAD")
    repo.run("reflog", "expire", "--expire=now", "--all")
    repo.run("gc", "-q", "--prune=now")
    with pytest.raises(GitError):
        repo.rev(reviewed)

    header = (f"| | |\n|---|---|\n| **Head** | `{reviewed}` |\n"
              f"| **Commits** | `{reviewed[:7]}` queue: count twice |\n\n")
    text = review(finding(1, "a.go:6", "\t\tn += 2\n", "regression"),
                  finding(2, "a.go:3-4", "func Drain(q []int) int {\n\tn := 0\n", "gap"), header=header)
    report = verify_json(capsys, tmp_path, repo, text)
    assert report["revisions"]["review_head"]["status"] == "missing"
    assert report["revisions"]["review_head"]["missing"] == [reviewed]
    assert report["revisions"]["head"]["sha"] == rebased
    new, gap = prov(report, 1), prov(report, 2)
    assert (new["status"], new["agreement"]) == ("regression", "agrees")
    assert shas(new["claims"][0]["pr_commits"]) == [rebased]
    assert (gap["status"], gap["agreement"]) == ("gap", "agrees")
    assert shas(gap["claims"][0]["old_commits"]) == [old]


# -- 8. shallow clone -----------------------------------------------------------------------


def test_a_shallow_clone_that_cuts_the_old_history_gives_unknown(make_repo, capsys, tmp_path) -> None:
    repo = make_repo()
    repo.commit("queue: drain", {"go.mod": GO_MOD, "a.go": QUEUE}, date="2025-04-01T09:00:00+00:00")
    base = repo.commit("readme", {"README.md": "# m\n"}, date="2026-01-04T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    new = repo.commit("queue: count twice", {"a.go": QUEUE.replace("\t\tn++\n", "\t\tn += 2\n")},
                      date="2026-01-10T09:00:00+00:00")
    repo.checkout("main")
    clone = tmp_path / "clone"
    repo.run("clone", "-q", "--no-local", "--no-single-branch", "--shallow-since=2026-01-01",
             f"file://{repo.path}", str(clone))
    assert (clone / ".git" / "shallow").read_text().split() == [base]  # the merge base is kept, its parent cut
    cloned = SimpleNamespace(path=clone)
    old_loc, new_loc = (blame_one(capsys, cloned, loc, head="origin/pr") for loc in ("a.go:3-4", "a.go:6"))
    assert old_loc["status"] == "unknown" and "shallow clone" in old_loc["reason"]
    assert new_loc["status"] == "regression" and shas(new_loc["pr_commits"]) == [new]

    text = review(finding(1, "a.go:3-4", "func Drain(q []int) int {\n\tn := 0\n", "gap"))
    report = verify_json(capsys, tmp_path, cloned, text, head="origin/pr")
    assert report["revisions"]["shallow"] is True
    p = prov(report, 1)
    assert (p["status"], p["agreement"]) == ("unknown", "unknown")
    assert "shallow clone" in p["reason"]


# -- 9. merges inside the PR ------------------------------------------------------------------

SERVER = """\
package m

func Serve(addr string) error {
\treturn listen(addr)
}
"""


def test_lines_merged_into_the_pr_branch_are_regressions(make_repo, capsys) -> None:
    repo = make_repo()
    old = repo.commit("server: serve", {"go.mod": GO_MOD, "a.go": SERVER}, date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.branch("feat")
    repo.checkout("feat")
    feat = repo.commit("server: health check", {"a.go": SERVER + "\nfunc Health() string {\n\treturn \"ok\"\n}\n"})
    repo.checkout("main")
    main_tip = repo.commit("server: docs", {"docs.md": "# Serving\n\nRun the server.\n"})
    repo.checkout("pr")
    pr_own = repo.commit("server: timeouts", {"timeouts.go": "package m\n\nconst Timeout = 30\n"})
    repo.merge("feat", "merge feat into pr")
    repo.merge("main", "merge main into pr")

    health, serve, docs, timeout = blame(capsys, repo, "a.go:7-9") + blame(capsys, repo, "a.go:3-4") \
        + blame(capsys, repo, "docs.md:1") + blame(capsys, repo, "timeouts.go:3")
    assert health["status"] == "regression" and shas(health["pr_commits"]) == [feat]
    assert serve["status"] == "gap" and shas(serve["old_commits"]) == [old]
    assert docs["status"] == "gap" and shas(docs["old_commits"]) == [main_tip]  # main merged in: before the merge base
    assert timeout["status"] == "regression" and shas(timeout["pr_commits"]) == [pr_own]


# -- 10. widened -------------------------------------------------------------------------------

ARITH = """\
package m

func Add(a, b int) int {
\treturn a + b
}

func Twice(x int) int {
\treturn Add(x, x)
}

func Sub(a, b int) int {
\treturn a - b
}
"""
ARITH_PR = ARITH.replace("\treturn Add(x, x)\n", "\treturn Add(x, x) + 1\n")


def arith_repo(make_repo):
    repo = make_repo()
    old = repo.commit("arith: add", {"go.mod": GO_MOD, "a.go": ARITH}, date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    pr = repo.commit("arith: twice is off by one", {"a.go": ARITH_PR + "\nfunc Neg(a int) int {\n\treturn -a\n}\n"})
    return repo, old, pr


def test_an_old_callee_of_a_changed_caller_is_widened(make_repo, capsys, tmp_path) -> None:
    repo, old, pr = arith_repo(make_repo)
    add = blame_one(capsys, repo, "a.go:3-5")
    assert add["status"] == "widened" and shas(add["old_commits"]) == [old]
    (by,) = add["widened_by"]
    assert (by["symbol"], by["relation"], by["path"], by["line"]) == ("example.com/m.Twice", "caller", "a.go", 8)
    assert shas(by["commits"]) == [pr]
    sub = blame_one(capsys, repo, "a.go:11-13")  # no caller or callee was touched
    assert sub["status"] == "gap" and sub["widened_by"] == []

    report = verify_json(capsys, tmp_path, repo,
                         review(finding(1, "a.go:3-5", "func Add(a, b int) int {\n\treturn a + b\n", "gap")))
    p = prov(report, 1)
    assert (p["status"], p["agreement"]) == ("widened", "agrees")


# -- 11. the enclosing symbol at the merge base ------------------------------------------------


def test_the_enclosing_symbol_at_the_merge_base(make_repo, capsys) -> None:
    repo, _, _ = arith_repo(make_repo)
    sub, twice, neg = (blame_one(capsys, repo, loc) for loc in ("a.go:12", "a.go:7", "a.go:16"))
    assert sub["base_symbol"] == {"status": "unchanged", "symbol": "example.com/m.Sub", "diff": ""}
    assert twice["status"] == "gap"
    assert twice["base_symbol"]["status"] == "changed"
    assert twice["base_symbol"]["symbol"] == "example.com/m.Twice"
    assert "-\treturn Add(x, x)\n+\treturn Add(x, x) + 1" in twice["base_symbol"]["diff"]
    assert neg["status"] == "regression"
    assert neg["base_symbol"] == {"status": "absent", "symbol": "example.com/m.Neg", "diff": ""}


# -- 12. bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(("location", "message"), [
    ("a.go", "is not PATH:LINE"),
    ("a.go:12-40", "runs past the end"),
    ("nope.go:1", "does not exist"),
    ("../a.go:1", "'..'"),
])
def test_blame_refuses_bad_locations(make_repo, capsys, location: str, message: str) -> None:
    repo, _, _ = arith_repo(make_repo)
    code = main(["blame", "--repo", str(repo.path), "--base", "main", "--head", "pr", "--json", location])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith("reviewvet: error:") and message in captured.err


def test_blame_without_a_merge_base_is_refused(make_repo, capsys) -> None:
    repo, _, _ = arith_repo(make_repo)
    repo.run("checkout", "-q", "--orphan", "unrelated")
    repo.commit("unrelated: start over", {"a.go": ARITH})
    code = main(["blame", "--repo", str(repo.path), "--base", "main", "--head", "unrelated", "a.go:3"])
    captured = capsys.readouterr()
    assert code == 2 and "no merge base" in captured.err


# -- cost ----------------------------------------------------------------------------------


def test_blame_processes_do_not_grow_with_claims_in_one_file(make_repo) -> None:
    repo = make_repo()
    body = "package m\n\n" + "".join(f"func F{i}() int {{\n\treturn {i}\n}}\n\n" for i in range(10))
    repo.commit("f: add", {"go.mod": GO_MOD, "a.go": body}, date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("f: change the last", {"a.go": body.replace("return 9", "return 90")})

    def processes(count: int, provenance: bool) -> tuple[int, list[str]]:
        text = review(*(finding(i + 1, f"a.go:{3 + 4 * i}-{4 + 4 * i}",
                                f"func F{i}() int {{\n\treturn {i if i < 9 else 90}\n", "gap")
                        for i in range(count)))
        result = verify_repository(repo.path, parse_review(text), head="pr", base="main", use_cache=False,
                                   options=VerifyOptions(checks=CheckOptions(provenance=provenance)))
        return result.git_processes, [v.provenance.status for v in result.verdicts if v.provenance]

    two, statuses2 = processes(2, True)
    ten, statuses10 = processes(10, True)
    assert statuses2 == ["gap", "gap"] and statuses10 == ["gap"] * 9 + ["mixed"]
    base2, _ = processes(2, False)
    base10, _ = processes(10, False)
    assert two == ten
    assert two - base2 == ten - base10 <= 6  # bounded blame, full blame of old lines, diff, shallow check


# -- bugs found while writing these tests ------------------------------------------------------


def test_blame_several_locations_in_one_file(make_repo, capsys) -> None:
    repo, _, _ = arith_repo(make_repo)
    add, twice, sub = blame(capsys, repo, "a.go:3-5", "a.go:8", "a.go:11-13")
    assert (add["status"], twice["status"], sub["status"]) == ("widened", "regression", "gap")


TWICE_FIRST = """\
package m

func Twice(x int) int {
\treturn Add(x, x)
}

func Add(a, b int) int {
\treturn a + b
}
"""


def test_deleting_the_last_function_does_not_widen_callers_of_the_one_above(make_repo, capsys) -> None:
    repo = make_repo()
    repo.commit("arith: add", {"go.mod": GO_MOD, "a.go": TWICE_FIRST + "\nfunc Legacy() int {\n\treturn 1\n}\n"},
                date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("arith: drop Legacy", {"a.go": TWICE_FIRST})
    twice = blame_one(capsys, repo, "a.go:3-5")
    assert twice["widened_by"] == [] and twice["status"] == "gap"  # Add is byte-identical at head and merge base


def test_a_callee_changed_by_a_deletion_names_the_pr_commit(make_repo, capsys) -> None:
    repo = make_repo()
    checked = "\tcheck(a)\n\tcheck(b)\n\treturn a + b\n"
    body = TWICE_FIRST.replace("\treturn a + b\n", checked) + "\nfunc check(int) {}\n"
    repo.commit("arith: add", {"go.mod": GO_MOD, "a.go": body}, date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    pr = repo.commit("arith: stop checking b", {"a.go": body.replace("\tcheck(b)\n", "")})
    twice = blame_one(capsys, repo, "a.go:3-5")
    assert twice["status"] == "widened"  # right: Add, its callee, was changed
    (by,) = twice["widened_by"]
    assert by["symbol"] == "example.com/m.Add" and shas(by["commits"]) == [pr]

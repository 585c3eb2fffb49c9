"""The ``reviewvet`` command line: exit codes, error messages, --fail-on, --output, --format, --help.

Every test runs the real CLI against a real git repository built in tmp_path. Bad input must
exit 2 with a ``reviewvet: error:`` line that names the input and the problem, print no
traceback, and leave no --output file behind.
"""

from __future__ import annotations

import argparse
import json
from typing import Any
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reviewvet.cli import build_parser, error_message, main
from reviewvet.errors import OutputError, ReviewvetError, RevisionError, UsageError

ROOT = Path(__file__).resolve().parent.parent
DEMO_REVIEW = ROOT / "fixtures" / "reviews" / "demo-review.md"

CACHE_GO = """\
package cache

// Get returns the cached value for key, loading it on a miss.
func (c *Cache) Get(key string) (string, error) {
\tif v, ok := c.items[key]; ok {
\t\treturn v, nil
\t}
\treturn c.load(key)
}
"""

CACHE_GO_PR = CACHE_GO.replace(
    "\treturn c.load(key)\n",
    "\tv, err := c.load(key)\n\tc.items[key] = v\n\treturn v, err\n",
)

# One finding whose quote is exactly lines 8-10 of cache/cache.go on the PR branch.
GOOD_FINDING = """\
I{n}. **A failed load is cached as an empty string** — `cache/cache.go:8-10` [Claude]

```go
\tv, err := c.load(key)
\tc.items[key] = v
\treturn v, err
```

The error path stores `v` before looking at `err`, so the next `Get` returns "" with no error.

*(important, regression — the store was added on this branch.)*

"""


def good_review(findings: int = 1) -> str:
    body = "".join(GOOD_FINDING.format(n=n) for n in range(1, findings + 1))
    return f"# Deep Review: cache fix\n\n## Important Issues\n\n{body}"


def build_repo(make_repo):
    """main: two commits; branch `fix/cache`: two more; main moves on by one."""
    repo = make_repo()
    repo.commit("cache: add a read-through cache", {"cache/cache.go": CACHE_GO}, date="2026-03-02T09:00:00+00:00")
    repo.commit("docs: describe the cache", {"README.md": "# cache\n"}, date="2026-03-03T09:00:00+00:00")
    repo.branch("fix/cache")
    repo.checkout("fix/cache")
    repo.commit("cache: remember loaded values", {"cache/cache.go": CACHE_GO_PR}, date="2026-03-04T09:00:00+00:00")
    repo.commit("cache: note the change", {"CHANGES.md": "- cache loaded values\n"}, date="2026-03-05T09:00:00+00:00")
    repo.checkout("main")
    repo.commit("readme: badge", {"README.md": "# cache\n\n[badge]\n"}, date="2026-03-06T09:00:00+00:00")
    return repo


@pytest.fixture
def repo(make_repo):
    return build_repo(make_repo)


@pytest.fixture(autouse=True)
def _no_parent_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # git must not find a repository above tmp_path when a test points at a plain folder.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def write(tmp_path: Path, content: str | bytes, name: str = "review.md") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["verify", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def verify_bad(capsys, tmp_path: Path, review: Path, repo: Path, *extra: str) -> str:
    """Run a verify that must be refused; return stderr after the common assertions."""
    output = tmp_path / "out" / "report.json"
    output.parent.mkdir()
    code, out, err = run(capsys, str(review), "--repo", str(repo), "--format", "json", "--output", str(output),
                         *extra)
    assert code == 2, (code, err)
    assert err.startswith("reviewvet: error: "), err
    assert "Traceback" not in err
    assert out == ""
    assert not output.exists()
    assert list(output.parent.iterdir()) == []  # not even a temporary file
    return err


# -- the repository --------------------------------------------------------------------------


def test_folder_that_is_not_a_git_repository(capsys, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), plain)
    assert f"{str(plain)!r} is not a git repository" in err


def test_repository_path_that_does_not_exist(capsys, tmp_path):
    missing = tmp_path / "no" / "such" / "repo"
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), missing)
    assert str(missing) in err
    assert "does not exist" in err


def test_unknown_head_revision(capsys, tmp_path, repo):
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), repo.path,
                     "--base", "main", "--head", "fix/nosuch")
    assert "--head: head 'fix/nosuch' is not a commit" in err
    assert str(repo.path) in err


def test_unknown_base_revision(capsys, tmp_path, repo):
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), repo.path,
                     "--base", "release/9.9", "--head", "fix/cache")
    assert "--base: base 'release/9.9' is not a commit" in err


def test_head_that_looks_like_an_option(capsys, tmp_path, repo):
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), repo.path, "--base", "main", "--head=-x")
    assert "--head: head '-x' looks like an option" in err


def test_base_that_smuggles_an_option(capsys, tmp_path, repo, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), repo.path,
                     "--base=--output=foo", "--head", "fix/cache")
    assert "--base: base '--output=foo' looks like an option" in err
    assert not (tmp_path / "foo").exists()
    assert not (repo.path / "foo").exists()


def test_merge_base_that_looks_like_an_option(capsys, tmp_path, repo):
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), repo.path,
                     "--head", "fix/cache", "--merge-base=--all")
    assert "--merge-base: merge base '--all' looks like an option" in err


# -- the review document ---------------------------------------------------------------------


def test_review_file_that_does_not_exist(capsys, tmp_path, repo):
    missing = tmp_path / "nothing-here.md"
    err = verify_bad(capsys, tmp_path, missing, repo.path)
    assert f"cannot read review {str(missing)!r}" in err


def test_empty_review(capsys, tmp_path, repo):
    review = write(tmp_path, "  \n\n\t\n")
    err = verify_bad(capsys, tmp_path, review, repo.path)
    assert f"review {str(review)!r} is empty" in err


def test_binary_review(capsys, tmp_path, repo):
    review = write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "shot.png")
    err = verify_bad(capsys, tmp_path, review, repo.path)
    assert f"review {str(review)!r} is a binary file" in err


def test_review_that_is_not_utf8(capsys, tmp_path, repo):
    data = good_review().replace("A failed load", "Cafe load").encode("utf-8")
    review = write(tmp_path, data.replace(b"Cafe", b"Caf\xe9"))  # one Latin-1 byte
    err = verify_bad(capsys, tmp_path, review, repo.path)
    assert f"review {str(review)!r} is not UTF-8" in err
    assert "0xe9" in err  # the offending byte is shown


def test_review_without_findings(capsys, tmp_path, repo):
    prose = ("# Notes from the cache meeting\n\nWe talked about eviction and agreed to revisit it.\n\n"
             "- nobody wants LRU yet\n- measure first\n")
    review = write(tmp_path, prose, "notes.md")
    err = verify_bad(capsys, tmp_path, review, repo.path)
    assert f"review {str(review)!r} has no findings to verify" in err
    assert "no review sections" in err  # the hint says why


def test_review_over_the_size_limit(capsys, tmp_path, repo):
    chunk = GOOD_FINDING.format(n=1).encode()
    limit = 16 * 1024 * 1024
    data = b"# Deep Review: huge\n\n## Important Issues\n\n" + chunk * (limit // len(chunk) + 2)
    assert len(data) > limit
    review = write(tmp_path, data, "huge.md")
    err = verify_bad(capsys, tmp_path, review, repo.path)
    assert f"review {str(review)!r} is {len(data)} bytes; the limit is {limit}" in err


def test_review_of_several_megabytes_is_processed(capsys, tmp_path, repo):
    padding = ("The loaded value is stored before the error is checked, so a transient failure of the "
               "backing store poisons the key until the process restarts. ") * 14
    finding = GOOD_FINDING.replace("The error path", padding + "\n\nThe error path")
    sections = []
    count = 0
    for prefix, heading in (("I", "Important Issues"), ("S", "Suggestions"), ("C", "Critical Issues")):
        items = [finding.replace("I{n}.", f"{prefix}{n}.").format(n=n) for n in range(1, 451)]
        count += len(items)
        sections.append(f"## {heading}\n\n" + "".join(items))
    data = ("# Deep Review: big\n\n" + "".join(sections)).encode()
    assert 2_500_000 < len(data) < 4_000_000
    review = write(tmp_path, data, "big.md")
    output = tmp_path / "big.json"

    started = time.perf_counter()
    code, _, err = run(capsys, str(review), "--repo", str(repo.path), "--base", "main", "--head", "fix/cache",
                       "--format", "json", "--output", str(output))
    elapsed = time.perf_counter() - started

    assert code == 0, err
    assert elapsed < 30, f"a 3 MB review took {elapsed:.1f} s"
    report = json.loads(output.read_text("utf-8"))
    assert report["summary"]["findings"] == count == 1350
    assert {f["id"] for f in report["findings"]} >= {"I1", "I450", "S450", "C1"}
    assert report["summary"]["quotes"] == {"exact": count}


# -- --fail-on -------------------------------------------------------------------------------


def demo_args(demo_repo) -> list[str]:
    return [str(DEMO_REVIEW), "--repo", str(demo_repo.path), "--base", demo_repo.base, "--head", demo_repo.head]


def test_fail_on_a_flag_the_demo_review_carries_exits_1(capsys, demo_repo):
    code, out, err = run(capsys, *demo_args(demo_repo), "--fail-on", "wrong-path", "--format", "json")
    assert code == 1, err
    flagged = [f["key"] for f in json.loads(out)["findings"] if "wrong-path" in f["flags"]]
    assert flagged == ["consolidated/S4"]  # require_cmd quoted from scripts/lib.sh, claimed in run-agent.sh


def test_fail_on_a_flag_absent_from_the_results_exits_0(capsys, demo_repo):
    code, out, err = run(capsys, *demo_args(demo_repo), "--fail-on", "missing-file", "unsafe-path",
                         "--format", "json")
    assert code == 0, err
    by_flag = json.loads(out)["summary"]["by_flag"]
    assert "wrong-path" in by_flag and "missing-file" not in by_flag and "unsafe-path" not in by_flag


def test_without_fail_on_flags_do_not_change_the_exit_code(capsys, demo_repo):
    code, out, _ = run(capsys, *demo_args(demo_repo), "--format", "json")
    assert code == 0
    assert json.loads(out)["summary"]["by_flag"]  # there are flagged findings all the same
    code, _, _ = run(capsys, *demo_args(demo_repo), "--format", "json", "--fail-on", "any")
    assert code == 1


def test_fail_on_an_unknown_flag_exits_2(capsys, tmp_path, demo_repo):
    err = verify_bad(capsys, tmp_path, DEMO_REVIEW, demo_repo.path, "--fail-on", "wrong-path", "nosuchflag")
    assert "--fail-on: unknown flag(s) 'nosuchflag'" in err
    assert "wrong-path" in err  # the known flags are listed


# -- output ----------------------------------------------------------------------------------


def test_output_file_holds_the_whole_report(capsys, tmp_path, demo_repo):
    code, printed, _ = run(capsys, *demo_args(demo_repo), "--format", "markdown")
    assert code == 0 and len(printed) > 1000
    output = tmp_path / "report.md"
    output.write_text("stale report from an earlier run\n" * 5000)
    code, out, err = run(capsys, *demo_args(demo_repo), "--format", "markdown", "--output", str(output))
    assert code == 0, err
    assert out == ""
    assert output.read_text("utf-8") == printed
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temporary file left beside it


def test_json_output_parses_and_has_the_documented_keys(capsys, tmp_path, repo):
    output = tmp_path / "report.json"
    code, out, err = run(capsys, str(write(tmp_path, good_review())), "--repo", str(repo.path),
                         "--base", "main", "--head", "fix/cache", "--format", "json", "-o", str(output))
    assert code == 0, err
    assert out == ""
    data = json.loads(output.read_text("utf-8"))
    assert {"review", "revisions", "findings", "summary"} <= set(data)
    assert data["revisions"]["head"]["sha"] == repo.rev("fix/cache")
    assert data["revisions"]["merge_base"]["sha"] == repo.rev("fix/cache~2")
    [finding] = data["findings"]
    assert finding["id"] == "I1" and finding["status"] == "verified"
    assert finding["quotes"][0]["status"] == "exact"
    assert finding["quotes"][0]["span"]["start"] == 8 and finding["quotes"][0]["span"]["end"] == 10
    assert finding["lines"][0]["status"] == "exact"


def test_output_into_a_missing_directory_is_refused(capsys, tmp_path, repo):
    output = tmp_path / "nowhere" / "report.json"
    code, _, err = run(capsys, str(write(tmp_path, good_review())), "--repo", str(repo.path),
                       "--base", "main", "--head", "fix/cache", "--output", str(output))
    assert code == 2
    assert f"--output {str(output)!r}" in err and "does not exist" in err
    assert not output.parent.exists()


# -- help ------------------------------------------------------------------------------------


def test_top_level_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: reviewvet")
    assert "verify" in out and "check every finding of a review" in out


def test_verify_help_explains_the_flags(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ("--repo", "--head", "--base", "--merge-base", "--format", "--output", "--fail-on"):
        assert option in out
    assert "'auto'" in out  # --head auto is explained
    for flag in ("wrong-path", "hallucinated-quote", "unsafe-path"):
        assert f"{flag}:" in out  # the flags --fail-on accepts, with what they mean


# -- as a real process -----------------------------------------------------------------------


def test_console_script_verifies_a_review(tmp_path, repo):
    script = Path(sys.executable).with_name("reviewvet")
    review = write(tmp_path, good_review())
    proc = subprocess.run([str(script), "verify", str(review), "--repo", str(repo.path), "--base", "main",
                           "--head", "fix/cache", "--format", "json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["summary"]["findings"] == 1
    assert data["findings"][0]["quotes"][0]["status"] == "exact"


def test_module_entry_point_reports_bad_input_without_traceback(tmp_path, repo):
    review = write(tmp_path, good_review())
    proc = subprocess.run([sys.executable, "-m", "reviewvet.cli", "verify", str(review), "--repo", str(repo.path),
                           "--head", "deadbeef", "--base", "main"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == f"reviewvet: error: --head: head 'deadbeef' is not a commit in {str(repo.path)!r}\n"


# -- every command: --format json and --output FILE -------------------------------------------------


@pytest.fixture
def inputs(capsys, tmp_path: Path, repo):
    """A review of the repository, a mapping naming its head, and an audit store holding it."""
    review = write(tmp_path, good_review())
    mapping = write(tmp_path, json.dumps({"review.md": {"head": "fix/cache", "base": "main"}}), "heads.json")
    db = tmp_path / "audit.duckdb"
    code = main(["audit", "ingest", str(review), "--repo", str(repo.path), "--map", str(mapping), "--db", str(db)])
    assert code == 0
    assert capsys.readouterr().out == ("1 files: 1 added, 0 replaced, 0 unverified, 0 unchanged, 0 skipped\n"
                                       "1 reviews: 0 verified at the reviewed head, 0 at a substitute head, "
                                       "1 at a head given, 0 unverified\n")
    return {"repo": str(repo.path), "review": str(review), "map": str(mapping), "db": str(db)}


PULL_REQUEST = ["--repo", "{repo}", "--base", "main", "--head", "fix/cache"]
REVISION = ["--repo", "{repo}", "--rev", "fix/cache"]
COMMANDS = {
    "verify": ["verify", "{review}", *PULL_REQUEST],
    "blame": ["blame", "cache/cache.go:8-10", *PULL_REQUEST],
    "index": ["index", *REVISION],
    "symbols": ["symbols", *REVISION],
    "callers": ["callers", "Get", *REVISION],
    "callees": ["callees", "Get", *REVISION],
    "rules list": ["rules", "list"],
    "rules explain": ["rules", "explain", "RV101"],
    "rules facts": ["rules", "facts"],
    "audit ingest": ["audit", "ingest", "{review}", "--repo", "{repo}", "--map", "{map}", "--db", "{db}"],
    "audit report": ["audit", "report", "--db", "{db}"],
    "audit sql": ["audit", "sql", "SELECT origin, id FROM findings", "--db", "{db}"],
    "bench verify": ["bench", "verify", "--files", "10", "--findings", "1", "--runs", "1"],
    "bench index": ["bench", "index", "--files", "10", "--runs", "1"],
    "bench provenance": ["bench", "provenance", "--files", "10", "--findings", "1", "--history", "0", "--runs", "1"],
    "bench audit": ["bench", "audit", "--reviews", "1", "--findings", "1", "--files", "10"],
    "bench startup": ["bench", "startup", "--runs", "1"],
    "bench calibrate": ["bench", "calibrate", "--reviews", "{review}", "--repo", "{repo}", "--head", "fix/cache",
                        "--base", "main"],
}
HAD_JSON_FLAG = ["blame", "symbols", "callers", "callees"]  # and index and the bench runs, whose figures vary


def argv_of(command: str, inputs: dict[str, str]) -> list[str]:
    return [arg.format(**inputs) for arg in COMMANDS[command]]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_writes_json_to_its_output_file(capsys, tmp_path, inputs, command):
    output = tmp_path / "out" / f"{command.replace(' ', '-')}.json"
    output.parent.mkdir()
    code = main([*argv_of(command, inputs), "--format", "json", "--output", str(output)])
    out, err = capsys.readouterr()
    assert (code, out) == (0, ""), err
    data = json.loads(output.read_text("utf-8"))
    assert data  # something was said
    assert os.listdir(output.parent) == [output.name]


def test_the_json_outputs_say_what_each_command_found(capsys, tmp_path, inputs, repo):
    def json_of(command: str) -> Any:  # parsed JSON
        assert main([*argv_of(command, inputs), "--format", "json"]) == 0
        return json.loads(capsys.readouterr().out)

    assert json_of("verify")["findings"][0]["quotes"][0]["status"] == "exact"
    assert json_of("blame")["locations"][0]["status"] == "regression"
    assert [s["id"] for s in json_of("symbols")] == ["cache.(*Cache).Get"]
    assert json_of("rules explain")["code"] == "RV101"
    assert {"finding", "verdict", "quotes", "flags"} <= set(json_of("rules facts"))
    assert json_of("audit ingest")["counts"]["unchanged"] == 1
    sql = json_of("audit sql")
    assert sql["columns"] == ["origin", "id"] and sql["rows"] == [["consolidated", "I1"]]
    assert "per agent" in [t["title"] for t in json_of("audit report")]


@pytest.mark.parametrize("command", HAD_JSON_FLAG)
def test_json_is_still_an_alias_of_format_json(capsys, inputs, command):
    outputs = []
    for option in (["--json"], ["--format", "json"]):
        assert main([*argv_of(command, inputs), *option]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])


def test_csv_is_still_an_alias_of_format_csv(capsys, inputs):
    assert main([*argv_of("audit sql", inputs), "--csv"]) == 0
    assert capsys.readouterr().out == "origin,id\r\nconsolidated,I1\r\n"


def test_text_output_goes_to_the_output_file_too(capsys, tmp_path, inputs):
    assert main(argv_of("symbols", inputs)) == 0
    printed = capsys.readouterr().out
    output = tmp_path / "symbols.txt"
    assert main([*argv_of("symbols", inputs), "-o", str(output)]) == 0
    assert capsys.readouterr().out == ""
    assert output.read_text("utf-8") == printed == "cache/cache.go:4-11  method   cache.(*Cache).Get\n"


# -- --fail-on: exit 1, and the findings that raised it on stderr -------------------------------------


def test_fail_on_names_the_findings_that_raised_it(capsys, demo_repo):
    code, out, err = run(capsys, *demo_args(demo_repo), "--fail-on", "wrong-path", "--format", "json")
    assert code == 1
    assert json.loads(out)["findings"]  # the report is written all the same
    assert err.startswith("reviewvet: --fail-on: raised by 1 finding:\n")
    assert err.splitlines()[1:] == ["  consolidated/S4: wrong-path (scripts/run-agent.sh:13-18)"]


def test_fail_on_false_positive_names_the_rules_verdict(capsys, demo_repo):
    code, out, err = run(capsys, *demo_args(demo_repo), "--fail-on", "false-positive", "--format", "json")
    false_positives = [f["key"] for f in json.loads(out)["findings"] if f["decision"]["false_positive"]]
    assert false_positives and code == 1
    named = [line.split(":")[0].strip() for line in err.splitlines()[1:]]
    assert named == false_positives
    assert all("false-positive" in line for line in err.splitlines()[1:])


def test_fail_on_names_twenty_findings_and_counts_the_rest(capsys, tmp_path, repo):
    invented = good_review(25).replace("\tc.items[key] = v\n", "\tc.evict(key, \"never written\")\n")
    code, _, err = run(capsys, str(write(tmp_path, invented)), "--repo", str(repo.path), "--base", "main",
                       "--head", "fix/cache", "--format", "json", "--fail-on", "hallucinated-quote")
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == "reviewvet: --fail-on: raised by 25 findings:"
    assert lines[1:21] == [f"  consolidated/I{n}: hallucinated-quote (cache/cache.go:8-10)" for n in range(1, 21)]
    assert lines[21:] == ["  and 5 more"]


def test_a_passing_fail_on_says_nothing(capsys, tmp_path, repo):
    code, _, err = run(capsys, str(write(tmp_path, good_review())), "--repo", str(repo.path), "--base", "main",
                       "--head", "fix/cache", "--format", "json", "--fail-on", "any", "false-positive")
    assert (code, err) == (0, "")


# -- library errors: the library names its input, the CLI the flag that gives it ----------------------


def no_flag_named(exc: ReviewvetError, field: str) -> str:
    message = str(exc)
    assert exc.field == field
    assert "--" not in message, message
    return message


def test_a_bad_mapping_file(capsys, tmp_path, inputs):
    from reviewvet.audit.ingest import load_mapping

    mapping = write(tmp_path, "- not\n- a mapping\n", "heads.yaml")
    with pytest.raises(UsageError) as raised:
        load_mapping(mapping)
    message = no_flag_named(raised.value, "map")
    assert message.startswith(f"mapping file {str(mapping)!r} must map review names")
    code = main(["audit", "ingest", inputs["review"], "--repo", inputs["repo"], "--map", str(mapping),
                 "--db", inputs["db"]])
    assert (code, capsys.readouterr().err) == (2, f"reviewvet: error: --map: {message}\n")


def test_a_branch_that_is_not_there(capsys, tmp_path, repo):
    from reviewvet.audit.ingest import from_branch

    with pytest.raises(RevisionError) as raised:
        from_branch(repo.path, "reports")
    message = no_flag_named(raised.value, "branch")
    assert message == f"branch 'reports' is not a commit in {str(repo.path)!r}"
    code = main(["audit", "ingest", "--git-branch", "reports", "--repo", str(repo.path),
                 "--db", str(tmp_path / "a.duckdb")])
    assert (code, capsys.readouterr().err) == (2, f"reviewvet: error: --git-branch: {message}\n")


def test_a_revision_that_is_not_there(capsys, repo):
    code = main(["symbols", "--repo", str(repo.path), "--rev", "fix/nosuch"])
    assert (code, capsys.readouterr().err) == (
        2, f"reviewvet: error: --rev: revision 'fix/nosuch' is not a commit in {str(repo.path)!r}\n")


def test_a_query_over_its_time_limit(capsys, inputs):
    from reviewvet.audit.store import Store, StoreError

    slow = "SELECT count(*) FROM range(100000000000000) a"
    with Store(Path(inputs["db"]), read_only=True) as store, pytest.raises(StoreError) as raised:
        store.user_query(slow, max_rows=10, timeout=0.2)
    assert no_flag_named(raised.value, "timeout") == "query stopped after its time limit of 0.2 s"
    code = main(["audit", "sql", slow, "--timeout", "0.2", "--db", inputs["db"]])
    assert (code, capsys.readouterr().err) == (2, "reviewvet: error: --timeout: query stopped after its time "
                                                  "limit of 0.2 s\n")


def test_an_output_folder_that_is_a_file(capsys, tmp_path, inputs):
    from reviewvet.audit.report import tables, write_outputs
    from reviewvet.audit.store import Store

    taken = write(tmp_path, "a file\n", "report")
    with Store(Path(inputs["db"]), read_only=True, files=True) as store, pytest.raises(OutputError) as raised:
        write_outputs(store, tables(store, ["agent"]), taken, ["agent"])
    message = no_flag_named(raised.value, "output-folder")
    assert message == f"output folder {str(taken)!r} exists and is not a directory"
    code = main(["audit", "report", "--db", inputs["db"], "--out", str(taken)])
    assert code == 2
    assert capsys.readouterr().err.endswith(f"reviewvet: error: --out: {message}\n")


def test_a_conventions_file_that_cannot_be_read(capsys, tmp_path, repo):
    missing = tmp_path / "conventions.yaml"
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), repo.path, "--base", "main",
                     "--head", "fix/cache", "--context", str(missing))
    assert err == f"reviewvet: error: --context: conventions file {str(missing)!r} cannot be read: " \
                  "No such file or directory\n"


def test_a_field_the_command_has_no_flag_for_is_not_given_one() -> None:
    args = build_parser().parse_args(["rules", "list"])
    assert error_message(UsageError("output folder 'x' is a file", field="output-folder"), args) == \
        "output folder 'x' is a file"
    args = build_parser().parse_args(["audit", "report", "--out", "x"])
    assert error_message(UsageError("output folder 'x' is a file", field="output-folder"), args) == \
        "--out: output folder 'x' is a file"


# -- the check options are verify's, for audit ingest too ----------------------------------------------


def test_audit_ingest_takes_the_check_options_of_verify(tmp_path, demo_repo):
    from reviewvet.audit.store import Store

    mapping = write(tmp_path, json.dumps({DEMO_REVIEW.name: {"head": demo_repo.head, "base": demo_repo.base}}),
                    "heads.json")
    origins = {}
    for name, options in (("all", []), ("consolidated", ["--consolidated-only", "--no-provenance"])):
        db = tmp_path / f"{name}.duckdb"
        assert main(["audit", "ingest", str(DEMO_REVIEW), "--repo", str(demo_repo.path), "--map", str(mapping),
                     "--db", str(db), *options]) == 0
        with Store(db, read_only=True) as store:
            origins[name] = store.query("SELECT DISTINCT origin, provenance IS NULL FROM findings ORDER BY ALL")[1]
    assert ("Claude", False) in origins["all"] and ("consolidated", False) in origins["all"]
    assert origins["consolidated"] == [("consolidated", True)]


@pytest.mark.parametrize("argv", [["--near-miss", "1.5"], ["--max-drift", "-1"]])
def test_check_option_values_are_checked_the_same_everywhere(capsys, tmp_path, argv):
    review = write(tmp_path, good_review())
    for command in (["verify", str(review)], ["audit", "ingest", str(review), "--db", str(tmp_path / "a.duckdb")]):
        assert main([*command, *argv]) == 2
        assert capsys.readouterr().err.startswith(f"reviewvet: error: {argv[0]} {argv[1]!r}".replace("'", ""))
    assert not (tmp_path / "a.duckdb").exists()


# -- --help: every option of every command explained ---------------------------------------------------


def parsers(parser: argparse.ArgumentParser, name: str = "reviewvet") -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(name, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                found += parsers(sub, f"{name} {sub_name}")
    return found


def test_every_option_of_every_command_is_explained(capsys) -> None:
    commands = parsers(build_parser())
    assert len(commands) == 30
    for name, parser in commands:
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, (name, action.option_strings or action.dest)
        with pytest.raises(SystemExit) as exc:
            main([*name.split()[1:], "--help"])
        assert exc.value.code == 0
        out = capsys.readouterr().out
        for action in parser._actions:
            for option in action.option_strings:
                assert option in out, (name, option)


SERVERS = {"reviewvet serve", "reviewvet mcp"}  # they answer requests until stopped: no report to format


def test_every_command_but_the_groups_and_servers_has_format_and_output() -> None:
    for name, parser in parsers(build_parser()):
        options = {o for action in parser._actions for o in action.option_strings}
        if name in SERVERS:
            assert not {"--format", "--output"} & options, name
        elif not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
            assert {"--format", "--output", "-o"} <= options, name


def test_module_entry_point_prints_help() -> None:
    proc = subprocess.run([sys.executable, "-m", "reviewvet.cli", "--help"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("usage: reviewvet") and "exit codes:" in proc.stdout

"""The ``reviewvet`` command line: exit codes, error messages, --fail-on, --output, --format, --help.

Every test runs the real CLI against a real git repository built in tmp_path. Bad input must
exit 2 with a ``reviewvet: error:`` line that names the input and the problem, print no
traceback, and leave no --output file behind.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reviewvet.cli import main

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


def build_repo(make_repo):  # type: ignore[no-untyped-def]
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
def repo(make_repo):  # type: ignore[no-untyped-def]
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


def verify_bad(capsys, tmp_path: Path, review: Path, repo: Path, *extra: str) -> str:  # type: ignore[no-untyped-def]
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


def test_folder_that_is_not_a_git_repository(capsys, tmp_path):  # type: ignore[no-untyped-def]
    plain = tmp_path / "plain"
    plain.mkdir()
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), plain)
    assert f"{str(plain)!r} is not a git repository" in err


def test_repository_path_that_does_not_exist(capsys, tmp_path):  # type: ignore[no-untyped-def]
    missing = tmp_path / "no" / "such" / "repo"
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), missing)
    assert str(missing) in err
    assert "does not exist" in err


def test_unknown_head_revision(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), repo.path,
                     "--base", "main", "--head", "fix/nosuch")
    assert "--head 'fix/nosuch' is not a commit" in err
    assert str(repo.path) in err


def test_unknown_base_revision(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), repo.path,
                     "--base", "release/9.9", "--head", "fix/cache")
    assert "--base 'release/9.9' is not a commit" in err


def test_head_that_looks_like_an_option(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), repo.path, "--base", "main", "--head=-x")
    assert "--head '-x' looks like an option" in err


def test_base_that_smuggles_an_option(capsys, tmp_path, repo, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), repo.path,
                     "--base=--output=foo", "--head", "fix/cache")
    assert "--base '--output=foo' looks like an option" in err
    assert not (tmp_path / "foo").exists()
    assert not (repo.path / "foo").exists()


def test_merge_base_that_looks_like_an_option(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
    err = verify_bad(capsys, tmp_path, write(tmp_path, good_review()), repo.path,
                     "--head", "fix/cache", "--merge-base=--all")
    assert "--merge-base '--all' looks like an option" in err


# -- the review document ---------------------------------------------------------------------


def test_review_file_that_does_not_exist(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
    missing = tmp_path / "nothing-here.md"
    err = verify_bad(capsys, tmp_path, missing, repo.path)
    assert f"cannot read review {str(missing)!r}" in err


def test_empty_review(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
    review = write(tmp_path, "  \n\n\t\n")
    err = verify_bad(capsys, tmp_path, review, repo.path)
    assert f"review {str(review)!r} is empty" in err


def test_binary_review(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
    review = write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "shot.png")
    err = verify_bad(capsys, tmp_path, review, repo.path)
    assert f"review {str(review)!r} is a binary file" in err


def test_review_that_is_not_utf8(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
    data = good_review().replace("A failed load", "Cafe load").encode("utf-8")
    review = write(tmp_path, data.replace(b"Cafe", b"Caf\xe9"))  # one Latin-1 byte
    err = verify_bad(capsys, tmp_path, review, repo.path)
    assert f"review {str(review)!r} is not UTF-8" in err
    assert "0xe9" in err  # the offending byte is shown


def test_review_without_findings(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
    prose = ("# Notes from the cache meeting\n\nWe talked about eviction and agreed to revisit it.\n\n"
             "- nobody wants LRU yet\n- measure first\n")
    review = write(tmp_path, prose, "notes.md")
    err = verify_bad(capsys, tmp_path, review, repo.path)
    assert f"review {str(review)!r} has no findings to verify" in err
    assert "no review sections" in err  # the hint says why


def test_review_over_the_size_limit(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
    chunk = GOOD_FINDING.format(n=1).encode()
    limit = 16 * 1024 * 1024
    data = b"# Deep Review: huge\n\n## Important Issues\n\n" + chunk * (limit // len(chunk) + 2)
    assert len(data) > limit
    review = write(tmp_path, data, "huge.md")
    err = verify_bad(capsys, tmp_path, review, repo.path)
    assert f"review {str(review)!r} is {len(data)} bytes; the limit is {limit}" in err


def test_review_of_several_megabytes_is_processed(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
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


def demo_args(demo_repo) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(DEMO_REVIEW), "--repo", str(demo_repo.path), "--base", demo_repo.base, "--head", demo_repo.head]


def test_fail_on_a_flag_the_demo_review_carries_exits_1(capsys, demo_repo):  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, *demo_args(demo_repo), "--fail-on", "wrong-path", "--format", "json")
    assert code == 1, err
    flagged = [f["key"] for f in json.loads(out)["findings"] if "wrong-path" in f["flags"]]
    assert flagged == ["consolidated/S4"]  # require_cmd quoted from scripts/lib.sh, claimed in run-agent.sh


def test_fail_on_a_flag_absent_from_the_results_exits_0(capsys, demo_repo):  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, *demo_args(demo_repo), "--fail-on", "missing-file", "unsafe-path",
                         "--format", "json")
    assert code == 0, err
    by_flag = json.loads(out)["summary"]["by_flag"]
    assert "wrong-path" in by_flag and "missing-file" not in by_flag and "unsafe-path" not in by_flag


def test_without_fail_on_flags_do_not_change_the_exit_code(capsys, demo_repo):  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, *demo_args(demo_repo), "--format", "json")
    assert code == 0
    assert json.loads(out)["summary"]["by_flag"]  # there are flagged findings all the same
    code, _, _ = run(capsys, *demo_args(demo_repo), "--format", "json", "--fail-on", "any")
    assert code == 1


def test_fail_on_an_unknown_flag_exits_2(capsys, tmp_path, demo_repo):  # type: ignore[no-untyped-def]
    err = verify_bad(capsys, tmp_path, DEMO_REVIEW, demo_repo.path, "--fail-on", "wrong-path", "nosuchflag")
    assert "--fail-on: unknown flag(s) 'nosuchflag'" in err
    assert "wrong-path" in err  # the known flags are listed


# -- output ----------------------------------------------------------------------------------


def test_output_file_holds_the_whole_report(capsys, tmp_path, demo_repo):  # type: ignore[no-untyped-def]
    code, printed, _ = run(capsys, *demo_args(demo_repo), "--format", "markdown")
    assert code == 0 and len(printed) > 1000
    output = tmp_path / "report.md"
    output.write_text("stale report from an earlier run\n" * 5000)
    code, out, err = run(capsys, *demo_args(demo_repo), "--format", "markdown", "--output", str(output))
    assert code == 0, err
    assert out == ""
    assert output.read_text("utf-8") == printed
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temporary file left beside it


def test_json_output_parses_and_has_the_documented_keys(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
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


def test_output_into_a_missing_directory_is_refused(capsys, tmp_path, repo):  # type: ignore[no-untyped-def]
    output = tmp_path / "nowhere" / "report.json"
    code, _, err = run(capsys, str(write(tmp_path, good_review())), "--repo", str(repo.path),
                       "--base", "main", "--head", "fix/cache", "--output", str(output))
    assert code == 2
    assert f"--output {str(output)!r}" in err and "does not exist" in err
    assert not output.parent.exists()


# -- help ------------------------------------------------------------------------------------


def test_top_level_help(capsys):  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: reviewvet")
    assert "verify" in out and "check every finding of a review" in out


def test_verify_help_explains_the_flags(capsys):  # type: ignore[no-untyped-def]
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


def test_console_script_verifies_a_review(tmp_path, repo):  # type: ignore[no-untyped-def]
    script = Path(sys.executable).with_name("reviewvet")
    review = write(tmp_path, good_review())
    proc = subprocess.run([str(script), "verify", str(review), "--repo", str(repo.path), "--base", "main",
                           "--head", "fix/cache", "--format", "json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["summary"]["findings"] == 1
    assert data["findings"][0]["quotes"][0]["status"] == "exact"


def test_module_entry_point_reports_bad_input_without_traceback(tmp_path, repo):  # type: ignore[no-untyped-def]
    review = write(tmp_path, good_review())
    proc = subprocess.run([sys.executable, "-m", "reviewvet.cli", "verify", str(review), "--repo", str(repo.path),
                           "--head", "deadbeef", "--base", "main"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == f"reviewvet: error: --head 'deadbeef' is not a commit in {str(repo.path)!r}\n"

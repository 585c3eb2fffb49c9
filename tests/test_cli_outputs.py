"""How ``reviewvet verify`` hands out its report: several formats from one verification
(``--output-format FORMAT=FILE``), the review on standard input (``-``), ``--quiet``, the width and
colour of the terminal format (``COLUMNS``, ``FORCE_COLOR``, ``NO_COLOR``) and parse warnings.

The CLI runs as its own process against the demo repository, as CI runs it: what matters here is
what a pipeline sees on its standard streams and on disk.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REVIEWS, ROOT

DEMO_REVIEW = REVIEWS / "demo-review.md"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def verify(demo_repo, *args: str, review: str = str(DEMO_REVIEW), env: dict[str, str] | None = None,
           stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``reviewvet verify REVIEW ARGS…`` against the demo repository, in a child process."""
    child_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "NO_COLOR")}
    child_env |= env or {}
    command = [sys.executable, "-m", "reviewvet.cli", "verify", review, *args, "--repo", str(demo_repo.path),
               "--base", "main", "--head", demo_repo.head, "--context", str(REVIEWS / "demo-context.yaml")]
    return subprocess.run(command, capture_output=True, text=True, env=child_env, input=stdin, cwd=cwd,
                          timeout=300, check=False)


# -- several formats in one run ----------------------------------------------------------------


def test_one_run_writes_every_format_asked_for(demo_repo, tmp_path: Path) -> None:
    sarif, comment, data = tmp_path / "rv.sarif", tmp_path / "comment.md", tmp_path / "rv.json"
    proc = verify(demo_repo, "--output-format", f"sarif={sarif}", "--output-format", f"github-comment={comment}",
                  "--output-format", f"json={data}", "--color", "never")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("reviewvet ")  # the terminal report still goes to standard output
    log = json.loads(sarif.read_text(encoding="utf-8"))
    findings = json.loads(data.read_text(encoding="utf-8"))["findings"]
    assert log["version"] == "2.1.0" and len(findings) == 36
    assert comment.read_text(encoding="utf-8").startswith("<!-- reviewvet -->")
    # the same verification: the JSON's head is the one SARIF names
    assert log["runs"][0]["versionControlProvenance"][0]["revisionId"] == demo_repo.head_sha


def test_files_get_the_mode_the_umask_gives(demo_repo, tmp_path: Path) -> None:
    out = tmp_path / "rv.jsonl"
    proc = subprocess.run(["sh", "-c", 'umask 027 && exec "$@"', "sh", sys.executable, "-m", "reviewvet.cli",
                           "verify", str(DEMO_REVIEW), "--repo", str(demo_repo.path), "--base", "main",
                           "--head", demo_repo.head, "--quiet", "--output-format", f"rdjsonl={out}"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


@pytest.mark.parametrize(("given", "message"), [
    ("sarif", "expected FORMAT=FILE"),
    ("sarif=", "expected FORMAT=FILE"),
    ("yaml=out.yaml", "unknown format 'yaml'"),
])
def test_a_bad_output_format_is_refused_before_any_work(demo_repo, tmp_path: Path, given: str,
                                                        message: str) -> None:
    proc = verify(demo_repo, "--output-format", given, cwd=tmp_path)
    assert proc.returncode == 2
    assert f"--output-format {given!r}" in proc.stderr and message in proc.stderr
    assert proc.stdout == "" and list(tmp_path.iterdir()) == []


def test_the_same_file_named_twice_is_refused(demo_repo, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    proc = verify(demo_repo, "--output-format", f"sarif={target}", "--output", str(target))
    assert proc.returncode == 2 and "named more than once" in proc.stderr
    assert not target.exists()


def test_a_file_that_cannot_be_written_is_named(demo_repo, tmp_path: Path) -> None:
    proc = verify(demo_repo, "--quiet", "--output-format", f"sarif={tmp_path / 'no' / 'such' / 'dir.sarif'}")
    assert proc.returncode == 2
    assert "--output-format" in proc.stderr and "does not exist" in proc.stderr


# -- standard input, --quiet ---------------------------------------------------------------------


def test_the_review_is_read_from_standard_input(demo_repo) -> None:
    proc = verify(demo_repo, "--format", "json", review="-", stdin=DEMO_REVIEW.read_text(encoding="utf-8"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["review"]["source"] == "<stdin>" and len(data["findings"]) == 36


def test_empty_standard_input_is_refused_by_name(demo_repo) -> None:
    proc = verify(demo_repo, review="-", stdin="")
    assert proc.returncode == 2 and "review '<stdin>' is empty" in proc.stderr


def test_quiet_prints_no_report_and_only_counts_what_failed(demo_repo) -> None:
    loud = verify(demo_repo, "--fail-on", "wrong-line")
    quiet = verify(demo_repo, "--quiet", "--fail-on", "wrong-line")
    assert loud.returncode == quiet.returncode == 1
    assert quiet.stdout == ""
    assert quiet.stderr.strip().splitlines() == ["reviewvet: --fail-on: raised by 1 finding"]
    assert "--fail-on: raised by 1 finding:" in loud.stderr and "wrong-line" in loud.stderr


def test_quiet_still_writes_the_output_file(demo_repo, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    proc = verify(demo_repo, "--quiet", "--format", "markdown", "--output", str(out))
    assert proc.returncode == 0 and proc.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("# reviewvet:")


# -- the terminal format -------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [60, 80, 100, 120])
def test_narrow_terminals_get_whole_tables(demo_repo, columns: int) -> None:
    proc = verify(demo_repo, env={"COLUMNS": str(columns)})
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert "…" not in proc.stdout  # no header or figure cut short
    for agent in ("Claude Opus 4.7", "Codex GPT 5.4", "Gemini 3.1 Pro"):
        assert agent in proc.stdout
    assert "coverage" in proc.stdout and "design obs." in proc.stdout


def test_wide_terminals_get_one_row_per_agent(demo_repo) -> None:
    proc = verify(demo_repo, env={"COLUMNS": "160"})
    rows = [line for line in proc.stdout.splitlines() if line.lstrip().startswith(("Claude", "Codex", "Gemini"))
            and "│" in line]
    assert len(rows) == 3 and all(row.rstrip().endswith(("%", "0", "1", "2")) and "%" in row for row in rows)


def test_force_color_colours_a_pipe_and_no_color_does_not(demo_repo) -> None:
    assert ANSI.search(verify(demo_repo, env={"FORCE_COLOR": "1"}).stdout)
    assert not ANSI.search(verify(demo_repo, env={"FORCE_COLOR": "0"}).stdout)
    assert not ANSI.search(verify(demo_repo, env={"NO_COLOR": "1"}).stdout)
    assert not ANSI.search(verify(demo_repo, "--color", "never", env={"FORCE_COLOR": "1"}).stdout)


def test_parse_warnings_are_in_the_terminal_report(demo_repo, tmp_path: Path) -> None:
    text = DEMO_REVIEW.read_text(encoding="utf-8").replace(
        "## Important Issues\n", "## Important Issues\n\nA paragraph the parser cannot place.\n", 1)
    assert "A paragraph the parser cannot place." in text
    review = tmp_path / "warned-review.md"
    review.write_text(text, encoding="utf-8")
    proc = verify(demo_repo, "--color", "never", review=str(review))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"\d+ parse warning\(s\):", proc.stdout)
    assert re.search(r"review line \d+: .*skipped", proc.stdout)

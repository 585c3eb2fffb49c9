"""Repository context: the target repository's own conventions (``.reviewvet.yaml`` committed at
the head revision, or ``--context FILE``) turn advice that breaks them into RV601 false positives.

The repository: ``scripts/greet.sh`` and ``tests/greet.bats`` on ``main``; the PR branch ``pr``
adds a second BATS test and the ``.reviewvet.yaml`` below (so at ``main`` there is none).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gitbuild import RepoBuilder

from reviewvet.cli import main
from reviewvet.ingest.parse import parse_review
from reviewvet.model.verification import Verification
from reviewvet.api import VerifyOptions, verify_repository
from reviewvet.model.rules import Decision

CONTEXT = r"""# what docs/testing.md asks of the BATS tests
conventions:
  - name: no-teardown-in-bats
    files: ["*.bats"]
    forbid: '\bteardown\b'
    message: "failed tests leave their files behind for inspection"
    source: docs/testing.md:3
  - name: run-0-needs-an-output-check
    files: ["*.bats"]
    when: '^\s*run\s+-0\b'
    require_after: '\$output|assert_output'
    within: 2
    message: "run -0 only when the output is inspected"
"""
BATS = """\
setup() {
    export STORE="$BATS_TEST_TMPDIR/store.json"
}

@test "greet says hello" {
    run scripts/greet.sh world
    [ "$output" = "hello world" ]
}
"""
BATS_PR = BATS + '\n@test "greet needs a name" {\n    run ! scripts/greet.sh\n}\n'  # lines 10-12
GREET = '#!/bin/sh\nset -eu\necho "hello $1"\n'
TEARDOWN = (' setup() {\n     export STORE="$BATS_TEST_TMPDIR/store.json"\n }\n'
            '+\n+teardown() {\n+    rm -f "$STORE"\n+}\n')


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> RepoBuilder:
    repo = RepoBuilder(tmp_path_factory.mktemp("context") / "repo")
    repo.commit("greet: add", {"scripts/greet.sh": GREET, "tests/greet.bats": BATS}, date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("greet: test the missing name", {".reviewvet.yaml": CONTEXT, "tests/greet.bats": BATS_PR},
                date="2026-01-10T09:00:00+00:00")
    return repo


def suggestion(ref: str, code: str = "", title: str = "Clean up", body: str = "Stores leak between tests.",
               lang: str = "diff") -> str:
    block = f"```{lang}\n{code}```\n\n" if code else ""
    return (f"# Deep Review: context\n\n## Suggestions\n\nS1. **{title}** — `{ref}` [Gemini]\n\n{block}{body}\n\n"
            f"*(suggestion, gap.)*\n")


def run(text: str, repo: RepoBuilder, **options) -> Verification:
    return verify_repository(repo.path, parse_review(text), head="pr", base="main", options=VerifyOptions(**options))


def decide(text: str, repo: RepoBuilder, **options) -> Decision:
    return run(text, repo, **options).decisions["consolidated/S1"]


def rv601(d: Decision) -> str | None:
    """The RV601 note, or None when RV601 did not fire (and then the finding is no false positive)."""
    if "RV601" not in d.rule_codes:
        assert not d.false_positive
        return None
    assert d.false_positive
    return next(n for n in d.notes if n.startswith("RV601: "))


# -- forbid -------------------------------------------------------------------------------------


def test_the_conventions_are_read_from_the_head_revision(repo) -> None:
    assert run(suggestion("tests/greet.bats:1-3", TEARDOWN), repo).conventions == (
        "no-teardown-in-bats", "run-0-needs-an-output-check")
    at_main = verify_repository(repo.path, parse_review(suggestion("tests/greet.bats:1-3", TEARDOWN)), head="main",
                                base="main")  # the work tree has the file; main does not
    assert at_main.conventions == ()
    assert "RV601" not in at_main.decisions["consolidated/S1"].rule_codes


def test_a_diff_adding_a_forbidden_line_is_a_false_positive(repo) -> None:
    note = rv601(decide(suggestion("tests/greet.bats:1-3", TEARDOWN), repo))
    assert note == "RV601: the fix contradicts the repository convention no-teardown-in-bats"


def test_a_forbidden_name_recommended_inline_in_the_title(repo) -> None:
    d = decide(suggestion("tests/greet.bats:1-3", title="Add a `teardown`", body="Stubs leak between tests."), repo)
    assert "no-teardown-in-bats" in (rv601(d) or "")


def test_a_forbidden_name_recommended_inline_in_the_prose(repo) -> None:
    d = decide(suggestion("tests/greet.bats:1-3", body="Add a `teardown` that removes `$STORE`."), repo)
    assert "no-teardown-in-bats" in (rv601(d) or "")


def test_a_forbidden_name_merely_mentioned_in_the_prose_is_no_recommendation(repo) -> None:
    d = decide(suggestion("tests/greet.bats:1-3", body="The suite has no `teardown`, on purpose."), repo)
    assert rv601(d) is None


def test_a_title_that_names_the_forbidden_code_without_recommending_it(repo) -> None:
    """A finding that asks to remove a forbidden `teardown` agrees with the convention."""
    d = decide(suggestion("tests/greet.bats:1-3", title="`teardown` breaks the test style guide",
                          body="Remove it: failed tests must leave their files."), repo)
    assert rv601(d) is None


def test_the_same_fix_for_a_shell_script_breaks_no_convention(repo) -> None:
    diff = ' echo "hello $1"\n+teardown() { rm -f "$STORE"; }\n'
    assert rv601(decide(suggestion("scripts/greet.sh:3", diff), repo)) is None
    assert rv601(decide(suggestion("scripts/greet.sh:3", title="Add a `teardown`"), repo)) is None


# -- when / require_after -----------------------------------------------------------------------

RUN_0 = ' @test "greet needs a name" {\n-    run ! scripts/greet.sh\n+    run -0 scripts/greet.sh nobody\n }\n'


def test_run_0_without_an_output_check_breaks_the_convention(repo) -> None:
    note = rv601(decide(suggestion("tests/greet.bats:10-12", RUN_0, title="Pin the exit status"), repo))
    assert note == "RV601: the fix contradicts the repository convention run-0-needs-an-output-check"


def test_run_0_followed_by_an_output_check_is_compliant(repo) -> None:
    checked = RUN_0.replace(" }\n", '+    [ "$output" = "hello nobody" ]\n }\n')
    assert rv601(decide(suggestion("tests/greet.bats:10-12", checked, title="Pin the exit status"), repo)) is None


def test_run_0_with_the_output_check_too_far_below_breaks_the_convention(repo) -> None:
    late = RUN_0.replace(" }\n", '+    echo one\n+    echo two\n+    [ "$output" = "hello nobody" ]\n }\n')
    assert "run-0-needs-an-output-check" in (rv601(decide(suggestion("tests/greet.bats:10-12", late), repo)) or "")


def test_run_0_followed_by_an_unchanged_output_check_is_compliant(repo) -> None:
    """The unchanged line right after the new `run -0` inspects $output: the new text complies."""
    diff = (' @test "greet says hello" {\n-    run scripts/greet.sh world\n+    run -0 scripts/greet.sh world\n'
            '     [ "$output" = "hello world" ]\n }\n')
    assert rv601(decide(suggestion("tests/greet.bats:5-8", diff, title="Pin the exit status"), repo)) is None


# -- --context ----------------------------------------------------------------------------------


def test_context_file_overrides_the_repository_file(repo, tmp_path: Path) -> None:
    context = tmp_path / "team.yaml"
    context.write_text("conventions:\n  - name: no-sleep-in-bats\n    files: '*.bats'\n    forbid: '\\bsleep\\b'\n",
                       encoding="utf-8")
    teardown = run(suggestion("tests/greet.bats:1-3", TEARDOWN), repo, context=context)
    assert teardown.conventions == ("no-sleep-in-bats",)
    assert rv601(teardown.decisions["consolidated/S1"]) is None
    sleep = decide(suggestion("tests/greet.bats:10-12", RUN_0.replace(" }\n", "+    sleep 1\n }\n")), repo,
                   context=context)
    assert "no-sleep-in-bats" in (rv601(sleep) or "")


# -- broken context files: exit 2 with file:line ------------------------------------------------

BROKEN = {
    "bad-regex": ("conventions:\n  - name: fine\n    files: ['*.bats']\n    forbid: 'x'\n"
                  "  - name: broken-regex\n    files: ['*.bats']\n    forbid: '(unclosed'\n",
                  "forbid: '(unclosed'", "forbid is not a valid regular expression"),
    "missing-files": ("conventions:\n  - name: no-files\n    forbid: 'x'\n", "name: no-files", "needs 'files'"),
    "unknown-field": ("conventions:\n  - name: fine\n    files: '*.sh'\n    forbid: 'x'\n\n"
                      "  - name: extra\n    files: ['*.bats']\n    forbid: 'x'\n    severity: high\n",
                      "severity: high", "unknown convention field 'severity'"),
    "no-pattern": ("conventions:\n  - name: empty\n    files: ['*.bats']\n    when: 'run'\n", "name: empty",
                   "needs 'forbid', or 'when' with 'require_after'"),
    "bad-yaml": ("conventions:\n  - name: x\n    files: a: b\n    forbid: 'x'\n", "files: a: b", "not valid YAML"),
}


def line_of(text: str, marker: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def verify_cli(capsys, repo: RepoBuilder, review: Path, *options: str) -> tuple[int, str]:
    code = main(["verify", str(review), "--repo", str(repo.path), "--head", "pr", "--base", "main", *options])
    captured = capsys.readouterr()
    return code, captured.err


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_context_file_exits_2_naming_file_and_line(repo, tmp_path: Path, capsys, case: str) -> None:
    text, marker, message = BROKEN[case]
    context = tmp_path / "context.yaml"
    context.write_text(text, encoding="utf-8")
    review = tmp_path / "review.md"
    review.write_text(suggestion("tests/greet.bats:1-3", TEARDOWN), encoding="utf-8")
    code, err = verify_cli(capsys, repo, review, "--context", str(context))
    assert code == 2
    assert err.startswith(f"reviewvet: error: {context}:{line_of(text, marker)}: "), err
    assert message in err and "Traceback" not in err


def test_a_missing_context_file_exits_2(repo, tmp_path: Path, capsys) -> None:
    review = tmp_path / "review.md"
    review.write_text(suggestion("tests/greet.bats:1-3", TEARDOWN), encoding="utf-8")
    code, err = verify_cli(capsys, repo, review, "--context", str(tmp_path / "nope.yaml"))
    assert code == 2 and "--context" in err and "cannot be read" in err


def test_a_broken_repository_context_names_the_file_at_head(tmp_path: Path, capsys) -> None:
    broken = RepoBuilder(tmp_path / "broken")
    broken.commit("greet: add", {"tests/greet.bats": BATS}, date="2025-04-01T09:00:00+00:00")
    broken.branch("pr")
    broken.checkout("pr")
    text = BROKEN["bad-regex"][0]
    head = broken.commit("conventions", {".reviewvet.yaml": text}, date="2026-01-10T09:00:00+00:00")
    review = tmp_path / "review.md"
    review.write_text(suggestion("tests/greet.bats:1-3", TEARDOWN), encoding="utf-8")
    code, err = verify_cli(capsys, broken, review)
    assert code == 2
    assert err.startswith(f"reviewvet: error: .reviewvet.yaml at {head[:12]}:{line_of(text, '(unclosed')}: "), err


def test_a_forbidden_word_on_an_unchanged_line_is_not_the_fix(repo) -> None:
    diff = ' # no teardown here: failed tests keep their files\n setup() {\n-    export STORE=x\n+    export STORE=y\n'
    assert "RV601" not in decide(suggestion("tests/greet.bats:1-2", diff), repo).rule_codes
    assert "RV601" in decide(suggestion("tests/greet.bats:1-2", diff + "+teardown() { :; }\n"), repo).rule_codes

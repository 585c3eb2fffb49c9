"""The pull-request comment (``--format github-comment``): under GitHub's size limit whatever the review,
problems first, a link to each located finding's lines, outside text unable to open tags or mention
anyone, and a count of the findings that did not fit."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import pytest

from reviewvet.model.checks import FindingVerdict, primary_location
from reviewvet.model.review import ParseWarning
from reviewvet.model.verification import Verification
from reviewvet.report import RenderOptions, render
from reviewvet.report.github_comment import BUDGET, MARKER
from reviewvet.report.text import verdict_word
from tests.conftest import SEED_PRS

GITHUB_LIMIT = 65_536
VERDICTS = ("false positive", "refuted", "doubtful", "unverifiable", "confirmed", "unchecked")
PROBLEMS_FIRST = {"false positive": 0, "refuted": 0, "doubtful": 1, "unverifiable": 2, "unchecked": 2,
                  "confirmed": 3}
SUMMARY = re.compile(r"^<summary><b>([a-z ]+)</b> · <code>([^<]+)</code>", re.MULTILINE)
LINK = re.compile(r"\]\((https://github\.com/example-org/beacon/blob/[^)]+)\)")
NOT_SHOWN = re.compile(r"^\*\*(\d+) findings? not shown\*\* \(([^)]*)\): (.+) shows them all\.$", re.MULTILINE)
HOSTILE = "<script>alert(1)</script> </details><img src=x onerror=alert(1)> & @octocat"




@pytest.fixture(scope="module")
def comment(result: Verification) -> str:
    return render("github-comment", result)


@pytest.fixture(scope="module")
def huge(result: Verification) -> Verification:
    """The demo's findings 60 times over, each copy with its own key (and the decision of its original)."""
    verdicts, decisions = [], {}
    for copy in range(60):
        for fv in result.verdicts:
            twin = replace(fv, finding=replace(fv.finding, id=f"{fv.finding.id}-{copy}"))
            verdicts.append(twin)
            if fv.finding.key in result.decisions:
                decisions[twin.finding.key] = result.decisions[fv.finding.key]
    return replace(result, verdicts=tuple(verdicts), decisions=decisions)


# -- helpers ------------------------------------------------------------------------------------


def words(v: Verification) -> list[tuple[str, str]]:
    """(verdict word, key) of every finding, in the report's order."""
    return [(verdict_word(fv, v.decisions.get(fv.finding.key)), fv.finding.key) for fv in v.verdicts]


def problems_first(v: Verification) -> list[tuple[str, str]]:
    return sorted(words(v), key=lambda row: PROBLEMS_FIRST[row[0]])


def shown(text: str) -> list[tuple[str, str]]:
    return [(word, key) for word, key in SUMMARY.findall(text)]


def outside_code(text: str) -> str:
    """``text`` without its ``<code>`` elements and its Markdown code spans (a run of n backticks up to the
    next run of exactly n; a run nothing closes stays as it is)."""
    text = re.sub(r"<code>.*?</code>", "", text)
    out, position = [], 0
    while (opening := re.compile("`+").search(text, position)) is not None:
        ticks = opening.group()
        closing = re.compile(f"(?<!`){ticks}(?!`)").search(text, opening.end())
        out.append(text[position:opening.start()] if closing else text[position:opening.end()])
        position = closing.end() if closing else opening.end()
    return "".join(out) + text[position:]


def counts_table(text: str) -> dict[str, int]:
    """The verdict counts of the summary table (its header row, then the numbers two lines below)."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("| false positive |"))
    names = [cell.strip() for cell in lines[at].strip("|").split("|")]
    numbers = [int(cell) for cell in lines[at + 2].strip("|").split("|")]
    return dict(zip(names, numbers, strict=True))


def with_title(v: Verification, title: str) -> Verification:
    """``v`` with ``title`` as the review's title, the first finding's title and the first finding's agent."""
    first: FindingVerdict = v.verdicts[0]
    finding = replace(first.finding, title=title, agents=(title,))
    return replace(v, review=replace(v.review, title=title), verdicts=(replace(first, finding=finding),))


# -- the demo verification ----------------------------------------------------------------------


def test_the_demo_comment_fits_and_shows_every_finding(comment: str, result: Verification) -> None:
    assert len(comment) < BUDGET < GITHUB_LIMIT
    assert len(shown(comment)) == len(result.verdicts) == 36
    assert NOT_SHOWN.search(comment) is None


def test_the_marker_comes_first_then_the_review_and_head(comment: str, result: Verification) -> None:
    first, title = comment.splitlines()[:2]
    assert first == MARKER == "<!-- reviewvet -->"
    assert title == f"## reviewvet: Deep Review: 20260116-151004-pr-41 at `{result.revisions.head[:12]}`"


def test_findings_come_problems_first_in_the_reports_order(comment: str, result: Verification) -> None:
    assert shown(comment) == problems_first(result)
    assert [word for word, _ in shown(comment)][:3] == ["false positive", "false positive", "doubtful"]
    assert [word for word, _ in shown(comment)][-1] == "confirmed"


def test_summary_counts_equal_the_verdicts(comment: str, result: Verification) -> None:
    counts = Counter(word for word, _ in words(result))
    assert counts_table(comment) == {**{word: counts[word] for word in VERDICTS}, "all": len(result.verdicts)}
    flags = Counter(flag for fv in result.verdicts for flag in fv.flags)
    for flag, count in flags.items():
        assert f"| `{flag}` | {count} |" in comment


def test_located_findings_link_to_their_lines_at_head(comment: str, result: Verification) -> None:
    head = result.revisions.head
    located = [loc for fv in result.verdicts if (loc := primary_location(fv)) is not None]
    assert len(located) > 20
    for path, start, end in located:
        anchor = f"#L{start}" + (f"-L{end}" if end != start else "")
        url = f"https://github.com/example-org/beacon/blob/{head}/{path}{anchor}"
        assert f"[`{path}{anchor}`]({url})" in comment
    assert all(f"/blob/{head}/" in url for url in LINK.findall(comment))
    assert "#L58-L62)" in comment  # consolidated/I1's quote, agent/internal/retry/budget.go:58-62


def test_details_blocks_are_balanced_with_markdown_after_each_summary(comment: str) -> None:
    assert comment.count("<details>") == comment.count("</details>") == len(shown(comment))
    lines = comment.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("<summary>"):
            assert lines[i - 1] == "<details>" and line.endswith("</summary>") and lines[i + 1] == ""


def test_no_user_is_mentioned(comment: str) -> None:
    assert "@test" in comment  # the BATS findings quote `@test` blocks: shown, as code
    assert re.search("@[A-Za-z]", outside_code(comment)) is None


def test_rule_codes_identifiers_and_paths_are_code(comment: str) -> None:
    assert "[`RV601 contradicts-repository-convention`](" in comment
    assert "merged into `consolidated/S2`" in comment
    assert "found verbatim at `agent/internal/retry/budget.go:58-62`, in " in comment
    assert "<code>refill</code> advances <code>last</code>" in comment  # a title's code spans, in HTML


# -- hostile and huge reviews -------------------------------------------------------------------


def test_outside_text_opens_no_tag_and_mentions_no_one(result: Verification) -> None:
    text = render("github-comment", with_title(result, HOSTILE + " \x1b[31m"))
    assert "<script>" not in text and "<img" not in text and "\x1b" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;/details&gt;&lt;img" in text
    assert "\\x1b" in text  # spelled out
    assert text.count("<details>") == text.count("</details>") == 1
    assert re.search("@[A-Za-z]", outside_code(text)) is None
    assert "<code>@octocat</code>" in text and "`@octocat`" in text


def test_backticks_in_code_get_a_longer_fence(result: Verification) -> None:
    text = render("github-comment", with_title(result, "``run `x` twice`` and a lone ` backtick"))
    assert "<code>run `x` twice</code> and a lone ` backtick (important, regression)</summary>" in text  # HTML
    assert "Reported by ``run `x` twice`` and a lone \\` backtick" in text  # Markdown: the lone one escaped


def test_parse_warnings_are_counted_at_the_end(result: Verification) -> None:
    warned = replace(result, review=replace(result.review, warnings=(ParseWarning(3, "a"), ParseWarning(9, "b"))))
    assert render("github-comment", warned).endswith("\n2 parse warnings; `--format json` lists them.\n")


def test_a_huge_review_is_cut_to_the_budget_problems_first(huge: Verification) -> None:
    command = "reviewvet verify `ls huge.md` --repo . --format markdown"
    text = render("github-comment", huge, RenderOptions(command=command))
    assert BUDGET - 2_000 < len(text) < BUDGET
    listed = shown(text)
    assert 0 < len(listed) < len(huge.verdicts) == 36 * 60
    assert listed == problems_first(huge)[:len(listed)]
    assert text.count("<details>") == text.count("</details>") == len(listed)
    [(missing, by_verdict, shown_command)] = NOT_SHOWN.findall(text)
    left_out = Counter(word for word, _ in words(huge)) - Counter(word for word, _ in listed)
    assert int(missing) == len(huge.verdicts) - len(listed) == left_out.total()
    assert by_verdict == ", ".join(f"{left_out[word]} {word}" for word in VERDICTS if left_out[word])
    assert shown_command == f"``{command}``"
    assert counts_table(text)["all"] == 36 * 60  # the summary still counts every finding


def test_without_a_command_the_markdown_report_is_named(huge: Verification) -> None:
    text = render("github-comment", huge)
    assert len(text) < BUDGET
    assert text.rstrip().endswith(": `reviewvet verify demo-review.md --format markdown` shows them all.")


# -- the real seed reports ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("prefix", SEED_PRS)
def test_every_seed_report_fits(seed_verifications: dict[str, Verification], prefix: str) -> None:
    v = seed_verifications[prefix]
    text = render("github-comment", v)
    assert len(text) < BUDGET
    assert text.startswith(MARKER + "\n")
    assert shown(text) == problems_first(v)[:len(shown(text))]
    assert re.search("@[A-Za-z]", outside_code(text)) is None

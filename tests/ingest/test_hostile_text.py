"""Hostile review text: every pattern of the reader runs in time linear in its line, so one long
line of the characters a pattern backtracks on cannot hang parse_review; backticked paths with
spaces are read whole.
"""

from __future__ import annotations

import time

import pytest

from reviewvet.ingest.parse import parse_review
from reviewvet.ingest.vocabulary import split_trailing_agents

MB = 1024 * 1024
BOUND = 10.0  # seconds for a document with a 1 MB line in each place a pattern reads (1-3 s on one core)
# Characters that made some pattern backtrack: headings of "-", runs of spaces before a bracket, "[" for
# link labels, backticks for inline code, "*" for emphasis, digits and colons for references, "|" for
# tables, pilcrows for flattened headings, "(" for reviewer efforts and tags, "a new" for articles.
UNITS = {"dash": "-", "space": " ", "bracket": "[", "backtick": "`", "star": "*", "digits": "1:2", "pipe": "|",
         "pilcrow": "\u00b6", "paren": "(", "article": " a new", "emdash": " \u2014", "dots": "a.", "agent": "[Codex] "}


def markdown(line: str) -> str:
    return (f"# Deep Review\n\n| Field | Value |\n|---|---|\n| Reviewers | {line} |\n\n"
            f"## Important Issues\n\n### I1. {line}\n\nUse a new `{line}` here: {line}\n\n| a | b |\n|---|---|\n"
            f"| {line} | x |\n\n## Appendix: Original Reviews\n\n### {line}x\n\n## Important\n\n### 1. Title x\n")


def flattened(line: str) -> str:
    return (f"Deep Review\nReviewers{line}\nImportant Issues\u00b6\nI1. {line} (important, gap)\n"
            f"Use a new {line} here: {line}\n| {line} | x |\nAppendix: Original Reviews\u00b6\n{line}x\u00b6\n"
            f"Important\u00b6\n1. Title (important, gap)\n")


@pytest.mark.slow
@pytest.mark.parametrize("unit", sorted(UNITS))
@pytest.mark.parametrize("shape", [markdown, flattened], ids=["markdown", "flattened"])
def test_a_one_megabyte_line_of_pathological_characters_parses_in_bounded_time(unit: str, shape) -> None:  # type: ignore[no-untyped-def]
    line = (UNITS[unit] * (MB // len(UNITS[unit]) + 1))[:MB]
    started = time.perf_counter()
    review = parse_review(shape(line), "hostile.md")
    elapsed = time.perf_counter() - started
    assert elapsed < BOUND, f"{unit} in a {shape.__name__} document: {elapsed:.1f} s"
    assert review.findings  # the finding around the line is still read


def test_the_agent_heading_and_trailing_bracket_patterns_are_linear_in_the_line() -> None:
    """The two patterns reported quadratic: a 30,000-character heading of '-' took 18 s."""
    started = time.perf_counter()
    review = parse_review(markdown("-" * 30_000))
    assert split_trailing_agents("x" + " " * 200_000 + "[Claude]") == ("x", ("Claude",))
    assert split_trailing_agents("x" + " " * 200_000 + "]") == ("x" + " " * 200_000 + "]", ())
    assert time.perf_counter() - started < 1.0
    assert [r.agent for r in review.agent_reviews] == ["agent-1"]


def test_at_most_a_few_trailing_attributions_are_read() -> None:
    title, agents = split_trailing_agents("Fix it" + " [Codex]" * 2_000)
    assert len(agents) == 8 and title.startswith("Fix it [Codex]")


def test_articles_before_a_name_are_read_in_linear_time() -> None:
    """``Use a new a new … thing `X``` could be split into articles two ways at every "a new": 2**n tries
    before the pattern gives up at "thing"."""
    started = time.perf_counter()
    text = "# Deep Review\n\n## Important Issues\n\n### I1. Bad\n\nUse" + " a new" * 24 + " thing like `Helper`.\n"
    review = parse_review(text)
    assert time.perf_counter() - started < 1.0
    assert dict(review.findings[0].identifier_roles) == {"Helper": "asserted"}  # "thing" is no article


# -- references ---------------------------------------------------------------------------------


def test_a_backticked_path_with_spaces_is_kept_whole() -> None:
    review = parse_review("# Deep Review\n\n## Important Issues\n\n### I1. Wrong `with space.go:3`\n\n"
                          "Also `docs/my notes.md:10-12` and `plain.go:7`; not `run it.go:3 now` or bare.go:4.\n")
    refs = [(r.path, r.start, r.end) for r in review.findings[0].references]
    assert refs == [("with space.go", 3, 3), ("docs/my notes.md", 10, 12), ("plain.go", 7, 7), ("it.go", 3, 3),
                    ("bare.go", 4, 4)]


def test_the_recommendation_pattern_does_not_rescan_whitespace() -> None:
    """Clause text reaches it with whitespace collapsed; the pattern is linear even when it is not."""
    from reviewvet.ingest.roles import _PROPOSED_BEFORE

    started = time.perf_counter()
    assert _PROPOSED_BEFORE.search(" " * 20_000 + "x") is None
    assert _PROPOSED_BEFORE.search("(" + " " * 20_000 + "use") is not None
    assert time.perf_counter() - started < 0.5

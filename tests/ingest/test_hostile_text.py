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
def test_a_one_megabyte_line_of_pathological_characters_parses_in_bounded_time(unit: str, shape) -> None:
    line = (UNITS[unit] * (MB // len(UNITS[unit]) + 1))[:MB]
    started = time.perf_counter()
    review = parse_review(shape(line), "hostile.md")
    elapsed = time.perf_counter() - started
    assert elapsed < BOUND, f"{unit} in a {shape.__name__} document: {elapsed:.1f} s"
    if review.format == ("markdown" if shape is markdown else "flattened"):  # a line of backticks is a fence
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


def test_a_long_run_of_flattened_code_is_split_in_linear_time() -> None:
    """Where quoted code turns into a diff was looked for by rechecking every line at every cut (found by
    the fuzzer: 20,000 lines took 18 s)."""
    code = "\n".join(["x := f()"] * 10_000 + [" ctx()", "-old()", "+new()"])
    started = time.perf_counter()
    review = parse_review(f"Important Issues\u00b6\n1. Wrong thing (important, gap)\n{code}\n")
    assert time.perf_counter() - started < 1.0
    [quoted, diff] = review.findings[0].blocks
    assert quoted.role == "evidence" and len(quoted.claimed) == 10_000
    assert diff.role == "diff" and diff.proposed == ("new()",)


def test_thousands_of_findings_with_one_id_are_keyed_in_linear_time() -> None:
    """Each repeat of ``I1`` counted up from #2 through every key taken: 8,000 repeats took 150 s."""
    started = time.perf_counter()
    review = parse_review("# Deep Review\n\n## Important Issues\n\n" + "### I1. Same id\n\nbody\n\n" * 3000)
    assert time.perf_counter() - started < 3
    assert [f.key for f in review.findings[:3]] == ["consolidated/I1", "consolidated/I1#2", "consolidated/I1#3"]
    assert review.findings[-1].key == "consolidated/I1#3000"


def test_thousands_of_anonymous_reviews_are_numbered_in_linear_time() -> None:
    """Each placeholder agent-N recounted the placeholders before it: 4,000 reviews took 6 s."""
    appendix = "# Code Review\n\n## Important\n\n### 1. x\n\nbody\n\n" * 6000
    started = time.perf_counter()
    review = parse_review("# Deep Review\n\n## Important Issues\n\n### I1. a\n\n## Appendix: Original Reviews\n\n"
                          + appendix)
    assert time.perf_counter() - started < 4
    assert [r.agent for r in review.agent_reviews[:2]] == ["agent-1", "agent-2"]
    assert review.agent_reviews[-1].agent == "agent-6000"

"""Fuzzing the two readers of untrusted text: the review reader (Markdown and flattened) and the
claims JSON reader. Whatever the input, each returns a Review or raises one of reviewvet's own
errors, within a deadline per example.

Examples are derandomised (the same on every run, so CI never flakes) and the database is off
(nothing is written); the whole module runs in about ten seconds.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewvet.errors import ReviewInputError, ReviewvetError
from reviewvet.ingest.claims import parse_claims
from reviewvet.model.review import Review
from reviewvet.ingest.parse import parse_review, review_text

FUZZ = settings(
    max_examples=120,
    deadline=timedelta(seconds=3),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

# Pieces of deep-review documents, so that examples reach the finding, appendix and table readers.
PIECES = [
    "# Deep Review: x", "## Important Issues", "## Critical", "## Suggestions", "## Appendix: Original Reviews",
    "### [Codex] — Pass 1", "### I1. **Title** — `a/b.go:3-5` [Claude Opus 4.7]", "S2. Thing (important, gap — scope)",
    "Important Issues\u00b6", "Appendix: Original Reviews\u00b6", "1. Title [Gemini]", "- item `x.Y()`", "```go",
    "```diff", "```", "+added", "-removed", " context", "| Date | 2026-03-21 |", "|---|---|", "| a | b | c |",
    "Fix: use a new `Helper`.", ":527-535", "see `with space.go:3`, 4-6", "Reviewers Claude, Codex (effort: high)",
    "Executive Summary", "two critical findings", "Reconciliation:", "Resolution", "> quote", "    indented code",
    "", "\u00b6", "[", "]", "(", ")", "`", "*", "|", "-", " ", "\t", "\u2014", "a new", ":1:2", "\\",
]
unit = st.one_of(st.sampled_from(PIECES), st.text(max_size=6))
repeated = st.tuples(unit, st.integers(min_value=1, max_value=4000)).map(lambda t: t[0] * t[1])
line = st.one_of(unit, repeated)
document = st.lists(line, max_size=40).map("\n".join)
# One long line (a run of up to 30,000 of one piece) after a prefix that puts it where a pattern reads it.
PREFIXES = ["### ", "### I1. ", "I1. ", "1. ", "- ", "| ", "Reviewers ", "Use ", "", "### [Codex] "]
long_line = st.tuples(st.sampled_from(PREFIXES), unit.filter(bool), st.integers(min_value=5000, max_value=30_000),
                      st.sampled_from(["", "x", " [Claude]", ")", "\u00b6", " |"]))
long_document = st.tuples(document, long_line, st.sampled_from(["## Important Issues", "## Appendix: Original Reviews",
                                                                "Important Issues\u00b6"])).map(
    lambda t: f"{t[2]}\n{t[1][0]}{t[1][1] * (t[1][2] // len(t[1][1]))}{t[1][3]}\n{t[0]}")


def read(text: str, source: str = "fuzz.md") -> Review | None:
    """parse_review, allowed to refuse only with reviewvet's own errors."""
    try:
        return parse_review(text, source)
    except ReviewvetError:
        return None


@FUZZ
@given(document)
def test_any_document_of_review_pieces_is_read_or_refused_cleanly(text: str) -> None:
    read(text)


@settings(FUZZ, max_examples=60)
@given(long_document)
def test_a_long_line_anywhere_is_read_within_the_deadline(text: str) -> None:
    read(text)


@FUZZ
@given(st.text(max_size=3000))
def test_any_text_is_read_or_refused_cleanly(text: str) -> None:
    read(text)


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes_are_read_or_refused_with_a_review_input_error(data: bytes) -> None:
    try:
        text = review_text("fuzz.md", len(data), lambda: data)
    except ReviewInputError as exc:
        assert "'fuzz.md'" in str(exc)
        return
    read(text)


@pytest.mark.parametrize("opener", ["> ", "- ", "1. ", "  ", "* > ", "[", "`", "#"])
def test_deep_nesting_is_read_in_bounded_time(opener: str) -> None:
    started = time.perf_counter()
    for text in (opener * 100_000 + "x\n", "\n".join(opener * i + "x" for i in range(0, 3000, 7))):
        read("# Deep Review\n\n## Important Issues\n\n" + text)
    assert time.perf_counter() - started < 10


# -- claims JSON ----------------------------------------------------------------------------------

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)
short = st.text(max_size=30)
finding = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=5), "title": short},
    optional={
        "section": st.sampled_from(["critical", "important", "suggestion", "design", "testing", "documentation"]),
        "severity": st.sampled_from(["critical", "important", "suggestion"]),
        "agents": st.lists(short, max_size=3), "label": short, "body": st.text(max_size=200),
        "identifiers": st.lists(short, max_size=3),
        "locations": st.lists(st.fixed_dictionaries({"path": st.text(min_size=1, max_size=20)}, optional={
            "start": st.integers(min_value=1, max_value=10**6), "end": st.integers(min_value=1, max_value=10**6)}),
            max_size=3),
        "quotes": st.lists(st.fixed_dictionaries({"text": st.text(min_size=1, max_size=80)}, optional={
            "role": st.sampled_from(["evidence", "diff", "proposal"]), "language": short, "path": short}),
            max_size=3),
    },
)
claims = st.fixed_dictionaries(
    {"reviewvet_claims": st.just(1), "findings": st.lists(finding, max_size=4)},
    optional={"title": short, "repository": short, "pr": st.integers(min_value=1),
              "reviewers": st.lists(short, max_size=3), "head": st.from_regex(r"\A[0-9a-f]{4,40}\Z"),
              "commits": st.lists(st.fixed_dictionaries({"sha": st.from_regex(r"\A[0-9a-f]{4,40}\Z"),
                                                         "subject": short}), max_size=3)},
)


def read_claims(text: str) -> Review | None:
    try:
        return parse_claims(text, "fuzz.json")
    except ReviewInputError as exc:
        assert str(exc).startswith("claims file 'fuzz.json' ")
        return None


@FUZZ
@given(claims)
def test_every_claims_file_the_schema_allows_is_read(data: dict[str, Any]) -> None:
    review = read_claims(json.dumps(data))
    assert review is not None and len(review.findings) == len(data["findings"])


@FUZZ
@given(claims, st.lists(st.tuples(st.sampled_from(["findings", "title", "pr", "commits", "head", "extra"]),
                                  json_value), max_size=3))
def test_a_claims_file_with_any_values_is_read_or_refused_cleanly(data: dict[str, Any],
                                                                 changes: list[tuple[str, Any]]) -> None:
    for key, value in changes:
        data[key] = value
    read_claims(json.dumps(data))


@FUZZ
@given(st.text(max_size=2000))
def test_any_text_as_claims_is_refused_cleanly(text: str) -> None:
    read_claims(text)


@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000,
    '{"reviewvet_claims": 1, "findings": [' + "{" * 100_000,
    '{"reviewvet_claims": 1, "findings": [], "title": ' + "[" * 900 + "]" * 900 + "}",
    '{"reviewvet_claims": 1, "findings": [], "pr": ' + "9" * 5000 + "}",
    '{"reviewvet_claims": 1, "findings": [], "pr": NaN}',
])
def test_deep_or_huge_json_is_a_review_input_error_naming_the_file(text: str) -> None:
    with pytest.raises(ReviewInputError, match=r"^claims file 'fuzz\.json' "):
        parse_claims(text, "fuzz.json")

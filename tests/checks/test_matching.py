"""The quote matchers, one behaviour each, on small in-memory files."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reviewvet.checks.matching import (
    find_elided,
    find_exact,
    find_fuzzy,
    find_normalised,
    find_reflowed,
    split_segments,
)

GO = (
    "package retry",
    "",
    "func Spend(b *Budget) bool {",
    "\tif b == nil {",
    "\t\treturn true",
    "\t}",
    "",
    "\tb.mu.Lock()",
    "\tdefer b.mu.Unlock()",
    "\treturn b.take()",
    "}",
)


def test_exact_allows_one_common_indentation_prefix() -> None:
    assert find_exact(["if b == nil {", "\treturn true", "}"], GO) == (3, 5)
    assert find_exact(["\tb.mu.Lock()", "\tdefer b.mu.Unlock()"], GO) == (7, 8)


def test_exact_rejects_uneven_indentation() -> None:
    assert find_exact(["if b == nil {", "return true"], GO) is None


def test_normalised_ignores_whitespace_and_blank_lines() -> None:
    quote = ["    if b == nil {", "        return true", "    }", "    b.mu.Lock()"]
    assert find_normalised(quote, GO) == (3, 7)


def test_elided_segments_must_appear_in_order() -> None:
    assert find_elided(["func Spend(b *Budget) bool {", "    ...", "    return b.take()", "}"], GO) == (2, 10)
    assert find_elided(["return b.take()", "// ...", "func Spend(b *Budget) bool {"], GO) is None


def test_inline_elision_matches_the_head_of_a_line() -> None:
    assert find_elided(["if b == nil { ... }", "b.mu.Lock()"], GO) is not None


def test_segments_split_on_every_elision_marker() -> None:
    quote = ["a()", "...", "b()", "\u2026", "c()", "// ...", "d()", "# ...", "e()"]
    assert split_segments(quote) == [["a()"], ["b()"], ["c()"], ["d()"], ["e()"]]


def test_reflowed_prose_ignores_wrapping_and_markup() -> None:
    doc = ("# Retries", "", "The budget is **shared** by every", "probe; when it is empty, `Send`", "gives up at once.")
    assert find_reflowed(["The budget is shared by every probe; when it is", "empty, Send gives up"], doc) == (2, 4)
    assert find_reflowed(["The budget is private to each probe"], doc) is None


def test_fuzzy_shows_the_characters_that_differ() -> None:
    script = ("#!/usr/bin/env bash", 'exec beacond "$@"', "")
    found = find_fuzzy(['exec beacond "$ @"'], script, 0.8)
    assert found is not None and (found.first, found.last) == (1, 1)
    assert found.differences[0].quoted.strip() == '"$ @"'
    assert found.differences[0].actual.strip() == '"$@"'


def test_fuzzy_gives_nothing_below_the_threshold() -> None:
    assert find_fuzzy(["something else entirely"], GO, 0.8) is None


@given(st.lists(st.text(alphabet="abc xyz(){};", min_size=1, max_size=12), min_size=3, max_size=30),
       st.integers(min_value=0, max_value=29), st.integers(min_value=1, max_value=4))
def test_any_slice_of_a_file_is_found_where_it_is(lines: list[str], start: int, length: int) -> None:
    lines = [f"{i}: {line}" for i, line in enumerate(lines)]  # unique lines, so the match is unique
    start = min(start, len(lines) - 1)
    quote = lines[start:start + length]
    assert find_exact(quote, tuple(lines)) == (start, start + len(quote) - 1)
    assert find_normalised(["  " + q + "  " for q in quote], tuple(lines)) == (start, start + len(quote) - 1)

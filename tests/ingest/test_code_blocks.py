"""A code block's role from the paragraph before it, and the claimed lines of a diff."""

from __future__ import annotations

import pytest

from reviewvet.ingest.blocks import Block
from reviewvet.ingest.findings import classify_code, make_block
from reviewvet.ingest.parse import parse_review

CODE = Block("code", "if q.closed {\n\treturn errClosed\n}\n", 10, 12, language="go")


def role(lead: str) -> str:
    return classify_code(CODE, lead).role


@pytest.mark.parametrize("lead", [
    "Missing case:",
    "The check should be:",
    "Add a test like:",
    "Suggested test:",
    "Something like:",
    "A regression test:",
    "Rename it to:",
    "Replace with:",
    "Proposed:",
    "Consider:",
    "The guard could read:",
    "With the lock held it would look like:",
    "A narrower guard, e.g.:",
    "Expected:",
    "The loop after the change:",
    "`drain` ignores the flag. The early return should be:",
    "**Suggested fix:**",
    "Fix: return early.",
    "This reads better written as follows; for example:",
])
def test_leads_that_introduce_new_code(lead: str) -> None:
    assert role(lead) == "proposal"


@pytest.mark.parametrize("lead", [
    "The current code:",
    "At line 40:",
    "`run()` does:",
    "Today:",
    "Currently:",
    "the handler reads:",
    "The loop already has a guard; it reads:",
    "Before:",
    "After this PR:",
    "`Queue.Close` is missing a nil check:",
    "The guard in question",
    "Here is the relevant part of `drain`:",
    "At the merge base, `push` gave the collector one more try:",
    "The old guard:",
])
def test_leads_that_introduce_existing_code(lead: str) -> None:
    assert role(lead) == "evidence"


TWO_HUNKS = """\
@@ -10,4 +10,4 @@ func (q *Queue) Close() error {
     q.mu.Lock()
-    q.closed = true
+    q.closed, q.draining = true, false
     q.mu.Unlock()
@@ -40,3 +40,4 @@ func (q *Queue) Push(item Item) error {
     if q.closed {
+        metrics.Dropped.Inc()
         return errClosed
"""


def test_each_hunk_after_the_first_is_a_separate_segment() -> None:
    block = classify_code(Block("code", TWO_HUNKS, 5, 14, language="diff"), "Fix:")
    assert block.role == "diff"
    assert block.claimed == ("    q.mu.Lock()", "    q.closed = true", "    q.mu.Unlock()", "...",
                             "    if q.closed {", "        return errClosed")
    assert block.proposed == ("    q.closed, q.draining = true, false", "        metrics.Dropped.Inc()")


def test_a_single_hunk_has_no_elision() -> None:
    one = TWO_HUNKS.split("@@ -40")[0]
    assert "..." not in classify_code(Block("code", one, 5, 9, language="diff"), "").claimed


def test_claims_diffs_are_split_at_hunks_too() -> None:
    assert make_block("diff", "go", TWO_HUNKS, 0).claimed[3] == "..."


def test_a_proposal_lead_inside_a_review() -> None:
    text = ("# Deep Review: t\n\n## Important Issues\n\nI1. **Closed queue accepts items** — `q.go:40` [Claude]\n\n"
            "The current code:\n\n```go\nif q.closed {\n\treturn nil\n}\n```\n\n"
            "The check should be:\n\n```go\nif q.closed {\n\treturn errClosed\n}\n```\n")
    (finding,) = parse_review(text).findings
    assert [b.role for b in finding.blocks] == ["evidence", "proposal"]

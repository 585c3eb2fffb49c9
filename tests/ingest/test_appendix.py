"""Raw reviews in the appendix: each is its own AgentReview, and every finding key is unique."""

from __future__ import annotations

from collections import Counter

import pytest

from reviewvet.ingest.claims import parse_claims
from reviewvet.model.review import Review
from reviewvet.ingest.parse import parse_review, read_review_file
from tests.conftest import REVIEWS


@pytest.fixture(scope="module")
def review() -> Review:
    return parse_review(read_review_file(REVIEWS / "appendix-own-headings.md"))


def test_consolidated_findings_are_only_the_real_ones(review: Review) -> None:
    assert [f.key for f in review.findings] == [
        "consolidated/I1", "consolidated/I2", "consolidated/S1", "consolidated/S2", "consolidated/S3"]


def test_each_appendix_review_is_its_own_agent_review(review: Review) -> None:
    assert [(a.agent, a.heading, [f.id for f in a.findings]) for a in review.agent_reviews] == [
        ("agent-1", "Deep Code Review — PR #12: queue: cap the retry backoff", ["I1", "S1"]),
        ("Claude", "[Claude] — Pass 1", ["I1", "S1"]),
        ("Codex", "Code Review — Codex", ["I1", "S1"]),
        ("Claude", "[Claude] — Pass 2", ["I1"]),
        ("Gemini", "Review by Gemini", ["I1", "S1"]),
    ]
    assert all(f.origin == a.agent for a in review.agent_reviews for f in a.findings)


def test_keys_are_unique_and_repeats_are_warned(review: Review) -> None:
    keys = [f.key for f in review.all_findings()]
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    second = next(f for f in review.all_findings() if f.key == "Claude/I1#2")
    assert (second.id, second.occurrence, second.line) == ("I1", 2, 146)
    assert any(w.line == 146 and "Claude/I1#2" in w.message for w in review.warnings)
    assert any(w.line == 80 and "'agent-1'" in w.message for w in review.warnings)


def doc(appendix: str) -> str:
    return ("# Deep Review: t\n\n## Important Issues\n\nI1. **Real** — `a.go:1` [Claude]\n\n"
            f"## Appendix: Original Reviews\n\n{appendix}")


@pytest.mark.parametrize("heading, agent", [
    ("# Code Review — Gemini", "Gemini"),
    ("## Review by Codex", "Codex"),
    ("# Claude Code Review", "Claude"),
    ("# Code Review (Codex, pass 2)", "Codex"),
    ("# Code Review — PR #7: teach the Gemini client retries", "agent-1"),
    ("# Deep Code Review — PR #7", "agent-1"),
])
def test_a_review_title_names_its_agent(heading: str, agent: str) -> None:
    review = parse_review(doc(f"{heading}\n\n### Findings\n\n#### Important Issues\n\n"
                              "I1. **Own** — `b.go:2` (important, gap)\n"))
    assert [f.key for f in review.findings] == ["consolidated/I1"]
    assert [(a.agent, [f.key for f in a.findings]) for a in review.agent_reviews] == [(agent, [f"{agent}/I1"])]


def test_a_section_before_any_review_heading_is_not_consolidated() -> None:
    review = parse_review(doc("### Important Issues\n\nI1. **Stray** — `c.go:3` (important, gap)\n"))
    assert [f.key for f in review.findings] == ["consolidated/I1"]
    assert [a.agent for a in review.agent_reviews] == ["agent-1"]


def test_a_title_under_an_agent_heading_keeps_that_agent() -> None:
    review = parse_review(doc("### [Codex] — Pass 1\n\n# Code Review — PR #7\n\n## Findings\n\n"
                              "### Important Issues\n\nI1. **Own** — `b.go:2` (important, gap)\n\n"
                              "## Review Summary\n\nNothing more.\n"))
    assert [(a.agent, len(a.findings)) for a in review.agent_reviews] == [("Codex", 1)]


def test_an_untitled_review_then_a_named_title_is_one_review() -> None:
    review = parse_review(doc("# Code Review — PR #7\n\n## Review by Gemini\n\n### Important Issues\n\n"
                              "I1. **Own** — `b.go:2` (important, gap)\n"))
    assert [(a.agent, len(a.findings)) for a in review.agent_reviews] == [("Gemini", 1)]
    assert not any("names no agent" in w.message for w in review.warnings)


def test_repeated_consolidated_ids_get_a_suffix() -> None:
    text = ("# Deep Review: t\n\n## Important Issues\n\nI3. **One** — `a.go:1` [Claude]\n\n"
            "I3. **Two** — `a.go:9` [Codex]\n")
    review = parse_review(text)
    assert [f.key for f in review.findings] == ["consolidated/I3", "consolidated/I3#2"]
    assert [w.line for w in review.warnings if "repeats the key" in w.message] == [7]


def test_repeated_claim_ids_get_a_suffix() -> None:
    claims = ('{"reviewvet_claims": 1, "findings": [{"id": "I1", "title": "a"}, {"id": "I1", "title": "b"}]}')
    review = parse_claims(claims)
    assert [f.key for f in review.findings] == ["consolidated/I1", "consolidated/I1#2"]
    assert [w.message for w in review.warnings] == [
        "consolidated/I1 at finding 2 repeats the key of the finding at finding 1; keyed consolidated/I1#2"]


def test_flattened_appendix_reviews() -> None:
    text = ("Deep Review: t ¶\n\nImportant Issues ¶\n\n"
            "1. Ticker leaks on drain (important, gap — pre-existing) Claude\n"
            "drainQueue returns without stopping the ticker.\n\n"
            "Appendix: Original Reviews ¶\n\nCode Review — Gemini ¶\n\nImportant Issues ¶\n\n"
            "1. Ticker never stopped (important, gap) Gemini\n"
            "the drain path keeps the ticker alive.\n\n"
            "Code Review — PR #7: queue fixes ¶\n\nImportant Issues ¶\n\n"
            "1. Drain leaks a ticker (important, gap)\n"
            "nothing stops it after the drain.\n")
    review = parse_review(text)
    assert review.format == "flattened"
    assert [f.key for f in review.findings] == ["consolidated/I1"]
    assert [(a.agent, [f.key for f in a.findings]) for a in review.agent_reviews] == [
        ("Gemini", ["Gemini/I1"]), ("agent-1", ["agent-1/I1"])]

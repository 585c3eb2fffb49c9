"""The five real review reports parse with the counts read off them by hand.

Counts were read off each document by a person (findings per section, references,
code blocks by role, appendix agents), not produced by the parser and copied back.
Seed 003 lost its finding titles, tags and attributions when it was flattened; its
important findings still split right, but its suggestions cannot be told apart by
structure alone, and the parser must say so rather than pretend.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from reviewvet.model.review import Review
from reviewvet.ingest.parse import parse_review, read_review_file

FINDING_SECTIONS = ("critical", "important", "suggestion")


def parse_seed(seeds: Path, prefix: str) -> Review:
    (path,) = seeds.glob(f"{prefix}_*.txt")
    return parse_review(read_review_file(path), str(path))


def sections(findings) -> dict[str, int]:
    counts = Counter(f.section for f in findings if f.section in FINDING_SECTIONS)
    return {s: counts.get(s, 0) for s in FINDING_SECTIONS}


def refs(findings) -> int:
    return sum(len(f.references) for f in findings if f.section in FINDING_SECTIONS)


def roles(findings) -> dict[str, int]:
    return dict(Counter(b.role for f in findings if f.section in FINDING_SECTIONS for b in f.blocks))


# prefix: (format, sections, references, code blocks by role)
PINNED = {
    # 000: read by hand as 15 evidence blocks; one of them (lines 212-221) runs straight into the
    # diff after it with no marker or blank line between, so structure alone sees one diff block.
    "000": ("flattened", {"critical": 0, "important": 2, "suggestion": 9}, 10,
            {"evidence": 14, "diff": 10, "proposal": 1}),
    "001": ("markdown", {"critical": 0, "important": 2, "suggestion": 10}, 42, {"evidence": 11, "diff": 4}),
    "002": ("flattened", {"critical": 0, "important": 2, "suggestion": 2}, 0, {"evidence": 8, "diff": 4}),
    "004": ("flattened", {"critical": 0, "important": 1, "suggestion": 4}, 1, {"evidence": 6, "diff": 3}),
}


@pytest.mark.parametrize("prefix", sorted(PINNED))
def test_seed_counts(seeds: Path, prefix: str) -> None:
    fmt, expected_sections, expected_refs, expected_roles = PINNED[prefix]
    review = parse_seed(seeds, prefix)
    assert review.format == fmt
    assert sections(review.findings) == expected_sections
    assert refs(review.findings) == expected_refs
    assert roles(review.findings) == expected_roles


def test_seed_001_appendix_agents(seeds: Path) -> None:
    review = parse_seed(seeds, "001")
    agents = {a.agent: sections(a.findings) for a in review.agent_reviews}
    assert agents == {
        "Claude": {"critical": 0, "important": 4, "suggestion": 6},
        "Codex": {"critical": 0, "important": 1, "suggestion": 1},
        "Gemini": {"critical": 0, "important": 0, "suggestion": 0},
    }
    own = [f for a in review.agent_reviews for f in a.findings]
    assert refs(own) == 43
    assert roles(own) == {"evidence": 11, "diff": 5}
    assert all(f.origin == f.agents[0] for f in own)


def test_seed_001_other_sections_and_header(seeds: Path) -> None:
    review = parse_seed(seeds, "001")
    counts = Counter(f.section for f in review.findings)
    assert (counts["design"], counts["testing"], counts["documentation"]) == (8, 6, 5)
    assert (review.pr_number, review.round, review.branch) == (336, "6", "wait-timeout-cleanup")
    assert review.repository == "rancher-sandbox/rancher-desktop-daemon"
    assert [c.sha for c in review.commits] == ["fca9713"]
    assert [(r.family, r.effort) for r in review.reviewers] == [
        ("Claude", "xhigh"), ("Codex", "high"), ("Gemini", "default")]


def test_seed_001_finding_details(seeds: Path) -> None:
    review = parse_seed(seeds, "001")
    i1 = review.findings[0]
    assert (i1.id, i1.severity, i1.label, i1.agents) == ("I1", "important", "regression", ("Claude Opus 4.7",))
    assert i1.references[0].span() == "pkg/cli/exit/exit.go:57-66"
    assert "Classify" in i1.identifiers
    diff = i1.blocks[1]
    assert diff.role == "diff"
    assert any("exitErr.Code == CodeTimeout" in line for line in diff.claimed)
    assert not any("exitErr.Code == CodeTimeout" in line for line in diff.proposed)
    # `:99, :267` after `cmd/rdd/service.go:125` reuses that path.
    s1 = next(f for f in review.findings if f.id == "S1")
    assert [r.span() for r in s1.references if r.written.startswith(":")] == [
        "cmd/rdd/service.go:99", "cmd/rdd/service.go:267"]


def test_seed_000_tags_and_attribution(seeds: Path) -> None:
    review = parse_seed(seeds, "000")
    important = [f for f in review.findings if f.section == "important"]
    assert [(f.label, f.agents) for f in important] == [("gap", ("Gemini",)), ("regression", ("Codex",))]
    assert important[0].references[-1].span() == "cmd/rdd/limavm.go:556-558"
    # Shorthand with no path before it in its finding stays a reference, with a warning.
    pathless = [r for f in review.findings for r in f.references if not r.path]
    assert [r.written for r in pathless] == [":266", ":430-433", ":381", ":409"]
    assert sum("reuses a path" in w.message for w in review.warnings) == 4


def test_seed_002_fully_flattened_header(seeds: Path) -> None:
    review = parse_seed(seeds, "002")
    assert review.date == "2026-03-21 20:37"
    assert review.pr_number == 242
    assert [c.sha for c in review.commits] == ["da32824", "3e5f589", "5f72824", "127a0a1", "88a586b", "a09dff8"]
    assert [f.agents for f in review.findings if f.section == "important"] == [("Claude",), ("Gemini",)]
    assert Counter(f.section for f in review.findings)["testing"] == 5


def test_seed_003_declares_more_suggestions_than_structure_shows(seeds: Path) -> None:
    review = parse_seed(seeds, "003")
    assert sections(review.findings)["important"] == 11
    assert refs(review.findings) == 22
    assert [c.sha for c in review.commits][:3] == ["7c8f356", "9669b4b", "50bdc15"]
    assert len(review.commits) == 11
    assert any("declares 10 suggestion" in w.message for w in review.warnings)


def test_seed_004_run_together_commits(seeds: Path) -> None:
    review = parse_seed(seeds, "004")
    assert [c.sha for c in review.commits] == ["2ce15bc", "df1d963", "480661b"]
    assert review.commits[0].subject == "Preserve Lima serial logs across VM restarts"
    assert sum("finding without a title" in w.message for w in review.warnings) == 5


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_code_lines_are_never_headings(seeds: Path, prefix: str) -> None:
    review = parse_seed(seeds, prefix)
    for finding in review.all_findings():
        assert not finding.title.startswith("#"), finding.title

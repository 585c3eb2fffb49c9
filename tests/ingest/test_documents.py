"""Ingest of our own review documents: Markdown, flattened text and structured claims."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewvet.errors import ReviewInputError
from reviewvet.ingest.claims import parse_claims
from reviewvet.ingest.parse import parse_review, read_review_file
from tests.conftest import REVIEWS


@pytest.fixture(scope="module")
def demo():
    return parse_review(read_review_file(REVIEWS / "demo-review.md"))


def test_header(demo) -> None:
    assert demo.format == "markdown"
    assert (demo.pr_number, demo.round, demo.branch) == (41, "1", "feature/retry-budget")
    assert [c.sha for c in demo.commits] == ["be4ffa6", "c00cc4e", "0924ff3"]
    assert [r.family for r in demo.reviewers] == ["Claude", "Codex", "Gemini"]
    assert demo.verdict and demo.verdict.startswith("Merge with fixes")


def test_findings_and_appendix(demo) -> None:
    ids = [f.id for f in demo.findings if f.section in ("critical", "important", "suggestion")]
    assert ids == ["I1", "I2", "I3", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8"]
    assert {a.agent: len([f for f in a.findings if f.section in ("important", "suggestion")])
            for a in demo.agent_reviews} == {"Claude": 4, "Codex": 4, "Gemini": 5}
    s1 = next(f for f in demo.findings if f.id == "S1")
    (diff,) = s1.blocks
    assert diff.role == "diff" and diff.proposed and diff.claimed
    assert all(not line.startswith("+") for line in diff.claimed)


def test_flattened_copy_has_the_same_findings(demo) -> None:
    flat = parse_review(read_review_file(REVIEWS / "demo-flat.txt"))
    assert flat.format == "flattened"

    def shape(review):
        return [(f.section, f.severity, f.label, sorted({r.span() for r in f.references})) for f in review.findings
                if f.section in ("critical", "important", "suggestion")]

    assert shape(flat) == shape(demo)
    assert [c.sha for c in flat.commits] == ["be4ffa6", "c00cc4e", "0924ff3"]


def test_code_fence_content_is_never_a_heading() -> None:
    text = ("# Deep Review: x\n\n## Important Issues\n\nI1. **Bash comment** — `a.sh:1` [Claude]\n\n"
            "```bash\n## Suggestions\n# not a heading\necho hi\n```\n\n*(important, gap.)*\n")
    review = parse_review(text)
    assert [(f.id, f.section) for f in review.findings] == [("I1", "important")]
    assert review.findings[0].blocks[0].claimed[0] == "## Suggestions"


def test_unparseable_parts_become_warnings_with_lines() -> None:
    text = "# Deep Review: y\n\n## Important Issues\n\nSome prose with no id.\n\nI1. **Real** — `x.go:3` [Codex]\n"
    review = parse_review(text)
    assert [f.id for f in review.findings] == ["I1"]
    assert any(w.line == 5 and "skipped" in w.message for w in review.warnings)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*"#|`*-+.:()[]¶ \n\tabcI1S2go/", "```", "\n## Suggestions\n", "(important, gap)",
                                  "\nI1. **t** — `a.go:1-2` [Claude]\n", ":12-14"]), max_size=120).map("".join))
def test_arbitrary_text_never_crashes(text: str) -> None:
    review = parse_review(text)
    assert review.format in ("markdown", "flattened")


def claims(**extra):
    data = {"reviewvet_claims": 1, "head": "0924ff3", "findings": [
        {"id": "I1", "title": "t", "severity": "important", "label": "regression",
         "locations": [{"path": "a.go", "start": 3, "end": 5}],
         "quotes": [{"text": "x := 1\n-y := 2\n+y := 3\n", "role": "diff"}]}]}
    data.update(extra)
    return json.dumps(data)


def test_claims_become_findings() -> None:
    review = parse_claims(claims())
    (f,) = review.findings
    assert (review.format, review.head_sha, f.section, f.references[0].span()) == (
        "claims-json", "0924ff3", "important", "a.go:3-5")
    assert f.blocks[0].claimed == ("x := 1", "y := 2") and f.blocks[0].proposed == ("y := 3",)


@pytest.mark.parametrize("bad, where", [
    ('{"reviewvet_claims": 2, "findings": []}', "reviewvet_claims"),
    ('{"reviewvet_claims": 1, "findings": [{"id": "I1"}]}', "findings/0"),
    ('{"reviewvet_claims": 1, "findings": [{"id": "I1", "title": "t", "locations": [{"path": "a", "start": 0}]}]}',
     "findings/0/locations/0/start"),
])
def test_claims_schema_errors_name_the_place(bad: str, where: str) -> None:
    with pytest.raises(ReviewInputError, match=where):
        parse_claims(bad, "c.json")


def test_claims_that_are_not_json() -> None:
    with pytest.raises(ReviewInputError, match="not valid JSON"):
        parse_claims('{"reviewvet_claims": 1, ', "c.json")

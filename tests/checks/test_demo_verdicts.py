"""End to end on the demo repository: each finding of the demo review gets the verdict it was built for.

The truth of each finding is written down in fixtures/reviews/demo-review.expected.md.
"""

from __future__ import annotations

import pytest

from tests.conftest import REVIEWS
from reviewvet.model.checks import FindingVerdict
from reviewvet.ingest.parse import parse_review, read_review_file
from reviewvet.model.verification import Verification
from reviewvet.api import verify_repository


@pytest.fixture(scope="module")
def result(demo_repo) -> Verification:
    review = parse_review(read_review_file(REVIEWS / "demo-review.md"))
    return verify_repository(demo_repo.path, review, head=demo_repo.head, base=demo_repo.base)


@pytest.fixture(scope="module")
def flat_result(demo_repo) -> Verification:
    review = parse_review(read_review_file(REVIEWS / "demo-flat.txt"))
    return verify_repository(demo_repo.path, review, head=demo_repo.head, base=demo_repo.base)


def verdict(result: Verification, key: str) -> FindingVerdict:
    return next(v for v in result.verdicts if v.finding.key == key)


def quote_statuses(v: FindingVerdict) -> list[str]:
    return [q.status for q in v.quotes]


def line(v: FindingVerdict, written: str):
    return next(c for c in v.lines if c.reference.written.endswith(written))


def test_revisions(result: Verification, demo_repo) -> None:
    assert result.revisions.head == demo_repo.head_sha
    assert result.revisions.merge_base == demo_repo.merge_base
    assert result.revisions.head_check.status == "found"


def test_correct_finding_is_verified(result: Verification) -> None:
    v = verdict(result, "consolidated/I1")
    assert quote_statuses(v) == ["exact"]
    assert v.quotes[0].span is not None and v.quotes[0].span.text() == "agent/internal/retry/budget.go:58-62"
    assert line(v, "budget.go:58-62").status == "exact"
    assert v.flags == () and v.status == "verified"


def test_deleted_code_is_found_at_the_merge_base(result: Verification) -> None:
    v = verdict(result, "consolidated/I2")
    assert quote_statuses(v) == ["base-only", "normalised"]
    assert v.quotes[0].span is not None and v.quotes[0].span.side == "base"
    assert v.quotes[0].span.text() == "agent/internal/probe/probe.go:71-84"
    assert line(v, "probe.go:71-84").status == "at-base"
    assert "quote-removed" in v.flags


def test_elided_quote_is_found_in_order(result: Verification) -> None:
    v = verdict(result, "consolidated/I3")
    assert quote_statuses(v) == ["elided"]
    assert line(v, "probe.go:37-48").status == "exact"


def test_diff_minus_and_context_lines_exist(result: Verification) -> None:
    v = verdict(result, "consolidated/S1")
    (q,) = v.quotes
    assert (q.role, q.status) == ("diff", "normalised")
    assert q.span is not None and (q.span.start, q.span.end) == (49, 53)
    assert line(v, "probe.go:51").status == "contained"


def test_one_character_near_miss_shows_the_difference(result: Verification) -> None:
    v = verdict(result, "consolidated/S2")
    (q,) = v.quotes
    assert q.status == "near-miss" and q.near_miss is not None
    assert q.span is not None and q.span.text() == "scripts/run-agent.sh:38"
    assert any('"$*"' in d.quoted and '"$@"' in d.actual for d in q.near_miss.differences)
    assert "near-miss-quote" in v.flags


def test_right_quote_at_wrong_lines(result: Verification) -> None:
    v = verdict(result, "consolidated/S3")
    assert quote_statuses(v) == ["exact"]
    check = line(v, "run-agent.sh:19-25")
    assert check.status == "wrong" and check.drift == -13
    assert check.actual is not None and check.actual.text() == "scripts/run-agent.sh:32-38"
    assert "wrong-line" in v.flags


def test_right_quote_under_wrong_path(result: Verification) -> None:
    v = verdict(result, "consolidated/S4")
    assert quote_statuses(v) == ["other-file"]
    assert v.quotes[0].span is not None and v.quotes[0].span.text() == "scripts/lib.sh:13-18"
    assert "wrong-path" in v.flags


def test_module_root_relative_path(result: Verification) -> None:
    v = verdict(result, "consolidated/S5")
    (path,) = v.paths
    assert (path.status, path.path) == ("suffix", "agent/internal/retry/policy.go")
    assert quote_statuses(v) == ["exact"]
    assert line(v, "policy.go:40-49").status == "exact"


def test_shorthand_reference_reuses_the_previous_path(result: Verification) -> None:
    v = verdict(result, "consolidated/S6")
    short = next(r for r in v.finding.references if r.written == ":46-50")
    assert short.path == "agent/internal/config/config.go"
    assert line(v, "config.go:56-60").status == "exact"


def test_appendix_reviews_are_verified_as_their_agents_findings(result: Verification) -> None:
    origins = {v.finding.origin for v in result.verdicts}
    assert origins == {"consolidated", "Claude", "Codex", "Gemini"}
    assert quote_statuses(verdict(result, "Claude/I1")) == ["exact"]
    assert [p.status for p in verdict(result, "Codex/S2").paths] == ["suffix"]


def test_flattened_review_reaches_the_same_quote_verdicts(flat_result: Verification, result: Verification) -> None:
    flat = {v.finding.id: quote_statuses(v) for v in flat_result.verdicts if v.finding.section != "design"}
    for key in ("I1", "I2", "I3", "S1", "S2", "S3", "S4", "S5"):
        markdown = quote_statuses(verdict(result, f"consolidated/{key}"))
        # Flattening loses indentation, so exact matches become whitespace-normalised ones.
        assert [s.replace("exact", "normalised") for s in flat[key]] == [
            s.replace("exact", "normalised") for s in markdown], key

"""Symbol checks and enclosing symbols in `verify`, on the demo repository.

The demo review's truth is in fixtures/reviews/demo-review.expected.md; REVIEW below is a small
review written for these checks, in the same deep-review format. Its findings are labelled
"enhancement", which makes no provenance claim, so the only flags are the symbol checks' own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import REVIEWS
from reviewvet.model.checks import FindingVerdict, LineCheck, SymbolCheck
from reviewvet.cli import main
from reviewvet.ingest.parse import parse_review, read_review_file
from reviewvet.model.verification import Verification
from reviewvet.api import verify_repository

BUDGET = "agent/internal/retry/budget.go"
RETRY_PKG = "example.com/beacon/agent/internal/retry"

REVIEW = """\
# Deep Review: retry budget follow-up

## Important Issues

I1. **`Send` loops in `retryForeverUnlessCancelled`** — `agent/internal/probe/probe.go:37-48` [Claude]

`Send` hands every retry to `retryForeverUnlessCancelled`, so a cancelled context keeps retrying.

*(important, enhancement — a new helper.)*

I2. **Posts have no deadline** — `agent/internal/probe/probe.go:55-75` [Codex]

`post` should bound each request with `context.WithTimeout`.

*(important, enhancement — a hardening.)*

I3. **A zero `capacity` is accepted** — `agent/internal/retry/budget.go:11-18` [Gemini]

With a zero `capacity` the bucket never holds a token.

*(important, enhancement — a hardening.)*

## Suggestions

S1. **`(*Budget).refill` drops the remainder of the period** — `agent/internal/retry/budget.go:59-60` [Claude]

The integer division truncates; the fraction of a period is lost on every call.

*(suggestion, enhancement — rounding.)*
"""


@pytest.fixture(scope="module")
def demo(demo_repo) -> Verification:
    review = parse_review(read_review_file(REVIEWS / "demo-review.md"))
    return verify_repository(demo_repo.path, review, head=demo_repo.head, base=demo_repo.base)


@pytest.fixture(scope="module")
def mine(demo_repo) -> Verification:
    return verify_repository(demo_repo.path, parse_review(REVIEW), head=demo_repo.head, base=demo_repo.base)


def verdict(result: Verification, key: str) -> FindingVerdict:
    return next(v for v in result.verdicts if v.finding.key == key)


def symbol(v: FindingVerdict, identifier: str) -> SymbolCheck:
    return next(s for s in v.symbols if s.identifier == identifier)


def line(v: FindingVerdict, written: str) -> LineCheck:
    return next(c for c in v.lines if c.reference.written.endswith(written))


def test_a_deleted_function_is_base_only(demo: Verification, demo_repo) -> None:
    check = symbol(verdict(demo, "consolidated/I2"), "isRetryable")
    assert check.status == "base-only"
    assert check.symbols == ("example.com/beacon/agent/internal/probe.isRetryable",)
    (where,) = check.locations
    assert (where.path, where.side, where.rev) == ("agent/internal/probe/probe.go", "base", demo_repo.merge_base)


def test_a_located_quote_carries_its_enclosing_symbol(demo: Verification) -> None:
    (quote,) = verdict(demo, "consolidated/I1").quotes
    assert quote.status == "exact"
    assert quote.symbol.endswith("(*Budget).refill") and quote.symbol == f"{RETRY_PKG}.(*Budget).refill"
    kept = verdict(demo, "consolidated/I2").quotes[1]  # the `switch` at head
    assert kept.status == "normalised" and kept.symbol.endswith("(*Prober).post")


def test_a_quote_opening_with_a_doc_comment_gets_its_function(demo: Verification) -> None:
    removed = verdict(demo, "consolidated/I2").quotes[0]
    assert removed.status == "base-only" and removed.span is not None and removed.span.start == 71
    assert removed.symbol.endswith("probe.isRetryable")


def test_an_identifier_found_nowhere_is_a_hallucinated_symbol(mine: Verification) -> None:
    v = verdict(mine, "consolidated/I1")
    check = symbol(v, "retryForeverUnlessCancelled")
    assert (check.status, check.symbols, check.locations) == ("nowhere", (), ())
    assert symbol(v, "Send").status == "found"
    assert v.flags == ("hallucinated-symbol",) and v.status == "problems"
    assert check.role == "asserted" and check.grade == "refuted"


def test_a_name_the_finding_says_is_missing_is_not_demanded(demo_repo) -> None:
    text = REVIEW.replace("`Send` hands every retry to `retryForeverUnlessCancelled`, so",
                          "`Send` never calls a `retryForeverUnlessCancelled` helper, so")
    text = text.replace("`Send` loops in `retryForeverUnlessCancelled`", "`Send` should retry until cancelled")
    result = verify_repository(demo_repo.path, parse_review(text), head=demo_repo.head, base=demo_repo.base)
    v = verdict(result, "consolidated/I1")
    check = symbol(v, "retryForeverUnlessCancelled")
    assert check.status == "nowhere" and check.role == "missing" and check.grade == ""
    assert "hallucinated-symbol" not in v.flags and not result.decisions[v.finding.key].false_positive


def test_an_outside_package_function_is_external(mine: Verification) -> None:
    v = verdict(mine, "consolidated/I2")
    assert symbol(v, "context.WithTimeout").status == "external"
    assert v.flags == ()


def test_a_struct_field_is_text_only_and_not_flagged(mine: Verification) -> None:
    v = verdict(mine, "consolidated/I3")
    assert symbol(v, "capacity").status == "text-only"
    assert v.flags == ()


def test_a_method_by_receiver_is_found_where_it_is(mine: Verification, demo_repo) -> None:
    check = symbol(verdict(mine, "consolidated/S1"), "(*Budget).refill")
    assert (check.status, check.symbols) == ("found", (f"{RETRY_PKG}.(*Budget).refill",))
    (where,) = check.locations
    assert (where.path, where.start, where.end, where.rev) == (BUDGET, 58, 62, demo_repo.head_sha)


def test_a_line_claim_inside_a_named_function_is_contained(mine: Verification) -> None:
    v = verdict(mine, "consolidated/S1")
    assert v.quotes == ()
    check = line(v, "budget.go:59-60")
    assert (check.status, check.basis, check.drift) == ("contained", "symbol", 1)
    assert check.actual is not None and (check.actual.path, check.actual.start, check.actual.end) == (BUDGET, 58, 62)
    assert v.flags == () and v.status == "verified"


def test_an_exact_match_on_a_mention_has_basis_identifier(demo_repo) -> None:
    text = REVIEW.split("## Suggestions")[0].replace("budget.go:11-18", "budget.go:13")  # `capacity int` line
    result = verify_repository(demo_repo.path, parse_review(text), head=demo_repo.head, base=demo_repo.base)
    check = line(verdict(result, "consolidated/I3"), "budget.go:13")
    assert check.status == "exact" and check.actual is not None and check.actual.side == "mention"
    assert check.basis == "identifier"


def test_no_symbols_on_the_command_line(demo_repo, tmp_path, capsys) -> None:
    review = tmp_path / "review.md"
    review.write_text(REVIEW)
    argv = ["verify", str(review), "--repo", str(demo_repo.path), "--head", demo_repo.head, "--base", demo_repo.base,
            "--format", "json"]
    assert main(argv) == 0
    with_symbols = json.loads(capsys.readouterr().out)["findings"]
    assert all(f["symbols"] for f in with_symbols)
    assert "hallucinated-symbol" in with_symbols[0]["flags"]

    assert main([*argv, "--no-symbols"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert len(findings) == 4
    assert [f["symbols"] for f in findings] == [[], [], [], []]
    assert not any("hallucinated-symbol" in f["flags"] for f in findings)
    assert line_status(findings[3], "budget.go:59-60") != "contained"  # no symbol to be contained in


def line_status(finding: dict[str, Any], written: str) -> str:
    return next(c["status"] for c in finding["lines"] if c["reference"]["written"].endswith(written))

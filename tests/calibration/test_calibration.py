"""The consolidator's decisions read from a review and set against reviewvet's verdicts, on the demo
repository and review (no ../shared needed)."""

from __future__ import annotations

import json
from typing import Any

from reviewvet.audit.calibration import (
    ALL,
    COLUMNS,
    ROWS,
    calibrate,
    calibration_dict,
    confusion,
    format_calibration,
    resolution_actions,
)
from reviewvet.ingest.parse import parse_review
from reviewvet.model.verification import Verification
from reviewvet.api import verify_repository

from ..conftest import REVIEWS

RESOLUTION = """
## Resolution

| # | Finding | Action |
|---|---------|--------|
| 1 | Important #1: `refill` advances `last` | Fixed |
| 2 | Suggestion #2: quoting in `run-agent.sh` | Skipped |
| 3 | Important #9: a finding this review does not have | **Fixed** |
"""


def _verified(demo_repo: Any, text: str) -> Verification:
    return verify_repository(demo_repo.path, parse_review(text, "demo-review.md"), head="feature/retry-budget",
                             base="main")


def _marked(findings: Any, decision: str) -> set[str]:
    return {f.key for f in findings if decision in f.decisions}


def test_reconciliation_and_resolution_mark_the_agents_and_consolidated_findings(demo_repo: Any) -> None:
    text = (REVIEWS / "demo-review.md").read_text("utf-8") + RESOLUTION
    calibration = calibrate(_verified(demo_repo, text), "demo", text)
    assert _marked(calibration.findings, "downgraded") == {"Claude/I3", "Codex/I2", "Gemini/I1"}
    assert _marked(calibration.findings, "dropped") == {"Gemini/S3"}
    assert _marked(calibration.findings, "fixed") == {"consolidated/I1"}
    assert calibration.unlinked == ("Important #9: a finding this review does not have: Fixed, "
                                    "no consolidated finding I9",)
    table = confusion(calibration.findings)
    assert table["dropped"]["total"] == 1 and table["kept"]["total"] + 1 == table[ALL]["total"]
    text_table = format_calibration(calibration)
    assert "dropped by the consolidator, not declared a false positive: Gemini/S3" in text_table
    assert "kept by the consolidator, declared a false positive: consolidated/S2 (refuted" in text_table
    data = json.loads(json.dumps(calibration_dict(calibration), sort_keys=True))
    assert set(data["table"]) == {*ROWS, ALL} and set(data["table"]["kept"]) == set(COLUMNS)


def test_without_the_appendix_an_item_marks_the_consolidated_finding_it_names(demo_repo: Any) -> None:
    text = (REVIEWS / "demo-review.md").read_text("utf-8")
    text = text[:text.index("## Appendix")]
    calibration = calibrate(_verified(demo_repo, text), "demo", text)
    assert _marked(calibration.findings, "downgraded") == {"consolidated/S1", "consolidated/S3", "consolidated/S8"}
    assert not _marked(calibration.findings, "dropped")
    assert [u.split(":")[0] for u in calibration.unlinked] == ["Gemini S3"]


def test_resolution_rows_are_read_from_markdown_and_flattened_text() -> None:
    expected = [("Important #1: `refill` advances `last`", "I1", "Fixed"),
                ("Suggestion #2: quoting in `run-agent.sh`", "S2", "Skipped"),
                ("Important #9: a finding this review does not have", "I9", "Fixed")]
    assert resolution_actions("# Deep Review: x\n" + RESOLUTION) == expected
    flat = ("Deep Review: x\nResolution ¶\n| # | Finding | Action |\n| 1 | Important #1: `refill` advances `last` "
            "| Fixed |\n")
    assert [r[1:] for r in resolution_actions(flat)] == [("I1", "Fixed")]
    assert resolution_actions("# Deep Review: x\n\n## Summary\n\n| a | Action |\n|---|---|\n| Important #1 | Fixed |\n"
                              ) == []

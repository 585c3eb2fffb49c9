"""Duplicates and per-agent accounting on the demo repository, against the truth written in
fixtures/reviews/demo-review.expected.md ("Appendix (raw reviews), mapped to the consolidated ones")."""

from __future__ import annotations

import json
import re

import pytest

from reviewvet.ingest.parse import parse_review, read_review_file
from reviewvet.report import RenderOptions
from reviewvet.model.verification import Verification
from reviewvet.api import VerifyOptions, verify_repository
from reviewvet.report import json_format, markdown, terminal
from reviewvet.model.rules import AgentRow
from tests.conftest import REVIEWS

# what each agent's raw review in the appendix of demo-review.md contains
APPENDIX_COUNTS = {"Claude": {"important": 3, "suggestion": 1}, "Codex": {"important": 2, "suggestion": 2},
                   "Gemini": {"important": 2, "suggestion": 3}}


def demo(demo_repo, **options) -> Verification:
    review = parse_review(read_review_file(REVIEWS / "demo-review.md"), "demo-review.md")
    return verify_repository(demo_repo.path, review, head=demo_repo.head, base=demo_repo.base,
                             options=VerifyOptions(**options))


@pytest.fixture(scope="module")
def result(demo_repo) -> Verification:
    return demo(demo_repo, context=REVIEWS / "demo-context.yaml")


def expected_mapping() -> list[tuple[str, str]]:
    """(raw finding key, consolidated key) pairs, read from demo-review.expected.md."""
    text = (REVIEWS / "demo-review.expected.md").read_text(encoding="utf-8")
    section = text.split("## Appendix (raw reviews), mapped to the consolidated ones", 1)[1]
    pairs = re.findall(r"\b(Claude|Codex|Gemini) ([IS]\d+) = ([IS]\d+)\b", section)
    return [(f"{agent}/{raw}", f"consolidated/{cons}") for agent, raw, cons in pairs]


def row(result: Verification, agent: str) -> AgentRow:
    return next(r for r in result.accounting if r.agent == agent)


# -- duplicates ---------------------------------------------------------------------------------


def test_every_raw_finding_merges_into_its_consolidated_finding(result: Verification) -> None:
    mapping = expected_mapping()
    assert len(mapping) == 12
    merged = {key: d.merged_into for key, d in result.decisions.items() if d.merged_into}
    assert merged == dict(mapping)
    for key, _ in mapping:
        assert "RV701" in result.decisions[key].rule_codes


def test_the_merge_note_names_every_agent_that_agrees(result: Verification) -> None:
    assert "RV701: same finding as consolidated/I3; agents that agree: Claude, Gemini" in \
        result.decisions["Claude/I2"].notes
    assert "RV701: same finding as consolidated/I2; agents that agree: Codex" in result.decisions["Codex/I1"].notes


def test_gemini_s3_stays_alone_and_is_a_false_positive_by_rv601(result: Verification) -> None:
    d = result.decisions["Gemini/S3"]
    assert d.merged_into is None and "RV701" not in d.rule_codes
    assert d.false_positive and "RV601" in d.rule_codes
    assert "RV601: the fix contradicts the repository convention no-teardown-in-bats" in d.notes


def test_consolidated_findings_are_never_merged(result: Verification) -> None:
    assert all(d.merged_into is None for k, d in result.decisions.items() if k.startswith("consolidated/"))


# -- accounting ---------------------------------------------------------------------------------


def test_each_agent_is_judged_on_its_appendix_review(result: Verification) -> None:
    assert [r.agent for r in result.accounting] == ["Claude", "Codex", "Gemini"]
    assert [r.model for r in result.accounting] == ["Claude Opus 4.7", "Codex GPT 5.4", "Gemini 3.1 Pro"]
    for agent, counts in APPENDIX_COUNTS.items():
        assert row(result, agent).source == "appendix"
        assert row(result, agent).findings == counts


def test_gemini_has_one_false_positive_dropped(result: Verification) -> None:
    gemini = row(result, "Gemini")
    assert (gemini.false_positives, gemini.dropped) == (1, 1)
    assert gemini.final == {"important": 2, "suggestion": 2}  # the false positive is not kept
    for agent in ("Claude", "Codex"):
        assert (row(result, agent).false_positives, row(result, agent).dropped) == (0, 0)
        assert row(result, agent).final == APPENDIX_COUNTS[agent]


def test_unique_insights_match_the_review_and_exclude_false_positives(demo_repo, result: Verification) -> None:
    # the review's own Summary table: Unique insights | 3 | 4 | 3
    assert [r.unique_insights for r in result.accounting] == [3, 4, 3]
    without_context = demo(demo_repo)  # Gemini S3 is then no false positive: it counts as unique
    assert not without_context.decisions["Gemini/S3"].false_positive
    assert [r.unique_insights for r in without_context.accounting] == [3, 4, 4]


def test_mislabelled_findings_are_counted_per_agent(result: Verification) -> None:
    # Codex I2 (gap, really a regression); Gemini S2 (regression, really a gap) and S3 (gap on a new file)
    assert [r.mislabelled for r in result.accounting] == [0, 1, 2]


# -- the agent table in every format ------------------------------------------------------------


def test_the_agent_table_is_in_the_markdown_report(result: Verification) -> None:
    md = markdown.render(result)
    assert "\n## Agents\n" in md
    assert "| Claude Opus 4.7 | 3I 1S | 3I 1S | 1/1 | 0 | 0 | 0 | 0 | 3 |" in md
    assert "| Codex GPT 5.4 | 2I 2S | 2I 2S | 1/1 | 0 | 0 | 0 | 1 | 4 |" in md
    assert "| Gemini 3.1 Pro | 2I 3S | 2I 2S | 0/0 | 1 | 0 | 1 | 2 | 3 |" in md


def test_the_agent_table_is_in_the_terminal_report(result: Verification) -> None:
    text = terminal.render(result, RenderOptions(color=False, width=200))
    table = text[text.index("Agents"):]
    rows = {line.split("│")[0].strip(): [c.strip() for c in line.split("│")[1:]]
            for line in table.splitlines() if "│" in line}
    assert rows["Gemini 3.1 Pro"][:6] == ["2I 3S", "2I 2S", "0/0", "1", "0", "1"]
    assert rows["Codex GPT 5.4"][:2] == ["2I 2S", "2I 2S"]
    assert rows["Claude Opus 4.7"][7] == "3"  # unique insights


def test_the_agent_table_is_in_the_json_report(result: Verification) -> None:
    accounting = json.loads(json_format.render(result))["accounting"]
    assert [a["agent"] for a in accounting] == ["Claude", "Codex", "Gemini"]
    gemini = accounting[2]
    assert gemini["findings"] == APPENDIX_COUNTS["Gemini"]
    assert (gemini["false_positives"], gemini["dropped"], gemini["unique_insights"]) == (1, 1, 3)

"""Per-agent accounting for one review, like the seeds' Summary table.

Each agent is judged on its own findings: its raw review from the appendix when the
review has one, else the consolidated findings attributed to it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from reviewvet.model.checks import FindingVerdict
from reviewvet.model.review import Review
from reviewvet.ingest.vocabulary import agent_family
from reviewvet.rules.duplicates import FINDING_SECTIONS, group_duplicates
from reviewvet.model.rules import Decision
from reviewvet.model.rules import AgentRow


def agent_accounting(review: Review, verdicts: tuple[FindingVerdict, ...],
                     decisions: dict[str, Decision]) -> list[AgentRow]:
    groups = group_duplicates(verdicts)
    distinct = {groups[v.finding.key]["group"] for v in verdicts if v.finding.section in FINDING_SECTIONS}
    models = {r.family: r.name for r in review.reviewers}
    agents = list(dict.fromkeys([r.family for r in review.reviewers] + [a.agent for a in review.agent_reviews]))
    has_consolidated = any(v.finding.origin == "consolidated" for v in verdicts)
    rows = []
    for agent in agents:
        own = [v for v in verdicts if v.finding.origin == agent]
        source = "appendix"
        if not own:
            source = "attributions"
            own = [v for v in verdicts if v.finding.origin == "consolidated"
                   and agent in {agent_family(a) for a in v.finding.agents}]
        rows.append(_row(agent, models.get(agent, agent), source, own, decisions, groups, len(distinct),
                         has_consolidated and source == "appendix"))
    return rows


def _row(agent: str, model: str, source: str, own: list[FindingVerdict], decisions: dict[str, Decision],
         groups: dict[str, dict], total: int, consolidated: bool) -> AgentRow:  # type: ignore[type-arg]
    findings = [v for v in own if v.finding.section in FINDING_SECTIONS]
    decided = [decisions[v.finding.key] for v in findings if v.finding.key in decisions]
    kept = [d for d in decided if not d.false_positive]
    reported = {groups[v.finding.key]["group"] for v in findings}
    unique = {groups[v.finding.key]["group"] for v in findings
              if groups[v.finding.key]["unique"] and groups[v.finding.key]["agents"] == [agent]
              and not (v.finding.key in decisions and decisions[v.finding.key].false_positive)}
    return AgentRow(
        agent=agent, model=model, source=source,
        findings=dict(Counter(v.finding.severity or v.finding.section for v in findings)),
        final=dict(Counter(d.severity or "none" for d in kept)),
        design_observations=sum(1 for v in own if v.finding.section == "design"),
        quotes_verified=sum(1 for v in findings for q in v.quotes if q.found),
        quotes_checked=sum(1 for v in findings for q in v.quotes if q.status != "not-checked"),
        false_positives=sum(1 for d in decided if d.false_positive),
        downgraded=sum(1 for d in kept if d.downgraded),
        dropped=sum(1 for v in findings if _dropped(v, decisions, groups, consolidated)),
        mislabelled=sum(1 for v in findings if v.provenance and v.provenance.agreement == "mislabelled"),
        unique_insights=len(unique),
        coverage=len(reported) / total if total else 0.0,
    )


def severity_summary(counts: dict[str, int]) -> str:
    """``2I 8S`` as the seeds write it; ``none`` when empty."""
    order = (("critical", "C"), ("important", "I"), ("suggestion", "S"))
    text = " ".join(f"{counts[k]}{letter}" for k, letter in order if counts.get(k))
    return text or "none"


def _dropped(v: FindingVerdict, decisions: dict[str, Decision], groups: dict[str, dict[str, Any]],
             consolidated: bool) -> bool:
    """A false positive, or (beside a consolidated review) a finding the consolidation left out."""
    decision = decisions.get(v.finding.key)
    if decision is not None and decision.false_positive:
        return True
    return consolidated and not groups[v.finding.key]["group"].startswith("consolidated/")

"""A verified (or unverified) review as the rows of the audit store's tables."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reviewvet.model.review import Finding, Review
from reviewvet.ingest.vocabulary import agent_family
from reviewvet.model.verification import Verification
from reviewvet.rules.duplicates import group_duplicates

Rows = dict[str, list[Sequence[Any]]]


def review_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class HeadChoice:
    """How a verified review's head was chosen (review, pr-ref, subjects, branch, map) and how certain
    it is that the head holds the code the review read (reviewed-head, substitute-head, user-given-head)."""

    how: str
    evidence: str


def review_rows(rid: str, source: str, review: Review, status: str, reason: str,
                verification: Verification | None, *, choice: HeadChoice | None = None,
                repository: str | None = None) -> Rows:
    """``repository``: the name to store when the review gives none."""
    date = review_date(review)
    revisions = verification.revisions if verification else None
    evidence = choice.evidence if choice else (revisions.head_evidence if revisions else None)
    rows: Rows = {
        "reviews": [(rid, source, review.title, review.repository or repository, _int32(review.pr_number),
                     review.pr_title, review.round, date, date[:7] if date else None, review.format,
                     review.head_sha or (review.commits[-1].sha if review.commits else None),
                     revisions.head if revisions else None, revisions.merge_base if revisions else None,
                     status, reason, len(review.warnings), datetime.datetime.now(),
                     evidence if revisions else None, choice.how if choice and revisions else None)],
        "agents": [(rid, r.family, r.name, r.effort) for r in review.reviewers],
    }
    models = {r.family: r.name for r in review.reviewers}
    rows["agent_findings"] = agent_finding_rows(rid, review, models)
    if verification is None:
        rows["findings"] = [_finding_row(rid, f, models) for f in review.all_findings()]
        return rows
    groups = group_duplicates(verification.verdicts)
    rows["findings"] = []
    rows["claims"] = []
    rows["rule_hits"] = []
    for v in verification.verdicts:
        f = v.finding
        d = verification.decisions.get(f.key)
        group = groups[f.key]
        own = {agent_family(a) for a in f.agents}
        rows["findings"].append((
            rid, f.key, f.origin, f.id, f.section, f.title, list(f.agents), _model(f, models),
            f.severity, f.label, d.severity if d else f.severity, d.label if d else f.label,
            bool(d and d.false_positive), d.merged_into if d else None, group["group"],
            sorted(set(group["agents"]) - own), bool(group["unique"]), v.status, list(v.flags),
            v.provenance.status if v.provenance else None, v.provenance.agreement if v.provenance else None,
            _int32(f.line), v.verdict.grade if v.verdict else None, v.verdict.evidence if v.verdict else None))
        rows["claims"] += [(rid, f.key, "quote", q.status, q.span.path if q.span else None,
                            _int32(q.span.start) if q.span else None, _int32(q.span.end) if q.span else None, q.role,
                            q.grade or None, q.evidence or None) for q in v.quotes]
        rows["claims"] += [(rid, f.key, "line", c.status, c.path, _int32(c.reference.start), _int32(c.reference.end),
                            c.reference.written, None, evidence) for c in v.lines]
        rows["claims"] += [(rid, f.key, "symbol", s.status, None, None, None, s.identifier, s.grade or None,
                            s.evidence or None) for s in v.symbols]
        if d is not None:
            rows["rule_hits"] += [(rid, f.key, h.code, h.name, h.effect) for h in d.hits]
    rows["challenges"] = challenge_rows(rid, verification)
    return rows


def challenge_rows(rid: str, verification: Verification) -> list[Sequence[Any]]:
    """One row per challenged finding: the agents it belongs to, what the model answered, the claim it made
    instead (as JSON text) with that claim's verdict, and what the question cost."""
    findings = {v.finding.key: v.finding for v in verification.verdicts}
    rows: list[Sequence[Any]] = []
    for c in verification.challenges:
        f = findings.get(c.key)
        claim = json.dumps(c.claim, sort_keys=True, ensure_ascii=False) if c.claim is not None else None
        rows.append((rid, c.key, finding_agents(f) if f else [], c.provider, c.model, c.outcome, c.reason, claim,
                     c.regrade or None, list(c.flags), c.survived, c.input_tokens, c.output_tokens, c.cost_usd,
                     c.seconds))
    return rows


def finding_agents(f: Finding) -> list[str]:
    """The agent families a finding belongs to: its raw review's author, else every agent a consolidated
    finding is attributed to (as ``agent_finding_rows`` counts them)."""
    if f.origin != "consolidated":
        return [f.origin]
    return sorted({agent_family(a) for a in f.agents})


def agent_finding_rows(rid: str, review: Review, models: dict[str, str]) -> list[Sequence[Any]]:
    """Which agent each finding belongs to: its raw review's author when the review has an
    appendix, else every agent the consolidated finding is attributed to."""
    sections = ("critical", "important", "suggestion", "design")
    own = [f for f in review.all_findings() if f.origin != "consolidated" and f.section in sections]
    if own:
        return [(rid, f.key, f.origin, models.get(f.origin, f.origin), "appendix") for f in own]
    return [(rid, f.key, family, models.get(family, family), "attribution")
            for f in review.findings if f.section in sections
            for family in sorted({agent_family(a) for a in f.agents})]


def _finding_row(rid: str, f: Finding, models: dict[str, str]) -> tuple[Any, ...]:
    return (rid, f.key, f.origin, f.id, f.section, f.title, list(f.agents), _model(f, models), f.severity,
            f.label, f.severity, f.label, False, None, f.key, [], False, "unverified", [], None, None, _int32(f.line),
            None, None)


def _int32(value: int | None) -> int | None:
    """A number for an INTEGER column, or NULL when it cannot be one. No file has two billion
    lines and no pull request that number: such a claim is kept (its status says it is wrong,
    its written form stays in ``detail``), only the impossible number is not."""
    return value if value is not None and -(2**31) <= value < 2**31 else None


def _model(f: Finding, models: dict[str, str]) -> str | None:
    if f.origin != "consolidated":
        return models.get(f.origin, f.origin)
    families = sorted({agent_family(a) for a in f.agents})
    return models.get(families[0]) if len(families) == 1 else None


def review_date(review: Review) -> str | None:
    match = re.search(r"(\d{4})-(\d{2})-(\d{2})", review.date or "") or re.search(
        r"\b(20\d{2})(\d{2})(\d{2})-\d{6}", review.title or "")
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else None

"""The verification as plain JSON-ready data (the JSON format, and the source of the summary)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from reviewvet import __version__
from reviewvet.model.challenge import OUTCOMES, ChallengeOutcome
from reviewvet.model.checks import FindingVerdict, LineCheck, QuoteCheck
from reviewvet.model.verification import Verification
from reviewvet.model.rules import Decision

SCHEMA = "reviewvet-verify/1"


def verification_data(v: Verification) -> dict[str, Any]:
    return {
        "reviewvet": {"version": __version__, "schema": SCHEMA},
        "review": review_data(v),
        "revisions": revisions_data(v),
        "findings": [finding_data(fv) | {"decision": decision_data(v.decisions.get(fv.finding.key)),
                                         "challenge": challenge_data(v.challenge(fv.finding.key))}
                     for fv in v.verdicts],
        "challenges": [challenge_data(c) for c in v.challenges],
        "accounting": [asdict(row) for row in v.accounting],
        "rules": {"in_force": [r.code for r in v.rules], "conventions": list(v.conventions)},
        "summary": summary_data(v),
        "timings": {name: round(seconds, 4) for name, seconds in v.timings}
        | {"git_seconds": round(v.git_seconds, 4), "git_processes": v.git_processes},
    }


def review_data(v: Verification) -> dict[str, Any]:
    r = v.review
    return {
        "source": r.source, "format": r.format, "title": r.title, "date": r.date,
        "repository": r.repository, "pr": {"number": r.pr_number, "title": r.pr_title},
        "round": r.round, "author": r.author, "branch": r.branch,
        "reviewers": [asdict(x) for x in r.reviewers], "commits": [asdict(c) for c in r.commits],
        "head_sha": r.head_sha, "verdict": r.verdict,
        "agents": [{"agent": a.agent, "heading": a.heading, "line": a.line, "findings": len(a.findings)}
                   for a in r.agent_reviews],
        "warnings": [asdict(w) for w in r.warnings],
    }


def revisions_data(v: Verification) -> dict[str, Any]:
    rv = v.revisions
    check = rv.head_check
    return {
        "repo": rv.repo,
        "head": {"rev": rv.head_rev, "sha": rv.head},
        "base": {"rev": rv.base_rev, "sha": rv.base},
        "merge_base": {"sha": rv.merge_base, "source": rv.merge_base_source},
        "head_evidence": rv.head_evidence, "head_source": rv.head_source,
        "shallow": rv.shallow,
        "remote": rv.remote,
        "notes": list(rv.notes),
        "review_head": {
            "status": check.status,
            "named": list(check.named),
            "found": [{"named": named, "sha": sha} for named, sha in check.found],
            "missing": list(check.missing),
            "unreachable": list(check.unreachable),
            "candidates": [asdict(c) | {"confidence": round(c.confidence, 3)} for c in check.candidates],
        },
    }


def finding_data(fv: FindingVerdict) -> dict[str, Any]:
    f = fv.finding
    return {
        "key": f.key, "origin": f.origin, "id": f.id, "section": f.section, "title": f.title,
        "agents": list(f.agents), "severity": f.severity, "label": f.label, "scope": f.scope,
        "line": f.line, "status": fv.status, "flags": list(fv.flags),
        "verdict": asdict(fv.verdict) if fv.verdict else None,
        "references": [{"written": r.written, "path": r.path, "start": r.start, "end": r.end, "line": r.line}
                       for r in f.references],
        "identifiers": list(f.identifiers),
        "paths": [asdict(p) for p in fv.paths],
        "quotes": [quote_data(q) for q in fv.quotes],
        "lines": [line_data(c) for c in fv.lines],
        "symbols": [asdict(c) for c in fv.symbols],
        "provenance": asdict(fv.provenance) if fv.provenance else None,
    }


def decision_data(decision: Decision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    data = asdict(decision)
    data["downgraded"] = decision.downgraded
    for hit, row in zip(decision.hits, data["hits"], strict=True):
        row["effect"] = hit.effect  # the effects in words, beside the typed list
    return data


def challenge_data(c: ChallengeOutcome | None) -> dict[str, Any] | None:
    """A challenge's record as it is, its flags a list and its seconds rounded as the timings are."""
    if c is None:
        return None
    return asdict(c) | {"flags": list(c.flags), "seconds": round(c.seconds, 4)}


def quote_data(q: QuoteCheck) -> dict[str, Any]:
    data = asdict(q)
    data["matched"] = list(q.matched)
    data["searched"] = list(q.searched)
    return data


def line_data(c: LineCheck) -> dict[str, Any]:
    data = asdict(c)
    data["reference"] = {k: data["reference"][k] for k in ("written", "path", "start", "end", "line")}
    return data


def summary_data(v: Verification) -> dict[str, Any]:
    verdicts = v.verdicts
    return {
        "findings": len(verdicts),
        "consolidated": sum(1 for fv in verdicts if fv.finding.origin == "consolidated"),
        "by_status": dict(Counter(fv.status for fv in verdicts)),
        "by_verdict": dict(Counter(fv.verdict.grade for fv in verdicts if fv.verdict)),
        "by_flag": dict(Counter(flag for fv in verdicts for flag in fv.flags)),
        "quotes": dict(Counter(q.status for fv in verdicts for q in fv.quotes)),
        "lines": dict(Counter(c.status for fv in verdicts for c in fv.lines)),
        "symbols": dict(Counter(c.status for fv in verdicts for c in fv.symbols)),
        "provenance": dict(Counter(fv.provenance.status for fv in verdicts if fv.provenance)),
        "labels": dict(Counter(fv.provenance.agreement for fv in verdicts if fv.provenance)),
        "warnings": len(v.review.warnings),
        "false_positives": sum(1 for d in v.decisions.values() if d.false_positive),
        "rule_hits": dict(Counter(h.code for d in v.decisions.values() for h in d.hits)),
    } | ({"challenges": challenge_counts(v.challenges)} if v.challenges else {})


def challenge_counts(challenges: tuple[ChallengeOutcome, ...]) -> dict[str, int]:
    """How many challenges came to each outcome (every outcome named, 0 included), and how many survived."""
    outcomes = Counter(c.outcome for c in challenges)
    return {outcome: outcomes[outcome] for outcome in OUTCOMES} | {"survived": sum(c.survived for c in challenges)}

"""The facts a rule's condition can read, built from one finding's checks. Documented here,
and by ``reviewvet rules facts``; values are never null (empty strings and zeros instead).

finding     key, id, origin, section, title, severity, label, agents (families), text
verdict     grade (confirmed, refuted, doubtful, unverifiable), evidence (reviewed-head, user-given-head,
            substitute-head, flattened), reasons
quotes      list of {status, role, found, similarity, grade, evidence, argued}
quote       counts: checked, found, absent, near_miss, other_file, base_only, earlier_version, no_file, unknown,
            by grade: confirmed, refuted, doubtful, unverifiable; refuted by status: refuted_absent,
            refuted_near_miss, refuted_no_file
lines       list of {status, drift}
line        max_drift (absolute, lines), wrong, drifted, stale, file_missing
symbols     list of {identifier, status, role, grade}
symbol      counts: found, nowhere, base_only, ambiguous, refuted
provenance  status, claimed, agreement ("" when provenance was not computed)
fix         kind (code, comment, docs, none), proposed (number of proposed lines)
context     violations: list of {convention, path, message}
duplicate   size, agents, primary, unique, group
flags       the check flags (hallucinated-quote, wrong-path, ...)
"""

from __future__ import annotations

import re
from typing import Any

from reviewvet.model.checks import FindingVerdict
from reviewvet.ingest.findings import diff_lines
from reviewvet.ingest.vocabulary import agent_family

FACT_NAMES = frozenset(
    {"finding", "verdict", "quotes", "quote", "lines", "line", "symbols", "symbol", "provenance", "fix", "context",
     "duplicate", "flags"}
)
_COMMENT = re.compile(r"^\s*(?://|#|/\*|\*|--|<!--)")
DOC_EXTENSIONS = (".md", ".markdown", ".txt", ".rst", ".adoc")


def facts_of(verdict: FindingVerdict, duplicate: dict[str, Any], violations: list[dict[str, str]]) -> dict[str, Any]:
    f = verdict.finding
    quotes = [{"status": q.status, "role": q.role, "found": q.found,
               "similarity": q.near_miss.similarity if q.near_miss else (1.0 if q.found else 0.0),
               "grade": q.grade, "evidence": q.evidence, "argued": q.argued}
              for q in verdict.quotes]
    graded = verdict.verdict
    lines = [{"status": c.status, "drift": c.drift or 0} for c in verdict.lines]
    provenance = verdict.provenance
    return {
        "finding": {"key": f.key, "id": f.id, "origin": f.origin, "section": f.section, "title": f.title,
                    "severity": f.severity or "", "label": f.label or "",
                    "agents": sorted({agent_family(a) for a in f.agents}), "text": f"{f.title}\n{f.body}"},
        "verdict": {"grade": graded.grade if graded else "", "evidence": graded.evidence if graded else "",
                    "reasons": list(graded.reasons) if graded else []},
        "quotes": quotes,
        "quote": _counts([q.status for q in verdict.quotes],
                         ("absent", "near-miss", "other-file", "base-only", "earlier-version", "no-file", "unknown"))
        | _counts([q.grade for q in verdict.quotes], ("confirmed", "refuted", "doubtful", "unverifiable"))
        | {f"refuted_{k}": n for k, n in _counts([q.status for q in verdict.quotes if q.grade == "refuted"],
                                                  ("absent", "near-miss", "no-file")).items()}
        | {"checked": sum(1 for q in verdict.quotes if q.status != "not-checked"),
           "found": sum(1 for q in verdict.quotes if q.found)},
        "lines": lines,
        "line": _counts([c.status for c in verdict.lines], ("wrong", "drifted", "stale", "file-missing"))
        | {"max_drift": max((abs(c.drift) for c in verdict.lines if c.drift is not None
                             and c.status in ("drifted", "wrong", "stale")), default=0)},
        "symbols": [{"identifier": s.identifier, "status": s.status, "role": s.role, "grade": s.grade}
                    for s in verdict.symbols],
        "symbol": _counts([s.status for s in verdict.symbols], ("found", "nowhere", "base-only", "ambiguous"))
        | {"refuted": sum(1 for s in verdict.symbols if s.grade == "refuted")},
        "provenance": {"status": provenance.status if provenance else "",
                       "claimed": (provenance.claimed or "") if provenance else "",
                       "agreement": provenance.agreement if provenance else ""},
        "fix": fix_facts(verdict),
        "context": {"violations": violations},
        "duplicate": duplicate,
        "flags": list(verdict.flags),
    }


def _counts(statuses: list[str], names: tuple[str, ...]) -> dict[str, int]:
    return {name.replace("-", "_"): statuses.count(name) for name in names}


def fix_facts(verdict: FindingVerdict) -> dict[str, Any]:
    """What the proposed fix touches: comments only, documentation only, code, or nothing."""
    blocks = [b for b in verdict.finding.blocks if b.role in ("diff", "proposal")]
    if not blocks:
        return {"kind": "none", "proposed": 0}
    proposed = [line for b in blocks for line in b.proposed]
    changed: list[str] = []
    for b in blocks:
        if b.role == "diff":
            changed += [text for mark, text in diff_lines(b) if mark in "+-" and text.strip()]
        else:
            changed += [x for x in b.proposed if x.strip()]
    paths = [r.path for r in verdict.finding.references if r.path]
    if paths and all(p.lower().endswith(DOC_EXTENSIONS) for p in paths):
        kind = "docs"
    elif changed and all(_COMMENT.match(x) for x in changed):
        kind = "comment"
    else:
        kind = "code"
    return {"kind": kind, "proposed": len(proposed)}

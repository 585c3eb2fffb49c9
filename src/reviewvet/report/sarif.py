"""SARIF 2.1.0 output: one result per finding.

- ``ruleId``: the rule that decided the finding (a false-positive rule first), else RV000;
- ``level`` from the final severity (critical: error, important: warning, suggestion: note);
- the location is where the code really is (the located quote, else the checked line claim);
- ``baselineState``: ``new`` for regressions, ``unchanged`` for pre-existing gaps, ``updated``
  for claims the pull request changed in part;
- ``partialFingerprints``: ``reviewvet/v1`` (rule, path and normalised matched text: no line
  numbers, so it survives unrelated edits) and GitHub's ``primaryLocationLineHash``;
- false positives carry an ``external`` suppression with the rules' notes as justification.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from reviewvet import __version__
from reviewvet.model.checks import FindingVerdict, primary_location
from reviewvet.model.verification import Verification
from reviewvet.report import PLAIN, RenderOptions
from reviewvet.report.escape import json_visible
from reviewvet.report.text import deciding_rule
from reviewvet.model.rules import Decision, Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "important": "warning", "suggestion": "note"}
GENERIC = ("RV000", "review-finding", "A finding of the review, with no rule deciding anything about it.")


def render(v: Verification, options: RenderOptions = PLAIN) -> str:
    return json_visible(json.dumps(sarif_log(v), indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def sarif_log(v: Verification) -> dict[str, Any]:
    rules = [_rule_descriptor(*GENERIC)] + [_rule_descriptor(r.code, r.name, r.description, r) for r in v.rules]
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = [_result(fv, v.decisions.get(fv.finding.key), index) for fv in v.verdicts]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "reviewvet", "version": __version__, "rules": rules,
                                "informationUri": "https://pypi.org/project/reviewvet/"}},
            "originalUriBaseIds": {"SRCROOT": {"description": {"text": "the root of the verified repository"}}},
            "versionControlProvenance": [{"repositoryUri": _file_uri(v.revisions.repo),
                                          "revisionId": v.revisions.head}],
            "properties": {"review": v.review.source, "mergeBase": v.revisions.merge_base or "",
                           "agentAccounting": [asdict(row) for row in v.accounting]},
            "results": results,
        }],
    }


def _rule_descriptor(code: str, name: str, description: str, rule: Rule | None = None) -> dict[str, Any]:
    text = " ".join(description.split())
    descriptor: dict[str, Any] = {"id": code, "name": name, "shortDescription": {"text": name.replace("-", " ")},
                                  "fullDescription": {"text": text}}
    if rule is not None:
        descriptor["properties"] = {"family": rule.family, "condition": rule.when}
    return descriptor


def _result(fv: FindingVerdict, decision: Decision | None, index: dict[str, int],
            ) -> dict[str, Any]:
    f = fv.finding
    rule_id = deciding_rule(decision)
    severity = decision.severity if decision else f.severity
    location = primary_location(fv)
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": index.get(rule_id, 0),
        "level": LEVELS.get(severity or "", "note"),
        "message": {"text": _message(fv, decision)},
        "partialFingerprints": {"reviewvet/v1": fingerprint(rule_id, fv)},
        "properties": {"finding": f.key, "agents": list(f.agents), "claimedSeverity": f.severity or "",
                       "label": (decision.label if decision else f.label) or "", "flags": list(fv.flags),
                       "rules": list(decision.rule_codes) if decision else []},
    }
    if location is not None:
        path, start, end = location
        result["locations"] = [{"physicalLocation": {
            "artifactLocation": {"uri": path, "uriBaseId": "SRCROOT"},
            "region": {"startLine": start, "endLine": end}}}]
        line_hash = fv.line_hash or None
        if line_hash:
            result["partialFingerprints"]["primaryLocationLineHash"] = line_hash
    state = _baseline_state(fv)
    if state:
        result["baselineState"] = state
    if decision is not None and decision.false_positive:
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": "; ".join(decision.notes) or "false positive"}]
    return result


def _message(fv: FindingVerdict, decision: Decision | None) -> str:
    f = fv.finding
    text = f"{f.key}: {f.title}"
    if decision is not None and decision.notes:
        text += " — " + "; ".join(decision.notes)
    return text


def _baseline_state(fv: FindingVerdict) -> str | None:
    status = fv.provenance.status if fv.provenance else ""
    if status in ("regression", "removed-by-PR"):
        return "new"
    if status in ("gap", "widened"):
        return "unchanged"
    if status == "mixed":
        return "updated"  # pre-existing code the pull request changed in part
    return None


def fingerprint(rule_id: str, fv: FindingVerdict) -> str:
    """Rule id + path + the normalised matched text: stable when unrelated lines move."""
    location = primary_location(fv)
    matched = next((q.matched for q in fv.quotes if q.found and q.matched), ())
    text = "\n".join(" ".join(line.split()) for line in matched) or " ".join(fv.finding.title.lower().split())
    key = "\x00".join([rule_id, location[0] if location else "", text, fv.finding.origin])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _file_uri(path: str) -> str:
    return Path(path).as_uri() if Path(path).is_absolute() else path

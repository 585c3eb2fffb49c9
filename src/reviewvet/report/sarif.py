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
from reviewvet.checks.model import FindingVerdict
from reviewvet.pipeline import Verification
from reviewvet.report.escape import json_visible
from reviewvet.rules.model import Decision, Rule, RuleHit

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "important": "warning", "suggestion": "note"}
GENERIC = ("RV000", "review-finding", "A finding of the review, with no rule deciding anything about it.")


def render(v: Verification) -> str:
    return json_visible(json.dumps(sarif_log(v), indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def sarif_log(v: Verification) -> dict[str, Any]:
    rules = [_rule_descriptor(*GENERIC)] + [_rule_descriptor(r.code, r.name, r.description, r) for r in v.rules]
    index = {r["id"]: i for i, r in enumerate(rules)}
    hashes = _LineHashes(v)
    results = [_result(fv, v.decisions.get(fv.finding.key), index, hashes) for fv in v.verdicts]
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
            hashes: _LineHashes) -> dict[str, Any]:
    f = fv.finding
    rule_id = _deciding_rule(decision)
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
        line_hash = hashes.get(path, start)
        if line_hash:
            result["partialFingerprints"]["primaryLocationLineHash"] = line_hash
    state = _baseline_state(fv)
    if state:
        result["baselineState"] = state
    if decision is not None and decision.false_positive:
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": "; ".join(decision.notes) or "false positive"}]
    return result


def _deciding_rule(decision: Decision | None) -> str:
    """The rule a result is filed under: one that made the finding a false positive, else one that
    changed it, else any other — location rules (RV2xx) last, since they come and go as lines move."""
    if decision is None or not decision.hits:
        return GENERIC[0]

    def rank(hit: RuleHit) -> tuple[bool, bool, bool, str]:
        changed = any(word in hit.effect for word in ("severity", "label", "merged"))
        return ("false positive" not in hit.effect, not changed, hit.code.startswith("RV2"), hit.code)

    return min(decision.hits, key=rank).code


def _message(fv: FindingVerdict, decision: Decision | None) -> str:
    f = fv.finding
    text = f"{f.key}: {f.title}"
    if decision is not None and decision.notes:
        text += " — " + "; ".join(decision.notes)
    return text


def primary_location(fv: FindingVerdict) -> tuple[str, int, int] | None:
    """Where the finding's code really is at head: a located quote, else a checked line claim."""
    for q in fv.quotes:
        if q.found and q.span is not None and q.span.side == "head":
            return q.span.path, q.span.start, q.span.end
    for q in fv.quotes:
        if q.status in ("other-file", "near-miss") and q.span is not None and q.span.side == "head":
            return q.span.path, q.span.start, q.span.end
    for c in fv.lines:
        if c.path and c.status not in ("file-missing", "unknown", "base-only"):
            if c.actual is not None and c.actual.side == "head" and c.status in ("drifted", "wrong", "stale"):
                return c.path, c.actual.start, c.actual.end
            if c.reference.start is not None and c.reference.end is not None:
                return c.path, c.reference.start, c.reference.end
    return None


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
    return Path(path).resolve().as_uri()


# -- GitHub's primaryLocationLineHash -------------------------------------------------------

_BLOCK = 100
_MOD = 37
_MASK = (1 << 64) - 1


def line_hashes(text: str) -> dict[int, str]:
    """The line hashes GitHub code scanning computes for a file (its rolling hash over the next
    100 characters of the file, spaces and tabs skipped, line endings as LF, plus an occurrence
    count), by line number."""
    first_mod = pow(_MOD, _BLOCK, 1 << 64)
    window = [0] * _BLOCK
    starts = [-1] * _BLOCK
    counts: dict[str, int] = {}
    out: dict[int, str] = {}
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}

    def emit() -> None:
        value = format(state["hash"] & _MASK, "x")
        counts[value] = counts.get(value, 0) + 1
        out[starts[state["index"]]] = f"{value}:{counts[value]}"
        starts[state["index"]] = -1

    def update(code: int) -> None:
        i = state["index"]
        begin = window[i]
        window[i] = code
        state["hash"] = (_MOD * state["hash"] + code - first_mod * begin) & _MASK
        state["index"] = (i + 1) % _BLOCK

    def feed(code: int) -> None:
        if code in (32, 9) or (state["prev_cr"] and code == 10):
            state["prev_cr"] = False
            return
        state["prev_cr"] = code == 13
        if code == 13:
            code = 10
        if starts[state["index"]] != -1:
            emit()
        if state["line_start"]:
            state["line_start"] = False
            state["line"] += 1
            starts[state["index"]] = state["line"]
        if code == 10:
            state["line_start"] = True
        update(code)

    for char in text:
        feed(ord(char) if ord(char) < 0x10000 else 0xFFFD)
    feed(65535)
    for _ in range(_BLOCK):
        if starts[state["index"]] != -1:
            emit()
        update(0)
    return out


class _LineHashes:
    """Line hashes of the head files the results point at: their blobs read in one batch."""

    def __init__(self, v: Verification) -> None:
        self.verification = v
        self.paths = {loc[0] for fv in v.verdicts if (loc := primary_location(fv)) is not None}
        self.cache: dict[str, dict[int, str]] | None = None

    def get(self, path: str, line: int) -> str | None:
        if self.cache is None:
            self.cache = self._compute()
        return self.cache.get(path, {}).get(line)

    def _compute(self) -> dict[str, dict[int, str]]:
        from reviewvet.git import Git

        if not self.paths:
            return {}
        git = Git(Path(self.verification.revisions.repo))
        tree = git.tree(self.verification.revisions.head)
        entries = {p: tree[p] for p in self.paths if p in tree and not tree[p].is_symlink}
        blobs = git.read_blobs([e.oid for e in entries.values()])
        hashes = {}
        for path, entry in entries.items():
            data = blobs.get(entry.oid)
            if data is not None and b"\x00" not in data[:8192]:
                hashes[path] = line_hashes(data.decode("utf-8", "replace"))
        return hashes

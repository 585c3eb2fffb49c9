"""SARIF 2.1.0 output, in the shape GitHub code scanning accepts. The log holds one run:

- ``tool.driver.rules``: RV000 (a finding no rule decided) and every rule in force, each with a
  short and full description, ``help`` (text, and Markdown: the rule's section of docs/rules.md,
  from ``rule_markdown``) and ``helpUri`` (that section, ``reviewvet.report.links.rule_url``);
- ``results``, one per finding that has a place in the repository:

  - ``ruleId``: the rule that decided the finding (a false-positive rule first), else RV000;
  - ``level`` from the final severity (critical: error, important: warning, suggestion: note);
  - the location is where the code really is (the located quote, else the checked line claim),
    relative to ``SRCROOT`` (the repository's root), with the lines a quote matched there as
    ``region.snippet``;
  - a finding with no line to point at follows ``RenderOptions.sarif_unlocated``: it is placed on
    the file it names, at line 1 (``file``, the default; one naming no file found at head
    is left out: see ``named_file``), left out (``drop``), or kept without a location (``keep``;
    GitHub then refuses the whole file);
  - ``baselineState``: ``new`` for regressions, ``unchanged`` for pre-existing gaps, ``updated``
    for claims the pull request changed in part;
  - ``partialFingerprints``: ``reviewvet/v1`` (rule, path and normalised matched text: no line
    numbers, so it survives unrelated edits) and GitHub's ``primaryLocationLineHash``;
  - false positives carry an ``external`` suppression with the rules' notes as justification;
  - a challenged finding's ``properties.challenge``: the model asked, its answer and reason, the
    claim it made and that claim's verdict when verified again, whether the finding survived, and
    the tokens, cost and seconds the challenge took;
- ``automationDetails.id``: the category GitHub files the run under (see ``category``);
- ``invocations``: one, successful, with a note saying how many findings were left out;
- ``versionControlProvenance``: the hosted repository (``https://host/owner/name``) and the head
  SHA, left out when the repository has no hosted origin;
- ``properties``: the review's file name, the merge base, the per-agent accounting, and the count
  and keys of the findings left out (``unlocatedDropped``, ``unlocatedDroppedFindings``).

No absolute local path is ever written: not the repository's, not the review's.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import asdict
from typing import Any

from reviewvet import __version__
from reviewvet.model.challenge import ChallengeOutcome
from reviewvet.model.checks import FindingVerdict, primary_location
from reviewvet.model.rules import Decision, Rule
from reviewvet.model.verification import Verification
from reviewvet.report import PLAIN, RenderOptions, Unlocated
from reviewvet.report.escape import json_visible
from reviewvet.report.links import rule_url
from reviewvet.report.text import GENERIC_RULE, deciding_rule, headline

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "important": "warning", "suggestion": "note"}
GENERIC = Rule(code=GENERIC_RULE, name="review-finding", family="", when="", actions={}, source="",
               description="A finding of the review that no rule decided anything about: it stands as the reviewer "
                           "wrote it, at the place the checks located (or, failing that, the place it cites).")
DESCRIPTION_LIMIT = 1024  # GitHub shows at most this many characters of a rule's short and full descriptions
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_NOT_SLUG = re.compile(r"[^A-Za-z0-9._-]+")

Location = tuple[str, int, int]


def render(v: Verification, options: RenderOptions = PLAIN) -> str:
    return json_visible(json.dumps(sarif_log(v, options), indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def sarif_log(v: Verification, options: RenderOptions = PLAIN) -> dict[str, Any]:
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [_run(v, options)]}


def _run(v: Verification, options: RenderOptions) -> dict[str, Any]:
    rules = [GENERIC, *v.rules]
    index = {r.code: i for i, r in enumerate(rules)}
    results, left_out = _results(v, options.sarif_unlocated, index)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "reviewvet", "version": __version__,
                            "rules": [_rule_descriptor(r) for r in rules],
                            "informationUri": "https://pypi.org/project/reviewvet/"}},
        "automationDetails": {"id": options.category or category(v)},
        "originalUriBaseIds": {"SRCROOT": {"description": {"text": "the root of the verified repository"}}},
        "invocations": [_invocation(left_out, len(v.verdicts), options.sarif_unlocated)],
        "properties": {"review": _file_name(v.review.source), "mergeBase": v.revisions.merge_base or "",
                       "agentAccounting": [asdict(row) for row in v.accounting],
                       "unlocatedDropped": len(left_out), "unlocatedDroppedFindings": left_out},
        "results": results,
    }
    if v.revisions.remote:  # an https://host/owner/name URL, never a local path (None for those)
        run["versionControlProvenance"] = [{"repositoryUri": v.revisions.remote, "revisionId": v.revisions.head}]
    return run


def _results(v: Verification, mode: Unlocated, index: dict[str, int]) -> tuple[list[dict[str, Any]], list[str]]:
    """The results, and the keys of the findings left out for want of a location."""
    results: list[dict[str, Any]] = []
    left_out: list[str] = []
    for fv in v.verdicts:
        locations = _locations(fv, mode)
        if not locations and mode != "keep":
            left_out.append(fv.finding.key)
            continue
        result = _result(fv, v.decisions.get(fv.finding.key), index, locations)
        challenge = v.challenge(fv.finding.key)
        if challenge is not None:
            result["properties"]["challenge"] = challenge_properties(challenge)
        results.append(result)
    return results, left_out


# -- rules --------------------------------------------------------------------------------------


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule.code, "name": rule.name,
        "shortDescription": {"text": _cap(rule.name.replace("-", " "))},
        "fullDescription": {"text": _cap(_one_line(rule.description))},
        "help": {"text": rule_help_text(rule), "markdown": rule_help_markdown(rule)},
        "helpUri": rule_url(rule.code),
    }
    if rule.family:
        descriptor["properties"] = {"family": rule.family, "condition": rule.when}
    return descriptor


def rule_markdown(rule: Rule) -> str:
    """The Markdown body of the rule's section of docs/rules.md (the page adds the anchor and the
    heading): its description, family, condition and actions. SARIF's ``help.markdown`` repeats it."""
    lines = [_one_line(rule.description), ""]
    if rule.family:
        lines.append(f"- Family: {_code(rule.family)}")
    if rule.when:
        lines.append(f"- Condition: {_code(_one_line(rule.when))}")
    if rule.actions:
        lines.append("- Actions:")
        lines += [f"  - {_code(action)}" for action in _actions(rule)]
    if rule.raise_reason:
        lines.append(f"- May raise the severity because: {_one_line(rule.raise_reason)}")
    return "\n".join(lines).rstrip("\n") + "\n"


def rule_help_markdown(rule: Rule) -> str:
    """SARIF's ``help.markdown``: the rule's section of docs/rules.md, with a link to it."""
    return rule_markdown(rule) + f"\n[{rule.code} in the rules documentation]({rule_url(rule.code)})\n"


def rule_help_text(rule: Rule) -> str:
    """The same as ``rule_markdown`` in plain text, with the address of the rule's documentation."""
    parts = [f"{rule.code} {rule.name}" + (f" ({rule.family})" if rule.family else ""), _one_line(rule.description)]
    if rule.when:
        parts.append(f"when: {_one_line(rule.when)}")
    if rule.actions:
        parts.append("then: " + "; ".join(_actions(rule)))
    return "\n\n".join(parts + [f"Documentation: {rule_url(rule.code)}"])


def _actions(rule: Rule) -> list[str]:
    return [f"{name}: {json.dumps(value, ensure_ascii=False)}" for name, value in rule.actions.items()]


def _code(text: str) -> str:
    """``text`` as Markdown inline code, fenced with more backticks than it holds in a row."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cap(text: str) -> str:
    return text if len(text) <= DESCRIPTION_LIMIT else text[:DESCRIPTION_LIMIT - 1] + "…"


# -- results ------------------------------------------------------------------------------------


def _result(fv: FindingVerdict, decision: Decision | None, index: dict[str, int],
            locations: list[dict[str, Any]]) -> dict[str, Any]:
    rule_id = deciding_rule(decision)
    severity = decision.severity if decision else fv.finding.severity
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": index.get(rule_id, 0),
        "level": LEVELS.get(severity or "", "note"),
        "message": {"text": headline(fv, decision)},
        "partialFingerprints": {"reviewvet/v1": fingerprint(rule_id, fv)},
        "properties": _properties(fv, decision),
    }
    if locations:
        result["locations"] = locations
    if fv.line_hash:  # set only when the finding has a primary location
        result["partialFingerprints"]["primaryLocationLineHash"] = fv.line_hash
    state = _baseline_state(fv)
    if state:
        result["baselineState"] = state
    if decision is not None and decision.false_positive:
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": "; ".join(decision.notes) or "false positive"}]
    return result


def _properties(fv: FindingVerdict, decision: Decision | None) -> dict[str, Any]:
    f = fv.finding
    return {"finding": f.key, "agents": list(f.agents), "claimedSeverity": f.severity or "",
            "label": (decision.label if decision else f.label) or "", "flags": list(fv.flags),
            "rules": list(decision.rule_codes) if decision else []}


def challenge_properties(c: ChallengeOutcome) -> dict[str, Any]:
    """A challenge's outcome as a result's ``properties.challenge`` (the finding's key is the result's already)."""
    return {"provider": c.provider, "model": c.model, "outcome": c.outcome, "reason": c.reason, "claim": c.claim,
            "regrade": c.regrade, "flags": list(c.flags), "survived": c.survived, "inputTokens": c.input_tokens,
            "outputTokens": c.output_tokens, "costUsd": c.cost_usd, "seconds": round(c.seconds, 4)}


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


# -- locations ----------------------------------------------------------------------------------


def _locations(fv: FindingVerdict, mode: Unlocated) -> list[dict[str, Any]]:
    """Where the result is: its lines, else (``file`` mode) the file it names, else nowhere."""
    located = primary_location(fv)
    if located is not None:
        return [_lines_location(fv, located)]
    named = named_file(fv) if mode == "file" else None
    if named is None:
        return []
    # GitHub's rules want a start line in every region (the multitool's GH1003): line 1 stands for the
    # file as a whole, and the location's message says so.
    return [{"physicalLocation": {"artifactLocation": {"uri": named, "uriBaseId": "SRCROOT"},
                                  "region": {"startLine": 1}},
             "message": {"text": "the finding names this file but no line of it that could be checked "
                                 "(line 1 stands for the whole file)"}}]


def _lines_location(fv: FindingVerdict, located: Location) -> dict[str, Any]:
    path, start, end = located
    region: dict[str, Any] = {"startLine": start, "endLine": end}
    snippet = _snippet(fv, located)
    if snippet:
        region["snippet"] = {"text": snippet}
    return {"physicalLocation": {"artifactLocation": {"uri": path, "uriBaseId": "SRCROOT"}, "region": region}}


def _snippet(fv: FindingVerdict, located: Location) -> str:
    """The lines a found quote matched, when the location is that quote's: the text of the region."""
    for q in fv.quotes:
        span = q.span
        if q.found and q.matched and span is not None and span.side == "head" \
                and (span.path, span.start, span.end) == located:
            return "\n".join(q.matched)
    return ""


def named_file(fv: FindingVerdict) -> str | None:
    """The file a finding names, for a result with no line to point at: the file the first cited path
    resolved to at head, else the first path of the finding that resolved. A path that resolved to no
    file (missing, only at the merge base, ambiguous) does not count: the result would point at a
    file that is not there, or at the wrong one. Only a relative path inside the repository qualifies."""
    resolved = {p.claimed: p.path for p in fv.paths if p.usable and p.path}
    candidates = [resolved.get(r.path) for r in fv.finding.references] + list(resolved.values())
    inside = (_inside_repository(c) for c in candidates if c)
    return next((path for path in inside if path), None)


def _inside_repository(path: str) -> str | None:
    """``path`` normalised, when it is a relative path that stays inside the repository; else None."""
    if "\\" in path or path.startswith("/") or _SCHEME.match(path) or any(ord(c) < 32 for c in path):
        return None
    normal = posixpath.normpath(path)
    return None if normal in (".", "..") or normal.startswith("../") else normal


# -- the run ------------------------------------------------------------------------------------


def category(v: Verification) -> str:
    """The default ``automationDetails.id``: ``reviewvet/<pr>/<round>/``, a missing part left out, and
    ``reviewvet/<review file stem>/`` when the review names neither.

    GitHub reads the id as ``<category>/<run id>``: the category is everything before the last
    slash, the run id (stored, not used) what follows it; an id without a slash has no category.
    Ending the id with a slash makes all of it the category, so each round of each pull request
    gets its own, and uploading one round's results for a commit does not replace another's
    (GitHub replaces the results of the same tool and category for the same commit). Source:
    docs.github.com, "SARIF support for code scanning", the runAutomationDetails object.
    """
    review = v.review
    parts = [_slug(str(review.pr_number)) if review.pr_number is not None else "", _slug(review.round or "")]
    named = [part for part in parts if part] or [_slug(_file_stem(review.source)) or "review"]
    return "reviewvet/" + "".join(f"{part}/" for part in named)


def _slug(text: str) -> str:
    """A path segment: a parenthesised aside dropped ("2 (of PR #295)" is round "2"), anything but
    letters, digits, dots, dashes and underscores turned into one dash."""
    return _NOT_SLUG.sub("-", re.sub(r"\([^)]*\)", " ", text).strip()).strip("-")


def _file_name(source: str) -> str:
    """The review's file name, never the folder it was read from."""
    return posixpath.basename(source.replace("\\", "/")) or source


def _file_stem(source: str) -> str:
    name = _file_name(source)
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


def _invocation(left_out: list[str], total: int, mode: Unlocated) -> dict[str, Any]:
    """The run's one invocation. GitHub reads nothing of it but a working directory (none is given:
    it would be a local path), so the findings left out are counted in the run's properties too."""
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if left_out:
        why = "neither a line nor a file of the repository" if mode == "file" else "no line of the repository"
        text = (f"{len(left_out)} of {total} findings had {why} to point at, so they are left out of this file; "
                "reviewvet's other formats (terminal, markdown, json) report them. Their keys are in the run's "
                "properties, unlocatedDroppedFindings.")
        invocation["toolExecutionNotifications"] = [{"level": "note", "message": {"text": text}}]
    return invocation

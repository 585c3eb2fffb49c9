"""``reviewvet challenge``: each finding the checks refuted or left doubtful goes back to a model
with its evidence, as a consolidator would take it back to the reviewer, and the model withdraws,
amends or defends it.

The evidence is what reviewvet found, not what it concluded from it: the lines really at the
claimed place, where the quote is or its nearest match with the characters that differ, what git
blame says of the lines, and — for an identifier the head lacks — whether the merge base has it.
The model answers with ``CHALLENGE_SCHEMA``:

- ``withdraw``: the finding is dropped; it did not survive;
- ``amend``: a new place, quote or label, verified at once through ``api.verify_findings`` like any
  claim; the finding survived only if that claim is confirmed;
- ``defend``: a new quote (and place) that supports the finding as written, verified the same way.

A model's word never changes a verdict: only the claims it makes are verified, mechanically.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from reviewvet.errors import ReviewvetError
from reviewvet.llm.client import Message, ModelClient
from reviewvet.model.challenge import ChallengeOutcome

if TYPE_CHECKING:
    from reviewvet.model.checks import FindingVerdict
    from reviewvet.model.verification import Verification, VerifyOptions
    from reviewvet.workspace import Workspace

CHALLENGED = ("refuted", "doubtful")  # the verdicts a finding is challenged for

CHALLENGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["outcome", "reason", "path", "start", "end", "quote", "label"],
    "properties": {
        "outcome": {"type": "string", "enum": ["withdraw", "amend", "defend"]},
        "reason": {"type": "string", "description": "one sentence: why"},
        "path": {"type": ["string", "null"], "description": "amend/defend: the file the claim is about"},
        "start": {"type": ["integer", "null"], "description": "amend/defend: its first line"},
        "end": {"type": ["integer", "null"], "description": "amend/defend: its last line"},
        "quote": {"type": ["string", "null"],
                  "description": "amend/defend: code copied exactly from the evidence or the repository"},
        "label": {"type": ["string", "null"], "description": "amend: a corrected label (regression, gap ...)"},
    },
}

SYSTEM = """You wrote a code-review finding that a checking tool could not confirm against the \
repository. You are shown the finding and what the tool found: the lines really at the place you \
cited, where your quoted code is or its nearest match, and what git blame says. Answer with one of:

- "withdraw" when the evidence shows the finding is wrong;
- "amend" when the finding is right but you cited it wrongly: give the right path, lines, quote \
(copied exactly from the evidence) and label;
- "defend" when the finding stands as written: give a quote, copied exactly from the evidence, \
that shows it.

Your quote is checked against the repository the same way; a quote that is not there counts against \
the finding. Keep the reason to one sentence."""


def challenge(workspace: Workspace, v: Verification, client: ModelClient, *,
              options: VerifyOptions | None = None, keys: Iterable[str] | None = None) -> Verification:
    """``v`` with its refuted and doubtful findings (or those ``keys`` name) challenged by ``client``."""
    wanted = set(keys) if keys is not None else None
    outcomes = []
    for fv in v.verdicts:
        if wanted is not None and fv.finding.key not in wanted:
            continue
        if wanted is None and not _challengeable(v, fv):
            continue
        outcomes.append(challenge_one(workspace, v, fv, client, options))
    return replace(v, challenges=(*v.challenges, *outcomes))


def _challengeable(v: Verification, fv: FindingVerdict) -> bool:
    decision = v.decisions.get(fv.finding.key)
    return (fv.verdict is not None and fv.verdict.grade in CHALLENGED) or (
        decision is not None and decision.false_positive)


def challenge_one(workspace: Workspace, v: Verification, fv: FindingVerdict, client: ModelClient,
                  options: VerifyOptions | None = None) -> ChallengeOutcome:
    """Ask about one finding and verify what the model claims instead."""
    import jsonschema

    base = ChallengeOutcome(fv.finding.key, client.provider, client.model, "failed", "")
    started = time.perf_counter()
    messages = [Message("system", SYSTEM), Message("user", challenge_prompt(workspace, v, fv))]
    try:
        reply = client.structured(messages, CHALLENGE_SCHEMA, "challenge_answer")
    except ReviewvetError as exc:
        return replace(base, reason=f"the model could not be asked: {exc}", seconds=time.perf_counter() - started)
    spent = replace(base, input_tokens=reply.usage.input_tokens, output_tokens=reply.usage.output_tokens,
                    cost_usd=reply.usage.cost_usd)
    problem = next(iter(jsonschema.Draft202012Validator(CHALLENGE_SCHEMA).iter_errors(reply.data)), None)
    if problem is not None:
        return replace(spent, reason=f"the answer does not match the schema: {problem.message}",
                       seconds=time.perf_counter() - started)
    answer = reply.data
    outcome = replace(spent, outcome=answer["outcome"], reason=str(answer["reason"]).strip())
    if answer["outcome"] != "withdraw":
        outcome = _reverified(workspace, v, fv, answer, outcome, options)
    return replace(outcome, seconds=time.perf_counter() - started)


def _reverified(workspace: Workspace, v: Verification, fv: FindingVerdict, answer: dict[str, Any],
                outcome: ChallengeOutcome, options: VerifyOptions | None) -> ChallengeOutcome:
    """The model's new claim verified like any claim; the finding survived when it is confirmed."""
    from reviewvet.api import DEFAULTS, read_review, verify_findings
    from reviewvet.report.text import verdict_word

    claim = new_claim(fv, answer)
    if claim is None:
        return replace(outcome, reason=outcome.reason + " (no quote or place given: nothing to verify)")
    document = {"reviewvet_claims": 1, "findings": [claim]}
    if v.review.head_sha:
        document["head"] = v.review.head_sha
    review = read_review(json.dumps(document), f"<challenge of {fv.finding.key}>")
    result = verify_findings(workspace, review.findings, options or DEFAULTS, review=review)
    [again] = result.verdicts
    word = verdict_word(again, result.decisions.get(again.finding.key))
    return replace(outcome, claim=claim, regrade=word, flags=again.flags, survived=word == "confirmed")


def new_claim(fv: FindingVerdict, answer: dict[str, Any]) -> dict[str, Any] | None:
    """The claim an amend or defend answer makes: its place (else the finding's own), quote and label."""
    f = fv.finding
    claim: dict[str, Any] = {"id": f"{f.id or 'F'}-challenged", "title": f.title}
    quote = answer.get("quote")
    if quote and str(quote).strip():
        claim["quotes"] = [{"text": str(quote), "role": "evidence"}]
    path = answer.get("path") or next((r.path for r in f.references if r.path), None)
    if path:
        location: dict[str, Any] = {"path": str(path)}
        start = answer.get("start") if answer.get("path") else next((r.start for r in f.references if r.start), None)
        end = answer.get("end") if answer.get("path") else next((r.end for r in f.references if r.start), None)
        if isinstance(start, int) and start >= 1:
            location["start"] = start
            if isinstance(end, int) and end >= start:
                location["end"] = end
        claim["locations"] = [location]
    label = answer.get("label") or f.label
    if label:
        claim["label"] = str(label)
    if f.severity:
        claim["severity"] = f.severity
    return claim if "quotes" in claim or answer.get("path") else None


def challenge_prompt(workspace: Workspace, v: Verification, fv: FindingVerdict) -> str:
    """The finding as written, then the evidence, as plain text."""
    from reviewvet.api import claimed_lines
    from reviewvet.report.text import describe_claim_provenance, describe_line, describe_quote

    f = fv.finding
    out = [f"Finding {f.key}: {f.title}", f"Severity: {f.severity or 'none'}; label: {f.label or 'none'}"]
    out += [f"It cites: {', '.join(r.written for r in f.references)}"] if f.references else []
    out += [f"It says:\n{f.body.strip()}"] if f.body.strip() else []
    for number, block in enumerate(f.blocks, start=1):
        out.append(f"Its code block {number} ({block.role}):\n{block.text.rstrip()}")
    out.append(f"\nWhat the tool found at {v.revisions.head[:12]}:")
    if fv.verdict is not None:
        out.append(f"Verdict: {fv.verdict.grade}; " + "; ".join(fv.verdict.reasons[:4]))
    for place in claimed_lines(workspace, v, fv):
        numbered = "\n".join(f"{place['start'] + i:>5}  {line}" for i, line in enumerate(place["text"]))
        out.append(f"The lines at {place['path']}:{place['start']}-{place['end']}:\n{numbered}")
    for q in fv.quotes:
        out.append(f"Code block {q.block + 1}: {describe_quote(q)}")
        if q.near_miss is not None:
            out += [f"  you wrote {d.quoted!r}, the file has {d.actual!r}" for d in q.near_miss.differences[:5]]
    out += [f"{c.reference.written}: {describe_line(c)}" for c in fv.lines]
    out += [f"Identifier {s.identifier}: {s.status}" + (f" ({s.reason})" if s.reason else "") for s in fv.symbols]
    out += _at_merge_base(workspace, v, fv)
    if fv.provenance is not None:
        out += [f"git blame: {describe_claim_provenance(c)}" for c in fv.provenance.claims]
    return "\n".join(out)


def _at_merge_base(workspace: Workspace, v: Verification, fv: FindingVerdict) -> list[str]:
    """For each identifier the head lacks: where the merge base has it, if it does."""
    from reviewvet.api import find_symbols

    base = v.revisions.merge_base
    missing = [s.identifier for s in fv.symbols if s.status not in ("found", "ambiguous")]
    if base is None or not missing:
        return []
    out = []
    for name in missing[:5]:
        try:
            found = find_symbols(workspace, name, base)
        except ReviewvetError:
            continue
        places = ", ".join(f"{s.path}:{s.start}" for s in found[:3])
        out.append(f"At the merge base {base[:12]}, {name} " + (f"is at {places}" if found else "does not exist"))
    return out

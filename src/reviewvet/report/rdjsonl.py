"""reviewdog's JSON-lines diagnostic format (rdjsonl): one ``Diagnostic`` of reviewdog's rdf proto per
line, so reviewdog can post reviewvet's verdicts as pull-request comments.

- Only located findings (``primary_location``) become diagnostics: reviewdog needs a path and lines
  to comment on. Unlocated findings are in the other formats.
- False positives are left out unless ``RenderOptions.include_false_positives``; when included they
  are ``INFO`` whatever their severity, and never carry a suggestion.
- The message is the verdict-first ``headline`` (ending, for a challenged finding, with what the
  challenge came to); ``code`` is the deciding rule, with a link to its
  section of the rules documentation.
- Ranges are line-wise: both ends without a column, which reviewdog reads as whole lines, the end
  line included.
- A diff block becomes a suggestion only when what it claims exists (its ``-`` and context lines) is
  exactly the text the quote check found at the diagnostic's location, line for line, whitespace
  included. The suggestion replaces those lines with the diff's new side (context and ``+`` lines in
  their order) over the diagnostic's own range, the only range reviewdog posts a suggestion on. A diff
  found with other whitespace, elided, somewhere else than the location, in several hunks or not at
  all suggests nothing, so a suggestion never replaces code it was not written for; nor does the diff
  of a refuted finding or of a false positive.
"""

from __future__ import annotations

import json
from typing import Any

from reviewvet.ingest.findings import diff_lines
from reviewvet.model.challenge import ChallengeOutcome
from reviewvet.model.checks import FindingVerdict, QuoteCheck, primary_location
from reviewvet.model.review import CodeBlock
from reviewvet.model.rules import Decision
from reviewvet.model.verification import Verification
from reviewvet.report import PLAIN, RenderOptions
from reviewvet.report.escape import json_visible
from reviewvet.report.links import rule_url
from reviewvet.report.text import deciding_rule, headline

SEVERITIES = {"critical": "ERROR", "important": "WARNING", "suggestion": "INFO"}
SOURCE = {"name": "reviewvet"}

Location = tuple[str, int, int]


def render(v: Verification, options: RenderOptions = PLAIN) -> str:
    return "".join(json_visible(json.dumps(d, sort_keys=True, ensure_ascii=False)) + "\n"
                   for d in diagnostics(v, options))


def diagnostics(v: Verification, options: RenderOptions = PLAIN) -> list[dict[str, Any]]:
    """One diagnostic per located finding, in the verification's order."""
    out = []
    for fv in v.verdicts:
        decision = v.decisions.get(fv.finding.key)
        location = primary_location(fv)
        if location is None or (_false_positive(decision) and not options.include_false_positives):
            continue
        out.append(diagnostic(fv, decision, location, v.challenge(fv.finding.key)))
    return out


def diagnostic(fv: FindingVerdict, decision: Decision | None, location: Location,
               challenge: ChallengeOutcome | None = None) -> dict[str, Any]:
    path, start, end = location
    code = deciding_rule(decision)
    lines = {"start": {"line": start}, "end": {"line": end}}
    out: dict[str, Any] = {
        "message": headline(fv, decision, challenge),
        "location": {"path": path, "range": lines},
        "severity": severity(fv, decision),
        "source": SOURCE,
        "code": {"value": code, "url": rule_url(code)},
        "original_output": fv.finding.key,
    }
    text = suggestion_text(fv, decision, location)
    if text is not None:
        out["suggestions"] = [{"range": lines, "text": text}]
    return out


def severity(fv: FindingVerdict, decision: Decision | None) -> str:
    """The final severity as reviewdog names it; a false positive is ``INFO``."""
    if _false_positive(decision):
        return "INFO"
    final = decision.severity if decision is not None else fv.finding.severity
    return SEVERITIES.get(final or "", "INFO")


def suggestion_text(fv: FindingVerdict, decision: Decision | None, location: Location) -> str | None:
    """The new text a diff block of the finding proposes for the located lines, or None when no diff
    block was written for exactly those lines (or the finding is refuted or a false positive)."""
    if _false_positive(decision) or (fv.verdict is not None and fv.verdict.grade == "refuted"):
        return None
    blocks = fv.finding.blocks
    for q in fv.quotes:
        block = blocks[q.block] if 0 <= q.block < len(blocks) else None
        if block is None or block.role != "diff" or not _located_here(q, location):
            continue
        sides = _diff_sides(block)
        if sides is not None and sides[0] == q.matched:
            return "\n".join(sides[1])
    return None


def _located_here(q: QuoteCheck, location: Location) -> bool:
    span = q.span
    return (q.found and span is not None and span.side == "head" and (span.path, span.start, span.end) == location
            and len(q.matched) == span.end - span.start + 1)


def _diff_sides(block: CodeBlock) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(old, new): a diff block's lines without its ``+`` lines, and without its ``-`` lines; None when
    they are not what the quote check searched for (several hunks, say)."""
    pairs = diff_lines(block)
    if block.path_hint and _old(pairs[1:]) == block.claimed:
        pairs = pairs[1:]  # a first line naming the file, which the parser took as the block's path
    old = _old(pairs)
    if old != block.claimed:
        return None
    return old, tuple(text for mark, text in pairs if mark != "-")


def _old(pairs: list[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(text for mark, text in pairs if mark != "+")


def _false_positive(decision: Decision | None) -> bool:
    return decision is not None and decision.false_positive

"""Sentences shared by the human-readable formats. Templates are data, apart from logic."""

from __future__ import annotations

from reviewvet.model.challenge import ChallengeOutcome
from reviewvet.model.checks import FindingVerdict, LineCheck, QuoteCheck, SymbolCheck, Verdict
from reviewvet.model.checks import ClaimProvenance, FindingProvenance
from reviewvet.model.rules import AgentRow
from reviewvet.rules.accounting import severity_summary
from reviewvet.model.rules import Decision, RuleHit

QUOTE_TEMPLATES = {
    "exact": "found verbatim at {span}",
    "normalised": "found at {span} (whitespace differs)",
    "elided": "found at {span}, with the elided parts skipped",
    "reflowed": "found at {span} (re-wrapped prose)",
    "abbreviated": "found at {span}, abbreviated (lines left out, joined or annotated by the reviewer)",
    "other-file": "found at {span}, not in the claimed file",
    "base-only": "found only at the merge base, {span}",
    "earlier-version": "found in an earlier version of the pull request ({span} at {rev}), gone by head",
    "near-miss": "not found; closest is {span} ({similarity} alike)",
    "absent": "not found anywhere at head or at the merge base",
    "no-file": "not found: the claimed file does not exist",
    "unknown": "could not be checked",
    "not-checked": "not checked",
}
LINE_TEMPLATES = {
    "exact": "exact",
    "contained": "contains the {basis} at {actual}",
    "drifted": "drifted by {drift} (the {basis} is at {actual})",
    "stale": "stale: matches the merge base; at head the {basis} is at {actual}",
    "wrong": "wrong: the {basis} is at {actual}",
    "at-base": "matches the quoted code at the merge base ({actual}); head no longer has it",
    "unverified": "in range, nothing to compare with",
    "file-missing": "file does not exist",
    "base-only": "file exists only at the merge base",
    "unknown": "could not be checked",
}


def describe_quote(q: QuoteCheck) -> str:
    similarity = f"{q.near_miss.similarity:.0%}" if q.near_miss else ""
    text = QUOTE_TEMPLATES[q.status].format(span=q.span.text() if q.span else "?", similarity=similarity,
                                            rev=q.span.rev[:8] if q.span else "?")
    if q.status in ("unknown", "not-checked", "no-file") and q.reason:
        text += f": {q.reason}"
    if q.grade and q.grade != "confirmed":
        text += f" [{q.grade}]"
    if q.symbol:
        text += f", in {q.symbol}"
    return text


GRADE_SENTENCES = {
    "confirmed": "what the finding quotes and cites is there",
    "refuted": "the reviewer's error is the only explanation left",
    "doubtful": "something does not match, but it could be explained",
    "unverifiable": "the code changed since the review, or nothing could be checked",
}
EVIDENCE_NAMES = {"reviewed-head": "at the reviewed head", "user-given-head": "at the head given",
                  "substitute-head": "at a substitute head", "flattened": "in a flattened document"}


def describe_verdict(v: Verdict | None) -> list[str]:
    """``REFUTED at the reviewed head: …`` then one line per reason."""
    if v is None:
        return []
    head = f"{v.grade.upper()} {EVIDENCE_NAMES.get(v.evidence, v.evidence)}: {GRADE_SENTENCES[v.grade]}"
    return [head, *v.reasons[:4]]


def describe_differences(q: QuoteCheck) -> list[str]:
    if not q.near_miss:
        return []
    return [f"quoted {d.quoted!r}, source has {d.actual!r}" for d in q.near_miss.differences[:3]]


def describe_line(c: LineCheck) -> str:
    actual = c.actual.text() if c.actual else "?"
    drift = f"{c.drift:+d} lines" if c.drift is not None else ""
    template = LINE_TEMPLATES[c.status] if c.actual or c.status != "wrong" else "wrong"
    text = template.format(basis=c.basis or "code", actual=actual, drift=drift)
    if c.status in ("unknown", "file-missing", "wrong", "unverified", "base-only") and c.reason and not c.actual:
        text += f": {c.reason}"
    return text


def severity_tag(severity: str | None, label: str | None) -> str:
    parts = [p for p in (severity, label) if p]
    return f"({', '.join(parts)})" if parts else ""


SYMBOL_TEMPLATES = {
    "found": "{identifier} is {where}",
    "ambiguous": "{identifier} names {count} symbols: {where}",
    "base-only": "{identifier} exists only at the merge base ({where})",
    "external": "{identifier} is from outside the repository",
    "unresolved": "{identifier}: its package is neither imported nor in the repository",
    "text-only": "{identifier} is in the source but defined nowhere",
    "nowhere": "{identifier} appears nowhere in the repository",
}


def describe_symbol(c: SymbolCheck) -> str:
    where = ", ".join(span.text() for span in c.locations[:3])
    return SYMBOL_TEMPLATES[c.status].format(identifier=c.identifier, where=where, count=len(c.symbols))


def describe_symbols(checks: tuple[SymbolCheck, ...]) -> list[str]:
    """One line per symbol that needs a reader's eye; found ones folded into a single line."""
    found = [c.identifier for c in checks if c.status == "found"]
    lines = [describe_symbol(c) + (f" (named as {c.role}: not demanded)" if c.role != "asserted" else "")
             for c in checks if c.status not in ("found", "text-only", "external")]
    if found:
        lines.insert(0, "symbols found: " + ", ".join(found))
    return lines


def describe_claim_provenance(c: ClaimProvenance) -> str:
    """``gap: pre-existing (776b8f77, 2026-02-26)`` in the way the seed reviews write it."""
    where = f"{c.path}:{c.start}" + (f"-{c.end}" if c.end != c.start else "")
    if c.status == "regression":
        text = "regression: new in " + ", ".join(x.sha[:8] for x in c.pr_commits)
    elif c.status in ("gap", "widened"):
        text = f"{c.status}: pre-existing ({c.old_commits[0].short()})" if c.old_commits else c.status
        if c.widened_by:
            w = c.widened_by[0]
            commits = ", ".join(x.sha[:8] for x in w.commits)
            text += f", exposure widened: the PR changed its {w.relation} {w.symbol}" + (
                f" in {commits}" if commits else "")
    elif c.status == "mixed":
        text = (f"mixed: lines {_runs(c.new_lines)} new in " + ", ".join(x.sha[:8] for x in c.pr_commits)
                + (f"; the rest pre-existing ({c.old_commits[0].short()})" if c.old_commits else ""))
    elif c.status == "removed-by-PR":
        text = "removed by the PR (the quoted code exists only at the merge base)"
    else:
        text = f"unknown: {c.reason}"
    if c.base_symbol is not None:
        text += f"; at the merge base {c.base_symbol.symbol.rsplit('/', 1)[-1]} was {c.base_symbol.status}"
    return f"{where} ({c.source}{', primary' if c.primary else ''}) {text}"


def describe_provenance(p: FindingProvenance) -> str:
    label = f"labelled {p.claimed}" if p.claimed else "no regression/gap label"
    return f"provenance {p.status}; {label}: {p.agreement}"


def _runs(lines: tuple[int, ...]) -> str:
    out: list[str] = []
    for line in lines:
        if out and out[-1].split("-")[-1] == str(line - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{line}"
        else:
            out.append(str(line))
    return ", ".join(out)


def describe_decision(d: Decision) -> list[str]:
    """The rules' verdict on a finding, then one line per rule that fired."""
    if not d.hits:
        return []
    parts = []
    if d.false_positive:
        parts.append("FALSE POSITIVE")
    if d.merged_into:
        parts.append(f"merged into {d.merged_into}")
    if d.severity != d.claimed_severity:
        parts.append(f"severity {d.claimed_severity} -> {d.severity}")
    if d.label != d.claimed_label and d.label:
        parts.append(f"label {d.claimed_label or 'none'} -> {d.label}")
    lines = ["decision: " + ("; ".join(parts) if parts else "unchanged")]
    notes = {n.split(":", 1)[0]: n.split(":", 1)[1].strip() for n in d.notes if ":" in n}
    for hit in d.hits:
        detail = notes.get(hit.code) or hit.effect
        lines.append(f"{hit.code} {hit.name}" + (f": {detail}" if detail else ""))
    return lines


ACCOUNTING_HEADERS = ("agent", "findings", "kept", "quotes ok", "false pos.", "downgraded", "dropped",
                      "mislabelled", "unique", "coverage", "design obs.")


def accounting_rows(rows: tuple[AgentRow, ...]) -> list[tuple[str, ...]]:
    return [
        (r.model, severity_summary(r.findings), severity_summary(r.final), f"{r.quotes_verified}/{r.quotes_checked}",
         str(r.false_positives), str(r.downgraded), str(r.dropped), str(r.mislabelled), str(r.unique_insights),
         f"{r.coverage:.0%}", str(r.design_observations))
        for r in rows
    ]


# -- one line per finding, for the formats that post to a pull request ----------------------------

GENERIC_RULE = "RV000"  # the rule a finding is filed under when no rule decided anything about it


def deciding_rule(decision: Decision | None) -> str:
    """The rule a finding is filed under: one that made it a false positive, else one that changed it,
    else any other — location rules (RV2xx) last, since they come and go as lines move."""
    if decision is None or not decision.hits:
        return GENERIC_RULE

    def rank(hit: RuleHit) -> tuple[bool, bool, bool, str]:
        return (not hit.false_positive, not hit.changed, hit.code.startswith("RV2"), hit.code)

    return min(decision.hits, key=rank).code


def verdict_word(fv: FindingVerdict, decision: Decision | None) -> str:
    """What reviewvet makes of a finding, in two words at most: ``false positive`` when the rules say
    so, else the verdict's grade (``confirmed``, ``refuted``, ``doubtful``, ``unverifiable``), else
    ``unchecked``."""
    if decision is not None and decision.false_positive:
        return "false positive"
    return fv.verdict.grade if fv.verdict is not None else "unchecked"


def headline(fv: FindingVerdict, decision: Decision | None, challenge: ChallengeOutcome | None = None) -> str:
    """``[verdict] key: title — the rules' notes``: the verdict first, so a reader skimming comments
    knows at once whether to trust the finding; then, in brackets, what its challenge came to."""
    f = fv.finding
    text = f"[{verdict_word(fv, decision)}] {f.key}: {f.title}"
    if decision is not None and decision.notes:
        text += " — " + "; ".join(decision.notes)
    if challenge is not None:
        text += f" [{describe_challenge(challenge, reason=False)}]"
    return text


# -- a refuted or doubtful finding's challenge ------------------------------------------------------

CHALLENGE_ANSWERS = {"withdraw": "withdrawn", "amend": "amended", "defend": "defended"}


def describe_challenge(c: ChallengeOutcome, *, reason: bool = True) -> str:
    """What came of a finding's challenge, in one sentence: ``challenged (anthropic:claude-x): amended —
    re-verified confirmed: survived; reason: …``, ``… withdrawn; reason: …`` or ``challenge failed
    (anthropic:claude-x): …``. Without ``reason``, the short form the one-line formats append."""
    who = f"{c.provider}:{c.model}"
    if c.outcome == "failed":
        return f"challenge failed ({who})" + (f": {c.reason}" if reason and c.reason else "")
    text = f"challenged ({who}): {CHALLENGE_ANSWERS[c.outcome]}"
    if c.outcome != "withdraw":
        checked = f"re-verified {c.regrade}" if c.regrade else "nothing re-verified"
        text += f" — {checked}: {'survived' if c.survived else 'did not survive'}"
    return text + (f"; reason: {c.reason}" if reason and c.reason else "")

"""Markdown output: a report a person can paste into a pull request."""

from __future__ import annotations

from reviewvet.model.checks import FindingVerdict
from reviewvet.model.verification import Verification
from reviewvet.report import PLAIN, RenderOptions
from reviewvet.report.data import summary_data
from reviewvet.report.escape import visible
from reviewvet.report.text import (
    ACCOUNTING_HEADERS,
    accounting_rows,
    describe_challenge,
    describe_claim_provenance,
    describe_decision,
    describe_differences,
    describe_line,
    describe_provenance,
    describe_quote,
    describe_symbols,
    describe_verdict,
    severity_tag,
)


def render(v: Verification, options: RenderOptions = PLAIN) -> str:
    out = [f"# reviewvet: {_escape(v.review.title or v.review.source)}", ""]
    out += _revisions(v)
    summary = summary_data(v)
    out += ["## Summary", "", "| status | findings |", "|---|---|"]
    out += [f"| {status} | {count} |" for status, count in sorted(summary["by_status"].items())]
    if summary["by_flag"]:
        out += ["", "| flag | findings |", "|---|---|"]
        out += [f"| `{flag}` | {count} |" for flag, count in sorted(summary["by_flag"].items())]
    if "challenges" in summary:
        out += ["", "| challenge | findings |", "|---|---|"]
        out += [f"| {outcome} | {count} |" for outcome, count in summary["challenges"].items()]
    if v.accounting:
        out += ["", "## Agents", "", "| " + " | ".join(ACCOUNTING_HEADERS) + " |",
                "|" + "---|" * len(ACCOUNTING_HEADERS)]
        out += ["| " + " | ".join(_escape(c) for c in row) + " |" for row in accounting_rows(v.accounting)]
    out += ["", "## Findings", ""]
    for fv in v.verdicts:
        out += _finding(fv)
        decision = v.decisions.get(fv.finding.key)
        lines = describe_decision(decision) if decision else []
        if lines:
            out.insert(len(out) - 1, f"- **{_escape(lines[0])}**")
            out[len(out) - 1:len(out) - 1] = [f"  - `{_escape(x.split(' ', 1)[0])}` {_escape(x.split(' ', 1)[1])}"
                                              for x in lines[1:]]
        challenge = v.challenge(fv.finding.key)
        if challenge is not None:
            out.insert(len(out) - 1, f"- {_escape(describe_challenge(challenge))}")
    if v.review.warnings:
        out += ["## Parse warnings", ""]
        out += [f"- line {w.line}: {_escape(w.message)}" for w in v.review.warnings]
    return "\n".join(out).rstrip() + "\n"


def _revisions(v: Verification) -> list[str]:
    rv = v.revisions
    lines = [f"- head: `{visible(rv.head_rev)}` = `{rv.head[:12]}`"]
    if rv.base:
        lines.append(f"- base: `{visible(rv.base_rev or '')}` = `{rv.base[:12]}`")
    lines.append(f"- merge base: `{(rv.merge_base or 'none')[:12]}` ({rv.merge_base_source})")
    lines.append(f"- evidence: {rv.head_evidence} (head chosen by {rv.head_source})")
    check = rv.head_check
    if check.named:
        missing, unreachable = _escape(", ".join(check.missing)), _escape(", ".join(check.unreachable))
        lines.append(f"- review names {len(check.named)} commit(s): {len(check.found)} found, "
                     f"{len(check.missing)} missing" + (f" ({missing})" if check.missing else "")
                     + (f"; no ref reaches {unreachable}" if check.unreachable else ""))
    for cand in check.candidates[:3]:
        lines.append(f"  - candidate head `{cand.sha[:12]}` {_escape(repr(cand.subject))}: "
                     f"{cand.matched}/{cand.total} subjects")
    lines += [f"- note: {_escape(n)}" for n in rv.notes]
    return [*lines, ""]


def _finding(fv: FindingVerdict) -> list[str]:
    f = fv.finding
    who = f" — {_escape(', '.join(f.agents))}" if f.agents else ""
    flags = ", ".join(f"`{x}`" for x in fv.flags) or "none"
    out = [f"### {_escape(f.key)} {_escape(f.title)} {_escape(severity_tag(f.severity, f.label))}{who}", ""]
    verdict = describe_verdict(fv.verdict)
    if verdict:
        out += [f"**Verdict: {_escape(verdict[0])}**", ""] + [f"- {_escape(r)}" for r in verdict[1:]]
        out += [""] if verdict[1:] else []
    out += [f"**{fv.status}** — flags: {flags} — review line {f.line}", ""]
    for q in fv.quotes:
        out.append(f"- block {q.block + 1} ({q.role}, review line {q.block_line}): {_escape(describe_quote(q))}")
        out += [f"  - {_escape(d)}" for d in describe_differences(q)]
    for c in fv.lines:
        out.append(f"- `{visible(c.reference.written)}`: {_escape(describe_line(c))}")
    out += [f"- {_escape(text)}" for text in describe_symbols(fv.symbols)]
    if fv.provenance is not None and fv.provenance.claims:
        out.append(f"- {_escape(describe_provenance(fv.provenance))}")
        out += [f"  - {_escape(describe_claim_provenance(c))}" for c in fv.provenance.claims]
    for p in fv.paths:
        if p.status != "exact":
            out.append(f"- path `{visible(p.claimed)}`: {p.status}" + (f" — {_escape(p.reason)}" if p.reason else ""))
    return [*out, ""]


def _escape(text: str) -> str:
    """Outside text on one line: newlines become spaces, other control characters are spelled out."""
    return visible(text.replace("\n", " ")).replace("|", "\\|")

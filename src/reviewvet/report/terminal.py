"""Terminal output through rich: colour on a terminal, plain text when piped."""

from __future__ import annotations

import io

from reviewvet.checks.model import FindingVerdict
from reviewvet.pipeline import Verification
from reviewvet.report.data import summary_data
from reviewvet.report.escape import visible
from reviewvet.report.text import (
    ACCOUNTING_HEADERS,
    accounting_rows,
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

STATUS_STYLE = {"verified": "green", "problems": "red", "unchecked": "yellow"}
GRADE_STYLE = {"confirmed": "green", "refuted": "red", "doubtful": "yellow", "unverifiable": "magenta"}
QUOTE_STYLE = {"exact": "green", "normalised": "green", "elided": "green", "reflowed": "green",
               "abbreviated": "green", "earlier-version": "yellow",
               "other-file": "yellow", "base-only": "yellow", "near-miss": "red", "absent": "red",
               "no-file": "red", "unknown": "magenta", "not-checked": "dim"}
LINE_STYLE = {"exact": "green", "contained": "green", "drifted": "yellow", "stale": "yellow", "wrong": "red",
              "unverified": "dim", "file-missing": "red", "base-only": "yellow", "unknown": "magenta",
              "at-base": "yellow"}


def render(v: Verification, *, color: bool = False, width: int = 120) -> str:
    from rich.console import Console
    from rich.markup import escape as markup_escape
    from rich.table import Table

    def escape(text: str) -> str:  # outside text: control characters spelled out, then markup escaped
        return markup_escape(visible(text))

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False,
                      emoji=False)
    rv = v.revisions
    console.print(f"[bold]reviewvet[/] {escape(v.review.title or v.review.source)}")
    console.print(f"head {escape(rv.head_rev)} = {rv.head[:12]}   merge base {(rv.merge_base or 'none')[:12]}"
                  f" ({rv.merge_base_source})" + (f"   base {escape(rv.base_rev or '')}" if rv.base_rev else ""))
    check = rv.head_check
    if check.missing or check.unreachable:
        if check.missing:
            console.print(f"[yellow]the review's commit(s) {escape(', '.join(check.missing))} are not in the "
                          "repository[/]")
        if check.unreachable:
            console.print(f"[yellow]the review's commit(s) {escape(', '.join(check.unreachable))} exist but no ref "
                          "reaches them (force-pushed away?)[/]")
        for cand in check.candidates[:3]:
            console.print(f"  candidate head {cand.sha[:12]} {escape(cand.subject)} "
                          f"({cand.matched}/{cand.total} subjects)")
    elif check.named:
        console.print(f"the review's commit(s) exist here: {escape(', '.join(n for n, _ in check.found))}")
    console.print(f"evidence: {rv.head_evidence} (head chosen by {rv.head_source})")
    for note in rv.notes:
        console.print(f"[dim]note: {escape(note)}[/]")
    console.print()
    for fv in v.verdicts:
        _finding(console, fv, escape)
        for line in describe_decision(v.decisions[fv.finding.key]) if fv.finding.key in v.decisions else []:
            console.print(f"          [cyan]{escape(line)}[/]")
    table = Table(title="Summary", show_edge=False)
    table.add_column("status")
    table.add_column("findings", justify="right")
    summary = summary_data(v)
    for status, count in sorted(summary["by_status"].items()):
        table.add_row(f"[{STATUS_STYLE.get(status, '')}]{status}[/]", str(count))
    for grade, count in sorted(summary["by_verdict"].items()):
        table.add_row(f"verdict [{GRADE_STYLE.get(grade, '')}]{grade}[/]", str(count))
    for flag, count in sorted(summary["by_flag"].items()):
        table.add_row(f"flag {flag}", str(count))
    console.print(table)
    if v.accounting:
        agents = Table(title="Agents", show_edge=False)
        for header in ACCOUNTING_HEADERS:
            agents.add_column(header, justify="left" if header == "agent" else "right")
        for row in accounting_rows(v.accounting):
            agents.add_row(*(escape(cell) for cell in row))
        console.print(agents)
    if v.review.warnings:
        console.print(f"[dim]{len(v.review.warnings)} parse warning(s); --format json lists them[/]")
    return buffer.getvalue()


def _finding(console, fv: FindingVerdict, escape) -> None:  # type: ignore[no-untyped-def]
    f = fv.finding
    style = STATUS_STYLE.get(fv.status, "default")
    who = f" [dim]{escape(', '.join(f.agents))}[/]" if f.agents else ""
    console.print(f"[{style}]{fv.status.upper():9}[/] [bold]{escape(f.key)}[/] {escape(f.title)} "
                  f"{escape(severity_tag(f.severity, f.label))}{who}")
    verdict = describe_verdict(fv.verdict)
    if verdict and fv.verdict is not None:
        console.print(f"          verdict: [{GRADE_STYLE[fv.verdict.grade]}]{escape(verdict[0])}[/]")
        for reason in verdict[1:]:
            console.print(f"            [dim]{escape(reason)}[/]")
    if fv.flags:
        console.print(f"          flags: [{style}]{', '.join(fv.flags)}[/]")
    for q in fv.quotes:
        qs = QUOTE_STYLE.get(q.status, "default")
        console.print(f"          quote {q.block + 1} ({q.role}, line {q.block_line}): "
                      f"[{qs}]{escape(describe_quote(q))}[/]")
        for d in describe_differences(q):
            console.print(f"            {escape(d)}")
    for c in fv.lines:
        console.print(f"          {escape(c.reference.written)}: [{LINE_STYLE.get(c.status, 'default')}]"
                      f"{escape(describe_line(c))}[/]")
    for text in describe_symbols(fv.symbols):
        console.print(f"          {escape(text)}")
    if fv.provenance is not None and fv.provenance.claims:
        console.print(f"          {escape(describe_provenance(fv.provenance))}")
        for claim in fv.provenance.claims:
            console.print(f"            {escape(describe_claim_provenance(claim))}")
    for p in fv.paths:
        if p.status not in ("exact",):
            console.print(f"          path {escape(p.claimed)}: {p.status} {escape(p.reason)}")

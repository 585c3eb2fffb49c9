"""Terminal output through rich: colour on a terminal, plain text when piped."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from reviewvet.model.challenge import ChallengeOutcome
from reviewvet.model.checks import FindingProvenance, FindingVerdict, QuoteCheck, Verdict
from reviewvet.model.rules import AgentRow
from reviewvet.model.source import HeadCheck, Revisions
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

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

Escape = Callable[[str], str]  # outside text made safe to print as rich markup

STATUS_STYLE = {"verified": "green", "problems": "red", "unchecked": "yellow"}
GRADE_STYLE = {"confirmed": "green", "refuted": "red", "doubtful": "yellow", "unverifiable": "magenta"}
QUOTE_STYLE = {"exact": "green", "normalised": "green", "elided": "green", "reflowed": "green",
               "abbreviated": "green", "earlier-version": "yellow",
               "other-file": "yellow", "base-only": "yellow", "near-miss": "red", "absent": "red",
               "no-file": "red", "unknown": "magenta", "not-checked": "dim"}
METRIC_COLUMN, AGENT_COLUMN = 14, 14  # the narrow layout: metric names, then one column per agent
WARNINGS_SHOWN = 10
LINE_STYLE = {"exact": "green", "contained": "green", "drifted": "yellow", "stale": "yellow", "wrong": "red",
              "unverified": "dim", "file-missing": "red", "base-only": "yellow", "unknown": "magenta",
              "at-base": "yellow"}


def render(v: Verification, options: RenderOptions = PLAIN) -> str:
    from rich.console import Console
    from rich.markup import escape as markup_escape

    color, width = options.color, options.width

    def escape(text: str) -> str:  # outside text: control characters spelled out, then markup escaped
        return markup_escape(visible(text))

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False,
                      emoji=False)
    console.print(f"[bold]reviewvet[/] {escape(v.review.title or v.review.source)}")
    for line in _revision_lines(v.revisions, escape):
        console.print(line)
    console.print()
    for fv in v.verdicts:
        _finding(console, fv, escape)
        for line in describe_decision(v.decisions[fv.finding.key]) if fv.finding.key in v.decisions else []:
            console.print(f"          [cyan]{escape(line)}[/]")
        for line in _challenge_lines(v.challenge(fv.finding.key), escape):
            console.print(line)
    console.print(_summary_table(v))
    for table in _agents_tables(v.accounting, escape, width):
        console.print(table)
    for line in _warning_lines(v, escape):
        console.print(line)
    return buffer.getvalue()


def _warning_lines(v: Verification, escape: Escape) -> list[str]:
    """What the parser could not read in the review: a finding it may have missed is a finding unchecked."""
    warnings = v.review.warnings
    if not warnings:
        return []
    shown = [f"[yellow]review line {w.line}:[/] {escape(w.message)}" for w in warnings[:WARNINGS_SHOWN]]
    more = [f"[dim]and {len(warnings) - WARNINGS_SHOWN} more; --format json lists them all[/]"] \
        if len(warnings) > WARNINGS_SHOWN else []
    return [f"[yellow]{len(warnings)} parse warning(s):[/]", *shown, *more]


def _revision_lines(rv: Revisions, escape: Escape) -> list[str]:
    """The revisions verified, whether the review's own commits are here, and the notes on choosing them."""
    return [f"head {escape(rv.head_rev)} = {rv.head[:12]}   merge base {(rv.merge_base or 'none')[:12]}"
            f" ({rv.merge_base_source})" + (f"   base {escape(rv.base_rev or '')}" if rv.base_rev else ""),
            *_head_check_lines(rv.head_check, escape),
            f"evidence: {rv.head_evidence} (head chosen by {rv.head_source})",
            *(f"[dim]note: {escape(note)}[/]" for note in rv.notes)]


def _head_check_lines(check: HeadCheck, escape: Escape) -> list[str]:
    """The review's commits that are missing or unreachable here, with candidate heads; else those found."""
    lines = []
    if check.missing:
        lines.append(f"[yellow]the review's commit(s) {escape(', '.join(check.missing))} are not in the "
                     "repository[/]")
    if check.unreachable:
        lines.append(f"[yellow]the review's commit(s) {escape(', '.join(check.unreachable))} exist but no ref "
                     "reaches them (force-pushed away?)[/]")
    if lines:
        return lines + [f"  candidate head {cand.sha[:12]} {escape(cand.subject)} "
                        f"({cand.matched}/{cand.total} subjects)" for cand in check.candidates[:3]]
    if check.named:
        return [f"the review's commit(s) exist here: {escape(', '.join(n for n, _ in check.found))}"]
    return []


def _summary_table(v: Verification) -> Table:
    from rich.table import Table

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
    for outcome, count in summary.get("challenges", {}).items():
        table.add_row(f"challenge {outcome}", str(count))
    return table


def _challenge_lines(c: ChallengeOutcome | None, escape: Escape) -> list[str]:
    """What came of the finding's challenge: green when it survived, red when it did not, magenta when the
    challenge failed."""
    if c is None:
        return []
    style = "green" if c.survived else ("magenta" if c.outcome == "failed" else "red")
    return [f"          [{style}]{escape(describe_challenge(c))}[/]"]


def _agents_tables(accounting: tuple[AgentRow, ...], escape: Escape, width: int) -> list[Table]:
    """One row per agent when the terminal is wide enough for every column; else one column per agent
    (a few agents a table), so that no header or figure is cut to an ellipsis."""
    from rich.console import Console
    from rich.table import Table

    rows = [tuple(escape(cell) for cell in row) for row in accounting_rows(accounting)]
    if not rows:
        return []
    agents = Table(title="Agents", show_edge=False)
    for header in ACCOUNTING_HEADERS:
        agents.add_column(header, justify="left" if header == "agent" else "right")
    for row in rows:
        agents.add_row(*row)
    if Console(width=10 * width).measure(agents).maximum <= width:  # every header and figure whole
        return [agents]
    per_table = max(1, (width - METRIC_COLUMN) // AGENT_COLUMN)
    tables = []
    for start in range(0, len(rows), per_table):
        chunk = rows[start:start + per_table]
        table = Table(title="Agents" if start == 0 else None, show_edge=False)
        table.add_column("", min_width=METRIC_COLUMN - 3)
        for row in chunk:
            table.add_column(row[0], justify="right")
        for i, header in enumerate(ACCOUNTING_HEADERS[1:], start=1):
            table.add_row(header, *(row[i] for row in chunk))
        tables.append(table)
    return tables


def _finding(console: Console, fv: FindingVerdict, escape: Escape) -> None:
    f = fv.finding
    style = STATUS_STYLE.get(fv.status, "default")
    who = f" [dim]{escape(', '.join(f.agents))}[/]" if f.agents else ""
    lines = [f"[{style}]{fv.status.upper():9}[/] [bold]{escape(f.key)}[/] {escape(f.title)} "
             f"{escape(severity_tag(f.severity, f.label))}{who}",
             *_verdict_lines(fv.verdict, escape),
             *([f"          flags: [{style}]{', '.join(fv.flags)}[/]"] if fv.flags else []),
             *_quote_lines(fv.quotes, escape),
             *(f"          {escape(c.reference.written)}: [{LINE_STYLE.get(c.status, 'default')}]"
               f"{escape(describe_line(c))}[/]" for c in fv.lines),
             *(f"          {escape(text)}" for text in describe_symbols(fv.symbols)),
             *_provenance_lines(fv.provenance, escape),
             *(f"          path {escape(p.claimed)}: {p.status} {escape(p.reason)}"
               for p in fv.paths if p.status not in ("exact",))]
    for line in lines:
        console.print(line)


def _verdict_lines(verdict: Verdict | None, escape: Escape) -> list[str]:
    described = describe_verdict(verdict)
    if not described or verdict is None:
        return []
    return [f"          verdict: [{GRADE_STYLE[verdict.grade]}]{escape(described[0])}[/]",
            *(f"            [dim]{escape(reason)}[/]" for reason in described[1:])]


def _quote_lines(quotes: tuple[QuoteCheck, ...], escape: Escape) -> list[str]:
    """Each quote's place and status, then how it differs from the source."""
    lines = []
    for q in quotes:
        lines.append(f"          quote {q.block + 1} ({q.role}, line {q.block_line}): "
                     f"[{QUOTE_STYLE.get(q.status, 'default')}]{escape(describe_quote(q))}[/]")
        lines += [f"            {escape(d)}" for d in describe_differences(q)]
    return lines


def _provenance_lines(provenance: FindingProvenance | None, escape: Escape) -> list[str]:
    if provenance is None or not provenance.claims:
        return []
    return [f"          {escape(describe_provenance(provenance))}",
            *(f"            {escape(describe_claim_provenance(claim))}" for claim in provenance.claims)]

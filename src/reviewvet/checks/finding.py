"""Every check of one finding, and the provenance of many findings in one batch of blame."""

from __future__ import annotations

from dataclasses import replace

from reviewvet.checks.context import CheckContext
from reviewvet.checks.flags import flags_for
from reviewvet.checks.lines import check_lines
from reviewvet.checks.quotes import check_quotes
from reviewvet.checks.symbols import check_symbols
from reviewvet.checks.verdict import finding_verdict
from reviewvet.model.checks import LOCATED, FindingVerdict, QuoteCheck, SymbolCheck
from reviewvet.model.review import Finding
from reviewvet.model.source import Revisions


def check_finding(ctx: CheckContext, finding: Finding) -> FindingVerdict:
    paths = tuple(dict((r.path, ctx.resolve(r.path)) for r in finding.references if r.path).values())
    quotes = check_quotes(ctx, finding)
    symbols: list[SymbolCheck] = []
    if ctx.options.symbols:
        quotes = [_with_enclosing_symbol(ctx, q) for q in quotes]
        symbols = check_symbols(ctx, finding)
    lines = check_lines(ctx, finding, quotes)
    flags = flags_for(quotes, lines, [p.status for p in paths], symbols)
    foreign = {p.claimed for p in paths if p.status == "missing" and ctx.never_had(p.claimed)}
    graded_lines = tuple(c for c in lines if c.reference.path not in foreign)
    verdict = finding_verdict(tuple(quotes), graded_lines, tuple(symbols), ctx.evidence, flattened=ctx.flattened)
    return FindingVerdict(finding, paths, tuple(quotes), tuple(lines), flags, tuple(symbols), verdict=verdict)


def _with_enclosing_symbol(ctx: CheckContext, quote: QuoteCheck) -> QuoteCheck:
    if quote.span is None or quote.status not in LOCATED:
        return quote
    index = ctx.base_index() if quote.span.side == "base" else ctx.head_index()
    symbol = index.table.enclosing(quote.span.path, quote.span.start, quote.span.end) if index is not None else None
    return replace(quote, symbol=symbol.id) if symbol else quote


def add_provenance(ctx: CheckContext, revisions: Revisions, verdicts: tuple[FindingVerdict, ...]
                   ) -> tuple[FindingVerdict, ...]:
    """Blame every claim of every finding in one batch, then classify each finding."""
    from reviewvet.checks.provenance import claims_of, provenance_for, summarise

    if revisions.merge_base is None:
        reason = "no merge base: " + "; ".join(revisions.notes) if revisions.notes else "no merge base"
        return tuple(replace(v, provenance=summarise(v.finding, [], reason)) for v in verdicts)
    claims = [claims_of(v.finding, list(v.quotes), list(v.lines), list(v.symbols)) for v in verdicts]
    out = []
    for v, classified in zip(verdicts, provenance_for(ctx, revisions.merge_base, revisions.head, claims),
                             strict=True):
        provenance = summarise(v.finding, classified)
        flags = v.flags + (("mislabelled-provenance",) if provenance.agreement == "mislabelled" else ())
        out.append(replace(v, provenance=provenance, flags=flags))
    return tuple(out)

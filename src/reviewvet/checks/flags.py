"""Flags: the named problems a finding's checks reveal. Their descriptions are data."""

from __future__ import annotations

from reviewvet.model.checks import LineCheck, QuoteCheck, SymbolCheck
from reviewvet.model.flags import FLAGS


_QUOTE_FLAGS = {
    "absent": "hallucinated-quote",
    "near-miss": "near-miss-quote",
    "other-file": "wrong-path",
    "base-only": "quote-removed",
    "earlier-version": "quote-changed",
    "no-file": "missing-file",
    "unknown": "unknown",
}
_LINE_FLAGS = {
    "wrong": "wrong-line",
    "drifted": "line-drift",
    "stale": "stale-lines",
    "file-missing": "missing-file",
    "unknown": "unknown",
}


def flags_for(
    quotes: list[QuoteCheck],
    lines: list[LineCheck],
    path_statuses: list[str],
    symbols: tuple[SymbolCheck, ...] | list[SymbolCheck] = (),
) -> tuple[str, ...]:
    found: set[str] = set()
    if any(s.status == "nowhere" and s.grade in ("refuted", "doubtful") for s in symbols):
        found.add("hallucinated-symbol")
    found.update(_QUOTE_FLAGS[q.status] for q in quotes if q.status in _QUOTE_FLAGS)
    found.update(_LINE_FLAGS[c.status] for c in lines if c.status in _LINE_FLAGS)
    if "ambiguous" in path_statuses:
        found.add("ambiguous-path")
    if "unsafe" in path_statuses:
        found.add("unsafe-path")
    return tuple(flag for flag in FLAGS if flag in found)

"""Flags: the named problems a finding's checks reveal. Their descriptions are data."""

from __future__ import annotations

from reviewvet.model.checks import LineCheck, QuoteCheck, SymbolCheck

FLAGS = {
    "hallucinated-quote": "a quoted block exists neither at head nor at the merge base",
    "near-miss-quote": "a quoted block differs slightly from the closest source text",
    "wrong-path": "a quoted block lives in a different file than the one claimed",
    "quote-removed": "a quoted block exists only at the merge base (the pull request removed or changed it)",
    "missing-file": "a claimed file exists neither at head nor at the merge base",
    "ambiguous-path": "a claimed path matches several files",
    "unsafe-path": "a claimed path is absolute, climbs out with '..', or goes through a symbolic link",
    "wrong-line": "a line claim points far from where the code is",
    "line-drift": "a line claim is off by a few lines",
    "stale-lines": "a line claim matches the merge base, not head",
    "quote-changed": "a quoted block exists only in an earlier version of the pull request: the code changed since",
    "hallucinated-symbol": "an identifier the finding asserts exists appears in no file at head or at the merge base",
    "mislabelled-provenance": "labelled regression while blame says the code predates the merge base, or the reverse",
    "unknown": "a check could not decide (the reason is given)",
}

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

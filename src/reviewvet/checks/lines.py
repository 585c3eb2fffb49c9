"""Line check: does a ``path:a-b`` claim point where the quoted code (or named identifier) is?"""

from __future__ import annotations

import re

from reviewvet.checks.context import CheckContext
from reviewvet.checks.matching import find_normalised
from reviewvet.model.checks import LineStatus, LineCheck, QuoteCheck, Span
from reviewvet.model.review import Finding, Reference
from reviewvet.model.source import FileText


def check_lines(ctx: CheckContext, finding: Finding, quotes: list[QuoteCheck]) -> list[LineCheck]:
    refs = list({(r.path, r.start, r.end): r for r in finding.references}.values())
    assigned = assign_quotes(ctx, refs, quotes)
    return [check_reference(ctx, finding, ref, assigned.get(i)) for i, ref in enumerate(refs)]


def assign_quotes(ctx: CheckContext, refs: list[Reference], quotes: list[QuoteCheck]) -> dict[int, Span]:
    """Pair each located quote with the closest unpaired reference to the same file."""
    pairs = []
    for q in quotes:
        if not ((q.found or q.status == "base-only") and q.span):
            continue
        for i, ref in enumerate(refs):
            resolution = ctx.resolve(ref.path) if ref.path else None
            if resolution and resolution.path == q.span.path and ref.start is not None:
                overlap = 0 if q.span.overlaps(ref.start, ref.end or ref.start) else 1
                pairs.append((overlap, abs(q.span.start - ref.start), i, q.span))
    assigned: dict[int, Span] = {}
    used: set[Span] = set()
    for _, _, i, span in sorted(pairs, key=lambda p: p[:3]):
        if i not in assigned and span not in used:
            assigned[i] = span
            used.add(span)
    return assigned


def check_reference(ctx: CheckContext, finding: Finding, ref: Reference, located: Span | None) -> LineCheck:
    target = _claimed_file(ctx, ref)
    if isinstance(target, LineCheck):
        return target
    path, text = target
    if ref.start is None or ref.end is None:
        return LineCheck(ref, "unverified", path, reason="the claim names a file but no lines")
    if ref.end < ref.start:
        return LineCheck(ref, "unknown", path,
                         reason=f"the range {ref.written!r} runs backwards: which lines are meant cannot be told")
    if located is not None and located.side == "base":
        return _compare_at_base(ref, path, located)
    if located is not None:
        return _compare(ctx, ref, path, located, "quote")
    if ref.end > len(text.lines):
        return LineCheck(ref, "wrong", path,
                         reason=f"the claim ends at line {ref.end}, but {path!r} has {len(text.lines)} lines")
    return _check_by_identifiers(ctx, finding, ref, path, text)


def _claimed_file(ctx: CheckContext, ref: Reference) -> tuple[str, FileText] | LineCheck:
    """The path and head text of the file a claim names, or the check saying why it has none."""
    if not ref.path:
        return LineCheck(ref, "unknown", reason="the review gives no path for this line claim")
    resolution = ctx.resolve(ref.path)
    if resolution.status == "missing":
        return LineCheck(ref, "file-missing", reason=resolution.reason)
    if resolution.status == "base-only":
        return LineCheck(ref, "base-only", resolution.path, reason=resolution.reason)
    if not resolution.usable or resolution.path is None:
        return LineCheck(ref, "unknown", reason=resolution.reason)
    text = ctx.head.file(resolution.path)
    if not isinstance(text, FileText):
        return LineCheck(ref, "unknown", resolution.path, reason=f"{resolution.path!r} {getattr(text, 'reason', '')}")
    return resolution.path, text


def _check_by_identifiers(ctx: CheckContext, finding: Finding, ref: Reference, path: str, text: FileText
                          ) -> LineCheck:
    """With no located quote: compare the claimed lines with where the finding's identifiers are."""
    assert ref.start is not None and ref.end is not None
    spans = identifier_spans(ctx, finding, text)
    definitions = [s for s in spans if s.side == "definition"]
    inside = [s for s in definitions if s.overlaps(ref.start, ref.end)] or [
        s for s in spans if s.overlaps(ref.start, ref.end)]
    if inside:
        return _within_identifier(ref, path, min(inside, key=lambda s: s.end - s.start))
    if len(definitions) == 1 and ref.end - ref.start < 3:
        return _compare(ctx, ref, path, definitions[0], "symbol")
    return LineCheck(ref, "unverified", path,
                     reason="no located quote or named symbol at the claimed lines to compare them with")


def _within_identifier(ref: Reference, path: str, best: Span) -> LineCheck:
    """The claimed lines overlap ``best``, the smallest definition (else mention) of a named identifier."""
    assert ref.start is not None and ref.end is not None
    basis = "symbol" if best.side == "definition" else "identifier"
    if (best.start, best.end) == (ref.start, ref.end):
        return LineCheck(ref, "exact", path, best, 0, basis)
    return LineCheck(ref, "contained", path, best, ref.start - best.start, basis,
                     "the claimed lines lie in a named symbol" if basis == "symbol"
                     else "a named identifier is within the claimed lines")


def _compare(ctx: CheckContext, ref: Reference, path: str, actual: Span, basis: str) -> LineCheck:
    assert ref.start is not None and ref.end is not None
    drift = ref.start - actual.start
    if (ref.start, ref.end) == (actual.start, actual.end):
        return LineCheck(ref, "exact", path, actual, 0, basis)
    if _cites_merge_base(ctx, ref, path, actual):
        return LineCheck(ref, "stale", path, actual, drift, basis,
                         "the claimed lines match the merge base: the review cites old line numbers")
    inside = ref.start <= actual.start and actual.end <= ref.end
    around = actual.start <= ref.start and ref.end <= actual.end
    if (inside or around) and basis == "quote":
        return LineCheck(ref, "contained", path, actual, drift, basis,
                         "the claimed lines contain the quote" if inside else "the claimed lines are part of the quote")
    near = abs(drift) <= ctx.options.max_drift or actual.overlaps(ref.start, ref.end)
    status: LineStatus = "drifted" if near else "wrong"
    return LineCheck(ref, status, path, actual, drift, basis, f"{basis} is at {actual.text()}")


def _compare_at_base(ref: Reference, path: str, located: Span) -> LineCheck:
    assert ref.start is not None and ref.end is not None
    if located.overlaps(ref.start, ref.end):
        return LineCheck(ref, "at-base", path, located, ref.start - located.start, "quote",
                         "the claimed lines hold the quoted code in the merge-base version; head no longer has it")
    return LineCheck(ref, "wrong", path, located, ref.start - located.start, "quote",
                     f"the quoted code was at {located.text()} at the merge base")


def _cites_merge_base(ctx: CheckContext, ref: Reference, path: str, actual: Span) -> bool:
    """Whether the claim lines up with the located text in the merge-base file, but not at head.

    Lined up means the same range, or a range that starts where the text starts and
    contains it (a claim of the whole function whose first lines are quoted).
    """
    if ctx.base is None or ref.start is None or ref.end is None or actual.start == ref.start:
        return False
    old, new = ctx.base.file(path), ctx.head.file(path)
    if not isinstance(old, FileText) or not isinstance(new, FileText):
        return False
    located = list(new.lines[actual.start - 1:actual.end])
    window = old.lines[ref.start - 1:ref.end]
    found = find_normalised(located, tuple(window)) if located else None
    return found is not None and found[0] == 0


def identifier_spans(ctx: CheckContext, finding: Finding, text: FileText) -> list[Span]:
    """Where the finding's identifiers are defined in this file (side "definition", from the
    symbol table) and mentioned (side "mention", by text)."""
    spans: list[Span] = []
    if ctx.options.symbols:
        table = ctx.head_index().table
        for identifier in finding.identifiers:
            spans += [Span(s.path, s.start, s.end, ctx.head.rev, "definition")
                      for s in table.find(identifier) if s.path == text.path]
    for identifier in finding.identifiers:
        name = re.sub(r"^\(\*?\w+\)\.", "", identifier).rstrip("()").rsplit(".", 1)[-1]
        if not name:
            continue
        mention = re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])")
        spans += [Span(text.path, i + 1, i + 1, ctx.head.rev, "mention")
                  for i, line in enumerate(text.lines) if mention.search(line)]
    return spans

"""Symbol claims: does each identifier a finding names exist, and where?

Statuses: ``found`` (one symbol at head), ``ambiguous`` (several), ``base-only`` (only at
the merge base: the PR removed or renamed it), ``external`` (a package the repository
imports from outside, like ``context.WithTimeout``), ``unresolved`` (qualified by a name the
repository neither imports nor contains: a new outside package or an invented one — not
decided), ``text-only`` (no symbol, but the
name is in the source: a field, variable or flag), ``nowhere`` (in no file at head or at
the merge base: a hallucinated symbol).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from reviewvet.model.checks import Span, SymbolCheck

if TYPE_CHECKING:
    from reviewvet.checks.context import CheckContext
    from reviewvet.index.model import Symbol
    from reviewvet.model.review import Finding

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_symbols(ctx: CheckContext, finding: Finding) -> list[SymbolCheck]:
    roles = dict(finding.identifier_roles)
    return [grade_symbol(ctx, finding, replace(check_identifier(ctx, identifier),
                                               role=roles.get(identifier, "asserted")))
            for identifier in finding.identifiers]


def grade_symbol(ctx: CheckContext, finding: Finding, check: SymbolCheck) -> SymbolCheck:
    """Only what a finding asserts exists here must exist. A flattened document's names are guesses
    and never demanded; a name found nowhere is refuted at the reviewed head or a head the user
    vouches for, and doubtful at a substitute head (it may have been renamed since)."""
    evidence = "flattened" if ctx.flattened else ctx.evidence
    if check.status in ("found", "ambiguous", "base-only", "external", "text-only"):
        return replace(check, grade="confirmed", evidence=evidence)
    if check.status != "nowhere" or check.role != "asserted":
        why = f"; not demanded to exist: the finding names it as {check.role}" if check.role != "asserted" else ""
        return replace(check, evidence=evidence, reason=check.reason + why)
    if evidence == "flattened":
        return replace(check, evidence=evidence, reason=check.reason + "; not demanded to exist: the document was "
                       "flattened, so its names are guesses (words run together, code spans lost)")
    name = check.identifier.removesuffix("()").rsplit(".", 1)[-1]
    if ctx.history is not None:
        paths = [r.path or r.claimed for r in (ctx.resolve(ref.path) for ref in finding.references if ref.path)]
        if any(name in words_of([v.text.lines]) for v in ctx.history.versions([p for p in paths if p])):
            return replace(check, grade="unverifiable", evidence=evidence,
                           reason=f"{name!r} is in an earlier version of a claimed file: renamed or removed since")
    if evidence in ("reviewed-head", "user-given-head"):
        return replace(check, grade="refuted", evidence=evidence)
    return replace(check, grade="doubtful", evidence=evidence,
                   reason=f"{check.reason}; the head verified is not the review's own: the name may have changed since")


def check_identifier(ctx: CheckContext, identifier: str) -> SymbolCheck:
    head = ctx.head_index()
    found = head.table.find(identifier) or head.table.find(identifier.lstrip("*&"))
    if found:
        spans = tuple(Span(s.path, s.start, s.end, ctx.head.rev) for s in found)
        ids = tuple(s.id for s in found)
        if len({s.name for s in found}) == 1 and len(found) > 1 and not _same_symbol(found):
            return SymbolCheck(identifier, "ambiguous", ids, spans, f"{len(found)} symbols match")
        return SymbolCheck(identifier, "found", ids, spans)
    base = ctx.base_index()
    at_base = (base.table.find(identifier) or base.table.find(identifier.lstrip("*&"))) if base is not None else []
    if at_base:
        assert ctx.base is not None
        spans = tuple(Span(s.path, s.start, s.end, ctx.base.rev, "base") for s in at_base)
        return SymbolCheck(identifier, "base-only", tuple(s.id for s in at_base), spans,
                           "defined at the merge base only")
    if _external(ctx, identifier):
        return SymbolCheck(identifier, "external", reason="its package is imported from outside the repository")
    name = identifier.removesuffix("()").rsplit(".", 1)[-1]
    if name in ctx.words("head") or name in ctx.words("base"):
        return SymbolCheck(identifier, "text-only", reason=f"{name!r} is in the source, but not as a definition")
    qualifier = _qualifier(identifier)
    if qualifier and qualifier not in ctx.words("head") and qualifier not in ctx.words("base"):
        return SymbolCheck(identifier, "unresolved",
                           reason=f"{qualifier!r} is neither in the repository nor a package it imports: "
                                  "an outside package it does not use yet, or an invented one")
    return SymbolCheck(identifier, "nowhere", reason=f"{name!r} appears in no file at head or at the merge base")


def _same_symbol(found: list[Symbol]) -> bool:
    """Build-tag twins (``kill_unix.go`` / ``kill_windows.go``) define one symbol, not two."""
    return len({(s.package, s.local) for s in found}) == 1


def _qualifier(identifier: str) -> str:
    text = identifier.removesuffix("()").lstrip("*")
    return "" if "." not in text or text.startswith("(") else text.split(".", 1)[0]


def _external(ctx: CheckContext, identifier: str) -> bool:
    """A qualified name whose qualifier is a package the repository imports from outside."""
    qualifier = _qualifier(identifier)
    return bool(qualifier) and ctx.imported_from_outside(qualifier)


def words_of(texts: list[tuple[str, ...]]) -> set[str]:
    words: set[str] = set()
    for lines in texts:
        for line in lines:
            words.update(_WORD.findall(line))
    return words

"""Quote check: is the code a finding quotes really in the repository, and where?

Order of search for one block: the claimed files at head (exact, whitespace-normalised,
elision-aware, and reflowed for prose files), every other file at head (a wrong path),
the claimed files at the merge base (code the PR removed or changed), the closest fuzzy
match in the claimed files (a near miss, with the differing characters), and else absent
(or no-file, when the claimed file itself does not exist).
"""

from __future__ import annotations

from collections.abc import Callable

from reviewvet.checks.context import CheckContext
from reviewvet.checks.matching import (
    PROSE_EXTENSIONS,
    Fuzzy,
    find_elided,
    find_exact,
    find_fuzzy,
    find_normalised,
    find_reflowed,
    has_elision,
    normalise,
    split_segments,
    trim_blank,
)
from reviewvet.checks.model import NearMiss, QuoteCheck, Span
from reviewvet.ingest.model import CodeBlock, Finding
from reviewvet.resolve.snapshot import FileText, PathResolution, Snapshot, Unreadable

Matcher = Callable[[list[str], tuple[str, ...]], "tuple[int, int] | None"]
OUTPUT_LANGUAGES = ("text", "console", "output", "log", "shell-session", "plaintext")
LANGUAGE_EXTENSIONS = {
    "go": (".go",), "bash": (".sh", ".bash", ".bats"), "sh": (".sh", ".bash", ".bats"),
    "shell": (".sh", ".bash", ".bats"), "bats": (".bats", ".bash", ".sh"), "python": (".py",),
    "py": (".py",), "yaml": (".yaml", ".yml"), "yml": (".yaml", ".yml"), "markdown": PROSE_EXTENSIONS,
    "md": PROSE_EXTENSIONS, "json": (".json",),
}


def check_quotes(ctx: CheckContext, finding: Finding) -> list[QuoteCheck]:
    claimed = [ctx.resolve(r.path) for r in finding.references]
    return [check_block(ctx, i, block, claimed) for i, block in enumerate(finding.blocks)]


def check_block(ctx: CheckContext, number: int, block: CodeBlock, claimed: list[PathResolution]) -> QuoteCheck:
    def result(status: str, **kw: object) -> QuoteCheck:
        return QuoteCheck(number, block.line, block.role, status, **kw)  # type: ignore[arg-type]

    if block.role == "proposal":
        return result("not-checked", reason="a proposal is not claimed to exist")
    if block.language.lower() in OUTPUT_LANGUAGES:
        return result("not-checked", reason=f"a {block.language!r} block shows output, not source")
    quote = trim_blank(list(block.claimed))
    if not any(normalise(q) for q in quote) or not split_segments(quote):
        return result("not-checked", reason="the block claims no existing lines")
    if block.path_hint:
        claimed = [ctx.resolve(block.path_hint)]
    candidates = _unique(claimed)
    searched = tuple(r.claimed for r in candidates)
    head_files, unreadable = _files(ctx.head, [p for r in candidates for p in _search_paths(r)])

    hit = _search(quote, head_files)
    if hit:
        return result(hit[0], span=_span(ctx.head, hit[1], hit[2], hit[3]), matched=hit[4], searched=searched)
    elsewhere = _search_everywhere(ctx, "head", quote, exclude={f.path for f in head_files})
    if elsewhere:
        status = "other-file" if candidates else elsewhere[0]
        reason = (f"found in {elsewhere[1]!r}, not in the claimed file" if candidates
                  else "found by searching every file")
        return result(status, span=_span(ctx.head, *elsewhere[1:4]), matched=elsewhere[4], searched=searched,
                      reason=reason)
    at_base = _search_base(ctx, quote, candidates)
    if at_base:
        return result("base-only", span=_span(ctx.base, *at_base[1:4], side="base"),  # type: ignore[arg-type]
                      matched=at_base[4], searched=searched,
                      reason="found at the merge base only: the pull request removed or changed it")
    fuzzy_files = head_files or _files_for_language(ctx, block.language)
    near = _nearest(quote, fuzzy_files, ctx.options.near_miss_threshold)
    if near:
        path, fuzzy = near
        return result("near-miss", span=_span(ctx.head, path, fuzzy.first, fuzzy.last),
                      matched=_lines(ctx.head, path, fuzzy.first, fuzzy.last), searched=searched,
                      near_miss=NearMiss(fuzzy.similarity, fuzzy.differences),
                      reason=f"closest text is {fuzzy.similarity:.0%} alike")
    if unreadable and not head_files:
        return result("unknown", searched=searched, reason="; ".join(f"{u.path!r} {u.reason}" for u in unreadable))
    if candidates and not any(r.usable or r.candidates for r in candidates):
        unsafe = [r for r in candidates if r.status == "unsafe"]
        if unsafe:
            return result("unknown", searched=searched, reason="; ".join(r.reason for r in unsafe))
        return result("no-file", searched=searched, reason="; ".join(r.reason for r in candidates))
    return result("absent", searched=searched, reason="not found at head or at the merge base")


def _unique(resolutions: list[PathResolution]) -> list[PathResolution]:
    seen: dict[str, PathResolution] = {}
    for r in resolutions:
        seen.setdefault(r.claimed, r)
    return list(seen.values())


def _search_paths(resolution: PathResolution) -> list[str]:
    if resolution.usable and resolution.path:
        return [resolution.path]
    return list(resolution.candidates)


def _files(snapshot: Snapshot, paths: list[str]) -> tuple[list[FileText], list[Unreadable]]:
    texts, unreadable = [], []
    snapshot.load(paths)  # one bulk read for the files not read yet
    for path in dict.fromkeys(paths):
        f = snapshot.file(path)
        if isinstance(f, FileText):
            texts.append(f)
        elif isinstance(f, Unreadable):
            unreadable.append(f)
    return texts, unreadable


Hit = tuple[str, str, int, int, tuple[str, ...]]  # status, path, first, last (0-based), matched lines


def _matchers(quote: list[str], path: str) -> list[tuple[str, Matcher]]:
    matchers: list[tuple[str, Matcher]] = [("exact", find_exact), ("normalised", find_normalised)]
    if has_elision(quote):
        matchers.append(("elided", find_elided))
    if path.lower().endswith(PROSE_EXTENSIONS):
        matchers.append(("reflowed", find_reflowed))
    return matchers


def _search(quote: list[str], files: list[FileText]) -> Hit | None:
    for rank in range(4):
        for f in files:
            matchers = _matchers(quote, f.path)
            if rank < len(matchers):
                status, matcher = matchers[rank]
                found = matcher(quote, f.lines)
                if found:
                    return status, f.path, found[0], found[1], f.lines[found[0]:found[1] + 1]
    return None


def _search_everywhere(ctx: CheckContext, side: str, quote: list[str], exclude: set[str]) -> Hit | None:
    """Look up the quote's rarest line in an index of every file, then confirm around it."""
    snapshot = ctx.head if side == "head" else ctx.base
    segment = split_segments(quote)[0] if has_elision(quote) else quote
    needle = [n for n in (normalise(q) for q in segment) if n]
    if snapshot is None or not needle or sum(len(n) for n in needle) < ctx.options.min_global_chars:
        return None
    index = ctx.line_index(side)
    anchor = min(range(len(needle)), key=lambda k: len(index.get(needle[k], ())))
    for path in dict.fromkeys(p for p, _ in index.get(needle[anchor], ())):
        if path in exclude:
            continue
        f = snapshot.file(path)
        if isinstance(f, FileText):
            hit = _search(quote, [f])
            if hit:
                return hit
    return None


def _search_base(ctx: CheckContext, quote: list[str], candidates: list[PathResolution]) -> Hit | None:
    if ctx.base is None:
        return None
    paths = [r.path for r in candidates if r.path] + [c for r in candidates for c in r.candidates]
    paths += [r.claimed for r in candidates if r.status == "missing"]
    base_files, _ = _files(ctx.base, paths)
    hit = _search(quote, base_files)
    if hit or candidates:
        return hit
    return _search_everywhere(ctx, "base", quote, exclude=set())


def _files_for_language(ctx: CheckContext, language: str) -> list[FileText]:
    extensions = LANGUAGE_EXTENSIONS.get(language.lower())
    if not extensions:
        return []
    paths = [p for p in ctx.head.tree if p.endswith(extensions)]
    return _files(ctx.head, paths)[0]


def _nearest(quote: list[str], files: list[FileText], threshold: float) -> tuple[str, Fuzzy] | None:
    best: tuple[str, Fuzzy] | None = None
    for f in files:
        found = find_fuzzy(quote, f.lines, threshold)
        if found and (best is None or found.similarity > best[1].similarity):
            best = (f.path, found)
    return best


def _span(snapshot: Snapshot, path: str, first: int, last: int, side: str = "head") -> Span:
    return Span(path, first + 1, last + 1, snapshot.rev, side)


def _lines(snapshot: Snapshot, path: str, first: int, last: int) -> tuple[str, ...]:
    f = snapshot.file(path)
    return f.lines[first:last + 1] if isinstance(f, FileText) else ()


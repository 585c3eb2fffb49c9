"""Quote check: is the code a finding quotes really in the repository, and where?

Order of search for one block: the claimed files at head (exact, whitespace-normalised,
elision-aware, reflowed for prose files, abbreviated for code), every other file at head (a
wrong path), the claimed files at the merge base (code the PR removed or changed), earlier
versions of the claimed files when head is not the reviewed one (code changed since the
review), the closest fuzzy match in the claimed files (a near miss, with the differing
characters), and else absent (or no-file, when the claimed file itself does not exist).

Then ``grade_quote`` says how certain that answer is (see checks.model.GRADES): refuted only
when the block's lines exist nowhere, or when it differs from the source exactly where the
finding argues; doubtful or unverifiable when an abbreviation, a guessed block boundary or a
changed head could explain the mismatch.

Every search over many files is bounded (checks.search, CheckOptions): what a bound cut
short is noted in ``limits``, and a quote whose search was cut short is never refuted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import replace

from reviewvet.checks.context import CheckContext
from reviewvet.checks.matching import (
    PROSE_EXTENSIONS,
    Fuzzy,
    find_elided,
    find_abbreviated,
    find_exact,
    find_fuzzy,
    find_normalised,
    find_reflowed,
    has_elision,
    is_elision,
    normalise,
    split_segments,
    trim_blank,
)
from reviewvet.model.checks import FOUND, Grade, NearMiss, QuoteCheck, Span, SpanSide
from reviewvet.checks.search import greppable, within
from reviewvet.model.review import CodeBlock, Finding
from reviewvet.checks.source import Occurrences, RevisionFiles, Side
from reviewvet.index.languages import extensions_for_fence
from reviewvet.model.source import FileText, PathResolution, Unreadable

Matcher = Callable[[list[str], tuple[str, ...]], "tuple[int, int] | None"]
OUTPUT_LANGUAGES = ("text", "console", "output", "log", "shell-session", "plaintext")
# Formats no indexed language claims (see index.languages), whose files a quote may still come from.
OTHER_FENCE_EXTENSIONS = {
    "yaml": (".yaml", ".yml"), "yml": (".yaml", ".yml"), "markdown": PROSE_EXTENSIONS,
    "md": PROSE_EXTENSIONS, "json": (".json",),
}


def check_quotes(ctx: CheckContext, finding: Finding) -> list[QuoteCheck]:
    claimed = [ctx.resolve(r.path) for r in finding.references if r.path]
    checks = []
    for i, block in enumerate(finding.blocks):
        limits: list[str] = []  # what the bounds on searching cut short, for this block
        checks.append(grade_quote(ctx, finding, block, check_block(ctx, i, block, claimed, limits), claimed, limits))
    return checks


def check_block(ctx: CheckContext, number: int, block: CodeBlock, claimed: list[PathResolution],
                limits: list[str] | None = None) -> QuoteCheck:
    def result(status: str, **kw: object) -> QuoteCheck:
        return QuoteCheck(number, block.line, block.role, status, **kw)  # type: ignore[arg-type]

    limits = [] if limits is None else limits

    quote = trim_blank(list(block.claimed))
    unclaimed = _not_claimed(block, quote)
    if unclaimed:
        return result("not-checked", reason=unclaimed)
    if block.path_hint:
        claimed = [ctx.resolve(block.path_hint)]
    candidates = _unique(claimed)
    searched = tuple(r.claimed for r in candidates)
    head_files, unreadable = _files(ctx.head, [p for r in candidates for p in _search_paths(r)])

    hit = _search(quote, head_files)
    if hit:
        return result(hit[0], span=_span(ctx.head, hit[1], hit[2], hit[3]), matched=hit[4], searched=searched)
    elsewhere = _search_everywhere(ctx, "head", quote, {f.path for f in head_files}, limits)
    if elsewhere:
        status, reason = _found_elsewhere(elsewhere, candidates, head_files)
        return result(status, span=_span(ctx.head, *elsewhere[1:4]), matched=elsewhere[4], searched=searched,
                      reason=reason)
    at_base = _search_base(ctx, quote, candidates, limits)
    if at_base:
        return result("base-only", span=_span(ctx.base, *at_base[1:4], side="base"),  # type: ignore[arg-type]
                      matched=at_base[4], searched=searched,
                      reason="found at the merge base only: the pull request removed or changed it")
    elsewhere_only = [r.reason for r in candidates if r.status == "submodule"]
    if (unreadable or elsewhere_only) and not head_files:
        return result("unknown", searched=searched,
                      reason="; ".join([*(f"{u.path!r} {u.reason}" for u in unreadable), *elsewhere_only]))
    earlier = _search_history(ctx, quote, candidates, limits)
    if earlier:
        return _earlier_result(number, block, earlier, searched)
    return _closest(ctx, result, quote, block.language, candidates, head_files, limits)


def _not_claimed(block: CodeBlock, quote: list[str]) -> str | None:
    """Why a block is not checked at all (it proposes code, shows output or claims no lines), else None."""
    if block.role == "proposal":
        return "a proposal is not claimed to exist"
    if block.language.lower() in OUTPUT_LANGUAGES:
        return f"a {block.language!r} block shows output, not source"
    if not any(normalise(q) for q in quote) or not split_segments(quote):
        return "the block claims no existing lines"
    return None


def _closest(ctx: CheckContext, result: Callable[..., QuoteCheck], quote: list[str], language: str,
             candidates: list[PathResolution], head_files: list[FileText], limits: list[str]) -> QuoteCheck:
    """Found nowhere exactly: the closest text in the claimed files (or the quote's language), else
    absent, or no-file when no claimed file exists."""
    searched = tuple(r.claimed for r in candidates)
    near = _nearest(quote, head_files or _files_for_language(ctx, language, quote, limits),
                    ctx.options.near_miss_threshold)
    if near:
        path, fuzzy = near
        span = _span(ctx.head, path, fuzzy.first, fuzzy.last)
        matched = _lines(ctx.head, path, fuzzy.first, fuzzy.last)
        if fuzzy.similarity >= 1.0:  # equal once whitespace is collapsed: the quote itself, not a near miss
            status, reason = _found_elsewhere(("normalised", path, fuzzy.first, fuzzy.last, matched), candidates,
                                              head_files)
            return result(status, span=span, matched=matched, searched=searched, reason=reason)
        return result("near-miss", span=span, matched=matched, searched=searched,
                      near_miss=NearMiss(fuzzy.similarity, fuzzy.differences),
                      reason=f"closest text is {fuzzy.similarity:.0%} alike")
    if candidates and not any(r.usable or r.candidates for r in candidates):
        unsafe = [r for r in candidates if r.status == "unsafe"]
        if unsafe:
            return result("unknown", searched=searched, reason="; ".join(r.reason for r in unsafe))
        return result("no-file", searched=searched, reason="; ".join(r.reason for r in candidates))
    return result("absent", searched=searched, reason="not found at head or at the merge base")


def _found_elsewhere(hit: Hit, candidates: list[PathResolution], claimed: list[FileText]) -> tuple[str, str]:
    """The status and reason of a quote found at head by searching beyond the claimed files."""
    if candidates and hit[1] not in {f.path for f in claimed}:
        return "other-file", f"found in {hit[1]!r}, not in the claimed file"
    return hit[0], "found by searching every file"


def _earlier_result(number: int, block: CodeBlock, hit: tuple[Hit, str, str], searched: tuple[str, ...]
                   ) -> QuoteCheck:
    (status, path, first, last, matched), commit, date = hit
    return QuoteCheck(number, block.line, block.role, "earlier-version",
                      span=Span(path, first + 1, last + 1, commit, "history"), matched=matched, searched=searched,
                      reason=f"present in {commit[:7]} ({date}) at {path}:{first + 1}, gone by head: "
                             "the code changed since the review")


def _history_paths(candidates: list[PathResolution]) -> list[str]:
    paths = [r.path for r in candidates if r.path] + [c for r in candidates for c in r.candidates]
    return paths + [r.claimed.removeprefix("./") for r in candidates if r.status == "missing"]


def _search_history(ctx: CheckContext, quote: list[str], candidates: list[PathResolution], limits: list[str]
                    ) -> tuple[Hit, str, str] | None:
    """The quote in a surviving earlier version of a claimed file (only when head may have changed)."""
    if ctx.history is None:
        return None
    paths = _history_paths(candidates)
    for version in ctx.history.versions(paths):
        hit = _search(quote, [version.text])
        if hit:
            return hit, version.commit, version.date
    _note_unread_history(ctx, paths, limits)
    return None


def _note_unread_history(ctx: CheckContext, paths: list[str], limits: list[str]) -> None:
    assert ctx.history is not None
    unread = ctx.history.unread(paths)
    note = (f"{unread} earlier versions of the claimed files were not read (over the limits of "
            f"{ctx.history.max_versions} versions and {ctx.history.max_bytes} bytes)")
    if unread and note not in limits:
        limits.append(note)


def _unique(resolutions: list[PathResolution]) -> list[PathResolution]:
    seen: dict[str, PathResolution] = {}
    for r in resolutions:
        seen.setdefault(r.claimed, r)
    return list(seen.values())


def _search_paths(resolution: PathResolution) -> list[str]:
    if resolution.usable and resolution.path:
        return [resolution.path]
    return list(resolution.candidates)


def _files(snapshot: RevisionFiles, paths: list[str]) -> tuple[list[FileText], list[Unreadable]]:
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
    else:
        matchers.append(("abbreviated", find_abbreviated))
    return matchers


def _search(quote: list[str], files: list[FileText]) -> Hit | None:
    for rank in range(5):
        for f in files:
            matchers = _matchers(quote, f.path)
            if rank < len(matchers):
                status, matcher = matchers[rank]
                found = matcher(quote, f.lines)
                if found:
                    return status, f.path, found[0], found[1], f.lines[found[0]:found[1] + 1]
    return None


def _search_everywhere(ctx: CheckContext, side: Side, quote: list[str], exclude: set[str], limits: list[str]
                       ) -> Hit | None:
    """Look up where the quote's rarest line is among every file, then confirm around it.

    Over the index budget only lines long enough to be evidence are looked up (checks.search);
    when none of them could be settled, or the files to confirm do not fit in the scan
    budget, the search is noted as cut short."""
    snapshot = ctx.head if side == "head" else ctx.base
    segment = split_segments(quote)[0] if has_elision(quote) else quote
    needle = [n for n in (normalise(q) for q in segment) if n]
    if snapshot is None or not needle or sum(len(n) for n in needle) < ctx.options.min_global_chars:
        return None
    search = ctx.line_search(side)
    wanted = needle if search.kind == "index" else [n for n in needle if greppable(n)]
    found = search.lookup(wanted)
    anchor = _anchor(wanted, found)
    if anchor is None:
        if not wanted or not all(found[n].complete for n in wanted):
            limits.append(f"the search of every file at {side} was cut short: not every line of the quote "
                          f"could be looked up within the {ctx.options.max_scan_bytes}-byte scan budget")
        return None
    paths = [p for p in found[anchor].paths if p not in exclude]
    readable = within(snapshot, paths, ctx.options.max_scan_bytes)
    for f in snapshot.stream(readable, keep=True):
        hit = _search(quote, [f]) if isinstance(f, FileText) else None
        if hit:
            return hit
    if len(readable) < len(paths) or not found[anchor].complete:
        limits.append(f"the search of every file at {side} was cut short: {len(paths)} files hold its rarest line "
                      f"and not all of them fit in the {ctx.options.max_scan_bytes}-byte scan budget")
    return None


def _anchor(wanted: list[str], found: dict[str, Occurrences]) -> str | None:
    """The line held by the fewest files, preferring lines whose every holder is known."""
    present = [n for n in wanted if found[n].paths]
    settled = [n for n in present if found[n].complete]
    return min(settled or present, key=lambda n: len(found[n].paths), default=None)


def _search_base(ctx: CheckContext, quote: list[str], candidates: list[PathResolution], limits: list[str]
                 ) -> Hit | None:
    if ctx.base is None:
        return None
    paths = [r.path for r in candidates if r.path] + [c for r in candidates for c in r.candidates]
    paths += [r.claimed for r in candidates if r.status == "missing"]
    base_files, _ = _files(ctx.base, paths)
    hit = _search(quote, base_files)
    if hit or candidates:
        return hit
    return _search_everywhere(ctx, "base", quote, set(), limits)


def _files_for_language(ctx: CheckContext, language: str, quote: list[str], limits: list[str]) -> list[FileText]:
    """The files of the quote's language to compare it with fuzzily: all of them when they fit in
    ``max_fuzzy_bytes``, else only those holding one of its lines (and the search is cut short)."""
    extensions = extensions_for_fence(language) or OTHER_FENCE_EXTENSIONS.get(language.lower())
    if not extensions:
        return []
    paths = [p for p in ctx.head.tree if p.endswith(extensions)]
    budget = ctx.options.max_fuzzy_bytes
    total = ctx.head.readable_bytes(paths)
    if total > budget:
        limits.append(f"the closest text was looked for only in files holding one of the quote's lines: "
                      f"the {language} files hold {total} bytes, over the {budget}-byte budget for fuzzy matching")
        lines = _substantive(quote)
        found = ctx.line_search("head").lookup(lines)
        paths = within(ctx.head, [p for p in dict.fromkeys(p for n in lines for p in found[n].paths)
                                   if p.endswith(extensions)], budget)
    return [f for f in ctx.head.stream(paths, keep=True) if isinstance(f, FileText)]


def _nearest(quote: list[str], files: list[FileText], threshold: float) -> tuple[str, Fuzzy] | None:
    best: tuple[str, Fuzzy] | None = None
    for f in files:
        found = find_fuzzy(quote, f.lines, threshold)
        if found and (best is None or found.similarity > best[1].similarity):
            best = (f.path, found)
    return best


def _span(snapshot: RevisionFiles, path: str, first: int, last: int, side: SpanSide = "head") -> Span:
    return Span(path, first + 1, last + 1, snapshot.rev, side)


def _lines(snapshot: RevisionFiles, path: str, first: int, last: int) -> tuple[str, ...]:
    f = snapshot.file(path)
    return f.lines[first:last + 1] if isinstance(f, FileText) else ()


# -- how certain the answer is --------------------------------------------------------------

REFUTE_PRESENCE = {"reviewed-head": 0.5, "user-given-head": 0.25, "substitute-head": 0.25}
MIN_SUBSTANTIVE = 8  # characters of a normalised line for it to count as evidence of its own
_QUOTE_CHARS = re.compile(r"[`\"'\u201c\u201d\u2018\u2019]")


def grade_quote(ctx: CheckContext, finding: Finding, block: CodeBlock, check: QuoteCheck,
                claimed: list[PathResolution], limits: list[str] | None = None) -> QuoteCheck:
    """How certain the quote check is. A quote is ``refuted`` only when the reviewer's error is the one
    explanation left: its lines exist nowhere (at head, the merge base, or any surviving earlier version),
    or it differs from the source exactly where the finding argues — and only when the whole search was
    done: a search a bound cut short (``limits``) leaves it doubtful."""
    limits = [] if limits is None else limits
    graded = _grade(ctx, finding, block, check, claimed, limits)
    if graded.grade != "refuted" or not limits:
        return graded
    return _doubt(replace(graded, argued=False), "but the search was cut short (" + "; ".join(dict.fromkeys(limits))
                  + "): a refutation needs the whole search done")


# The grade a status settles by itself; any other status is graded on how much of the quote exists.
_GRADE_OF_STATUS: dict[str, Grade] = {
    **{status: "confirmed" for status in (*FOUND, "other-file", "base-only")},
    "earlier-version": "unverifiable",
    "unknown": "doubtful",
}


def _grade(ctx: CheckContext, finding: Finding, block: CodeBlock, check: QuoteCheck,
           claimed: list[PathResolution], limits: list[str]) -> QuoteCheck:
    graded = replace(check, evidence=ctx.quote_evidence)
    if check.status == "not-checked":
        return graded
    if check.status in _GRADE_OF_STATUS:
        return replace(graded, grade=_GRADE_OF_STATUS[check.status])
    candidates = [ctx.resolve(block.path_hint)] if block.path_hint else _unique(claimed)
    foreign = [r.claimed for r in map(ctx.resolve, _block_paths(finding, block))
               if r.status == "missing" and ctx.never_had(r.claimed)]
    quote = trim_blank(list(block.claimed))
    presence, substantive = _presence(ctx, quote, candidates, limits)
    graded = replace(graded, presence=presence)
    if foreign:
        return _doubt(graded, f"the finding cites {foreign[0]!r}, under a folder this repository never had: "
                              "code of another project, which is not checked here")
    if check.status == "near-miss":
        return _grade_near_miss(ctx, finding, graded)
    if ctx.flattened:
        return _grade_flattened(graded, quote, candidates, presence, substantive)
    if presence < REFUTE_PRESENCE.get(ctx.evidence, 0.25):
        where = ("at the reviewed head" if ctx.evidence == "reviewed-head"
                 else "at head, at the merge base or in any surviving version of the claimed files")
        return replace(graded, grade="refuted",
                       reason=f"{check.reason}; {1 - presence:.0%} of its lines exist nowhere {where}")
    return _unmatched(ctx, graded, f"{presence:.0%} of its lines exist: an abbreviated, annotated or edited quote")


def _grade_near_miss(ctx: CheckContext, finding: Finding, check: QuoteCheck) -> QuoteCheck:
    """A near miss is refuted only when the finding argues about the very characters that differ."""
    if check.near_miss is not None and _argued(check.near_miss.differences, finding):
        return replace(check, grade="refuted", argued=True,
                       reason=check.reason + "; the finding argues about the very characters that differ")
    return _unmatched(ctx, check, "the differing characters are not what the finding argues about: "
                                  "an abbreviation or a copying slip, not evidence of a false finding")


def _grade_flattened(check: QuoteCheck, quote: list[str], candidates: list[PathResolution], presence: float,
                     substantive: int) -> QuoteCheck:
    """A block of a flattened document has guessed boundaries: refuted only when it is plainly code
    (two or more substantive lines, none of them anywhere, not claimed from a prose file)."""
    if presence == 0.0 and substantive >= 2 and _code_like(quote) and not _prose_files(candidates):
        return replace(check, grade="refuted", reason=check.reason + "; none of its lines exists anywhere")
    return _doubt(check, "the document was flattened, so this block's boundaries are guessed: "
                         "an absent guessed block proves nothing")


_CODE = re.compile(r"[(){}\[\];=]|:=|^\s*(?:func|return|if|for|case|var|const|local|echo|def|class|import)\b")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_ARGUED_CHANGE = 4  # characters: a typo the finding argues about, not a rewritten line


def _code_like(quote: list[str]) -> bool:
    """Every substantive line of the block reads as code (a flattened block may be a guessed run of prose)."""
    lines = [q for q in quote if len(normalise(q)) >= MIN_SUBSTANTIVE and not is_elision(q)]
    return bool(lines) and all(_CODE.search(q) for q in lines)


def _prose_files(candidates: list[PathResolution]) -> bool:
    return any((r.path or r.claimed).lower().endswith(PROSE_EXTENSIONS) for r in candidates)


def _block_paths(finding: Finding, block: CodeBlock) -> list[str]:
    """The paths a block is about: its own path comment, else the last path cited before it, else all."""
    if block.path_hint:
        return [block.path_hint]
    before = [r.path for r in finding.references if r.path and r.line <= block.line]
    return before[-1:] or [r.path for r in finding.references if r.path]


def _unmatched(ctx: CheckContext, check: QuoteCheck, why: str) -> QuoteCheck:
    """A quote that mostly matches: doubtful, or unverifiable when head is not the code the review read."""
    if ctx.evidence != "substitute-head":
        return _doubt(check, why)
    return replace(check, grade="unverifiable",
                   reason=f"{check.reason}; {why}; the head verified is not the review's own, so the code may "
                          "have changed since the review")


def _doubt(check: QuoteCheck, why: str) -> QuoteCheck:
    return replace(check, grade="doubtful", reason=f"{check.reason}; {why}" if check.reason else why)


def _substantive(quote: list[str]) -> list[str]:
    """The quote's normalised lines long enough to count as evidence of their own."""
    return [n for n in (normalise(q) for q in quote if not is_elision(q)) if len(n) >= MIN_SUBSTANTIVE]


def _presence(ctx: CheckContext, quote: list[str], candidates: list[PathResolution], limits: list[str]
              ) -> tuple[float, int]:
    """The share of the quote's substantive lines that exist anywhere, and how many such lines it has.

    Head first; the merge base and earlier versions only for the lines head lacks. A line no
    bounded search could settle counts as missing, and the search is noted as cut short."""
    lines = _substantive(quote)
    if not lines:
        return 1.0, 0
    missing, unsettled = list(dict.fromkeys(lines)), set()
    for side in ("head", "base"):
        if missing and (side == "head" or ctx.base is not None):
            found = ctx.line_search(side).lookup(missing)
            unsettled |= {n for n in missing if not found[n].complete}
            missing = [n for n in missing if not found[n].paths]
    if missing and ctx.history is not None:
        paths = _history_paths(candidates)
        earlier = ctx.history.normalised_lines(paths)
        missing = [n for n in missing if n not in earlier]
        if missing:
            _note_unread_history(ctx, paths, limits)
    unsure = len(unsettled.intersection(missing))
    if unsure:
        limits.append(f"{unsure} of its lines could not be looked up in every file within the "
                      f"{ctx.options.max_scan_bytes}-byte scan budget")
    return sum(1 for n in lines if n not in missing) / len(lines), len(lines)


def _argued(differences: tuple, finding: Finding) -> bool:  # type: ignore[type-arg]
    """Whether the finding's own prose names the quoted text where it differs from the source."""
    prose = _QUOTE_CHARS.sub("", normalise(f"{finding.title}\n{finding.body}"))
    changed = {(d.quoted_line, d.actual_line) for d in differences}
    if len(changed) > 2 or sum(_changed_chars(q, a) for q, a in changed) > MAX_ARGUED_CHANGE:
        return False
    words = set(_WORD.findall(prose))
    for d in differences:
        for token in _differing_tokens(d.quoted_line, d.actual_line):
            bare = _QUOTE_CHARS.sub("", token).strip()
            if len(bare) >= 2 and bare not in d.actual_line and bare in prose:
                return True
        quoted_only = set(_WORD.findall(d.quoted_line)) - set(_WORD.findall(d.actual_line))
        if any(len(w) >= 3 and w in words for w in quoted_only):
            return True
    return False


def _changed_chars(quoted: str, actual: str) -> int:
    ops = difflib.SequenceMatcher(None, quoted, actual, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def _differing_tokens(quoted: str, actual: str) -> list[str]:
    """The quoted line's whitespace-delimited words around each place it differs from the actual line."""
    tokens = []
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, quoted, actual, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        a, b = i1, max(i2, i1 + 1)
        while a > 0 and (not quoted[a - 1].isspace() or quoted[a:i2].isspace() and a == i1):
            a -= 1
        while b < len(quoted) and not quoted[b].isspace():
            b += 1
        tokens.append(quoted[a:b])
    return tokens

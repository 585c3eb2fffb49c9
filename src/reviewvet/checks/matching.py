"""Finding a quoted snippet in a file's lines: exact, whitespace-normalised, elided, reflowed, fuzzy.

Every matcher takes the quote as lines and a file's lines, and returns the 0-based
(first, last) line indexes of the match in the file, or None.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Generic, TypeVar

from reviewvet.model.checks import Difference

_WS = re.compile(r"\s+")
_ELISION_LINE = re.compile(r"^\s*(?:\.\.\.|\u2026|(?://|#|--|/\*)\s*(?:\.\.\.|\u2026)\s*(?:\*/)?)\s*[,;]?\s*$")
_INLINE_ELISION = re.compile(r"\.\.\.|\u2026")
_MARKUP = re.compile(r"[`*_>#|]|^\s*(?:[-+]|\d+[.)])\s+", re.M)
PROSE_EXTENSIONS = (".md", ".markdown", ".txt", ".rst", ".adoc")


def normalise(line: str) -> str:
    """Whitespace runs collapsed to one space, none at either end (str.split's whitespace is ``\\s``'s)."""
    return " ".join(line.split())


def is_elision(line: str) -> bool:
    return bool(_ELISION_LINE.match(line))


def trim_blank(lines: tuple[str, ...] | list[str]) -> list[str]:
    out = list(lines)
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return out


@dataclass(frozen=True)
class Indexed:
    """A file's non-blank lines, normalised, with their original indexes."""

    lines: tuple[str, ...]
    norm: tuple[str, ...]
    where: tuple[int, ...]


_T = TypeVar("_T")
MEMO_CHARS = 64 * 1024 * 1024  # characters of file text each per-file memo may keep


class _FileMemo(Generic[_T]):
    """A least-recently-used memo of a result per file's lines, bounded by the characters it keeps
    (a count bound would let a few thousand large files pile up)."""

    def __init__(self, compute: Callable[[tuple[str, ...]], _T], max_chars: int = MEMO_CHARS) -> None:
        self._compute, self._max = compute, max_chars
        self._kept: OrderedDict[tuple[str, ...], tuple[_T, int]] = OrderedDict()
        self._chars = 0

    def __call__(self, lines: tuple[str, ...]) -> _T:
        kept = self._kept.get(lines)
        if kept is not None:
            self._kept.move_to_end(lines)
            return kept[0]
        value, size = self._compute(lines), sum(map(len, lines)) + len(lines)
        self._kept[lines] = (value, size)
        self._chars += size
        while self._chars > self._max and len(self._kept) > 1:
            self._chars -= self._kept.popitem(last=False)[1][1]
        return value


def _index_lines(lines: tuple[str, ...]) -> Indexed:
    norm, where = [], []
    for i, line in enumerate(lines):
        n = normalise(line)
        if n:
            norm.append(n)
            where.append(i)
    return Indexed(lines, tuple(norm), tuple(where))


class Memos:
    """The per-file memos of the matchers. A workspace owns one and puts it in use while it works
    (``memos_in_use``); outside of that every call computes afresh."""

    def __init__(self) -> None:
        self.indexed: _FileMemo[Indexed] = _FileMemo(_index_lines)
        self.squashed: _FileMemo[tuple[str, ...]] = _FileMemo(
            lambda lines: tuple(_squash(n) for n in self.indexed(lines).norm))


_MEMOS: ContextVar[Memos | None] = ContextVar("reviewvet_matching_memos", default=None)


@contextmanager
def memos_in_use(memos: Memos) -> Iterator[None]:
    """Use ``memos`` in this thread (and context) until the block ends."""
    token = _MEMOS.set(memos)
    try:
        yield
    finally:
        _MEMOS.reset(token)


def index_lines(lines: tuple[str, ...]) -> Indexed:
    """A file's non-blank lines normalised, remembered by the memos in use."""
    memos = _MEMOS.get()
    return memos.indexed(lines) if memos is not None else _index_lines(lines)


def _squashed_lines(lines: tuple[str, ...]) -> tuple[str, ...]:
    memos = _MEMOS.get()
    return memos.squashed(lines) if memos is not None else tuple(_squash(n) for n in _index_lines(lines).norm)


def find_exact(quote: list[str], lines: tuple[str, ...]) -> tuple[int, int] | None:
    """Lines equal up to trailing spaces and one indentation prefix common to the whole quote."""
    quote = trim_blank(quote)
    if not quote:
        return None
    first = quote[0].rstrip()
    for i, line in enumerate(lines):
        if not line.rstrip().endswith(first) or i + len(quote) > len(lines):
            continue
        indent = line.rstrip()[: len(line.rstrip()) - len(first)]
        if indent.strip():
            continue
        if all(_same_with_indent(q, lines[i + k], indent) for k, q in enumerate(quote)):
            return i, i + len(quote) - 1
    return None


def _same_with_indent(quoted: str, actual: str, indent: str) -> bool:
    if not quoted.strip():
        return not actual.strip()
    return actual.rstrip() == indent + quoted.rstrip()


def find_normalised(quote: list[str], lines: tuple[str, ...], start: int = 0) -> tuple[int, int] | None:
    """Non-blank lines equal after collapsing whitespace; blank lines on either side ignored."""
    needle = [n for n in (normalise(q) for q in quote) if n]
    if not needle:
        return None
    idx = index_lines(lines)
    lo = bisect.bisect_left(idx.where, start)
    for pos in _positions(idx.norm, needle, lo):
        return idx.where[pos], idx.where[pos + len(needle) - 1]
    return None


def _positions(hay: tuple[str, ...], needle: list[str], lo: int = 0):  # type: ignore[no-untyped-def]
    first, n = needle[0], len(needle)
    i = lo
    while True:
        try:
            i = hay.index(first, i)
        except ValueError:
            return
        if list(hay[i:i + n]) == needle:
            yield i
        i += 1


def split_segments(quote: list[str]) -> list[list[str]]:
    """The quote cut at its elision lines (``...``, ``…``, ``// ...``) and after inline elisions."""
    segments: list[list[str]] = [[]]
    for line in quote:
        if is_elision(line):
            segments.append([])
        elif _INLINE_ELISION.search(line):
            segments[-1].append(line)  # `if x { ... }` stands for several lines: a gap follows its head
            segments.append([])
        else:
            segments[-1].append(line)
    return [s for s in (trim_blank(seg) for seg in segments) if any(x.strip() for x in s)]


def has_elision(quote: list[str]) -> bool:
    return any(is_elision(q) or _INLINE_ELISION.search(q) for q in quote)


def find_elided(quote: list[str], lines: tuple[str, ...]) -> tuple[int, int] | None:
    """Every segment between elisions found in order; a line with an inline ``...`` matches by its head."""
    segments = split_segments(quote)
    if not segments:
        return None
    idx = index_lines(lines)
    pos, first = 0, None
    for segment in segments:
        found = _find_segment(segment, idx, pos)
        if found is None:
            return None
        if first is None:
            first = idx.where[found[0]]
        pos = found[1] + 1
    assert first is not None
    return first, idx.where[pos - 1]


def _find_segment(segment: list[str], idx: Indexed, lo: int) -> tuple[int, int] | None:
    needle = [normalise(s) for s in segment if normalise(s)]
    for i in range(lo, len(idx.norm) - len(needle) + 1):
        if all(_line_matches(q, idx.norm[i + k]) for k, q in enumerate(needle)):
            return i, i + len(needle) - 1
    return None


def _line_matches(quoted: str, actual: str) -> bool:
    if quoted == actual:
        return True
    if not _INLINE_ELISION.search(quoted):
        return False
    head = _INLINE_ELISION.split(quoted, maxsplit=1)[0].rstrip()
    return bool(head) and actual.startswith(head)


def find_reflowed(quote: list[str], lines: tuple[str, ...]) -> tuple[int, int] | None:
    """Prose matched word by word, ignoring line breaks and Markdown markup."""
    words, owners = _words_with_lines(lines)
    needle = _MARKUP.sub(" ", "\n".join(quote)).split()
    if len(needle) < 3:
        return None
    hay = " ".join(words)
    at = hay.find(" ".join(needle))
    while at != -1 and at > 0 and hay[at - 1] != " ":
        at = hay.find(" ".join(needle), at + 1)
    if at == -1:
        return None
    first_word = hay.count(" ", 0, at)
    return owners[first_word], owners[first_word + len(needle) - 1]


def _words_with_lines(lines: tuple[str, ...]) -> tuple[list[str], list[int]]:
    words: list[str] = []
    owners: list[int] = []
    for i, line in enumerate(lines):
        for word in _MARKUP.sub(" ", line).split():
            words.append(word)
            owners.append(i)
    return words, owners


# -- abbreviated quotes -------------------------------------------------------------------------

# A reviewer's own header line above a quote: ``// pkg/x/y.go:12-30 — run()``.
_ANNOTATION_HEADER = re.compile(r"^\s*(?://|#)\s*[\w@+./-]+\.\w+(?::\d+(?:-\d+)?)?(?:\s|$)")
_TRAILING_NOTE = re.compile(r"\s+(?://|#)\s.*$")
_COMMENT_LINE = re.compile(r"^\s*(?://|#|/\*|\*)")
_CLOSING = re.compile(r"^[\s})\];,]+$")
MAX_SKIP = 15  # non-blank file lines a quote may leave out between two of its lines
MAX_JOIN = 4  # file lines a reviewer may join into one quoted line (or one file line re-wrapped into)


_DANGLING_COMMA = re.compile(r",(?=[)\]}]|$)")


def _squash(text: str) -> str:
    """A line without whitespace, and without the trailing commas that wrapping adds or removes."""
    return _DANGLING_COMMA.sub("", _WS.sub("", text))


@dataclass(frozen=True)
class _Quoted:
    """One quoted line, squashed once: as written, and without a trailing note of the reviewer's."""

    squashed: str
    bare: str
    comment: bool
    closing: bool


def _quoted(line: str) -> _Quoted:
    return _Quoted(_squash(line), _squash(_TRAILING_NOTE.sub("", line)), bool(_COMMENT_LINE.match(line)),
                   bool(_CLOSING.match(line)))




def find_abbreviated(quote: list[str], lines: tuple[str, ...]) -> tuple[int, int] | None:
    """The quote's code lines in order within a short span of the file.

    Real evidence blocks leave out lines (comments, bodies), join or re-wrap lines, end a
    line with the reviewer's own note (``x = 1 // <- the bug``), put a ``// path:N-M``
    header above the code, and close with ``}`` where the file has ``} else {``. Every
    line of code must still be found, in order, no more than a few lines apart; only
    comment lines may be missing (they are the reviewer's annotations).
    """
    wanted = [q for q in quote if normalise(q) and not is_elision(q)]
    if wanted and _ANNOTATION_HEADER.match(wanted[0]):
        wanted = wanted[1:]
    gaps = _gaps_after_elisions(quote, wanted)
    items = [_quoted(q) for q in wanted]
    if sum(1 for q in items if not q.comment) < 2:
        return None
    hay = _squashed_lines(lines)
    first = next(i for i, q in enumerate(items) if not q.comment)
    for start in range(len(hay)):
        if _step(items, first, hay, start) is None:
            continue
        found = _walk(items, gaps, hay, start, first)
        if found is not None:
            where = index_lines(lines).where
            return where[found[0]], where[found[1]]
    return None


def _gaps_after_elisions(quote: list[str], wanted: list[str]) -> set[int]:
    """Indexes into ``wanted`` of the lines that follow an elision (any gap is allowed before them)."""
    gaps, k, after = set(), 0, False
    for line in quote:
        if is_elision(line):
            after = True
        elif k < len(wanted) and line == wanted[k]:
            if after:
                gaps.add(k)
            k, after = k + 1, False
    return gaps


def _walk(items: list[_Quoted], gaps: set[int], hay: tuple[str, ...], start: int, first: int
          ) -> tuple[int, int] | None:
    pos, matched, lo, hi = start, 0, None, start
    i = first
    while i < len(items):
        limit = len(hay) if i in gaps else min(len(hay), pos + MAX_SKIP + 1)
        hit = next(((j, used) for j in range(pos, limit) if (used := _step(items, i, hay, j)) is not None), None)
        if hit is None:
            if items[i].comment:
                i += 1
                continue
            return None
        j, (quoted_used, file_used) = hit
        lo = j if lo is None else lo
        hi, pos, matched, i = j + file_used - 1, j + file_used, matched + quoted_used, i + quoted_used
    code = sum(1 for q in items if not q.comment)
    if lo is None or matched < max(2, code // 2):
        return None
    return lo, hi


def _step(items: list[_Quoted], i: int, hay: tuple[str, ...], j: int) -> tuple[int, int] | None:
    """How quoted line ``i`` (or a few joined) meets the file at ``j``: (quoted lines used, file lines used)."""
    q, line = items[i], hay[j]
    if line in (q.squashed, q.bare) or (q.closing and line.startswith(q.squashed)):
        return 1, 1
    joined = line
    for k in range(2, MAX_JOIN + 1):  # the reviewer joined k file lines into one
        if j + k > len(hay) or not (q.squashed.startswith(joined) or q.bare.startswith(joined)):
            break
        joined += hay[j + k - 1]
        if joined in (q.squashed, q.bare):
            return 1, k
    joined = q.squashed
    for k in range(2, MAX_JOIN + 1):  # the reviewer wrapped one file line into k
        if i + k > len(items) or not line.startswith(joined):
            break
        joined += items[i + k - 1].squashed
        if joined == line:
            return k, 1
    return None


# -- near misses ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fuzzy:
    first: int
    last: int
    similarity: float
    differences: tuple[Difference, ...]


def find_fuzzy(quote: list[str], lines: tuple[str, ...], threshold: float) -> Fuzzy | None:
    """The window of the file most similar to the quote, when at least ``threshold`` (0-1) alike."""
    from rapidfuzz import fuzz, process

    needle = [normalise(q) for q in quote if normalise(q) and not is_elision(q)]
    idx = index_lines(lines)
    n = len(needle)
    if not needle or len(idx.norm) < n:
        return None
    windows = ["\n".join(idx.norm[i:i + n]) for i in range(len(idx.norm) - n + 1)]
    best = process.extractOne("\n".join(needle), windows, scorer=fuzz.ratio, score_cutoff=threshold * 100)
    if best is None:
        return None
    _, score, i = best
    actual = list(idx.norm[i:i + n])
    return Fuzzy(idx.where[i], idx.where[i + n - 1], score / 100, tuple(differences(needle, actual)))


def differences(quoted: list[str], actual: list[str]) -> list[Difference]:
    """Character-level differences, line by line, with a few characters of context."""
    out = []
    for q, a in zip(quoted, actual, strict=False):
        if q == a:
            continue
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, q, a, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            out.append(Difference(q[max(0, i1 - 3):i2 + 3], a[max(0, j1 - 3):j2 + 3], q, a))
    return out[:10]

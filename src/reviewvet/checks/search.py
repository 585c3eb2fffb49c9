"""Which files of a revision hold a normalised line: an index within a budget, ``git grep`` beyond it.

A quote not found in its claimed file is looked up in every file, and a quote found nowhere
is graded by the share of its lines that exist anywhere. Both ask one question — which files
hold this normalised line? — answered here in one of two ways, chosen per revision by how
much text it has (``CheckOptions.max_index_bytes``, counted from the tree's blob sizes before
anything is read):

- within the budget, one pass over every text file keeps, for each distinct line, a 64-bit
  hash and the files holding it; the texts are not kept. A hash collision can only add a
  file (the matchers then find nothing in it) or count a line as present that is not: it
  never makes a quote look invented.
- beyond it, nothing is indexed. One ``git grep`` names the files with a line holding the
  words of any of the wanted lines, and those files are read (at most
  ``CheckOptions.max_scan_bytes`` per round) to see which really hold which line. Lines the
  round could not settle get another round without the lines already settled (the common
  ones that brought too many candidates), up to ``MAX_ROUNDS``.

Every answer says whether it is complete. Nothing may be refuted on an incomplete one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from reviewvet.checks.source import Occurrences, RevisionFiles
from reviewvet.model.source import FileText

MIN_GREP_CHARS = 8  # shorter lines ("}", "end") are in nearly every file: never grepped, never evidence
MAX_GREP_LINES = 64  # lines one lookup sends to git grep (the rest are not searched)
MAX_GREP_TERMS = 8  # words of one line that must all be on one file line (the longest ones)
MAX_TERM_CHARS = 200  # a longer word is searched by its first characters (argument length limits)
MAX_ROUNDS = 3
MAX_GREPS = 200  # git grep processes one revision may run for one verification; then lookups stay unsettled


def normalised_lines(lines: Iterable[str]) -> Iterable[str]:
    """Each line with its whitespace collapsed (as ``matching.normalise``), blank ones included."""
    return map(" ".join, map(str.split, lines))


_BLANK = hash("")


class LineIndex:
    """Every distinct normalised line of a revision, by hash, and the files holding it."""

    kind = "index"

    def __init__(self) -> None:
        self.paths: list[str] = []
        self._first: dict[int, int] = {}  # line hash -> the first file holding it
        self._more: dict[int, list[int]] = {}  # line hash -> the other files holding it, for shared lines

    @classmethod
    def build(cls, snapshot: RevisionFiles) -> LineIndex:
        index = cls()
        for f in snapshot.stream():
            if isinstance(f, FileText):
                index.add(f.path, f.lines)
        return index

    def add(self, path: str, lines: tuple[str, ...]) -> None:
        file_id = len(self.paths)
        self.paths.append(path)
        hashes = set(map(hash, normalised_lines(lines)))
        hashes.discard(_BLANK)
        shared = [h for h in hashes if h in self._first]
        for h in shared:
            self._more.setdefault(h, []).append(file_id)
        hashes.difference_update(shared)
        self._first.update(dict.fromkeys(hashes, file_id))

    def where(self, line: str) -> tuple[str, ...]:
        h = hash(line)
        first = self._first.get(h)
        if first is None:
            return ()
        return (self.paths[first], *(self.paths[i] for i in self._more.get(h, ())))

    def lookup(self, lines: Sequence[str]) -> dict[str, Occurrences]:
        return {n: Occurrences(self.where(n)) for n in lines}


def grep_terms(line: str) -> list[str]:
    """The words of a normalised line that ``git grep`` looks for together: the longest few.

    Any file line that normalises to ``line`` holds each of its words, so the files found are
    a superset of the files holding the line; reading them tells which really do.
    """
    words = sorted(dict.fromkeys(line.split(" ")), key=len, reverse=True)[:MAX_GREP_TERMS]
    return [w[:MAX_TERM_CHARS] for w in words if w]


def greppable(line: str) -> bool:
    """Long enough to be evidence, and passable to git as an argument."""
    return len(line) >= MIN_GREP_CHARS and passable(line)


def passable(text: str) -> bool:
    """Whether git can take ``text`` as an argument: no NUL byte, no lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


@dataclass
class GrepLines:
    """Lines looked up with ``git grep`` and confirmed by reading the files it names, within a budget."""

    snapshot: RevisionFiles
    max_scan_bytes: int
    kind: str = "grep"
    max_greps: int = MAX_GREPS
    _known: dict[str, Occurrences] = field(default_factory=dict)
    greps: int = 0  # git grep processes run

    def lookup(self, lines: Sequence[str]) -> dict[str, Occurrences]:
        """Lines too short (or unfit) for git grep, and those past ``MAX_GREP_LINES``, stay unsettled."""
        todo = [n for n in dict.fromkeys(lines) if n not in self._known]
        wanted = [n for n in todo if greppable(n)][:MAX_GREP_LINES]
        if wanted:
            self._find(wanted)
        unsettled = Occurrences((), complete=False)
        return {n: self._known.get(n, unsettled) for n in lines}

    def _find(self, lines: list[str]) -> None:
        """Rounds of one git grep each, until every line is settled or the rounds run out."""
        holders: dict[str, list[str]] = {n: [] for n in lines}
        seen: dict[str, frozenset[str]] = {}  # path -> which of ``lines`` it holds, for every file read
        open_lines = list(lines)
        for _ in range(MAX_ROUNDS):
            settled = self._round(open_lines, frozenset(lines), holders, seen)
            open_lines = [n for n in open_lines if n not in settled]
            if not open_lines or not settled:
                break
        for n in lines:
            if n not in self._known:
                self._known[n] = Occurrences(tuple(holders[n]), complete=False)

    def _round(self, lines: list[str], wanted: frozenset[str], holders: dict[str, list[str]],
               seen: dict[str, frozenset[str]]) -> set[str]:
        """One git grep for ``lines``; the candidates read within the budget. Returns the lines it
        settled: all of them when every candidate was read, else those found in a file read
        (present, though not every file holding them is known)."""
        if self.greps >= self.max_greps:
            return set()
        self.greps += 1
        found = self.snapshot.grep([grep_terms(n) for n in lines])
        if found is None:
            return set()
        todo = [p for p in found if p not in seen]
        readable = within(self.snapshot, todo, self.max_scan_bytes)
        for f in self.snapshot.stream(readable):
            seen[f.path] = (wanted.intersection(normalised_lines(f.lines)) if isinstance(f, FileText)
                            else frozenset())
        hits = {n: [p for p in found if n in seen.get(p, ())] for n in lines}
        for n in lines:
            holders[n] = hits[n]
        if len(readable) == len(todo):
            for n in lines:
                self._known[n] = Occurrences(tuple(hits[n]))
            return set(lines)
        return {n for n in lines if hits[n]}


def within(snapshot: RevisionFiles, paths: list[str], budget: int) -> list[str]:
    """The leading paths whose text fits in ``budget`` bytes."""
    out, total = [], 0
    for path in paths:
        total += snapshot.readable_bytes([path])
        if total > budget:
            break
        out.append(path)
    return out


@dataclass
class GrepWords:
    """Whether a word is in any text file of a revision, by ``git grep`` and reading the files it names.

    When they do not all fit in the scan budget and none read holds the word, the word counts as
    present: a word is never called missing on a partial read."""

    snapshot: RevisionFiles
    max_scan_bytes: int
    words_of: Callable[[list[tuple[str, ...]]], set[str]]
    _known: dict[str, bool] = field(default_factory=dict)

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not word:
            return False
        if word not in self._known:
            self._known[word] = self._find(word)
        return self._known[word]

    def _find(self, word: str) -> bool:
        if not passable(word):
            return True
        found = self.snapshot.grep([[word[:MAX_TERM_CHARS]]])
        if found is None:
            return True
        readable = within(self.snapshot, found, self.max_scan_bytes)
        for f in self.snapshot.stream(readable):
            if isinstance(f, FileText) and word in self.words_of([f.lines]):
                return True
        return len(readable) < len(found)

"""The parsed source files of one revision, each read from the parse cache only when asked for.

A verification asks about a few names and the files its claims cite; decoding every cached
parse result of a large repository to answer that costs more than everything else it does.
``SourceFiles`` is a mapping of path to ParsedFile that holds the files parsed in this run and
reads any other one from the cache on first use, and answers "which files define, call or
import this name" from the names the cache keeps beside each result. Without a cache (or when
it fails) every file is at hand in memory and the same questions are answered by one pass
over them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from reviewvet.index.names import names_of
from reviewvet.index.records import ParsedFile
from reviewvet.model.source import TreeEntry

if TYPE_CHECKING:
    from reviewvet.index.cache import ParseCache

Source = tuple[TreeEntry, str]  # a tree entry and the language it is indexed as
Reparse = Callable[[list[Source]], list[ParsedFile]]  # reads and parses files the cache lost


class SourceFiles(Mapping[str, ParsedFile]):
    """Every source file of a revision by path: parsed now, skipped, or in the cache."""

    def __init__(self, usable: list[Source], fresh: Mapping[str, ParsedFile], skipped: Mapping[str, ParsedFile],
                 cache: ParseCache | None, reparse: Reparse,
                 relocate: Callable[[ParsedFile, str], ParsedFile]) -> None:
        self._entries = {entry.path: (entry, language) for entry, language in usable}
        self._loaded: dict[str, ParsedFile] = {**fresh, **skipped}
        self._fresh = dict(fresh)
        self._order = sorted({*self._entries, *skipped})
        self._cache = cache
        self._reparse = reparse
        self._relocate = relocate
        self._paths_of: dict[tuple[str, str], list[str]] = {}
        for path, (entry, language) in self._entries.items():
            self._paths_of.setdefault((entry.oid, language), []).append(path)
        self._names: dict[tuple[str, str], list[str]] | None = None  # (role, name) -> paths, when in memory
        self._fresh_names: dict[tuple[str, str], set[str]] | None = None  # the same for the files parsed now

    # -- the mapping -------------------------------------------------------------------------

    def __getitem__(self, path: str) -> ParsedFile:
        if path not in self._loaded:
            if path not in self._entries:
                raise KeyError(path)
            self.load([path])
        return self._loaded[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, path: object) -> bool:
        return path in self._entries or path in self._loaded

    @property
    def loaded(self) -> int:
        """How many files are in memory now (a measure of what a question cost)."""
        return len(self._loaded)

    def load(self, paths: list[str]) -> None:
        """Bring ``paths`` into memory: one cache read for all of them, a parse for any it lost."""
        todo = [p for p in dict.fromkeys(paths) if p not in self._loaded and p in self._entries]
        if not todo:
            return
        found = self._cache.get_many({self._key(p) for p in todo}) if self._cache is not None else {}
        lost = []
        for path in todo:
            pf = found.get(self._key(path))
            if pf is None:
                lost.append(self._entries[path])
            else:
                self._loaded[path] = self._relocate(pf, path)
        for pf in self._reparse(lost) if lost else ():
            self._loaded[pf.path] = pf
            self._fresh[pf.path] = pf
            self._fresh_names = None

    def load_all(self) -> None:
        self.load(list(self._entries))

    def _key(self, path: str) -> tuple[str, str]:
        entry, language = self._entries[path]
        return entry.oid, language

    # -- names -------------------------------------------------------------------------------

    def having(self, role: str, name: str) -> list[str]:
        """The paths of the files that have ``name`` in ``role`` (``names.DEFINES`` ...), in path order."""
        if self._names is None and self._cache is not None:
            holders = self._cache.holders(role, name)
            if holders is not None:
                paths = {p for key in holders for p in self._paths_of.get(key, ())}
                return sorted(paths | self._names_of_fresh().get((role, name), set()))
        return self._in_memory().get((role, name), [])

    def _names_of_fresh(self) -> dict[tuple[str, str], set[str]]:
        """The names of the files parsed in this run (the cache may have failed to keep them)."""
        if self._fresh_names is None:
            self._fresh_names = {}
            for path, pf in self._fresh.items():
                for key in names_of(pf):
                    self._fresh_names.setdefault(key, set()).add(path)
        return self._fresh_names

    def _in_memory(self) -> dict[tuple[str, str], list[str]]:
        """Every file's names, from every file loaded: without a cache, or when it cannot answer."""
        if self._names is None:
            self.load_all()
            names: dict[tuple[str, str], list[str]] = {}
            for path in self._order:
                for key in names_of(self._loaded[path]):
                    names.setdefault(key, []).append(path)
            self._names = names
        return self._names

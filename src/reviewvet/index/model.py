"""The index as the rest of reviewvet sees it: the records the parsers produce (defined in
``records``, re-exported here) and ``RepoIndex``, one revision's parsed files and module roots
with the views derived from them on first use (placed symbols, a lookup table, the call graph).

This module sits above the languages and the call graph, which need only ``records``; building
an index from git is ``build``'s job, so nothing here touches a repository.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from reviewvet.index import graph as callgraph
from reviewvet.index.files import SourceFiles
from reviewvet.index.languages import LANGUAGES
from reviewvet.index.names import DEFINES, IMPORTS
from reviewvet.index.records import CONFIDENCES, PARSER_VERSION, Call, Definition, IndexStats, ParsedFile, Symbol
from reviewvet.index.symbols import SymbolTable

if TYPE_CHECKING:
    import networkx

__all__ = [
    "CONFIDENCES", "PARSER_VERSION", "Call", "Definition", "IndexStats", "ModuleRoots", "ParsedFile", "RepoIndex",
    "Symbol", "place_symbols",
]

ModuleRoots = dict[str, dict[str, str]]  # language -> module root folder ("" for the repo root) -> module path


@dataclass(frozen=True)
class Counts:
    """What building the index counted and how long it took, before any file was asked for."""

    files: int
    parsed: int
    cached: int
    skipped: int
    bytes: int
    seconds: float


@dataclass
class RepoIndex:
    """The parsed files and placed symbols of one revision.

    ``files`` is lazy (``files.SourceFiles``): the questions a verification asks (``named``,
    ``table``, ``calls``) read only the files that can answer them; the views over everything
    (``symbols``, ``edges``, ``graph``, ``stats``, ``notes``) read every file, once.
    """

    rev: str
    files: SourceFiles
    modules: ModuleRoots
    counts: Counts
    build_notes: list[str] = field(default_factory=list)
    left_out: frozenset[str] = frozenset()  # files not parsed at all (links, submodules, too large)
    _named: dict[str, list[Symbol]] = field(default_factory=dict, init=False, repr=False)
    _named_in: dict[str, dict[str, list[Symbol]]] = field(default_factory=dict, init=False, repr=False)
    _in_file: dict[str, list[Symbol]] = field(default_factory=dict, init=False, repr=False)
    _placed: dict[str, Symbol] = field(default_factory=dict, init=False, repr=False)
    _outside: dict[str, bool] = field(default_factory=dict, init=False, repr=False)

    # -- one name, one file ------------------------------------------------------------------

    def named(self, name: str) -> list[Symbol]:
        """Every symbol called ``name``, placed from the files that define it (by path, then in order)."""
        if name not in self._named:
            paths = self.files.having(DEFINES, name)
            self.files.load(paths)
            found = place_symbols({p: self.files[p] for p in paths}, self.modules, only=name)
            self._named[name] = found
            by_path = self._named_in.setdefault(name, {})
            for s in found:
                self._placed[s.id] = s
                by_path.setdefault(s.path, []).append(s)
        return self._named[name]

    def in_file(self, path: str) -> list[Symbol]:
        """The symbols ``path`` defines, in the order it defines them."""
        if path not in self._in_file:
            pf = self.files.get(path)
            names = dict.fromkeys(d.name for d in pf.definitions) if pf is not None else {}
            for name in names:
                self.named(name)
            mine = {s.id: s for name in names for s in self._named_in[name].get(path, ())}
            self._in_file[path] = sorted(mine.values(), key=_definition_order(pf))
        return self._in_file[path]

    def symbol(self, ident: str) -> Symbol | None:
        """The symbol with id ``ident``; None for external calls and top-level code. Every id a call
        edge or a lookup gave out was placed on the way; another is looked for under the names its
        id may end in, and only then among every symbol."""
        if ident in self._placed or ident.startswith(("external:", "by-name:")) or ident.endswith("<main>"):
            return self._placed.get(ident)  # top-level code and outside names are no symbols
        for name in _names_in(ident):
            if self.with_id(ident, name) is not None:
                return self._placed[ident]
        return self.by_id.get(ident)

    def with_id(self, ident: str, name: str) -> Symbol | None:
        """The symbol with id ``ident``, looked for among those called ``name``."""
        return next((s for s in self.named(name) if s.id == ident), None)

    @cached_property
    def table(self) -> SymbolTable:
        return SymbolTable(self.named, self.in_file)

    @cached_property
    def calls(self) -> callgraph.CallSites:
        """The call graph one node at a time (what verification and ``callers``/``callees`` ask)."""
        return callgraph.CallSites(self.files, self, self.modules, self.symbol)

    # -- everything --------------------------------------------------------------------------

    def every_file(self) -> Mapping[str, ParsedFile]:
        """``files`` with every file in memory (read in bulk), for the views over everything."""
        self.files.load_all()
        return self.files

    @cached_property
    def symbols(self) -> list[Symbol]:
        symbols = place_symbols(self.every_file(), self.modules)
        self._placed.update((s.id, s) for s in symbols)
        return symbols

    @cached_property
    def by_id(self) -> dict[str, Symbol]:
        return {s.id: s for s in self.symbols}

    def imports_from_outside(self, name: str) -> bool:
        """Whether some file imports a package from outside the repository under ``name`` (``context``
        of ``context.WithTimeout``): asked of the files that import anything under that name."""
        if name not in self._outside:
            paths = self.files.having(IMPORTS, name)
            self.files.load(paths)
            importing = {p: self.files[p] for p in paths}
            self._outside[name] = any(
                name in language.outside(importing, self.files, self.modules.get(language.name, {}))
                for language in LANGUAGES.values())
        return self._outside[name]

    @cached_property
    def edges(self) -> list[callgraph.Edge]:
        return callgraph.call_edges(self.every_file(), self.symbols, self.modules)

    @cached_property
    def graph(self) -> networkx.MultiDiGraph:
        return callgraph.build_graph(self.files, self.symbols, self.edges)

    @cached_property
    def stats(self) -> IndexStats:
        c = self.counts
        files = self.every_file().values()
        gave_up = sum(1 for path, f in self.every_file().items() if f.skipped and path not in self.left_out)
        return IndexStats(
            files=c.files, parsed=c.parsed, cached=c.cached, skipped=c.skipped + gave_up,
            symbols=sum(len(f.definitions) for f in files), edges=sum(len(f.calls) for f in files),
            bytes=c.bytes, seconds=c.seconds, errors=sum(1 for f in files if f.errors),
            by_language=dict(Counter(f.language for f in files)),
        )

    @cached_property
    def notes(self) -> list[str]:
        """What building left out and why, with the files a parser gave up on."""
        gave_up = [f"skipped {path!r}: {pf.skipped}" for path, pf in sorted(self.every_file().items())
                   if pf.skipped and path not in self.left_out]
        return [*self.build_notes, *gave_up]


def _names_in(ident: str) -> list[str]:
    """The names a symbol id may end in: ``pkg.(*T).Name``, ``path::name``, ``path::@test title``,
    ``module.Class.name``, each perhaps with the ``@path`` a clash adds."""
    base = ident.rsplit("@", 1)[0] if "@" in ident.rsplit("::", 1)[-1][1:] else ident
    tail = base.rsplit("::", 1)[-1]
    return list(dict.fromkeys([tail.removeprefix("@test "), tail.rsplit(".", 1)[-1], tail.rsplit(")", 1)[-1]]))


def _definition_order(pf: ParsedFile | None) -> Callable[[Symbol], int]:
    order = {d.local: i for i, d in enumerate(pf.definitions)} if pf is not None else {}
    return lambda s: order.get(s.local, len(order))


def place_symbols(files: Mapping[str, ParsedFile], modules: Mapping[str, Mapping[str, str]],
                  only: str | None = None) -> list[Symbol]:
    """Every definition (or ``only`` those called so) given a revision-wide id by its language; a
    clash keeps both, the later one (by path) marked with its file. Ids that clash share a name, so
    the files defining a name place its symbols as all files would."""
    symbols: list[Symbol] = []
    seen: set[str] = set()
    for path in sorted(files):
        pf = files[path]
        if not pf.definitions:
            continue
        language = LANGUAGES[pf.language]
        place = language.place(pf, modules.get(pf.language, {}))
        for d in pf.definitions:
            if only is not None and d.name != only:
                continue
            ident = language.symbol_id(pf, place.package, d.local)
            if ident in seen:
                ident = f"{ident}@{path}"
            seen.add(ident)
            symbols.append(Symbol(ident, d.kind, d.name, d.local, pf.language, path, d.start, d.end, place.package,
                                  d.receiver, place.package_name))
    return symbols

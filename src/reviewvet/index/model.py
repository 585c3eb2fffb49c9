"""The index as the rest of reviewvet sees it: the records the parsers produce (defined in
``records``, re-exported here) and ``RepoIndex``, one revision's parsed files and module roots
with the views derived from them on first use (placed symbols, a lookup table, the call graph).

This module sits above the languages and the call graph, which need only ``records``; building
an index from git is ``build``'s job, so nothing here touches a repository.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from reviewvet.index import graph as callgraph
from reviewvet.index.languages import LANGUAGES, go
from reviewvet.index.languages.python import repository_roots
from reviewvet.index.records import CONFIDENCES, PARSER_VERSION, Call, Definition, IndexStats, ParsedFile, Symbol
from reviewvet.index.symbols import SymbolTable

if TYPE_CHECKING:
    import networkx

__all__ = [
    "CONFIDENCES", "PARSER_VERSION", "Call", "Definition", "IndexStats", "ModuleRoots", "ParsedFile", "RepoIndex",
    "Symbol", "place_symbols",
]

ModuleRoots = dict[str, dict[str, str]]  # language -> module root folder ("" for the repo root) -> module path


@dataclass
class RepoIndex:
    """The parsed files and placed symbols of one revision."""

    rev: str
    files: dict[str, ParsedFile]
    modules: ModuleRoots
    stats: IndexStats
    notes: list[str] = field(default_factory=list)

    @property
    def go_modules(self) -> dict[str, str]:
        """Go's module roots, under the name checks read before module roots were per language."""
        return self.modules.get(go.NAME, {})

    @cached_property
    def symbols(self) -> list[Symbol]:
        return place_symbols(self.files, self.modules)

    @cached_property
    def by_id(self) -> dict[str, Symbol]:
        return {s.id: s for s in self.symbols}

    @cached_property
    def table(self) -> SymbolTable:
        return SymbolTable(self.symbols)

    @cached_property
    def outside_names(self) -> frozenset[str]:
        """Names under which the files import packages from outside the repository, every language's."""
        return frozenset(name for language in LANGUAGES.values()
                         for name in language.outside(self.files, self.modules.get(language.name, {})))

    @cached_property
    def python_roots(self) -> set[str]:
        """Top-level Python packages and modules of the repository itself."""
        return repository_roots(self.files.values())

    @cached_property
    def edges(self) -> list[callgraph.Edge]:
        return callgraph.call_edges(self.files, self.symbols, self.modules)

    @cached_property
    def neighbours(self) -> callgraph.Neighbours:
        return callgraph.neighbours(self.edges)

    @cached_property
    def graph(self) -> networkx.MultiDiGraph:
        return callgraph.build_graph(self.files, self.symbols, self.edges)


def place_symbols(files: Mapping[str, ParsedFile], modules: Mapping[str, Mapping[str, str]]) -> list[Symbol]:
    """Every definition given a revision-wide id by its language; a clash keeps both, the later
    one (by path) marked with its file."""
    symbols: list[Symbol] = []
    seen: set[str] = set()
    for path in sorted(files):
        pf = files[path]
        if not pf.definitions:
            continue
        language = LANGUAGES[pf.language]
        place = language.place(pf, modules.get(pf.language, {}))
        for d in pf.definitions:
            ident = language.symbol_id(pf, place.package, d.local)
            if ident in seen:
                ident = f"{ident}@{path}"
            seen.add(ident)
            symbols.append(Symbol(ident, d.kind, d.name, d.local, pf.language, path, d.start, d.end, place.package,
                                  d.receiver, place.package_name))
    return symbols

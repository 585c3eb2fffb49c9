"""The call graph of a revision: symbols are nodes, call sites are edges (networkx MultiDiGraph).

How a call is resolved is each language's business (``languages``); this module only
groups the languages that share a resolver and turns what they answer into edges.

Every edge carries ``path``, ``line`` and ``confidence``:

- ``exact``: resolved by name in scope — a function of the same Go package or of the
  package an import alias names, a shell function of the file or of a file it sources or
  loads, a Python name libcst resolved through the module's imports;
- ``by-type``: a method call whose receiver's type is declared in the same function (a
  parameter, the method's own receiver, ``var x T``, ``x := T{}`` / ``&T{}``), or ``self``;
- ``by-name-only``: a method call whose receiver type is unknown (or an interface): an edge
  to every method of that name in the repository;
- ``external``: nothing in the repository matches; the edge goes to ``external:<name>``.

Approximate by design: interface dispatch (by name), function values and closures (a call
inside a closure belongs to the enclosing function; calling the closure is ``external``),
types inferred only from declarations, not from what functions return.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewvet.index.languages import LANGUAGES, CallResolver, ResolverFactory, Scope, Target
from reviewvet.index.records import Call, ParsedFile, Symbol

if TYPE_CHECKING:
    import networkx

__all__ = ["Edge", "Neighbours", "Target", "build_graph", "call_edges", "neighbours"]


@dataclass(frozen=True)
class Edge:
    caller: str
    callee: str
    path: str
    line: int
    confidence: str


def call_edges(files: Mapping[str, ParsedFile], symbols: Sequence[Symbol],
               modules: Mapping[str, Mapping[str, str]]) -> list[Edge]:
    """Every call site, resolved; the plain data both graph views are built from."""
    resolver = _Resolver(files, symbols, modules)
    edges = []
    for path in sorted(files):
        pf = files[path]
        for call in pf.calls:
            caller = resolver.caller_id(pf, call.caller)
            edges += [Edge(caller, target, path, call.line, confidence)
                      for target, confidence in resolver.targets(pf, call)]
    return edges


def build_graph(files: Mapping[str, ParsedFile], symbols: Sequence[Symbol], edges: Sequence[Edge]
                ) -> networkx.MultiDiGraph:
    import networkx

    graph = networkx.MultiDiGraph()
    for s in symbols:
        graph.add_node(s.id, kind=s.kind, path=s.path, start=s.start, end=s.end, language=s.language)
    for e in edges:
        if e.caller not in graph:
            graph.add_node(e.caller, kind="main", path=e.path, start=0, end=0, language=files[e.path].language)
        if e.callee not in graph:
            graph.add_node(e.callee, kind="external", path="", start=0, end=0, language="")
        graph.add_edge(e.caller, e.callee, path=e.path, line=e.line, confidence=e.confidence)
    return graph


@dataclass(frozen=True)
class Neighbours:
    """Callers and callees by symbol id, without networkx (whose import alone costs a third of a
    second): what provenance needs to tell a widened gap."""

    callers: dict[str, tuple[str, ...]]
    callees: dict[str, tuple[str, ...]]


def neighbours(edges: Sequence[Edge]) -> Neighbours:
    callers: dict[str, list[str]] = defaultdict(list)
    callees: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        callers[e.callee].append(e.caller)
        callees[e.caller].append(e.callee)
    return Neighbours({k: tuple(dict.fromkeys(v)) for k, v in callers.items()},
                      {k: tuple(dict.fromkeys(v)) for k, v in callees.items()})


class _Resolver:
    """Caller ids from the symbols of each file; call targets from each language's own resolver."""

    def __init__(self, files: Mapping[str, ParsedFile], symbols: Sequence[Symbol],
                 modules: Mapping[str, Mapping[str, str]]) -> None:
        self.by_file_local: dict[tuple[str, str], str] = {}
        for s in symbols:
            self.by_file_local.setdefault((s.path, s.local), s.id)
        self.by_language = _language_resolvers(files, symbols, modules)

    def caller_id(self, pf: ParsedFile, local: str) -> str:
        found = self.by_file_local.get((pf.path, local))
        return found if found else LANGUAGES[pf.language].main_id(pf)

    def targets(self, pf: ParsedFile, call: Call) -> list[Target]:
        return self.by_language[pf.language].targets(pf, call)


def _language_resolvers(files: Mapping[str, ParsedFile], symbols: Sequence[Symbol],
                        modules: Mapping[str, Mapping[str, str]]) -> dict[str, CallResolver]:
    """One resolver per resolver factory, shared by the languages that name it (shell and BATS
    call into each other's files), seeing the symbols and module roots of those languages only."""
    groups: dict[ResolverFactory, list[str]] = defaultdict(list)
    for language in LANGUAGES.values():
        groups[language.resolver].append(language.name)
    resolvers: dict[str, CallResolver] = {}
    for factory, names in groups.items():
        scope = Scope(files, tuple(s for s in symbols if s.language in names),
                      {root: path for name in names for root, path in modules.get(name, {}).items()},
                      frozenset(names))
        resolvers.update(dict.fromkeys(names, factory(scope)))
    return resolvers

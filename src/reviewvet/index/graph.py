"""The call graph of a revision: symbols are nodes, call sites are edges (networkx MultiDiGraph).

How a call is resolved is each language's business (``languages``); this module only
groups the languages that share a resolver and turns what they answer into edges.

Every edge carries ``path``, ``line`` (the line of the called name, not where the call
expression starts) and ``confidence``:

- ``exact``: resolved by name in scope — a function of the same Go package or of the
  package an import alias names, a shell function of the file or of a file it sources or
  loads, a Python name libcst resolved through the module's imports;
- ``by-type``: a method call whose receiver's type is known: declared in the same function
  (a parameter, the method's own receiver, ``var x T``, ``x := T{}`` / ``&T{}``), or
  ``self``; in Go also the declared result of a function or method (``x, err := NewT()``,
  ``a.B().C()``), a struct field's type (promoted through embedded fields), a package-level
  variable's, an element of a slice or map, a type assertion's;
- ``by-name-only``: a method call whose receiver type is unknown (or an interface): an edge
  to every method of that name in the repository;
- ``external``: nothing in the repository matches; the edge goes to ``external:<name>``;
- ``reference``: not a call but a Go function or method of the repository named as a value
  (``RunE: run``, ``http.HandleFunc("/", handle)``, ``f := pkg.Fn``, ``s.serve`` passed on).
  Only names that resolve to a repository function become edges; nothing else is recorded.

Approximate by design: interface dispatch (by name), closures (a call inside a closure
belongs to the enclosing function; calling the closure is ``external``), shadowing inside a
function (the last declaration of a name wins), type switches and generic type arguments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewvet.index.files import SourceFiles
from reviewvet.index.languages import LANGUAGES, CallResolver, Listed, ResolverFactory, Scope, Symbols, Target
from reviewvet.index.names import CALLS, call_names
from reviewvet.index.records import Call, ParsedFile, Symbol

if TYPE_CHECKING:
    import networkx

__all__ = ["CallSites", "Edge", "Target", "build_graph", "call_edges"]

MAX_BY_NAME = 32  # methods one call of an unknown receiver is expanded to on a query; the rest are counted


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
    resolver = _Resolver(files, Listed(symbols), modules)
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


class CallSites:
    """The call graph asked one node at a time: only the call sites that can reach the node are
    resolved, so a query costs what that node's name is called, not what the repository holds.

    A call site can reach a symbol only under the symbol's own name: the name written at the call
    or, for Python, the last part of a qualified name the parser resolved it to. Edges come in the
    order ``call_edges`` lists them (by path, then call), so both views agree.
    """

    def __init__(self, files: SourceFiles, symbols: Symbols, modules: Mapping[str, Mapping[str, str]],
                 symbol: Callable[[str], Symbol | None]) -> None:
        self.files, self.symbols, self.modules = files, symbols, modules
        self._symbol = symbol  # a placed symbol by id
        self._resolver: _Resolver | None = None
        self._into: dict[str, dict[str, list[Edge]]] = {}

    def resolver(self) -> _Resolver:
        if self._resolver is None:
            self._resolver = _Resolver(self.files, self.symbols, self.modules)
        return self._resolver

    def sites(self, name: str) -> list[tuple[ParsedFile, Call]]:
        """Every call site that may name ``name``, by path and then in file order, read from the
        files the index says call it."""
        paths = self.files.having(CALLS, name)
        self.files.load(paths)
        return [(pf, call) for path in paths for pf in (self.files[path],) for call in pf.calls
                if name in call_names(call)]

    def into(self, node: str) -> list[Edge]:
        """The edges that end at ``node``: a symbol id or ``external:<written name>``."""
        symbol = self._symbol(node)
        name = symbol.name if symbol is not None else node.removeprefix("external:").rsplit(".", 1)[-1]
        return list(self._into_named(name).get(node, ()))

    def _into_named(self, name: str) -> dict[str, list[Edge]]:
        """Every edge of the call sites that may name ``name``, by the node it ends at (made once per
        name: the many methods of one name are asked about in turn)."""
        if name not in self._into:
            resolver = self.resolver()
            by_target: dict[str, list[Edge]] = defaultdict(list)
            for pf, call in self.sites(name):
                for target, confidence in resolver.targets(pf, call):
                    by_target[target].append(
                        Edge(resolver.caller_id(pf, call.caller), target, pf.path, call.line, confidence))
            self._into[name] = by_target
        return self._into[name]

    def out_of(self, node: str) -> list[Edge]:
        """The edges that start at ``node``; an unknown receiver's method call is expanded to at most
        ``MAX_BY_NAME`` methods of that name, the rest given as one edge to ``by-name:<name> (+N)``."""
        symbol = self._symbol(node)
        if symbol is None and not node.endswith("<main>"):
            return []  # only symbols and top-level code call anything
        paths = [symbol.path] if symbol is not None else sorted(self.files)
        self.files.load(paths)
        resolver = self.resolver()
        edges = []
        for path in paths:
            pf = self.files[path]
            for call in pf.calls:
                caller = resolver.caller_id(pf, call.caller)
                if caller == node:
                    edges += _capped(caller, pf.path, call.line, resolver.targets(pf, call))
        return edges

    def neighbours(self, node: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The callers and the callees of ``node``, each once, in edge order."""
        callers = tuple(dict.fromkeys(e.caller for e in self.into(node)))
        callees = tuple(dict.fromkeys(e.callee for e in self.out_of(node)))
        return callers, callees


def _capped(caller: str, path: str, line: int, targets: list[Target]) -> list[Edge]:
    edges = [Edge(caller, target, path, line, confidence) for target, confidence in targets[:MAX_BY_NAME]]
    rest = len(targets) - MAX_BY_NAME
    if rest > 0:
        name = targets[0][0].rsplit(".", 1)[-1]
        edges.append(Edge(caller, f"by-name:{name} (+{rest})", path, line, "by-name-only"))
    return edges


class _Resolver:
    """Caller ids from the symbols of each file; call targets from each language's own resolver."""

    def __init__(self, files: Mapping[str, ParsedFile], symbols: Symbols,
                 modules: Mapping[str, Mapping[str, str]]) -> None:
        self.symbols = symbols
        self.by_file_local: dict[str, dict[str, str]] = {}
        self.by_language = _language_resolvers(files, symbols, modules)
        self.resolved: dict[tuple[str, Call], list[Target]] = {}  # a call site asked about again is not resolved again

    def caller_id(self, pf: ParsedFile, local: str) -> str:
        if pf.path not in self.by_file_local:
            mine: dict[str, str] = {}
            for s in self.symbols.in_file(pf.path):
                mine.setdefault(s.local, s.id)
            self.by_file_local[pf.path] = mine
        found = self.by_file_local[pf.path].get(local)
        return found if found else LANGUAGES[pf.language].main_id(pf)

    def targets(self, pf: ParsedFile, call: Call) -> list[Target]:
        key = (pf.path, call)
        if key not in self.resolved:
            self.resolved[key] = self.by_language[pf.language].targets(pf, call)
        return self.resolved[key]


def _language_resolvers(files: Mapping[str, ParsedFile], symbols: Symbols,
                        modules: Mapping[str, Mapping[str, str]]) -> dict[str, CallResolver]:
    """One resolver per resolver factory, shared by the languages that name it (shell and BATS
    call into each other's files), seeing the symbols and module roots of those languages only."""
    groups: dict[ResolverFactory, list[str]] = defaultdict(list)
    for language in LANGUAGES.values():
        groups[language.resolver].append(language.name)
    resolvers: dict[str, CallResolver] = {}
    for factory, names in groups.items():
        scope = Scope(files, symbols, {root: path for name in names for root, path in modules.get(name, {}).items()},
                      frozenset(names), files.load if isinstance(files, SourceFiles) else None)
        resolvers.update(dict.fromkeys(names, factory(scope)))
    return resolvers

"""The call graph of a revision: symbols are nodes, call sites are edges (networkx MultiDiGraph).

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

import posixpath
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewvet.index.model import Call, ParsedFile, Symbol

if TYPE_CHECKING:
    import networkx

    from reviewvet.index.build import RepoIndex

Target = tuple[str, str]  # (node id, confidence)


@dataclass(frozen=True)
class Edge:
    caller: str
    callee: str
    path: str
    line: int
    confidence: str


def call_edges(index: RepoIndex) -> list[Edge]:
    """Every call site, resolved; the plain data both graph views are built from."""
    resolver = _Resolver(index)
    edges = []
    for path in sorted(index.files):
        pf = index.files[path]
        for call in pf.calls:
            caller = resolver.caller_id(pf, call.caller)
            edges += [Edge(caller, target, path, call.line, confidence)
                      for target, confidence in resolver.targets(pf, call)]
    return edges


def build_graph(index: RepoIndex) -> networkx.MultiDiGraph:
    import networkx

    graph = networkx.MultiDiGraph()
    for s in index.symbols:
        graph.add_node(s.id, kind=s.kind, path=s.path, start=s.start, end=s.end, language=s.language)
    for e in index.edges:
        if e.caller not in graph:
            graph.add_node(e.caller, kind="main", path=e.path, start=0, end=0, language=index.files[e.path].language)
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


def neighbours(index: RepoIndex) -> Neighbours:
    callers: dict[str, list[str]] = defaultdict(list)
    callees: dict[str, list[str]] = defaultdict(list)
    for e in index.edges:
        callers[e.callee].append(e.caller)
        callees[e.caller].append(e.callee)
    return Neighbours({k: tuple(dict.fromkeys(v)) for k, v in callers.items()},
                      {k: tuple(dict.fromkeys(v)) for k, v in callees.items()})


class _Resolver:
    def __init__(self, index: RepoIndex) -> None:
        from reviewvet.index.build import go_import_path

        self.index = index
        self.by_file_local: dict[tuple[str, str], str] = {}
        self.go_funcs: dict[tuple[str, str], str] = {}  # (package, name) -> id
        self.go_types: set[tuple[str, str]] = set()
        self.go_methods: dict[tuple[str, str, str], str] = {}  # (package, type, name) -> id
        self.methods_by_name: dict[str, list[str]] = defaultdict(list)
        self.go_package_names: dict[str, str] = {}
        self.shell_funcs: dict[str, dict[str, str]] = defaultdict(dict)  # path -> name -> id
        self.python: dict[str, str] = {}  # full dotted name -> id
        self.py_methods_by_name: dict[str, list[str]] = defaultdict(list)
        for s in index.symbols:
            self.by_file_local.setdefault((s.path, s.local), s.id)
            self._register(s)
        for path, pf in index.files.items():
            if pf.language == "go" and pf.package:
                self.go_package_names[go_import_path(posixpath.dirname(path), index.go_modules)] = pf.package
        self.go_import_path = go_import_path

    def _register(self, s: Symbol) -> None:
        if s.language == "go":
            if s.kind == "function":
                self.go_funcs.setdefault((s.package, s.name), s.id)
            elif s.kind == "type":
                self.go_types.add((s.package, s.name))
            elif s.kind == "method":
                self.go_methods.setdefault((s.package, s.receiver.lstrip("*"), s.name), s.id)
                self.methods_by_name[s.name].append(s.id)
        elif s.language in ("shell", "bats") and s.kind == "function":
            self.shell_funcs[s.path].setdefault(s.name, s.id)
        elif s.language == "python":
            self.python.setdefault(f"{s.package}.{s.local}" if s.package else s.local, s.id)
            if s.kind == "method":
                self.py_methods_by_name[s.name].append(s.id)

    def caller_id(self, pf: ParsedFile, local: str) -> str:
        found = self.by_file_local.get((pf.path, local))
        if found:
            return found
        if pf.language == "python":
            return f"{pf.package}.<main>"
        return f"{pf.path}::<main>"

    def targets(self, pf: ParsedFile, call: Call) -> list[Target]:
        if pf.language == "go":
            return self._go(pf, call)
        if pf.language in ("shell", "bats"):
            return self._shell(pf, call)
        return self._python(pf, call)

    # -- Go -----------------------------------------------------------------------------------

    def _go(self, pf: ParsedFile, call: Call) -> list[Target]:
        package = self.go_import_path(posixpath.dirname(pf.path), self.index.go_modules)
        written = f"{call.qualifier}.{call.name}" if call.qualifier and call.qualifier != "<expr>" else call.name
        if not call.qualifier:
            if (package, call.name) in self.go_types:
                return []  # a conversion, T(x), is not a call
            found = None if call.local_value else self.go_funcs.get((package, call.name))
            return [(found, "exact")] if found else [(f"external:{written}", "external")]
        imported = self._go_alias(pf, call.qualifier)
        if imported is not None and not call.receiver_type:
            if (imported, call.name) in self.go_types:
                return []
            found = self.go_funcs.get((imported, call.name))
            return [(found, "exact")] if found else [(f"external:{written}", "external")]
        if call.receiver_type:
            owner = self._go_type(pf, package, call.receiver_type)
            if owner is not None:
                found = self.go_methods.get((owner[0], owner[1], call.name))
                if found:
                    return [(found, "by-type")]
                if owner not in self.go_types:
                    return [(f"external:{written}", "external")]
        same_name = self.methods_by_name.get(call.name, [])
        if same_name:
            return [(target, "by-name-only") for target in sorted(same_name)]
        return [(f"external:{written}", "external")]

    def _go_alias(self, pf: ParsedFile, qualifier: str) -> str | None:
        for alias, path in pf.imports:
            if alias == qualifier:
                return path
            if not alias and (self.go_package_names.get(path) or posixpath.basename(path)) == qualifier:
                return path
        return None

    def _go_type(self, pf: ParsedFile, package: str, type_text: str) -> tuple[str, str] | None:
        """(package, type name) of a receiver type written in this file, like ``*T`` or ``pkg.T``."""
        bare = type_text.lstrip("*&[]").split("[", 1)[0]
        if "." in bare:
            qualifier, name = bare.split(".", 1)
            imported = self._go_alias(pf, qualifier)
            return (imported, name) if imported is not None else None
        return (package, bare)

    # -- shell and BATS -------------------------------------------------------------------------

    def _shell(self, pf: ParsedFile, call: Call) -> list[Target]:
        for path in self._visible_files(pf.path):
            found = self.shell_funcs.get(path, {}).get(call.name)
            if found:
                return [(found, "exact")]
        return [(f"external:{call.name}", "external")]

    def _visible_files(self, path: str, seen: set[str] | None = None) -> list[str]:
        """The file and, transitively, every file it sources or loads."""
        seen = seen if seen is not None else set()
        if path in seen:
            return []
        seen.add(path)
        visible = [path]
        pf = self.index.files.get(path)
        for _, written in pf.imports if pf else ():
            target = resolve_source(path, written, self.index.files)
            if target:
                visible += self._visible_files(target, seen)
        return visible

    # -- Python -----------------------------------------------------------------------------------

    def _python(self, pf: ParsedFile, call: Call) -> list[Target]:
        for candidate in call.candidates:
            full = self._absolute(pf.package, candidate)
            if full in self.python:
                return [(self.python[full], "exact")]
        if call.receiver_type:
            found = self.python.get(f"{pf.package}.{call.receiver_type}.{call.name}")
            if found:
                return [(found, "by-type")]
        if not call.qualifier:
            found = self.python.get(f"{pf.package}.{call.name}")
            if found:
                return [(found, "exact")]
        elif call.name in self.py_methods_by_name:
            return [(t, "by-name-only") for t in sorted(self.py_methods_by_name[call.name])]
        written = f"{call.qualifier}.{call.name}" if call.qualifier else call.name
        return [(f"external:{written}", "external")]

    @staticmethod
    def _absolute(module: str, name: str) -> str:
        if not name.startswith("."):
            return name
        dots = len(name) - len(name.lstrip("."))
        base = module.split(".")[: max(0, len(module.split(".")) - dots)]
        return ".".join([*base, name.lstrip(".")])


def resolve_source(path: str, written: str, files: dict[str, ParsedFile]) -> str | None:
    """The repository file a ``source``/``.``/``load`` argument names, tried as bash would find it."""
    text = written.strip("'\"")
    for marker in ("}", ")"):
        if marker in text:
            text = text.rsplit(marker, 1)[1]
    text = text.lstrip("/").removeprefix("./")
    if not text or "$" in text:
        return None
    here = posixpath.dirname(path)
    for base in (here, ""):
        for suffix in ("", ".bash", ".sh"):
            candidate = posixpath.normpath(posixpath.join(base, text + suffix))
            if candidate in files:
                return candidate
    return None

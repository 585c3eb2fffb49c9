"""Go: parsing with tree-sitter and ``grammars/go.scm``, symbols placed under their package's
import path (from the nearest ``go.mod``), and calls resolved through packages, import aliases
and the receiver types declared in the same function."""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

import reviewvet.index.languages.treesitter as ts
from reviewvet.index.languages.base import Language, Modules, Place, Scope, Target
from reviewvet.index.records import Call, Definition, ParsedFile, Symbol

if TYPE_CHECKING:
    from tree_sitter import Node

    from reviewvet.index.languages.treesitter import Captures

NAME = "go"
GRAMMAR = "tree_sitter_go"
GO_BUILTINS = frozenset(
    "append cap clear close complex copy delete imag len make max min new panic print println real recover".split()
)
GO_PREDECLARED_TYPES = frozenset(
    "any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune "
    "string uint uint8 uint16 uint32 uint64 uintptr".split()
)
_FUNCTIONS = ("function_declaration", "method_declaration")


# -- parsing -------------------------------------------------------------------------------------


class _Collected:
    """What the query matches of one file gave, before calls can be told their caller."""

    def __init__(self) -> None:
        self.package = ""
        self.imports: list[tuple[str, str]] = []
        self.definitions: list[Definition] = []
        self.call_nodes: list[tuple[Node, Node | None]] = []
        self.typed: list[tuple[Node, str, str]] = []  # (node, variable, type)

    def add(self, caps: Captures) -> None:
        if "name.package" in caps:
            self.package = ts.text(caps["name.package"][0])
        elif "import.path" in caps:
            alias = ts.text(caps["import.alias"][0]) if "import.alias" in caps else ""
            self.imports.append((alias, ts.text(caps["import.path"][0]).strip('"`')))
        elif "name.reference.call" in caps:
            qualifier = caps["reference.qualifier"][0] if "reference.qualifier" in caps else None
            self.call_nodes.append((caps["reference.call"][0], qualifier))
        elif "typed.name" in caps:
            node = caps["typed.name"][0]
            self.typed.append((node, ts.text(node), ts.text(caps["typed.type"][0])))
        else:
            self.definitions.extend(_definition(caps))


def parse_go(path: str, data: bytes) -> ParsedFile:
    tree = ts.parse(GRAMMAR, data)
    found = _Collected()
    for _, caps in ts.matches(GRAMMAR, "go", tree):
        found.add(caps)
    enclosing = _Enclosing(found.definitions)
    types: dict[str, dict[str, str]] = {}
    for node, variable, type_text in found.typed:
        types.setdefault(enclosing.name(node), {})[variable] = type_text
    calls = [_call(node, qualifier, enclosing, types) for node, qualifier in found.call_nodes]
    return ParsedFile(path, NAME, found.package, tuple(found.definitions), tuple(c for c in calls if c),
                      tuple(found.imports), ts.errors(tree))


def _definition(caps: Captures) -> list[Definition]:
    for kind in ("function", "method", "type", "var", "constant"):
        key = f"name.definition.{kind}"
        if key not in caps:
            continue
        name = ts.text(caps[key][0])
        node = caps[f"definition.{kind}"][0]
        if kind in ("type", "var", "constant") and node.parent is not None and node.parent.named_child_count == 1:
            node = node.parent  # `type T struct {...}`: the whole declaration
        start, end = ts.lines(node)
        if kind == "method":
            receiver = receiver_type(ts.text(caps["receiver"][0]))
            local = f"({receiver}).{name}" if receiver.startswith("*") else f"{receiver}.{name}"
            return [Definition("method", name, local, start, end, receiver)]
        return [Definition("const" if kind == "constant" else kind, name, name, start, end)]
    return []


def receiver_type(text: str) -> str:
    """``*Store`` from ``(s *Store)``, ``Store`` from ``(Store)``; type parameters dropped."""
    inner = text.strip().strip("()").strip()
    inner = re.sub(r"\[.*\]", "", inner)
    token = inner.split()[-1] if inner.split() else inner
    return token


class _Enclosing:
    """Which function or method a node lies in."""

    def __init__(self, definitions: list[Definition]) -> None:
        self.by_lines = {(d.start, d.end): d.local for d in definitions if d.kind in ("function", "method")}

    def name(self, node: Node) -> str:
        current = node.parent
        while current is not None:
            if current.type in _FUNCTIONS:
                found = self.by_lines.get(ts.lines(current))
                if found:
                    return found
            current = current.parent
        return "<main>"


def _call(node: Node, qualifier: Node | None, enclosing: _Enclosing, types: dict[str, dict[str, str]]) -> Call | None:
    function = node.child_by_field_name("function")
    caller = enclosing.name(node)
    line = node.start_point[0] + 1
    local_types = types.get(caller, {})
    if qualifier is None:
        name = ts.text(function)
        if name in GO_BUILTINS or name in GO_PREDECLARED_TYPES:
            return None
        return Call(caller, name, line, local_value=name in local_types or _assigned_locally(node, name))
    name = ts.text(function.child_by_field_name("field") if function is not None else None)
    qual_text = ts.text(qualifier)
    plain = qualifier.type == "identifier"
    return Call(caller, name, line, qualifier=qual_text if plain else "<expr>",
                receiver_type=local_types.get(qual_text, "") if plain else "")


def _assigned_locally(node: Node, name: str) -> bool:
    """Whether ``name`` is assigned with ``:=`` in the function around ``node`` (a function value)."""
    current = node.parent
    while current is not None and current.type not in _FUNCTIONS:
        current = current.parent
    if current is None:
        return False
    body = ts.text(current)
    return re.search(rf"(?<![\w.]){re.escape(name)}\s*(?:,\s*\w+\s*)?:=", body) is not None


def _warm_up() -> None:
    ts.query(GRAMMAR, "go")


# -- packages and symbols ------------------------------------------------------------------------


def module_path(data: bytes) -> str:
    """The ``module`` line of a go.mod."""
    match = re.search(rb"^\s*module\s+(\S+)", data, re.M)
    return match.group(1).decode("utf-8", "replace").strip('"') if match else ""


def go_import_path(directory: str, modules: Modules) -> str:
    """The import path of the Go package in ``directory``, from the nearest go.mod above it."""
    root = directory
    while True:
        if root in modules and modules[root]:
            rel = directory[len(root):].lstrip("/")
            return f"{modules[root]}/{rel}" if rel else modules[root]
        if not root:
            return directory
        root = posixpath.dirname(root)


def _place(pf: ParsedFile, modules: Modules) -> Place:
    """A Go package is its folder, named by import path; the package clause is kept beside it."""
    return Place(go_import_path(posixpath.dirname(pf.path), modules), pf.package)


def _symbol_id(pf: ParsedFile, package: str, local: str) -> str:
    return f"{package}.{local}"


def _qualifies(symbol: Symbol, qualifier: str) -> bool:
    """Reviews write the package clause, the folder or the tail of the import path."""
    last = qualifier.rsplit(".", 1)[-1]
    return last in (symbol.package_name, posixpath.basename(symbol.package)) or symbol.package.endswith(
        "/" + qualifier)


# -- calls -----------------------------------------------------------------------------------------


class GoResolver:
    """Calls resolved by package, import alias and declared receiver type; else by method name."""

    def __init__(self, scope: Scope) -> None:
        self.modules = scope.modules
        self.funcs: dict[tuple[str, str], str] = {}  # (package, name) -> id
        self.types: set[tuple[str, str]] = set()
        self.methods: dict[tuple[str, str, str], str] = {}  # (package, type, name) -> id
        self.methods_by_name: dict[str, list[str]] = defaultdict(list)
        for s in scope.symbols:
            self._register(s)
        self.package_names = {go_import_path(posixpath.dirname(path), scope.modules): pf.package
                              for path, pf in scope.files.items() if pf.language in scope.languages and pf.package}

    def _register(self, s: Symbol) -> None:
        if s.kind == "function":
            self.funcs.setdefault((s.package, s.name), s.id)
        elif s.kind == "type":
            self.types.add((s.package, s.name))
        elif s.kind == "method":
            self.methods.setdefault((s.package, s.receiver.lstrip("*"), s.name), s.id)
            self.methods_by_name[s.name].append(s.id)

    def targets(self, pf: ParsedFile, call: Call) -> list[Target]:
        package = go_import_path(posixpath.dirname(pf.path), self.modules)
        written = f"{call.qualifier}.{call.name}" if call.qualifier and call.qualifier != "<expr>" else call.name
        if not call.qualifier:
            if (package, call.name) in self.types:
                return []  # a conversion, T(x), is not a call
            found = None if call.local_value else self.funcs.get((package, call.name))
            return [(found, "exact")] if found else [(f"external:{written}", "external")]
        imported = self._alias(pf, call.qualifier)
        if imported is not None and not call.receiver_type:
            return self._imported(imported, call.name, written)
        if call.receiver_type:
            by_type = self._by_type(pf, package, call, written)
            if by_type is not None:
                return by_type
        same_name = self.methods_by_name.get(call.name, [])
        if same_name:
            return [(target, "by-name-only") for target in sorted(same_name)]
        return [(f"external:{written}", "external")]

    def _imported(self, imported: str, name: str, written: str) -> list[Target]:
        if (imported, name) in self.types:
            return []
        found = self.funcs.get((imported, name))
        return [(found, "exact")] if found else [(f"external:{written}", "external")]

    def _by_type(self, pf: ParsedFile, package: str, call: Call, written: str) -> list[Target] | None:
        """The method of a receiver whose type is known; None when only its name can decide."""
        owner = self._type(pf, package, call.receiver_type)
        if owner is None:
            return None
        found = self.methods.get((owner[0], owner[1], call.name))
        if found:
            return [(found, "by-type")]
        if owner not in self.types:
            return [(f"external:{written}", "external")]
        return None

    def _alias(self, pf: ParsedFile, qualifier: str) -> str | None:
        for alias, path in pf.imports:
            if alias == qualifier:
                return path
            if not alias and (self.package_names.get(path) or posixpath.basename(path)) == qualifier:
                return path
        return None

    def _type(self, pf: ParsedFile, package: str, type_text: str) -> tuple[str, str] | None:
        """(package, type name) of a receiver type written in this file, like ``*T`` or ``pkg.T``."""
        bare = type_text.lstrip("*&[]").split("[", 1)[0]
        if "." in bare:
            qualifier, name = bare.split(".", 1)
            imported = self._alias(pf, qualifier)
            return (imported, name) if imported is not None else None
        return (package, bare)


def _outside(files: Mapping[str, ParsedFile], modules: Modules) -> set[str]:
    own = {path: f for path, f in files.items() if f.language == NAME}
    local = {go_import_path(posixpath.dirname(path), modules) for path in own}
    return {alias or posixpath.basename(imported) for f in own.values() for alias, imported in f.imports
            if imported not in local}


GO = Language(
    name=NAME,
    extensions=(".go",),
    fences=("go",),
    parse=parse_go,
    resolver=GoResolver,
    manifest="go.mod",
    module_path=module_path,
    place=_place,
    symbol_id=_symbol_id,
    qualifies=_qualifies,
    warm_up=_warm_up,
    grammar=GRAMMAR,
    outside=_outside,
)

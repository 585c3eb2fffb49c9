"""Go: parsing with tree-sitter and ``grammars/go.scm``, symbols placed under their package's
import path (from the nearest ``go.mod``), and calls resolved through packages, import aliases
and the receiver types declared in the same function."""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

import reviewvet.index.languages.treesitter as ts
from reviewvet.index.languages.base import Language, Modules, Place, Scope, Target
from reviewvet.index.records import Call, Definition, Field, ParsedFile, Symbol

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

_NOT_FUNCTIONS = frozenset({"nil", "true", "false", "iota", "_"})
_MAX_STEPS = 12  # a longer receiver descriptor is dropped (chains that long are generated code)


class _Collected:
    """What the query matches of one file gave, before calls can be told their caller."""

    def __init__(self) -> None:
        self.package = ""
        self.imports: list[tuple[str, str]] = []
        self.definitions: list[Definition] = []
        self.call_nodes: list[tuple[Node, Node | None]] = []
        self.values: list[Node] = []  # names used as values: maybe functions
        self.locals: list[Node] = []  # names a function declares
        self.typed: list[tuple[Node, Node, str]] = []  # (variable, a node, "type" / "value" / "range")
        self.fields: list[Field] = []
        self._data: set[str] | None = None
        self._fields: set[str] = set()

    def add(self, caps: Captures) -> None:
        if "name.package" in caps:
            self.package = ts.text(caps["name.package"][0])
        elif "import.path" in caps:
            self._import(caps)
        elif "name.reference.call" in caps:
            qualifier = caps["reference.qualifier"][0] if "reference.qualifier" in caps else None
            self.call_nodes.append((caps["reference.call"][0], qualifier))
        elif "reference.value" in caps:
            self.values.append(caps["reference.value"][0])
        elif "local.name" in caps:
            self.locals.append(caps["local.name"][0])
        elif "typed.name" in caps:
            kind = next(k for k in ("type", "value", "range") if f"typed.{k}" in caps)
            self.typed.append((caps["typed.name"][0], caps[f"typed.{kind}"][0], kind))
        elif "field.owner" in caps:
            self.fields.extend(_fields(ts.text(caps["field.owner"][0]), caps["field.declaration"][0]))
        else:
            self.definitions.extend(_definition(caps))

    def declares_data(self, name: str, *, fields: bool = False) -> bool:
        """Whether the file declares ``name`` as a variable, constant or type (or a field)."""
        if self._data is None:
            self._data = {d.name for d in self.definitions if d.kind in ("var", "const", "type")}
            self._fields = {f.name for f in self.fields}
        return name in self._data or (fields and name in self._fields)

    def _import(self, caps: Captures) -> None:
        alias = ts.text(caps["import.alias"][0]) if "import.alias" in caps else ""
        self.imports.append((alias, ts.text(caps["import.path"][0]).strip('"`')))


def parse_go(path: str, data: bytes) -> ParsedFile:
    tree = ts.parse(GRAMMAR, data)
    found = _Collected()
    for _, caps in ts.matches(GRAMMAR, "go", tree):
        found.add(caps)
    enclosing = _Enclosing(found.definitions)
    scopes, variables = _scopes(found, enclosing)
    calls = [_call(node, qualifier, enclosing, scopes) for node, qualifier in found.call_nodes]
    calls += [_reference(node, enclosing, scopes) for node in found.values if not _surely_data(node, found)]
    ordered = sorted((c for c in calls if c), key=lambda c: c.line)
    return ParsedFile(path, NAME, found.package, tuple(found.definitions), tuple(ordered),
                      tuple(found.imports), ts.errors(tree), fields=tuple(found.fields),
                      variables=tuple(sorted(variables.items())))


def _surely_data(node: Node, found: _Collected) -> bool:
    """A name used as a value that this file declares as a variable, constant, type or field."""
    if node.type == "selector_expression":
        name = ts.text(node.child_by_field_name("field"))
        return found.declares_data(name, fields=True)
    return found.declares_data(ts.text(node))


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
            return [Definition("method", name, local, start, end, receiver, _result(node))]
        if kind == "function":
            return [Definition("function", name, name, start, end, result=_result(node))]
        return [Definition("const" if kind == "constant" else kind, name, name, start, end)]
    return []


def _result(node: Node) -> str:
    """The type of a function's first result, as written; empty when it returns nothing."""
    result = node.child_by_field_name("result")
    if result is not None and result.type == "parameter_list":
        first = next((c for c in result.named_children if c.type == "parameter_declaration"), None)
        result = first.child_by_field_name("type") if first is not None else None
    return _type_text(result)


def _fields(owner: str, declaration: Node) -> list[Field]:
    """The fields one line of a struct declares; an embedded one is named after its type. A method
    an interface declares is a field ``Name()`` of its first result's type; an embedded interface
    is an embedded field."""
    if declaration.type == "method_elem":
        return [Field(owner, ts.text(declaration.child_by_field_name("name")) + "()", _result(declaration))]
    if declaration.type == "type_elem":
        embedded = declaration.named_children[0] if declaration.named_children else None
        type_text = _type_text(embedded)
        return [Field(owner, type_text.rsplit(".", 1)[-1], type_text, True)] if type_text else []
    type_text = _type_text(declaration.child_by_field_name("type"))
    names = declaration.children_by_field_name("name")
    if names:
        return [Field(owner, ts.text(n), type_text) for n in names]
    bare = type_text.lstrip("*").split("[", 1)[0].rsplit(".", 1)[-1]
    return [Field(owner, bare, type_text, True)] if bare else []


def receiver_type(text: str) -> str:
    """``*Store`` from ``(s *Store)``, ``Store`` from ``(Store)``; type parameters dropped."""
    inner = text.strip().strip("()").strip()
    inner = re.sub(r"\[.*\]", "", inner)
    token = inner.split()[-1] if inner.split() else inner
    return token


def _type_text(node: Node | None) -> str:
    """A type as written, without spaces (a descriptor's steps are separated by spaces)."""
    return "".join(ts.text(node).split())


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


class _Scope:
    """What one function declares: its names, and the receiver descriptors of those whose type is known."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.types: dict[str, str] = {}

    def declares(self, name: str) -> bool:
        return name in self.names or name in self.types

    def of(self, name: str) -> str:
        """A variable's descriptor; ``@name`` for a name the function does not declare."""
        if name in self.types:
            return self.types[name]
        return "" if name in self.names else f"@{name}"


_NO_SCOPE = _Scope()


def _scopes(found: _Collected, enclosing: _Enclosing) -> tuple[dict[str, _Scope], dict[str, str]]:
    """Each function's scope, and the descriptors of the package-level variables of the file.

    Declarations are read in file order (a declared type after a value of the same line), the
    last one of a name winning: shadowing in inner blocks is not told apart."""
    scopes: dict[str, _Scope] = defaultdict(_Scope)
    for node in found.locals:
        function = enclosing.name(node)
        if function != "<main>":
            scopes[function].names.add(ts.text(node))
    variables: dict[str, str] = {}
    for name, node, kind in sorted(found.typed, key=lambda t: (t[0].start_byte, t[2] == "type")):
        function = enclosing.name(name)
        scope = scopes[function]
        variable = ts.text(name)
        descriptor = _type_text(node) if kind == "type" else _describe(node, scope)
        if kind == "range":
            descriptor = _indexed(descriptor)
        if descriptor:
            scope.types[variable] = descriptor
        else:
            scope.types.pop(variable, None)
        if function == "<main>" and descriptor and _top_level(name):
            variables[variable] = descriptor
    return scopes, variables


def _top_level(name: Node) -> bool:
    """Whether a var_spec's name is declared at package level."""
    current = name.parent
    while current is not None and current.type in ("var_spec", "var_spec_list", "var_declaration"):
        current = current.parent
    return current is not None and current.type == "source_file"


def _describe(node: Node | None, scope: _Scope) -> str:
    """How the value of an expression gets its type, as a receiver descriptor; empty when unknown."""
    if node is None:
        return ""
    kind = node.type
    if kind == "identifier":
        return scope.of(ts.text(node))
    if kind in ("composite_literal", "type_assertion_expression"):
        return _type_text(node.child_by_field_name("type"))
    if kind == "selector_expression":
        return _step(_describe(node.child_by_field_name("operand"), scope), ts.text(node.child_by_field_name("field")))
    if kind == "call_expression":
        return _describe_call(node, scope)
    if kind == "index_expression":
        return _indexed(_describe(node.child_by_field_name("operand"), scope))
    if kind == "parenthesized_expression" and node.named_children:
        return _describe(node.named_children[0], scope)
    if kind == "unary_expression" and ts.text(node.child_by_field_name("operator")) in ("&", "*"):
        return _describe(node.child_by_field_name("operand"), scope)
    return ""


def _indexed(base: str) -> str:
    """An element of what ``base`` describes (``xs[i]``, a range's value): ``[]`` added to its last step."""
    return f"{base}[]" if base else ""


def _step(base: str, step: str) -> str:
    if not base or base.count(" ") >= _MAX_STEPS:
        return ""
    return f"{base} .{step}"


def _describe_call(node: Node, scope: _Scope) -> str:
    """The result of a call: a function of the package (or a conversion), a method's, ``new(T)``'s."""
    function = node.child_by_field_name("function")
    if function is not None and function.type == "selector_expression":
        base = _describe(function.child_by_field_name("operand"), scope)
        return _step(base, ts.text(function.child_by_field_name("field")) + "()")
    if function is None or function.type != "identifier":
        return ""
    name = ts.text(function)
    if name == "new":
        arguments = node.child_by_field_name("arguments")
        return _type_text(arguments.named_children[0]) if arguments is not None and arguments.named_children else ""
    if name in GO_BUILTINS or name in GO_PREDECLARED_TYPES or scope.declares(name):
        return ""
    return f"{name}()"


def _line(node: Node | None) -> int:
    return node.start_point[0] + 1 if node is not None else 0


def _call(node: Node, qualifier: Node | None, enclosing: _Enclosing, scopes: Mapping[str, _Scope]) -> Call | None:
    """A call, on the line of the called name (``a.\\n  B()`` is on ``B``'s line)."""
    function = node.child_by_field_name("function")
    caller = enclosing.name(node)
    scope = scopes.get(caller, _NO_SCOPE)
    if qualifier is None:
        name = ts.text(function)
        if name in GO_BUILTINS or name in GO_PREDECLARED_TYPES:
            return None
        return Call(caller, name, _line(function), local_value=scope.declares(name))
    field = function.child_by_field_name("field") if function is not None else None
    plain = qualifier.type == "identifier"
    return Call(caller, ts.text(field), _line(field), qualifier=ts.text(qualifier) if plain else "<expr>",
                receiver_type=_describe(qualifier, scope))


def _reference(node: Node, enclosing: _Enclosing, scopes: Mapping[str, _Scope]) -> Call | None:
    """A name used as a value that may be a function (``RunE: run``, ``pkg.Handle``, ``s.serve``)."""
    caller = enclosing.name(node)
    scope = scopes.get(caller, _NO_SCOPE)
    if node.type == "identifier":
        name = ts.text(node)
        if scope.declares(name) or name in _NOT_FUNCTIONS or name in GO_BUILTINS:
            return None
        return Call(caller, name, _line(node), reference=True)
    operand, field = node.child_by_field_name("operand"), node.child_by_field_name("field")
    receiver = _describe(operand, scope)
    if not receiver or operand is None:
        return None
    plain = operand.type == "identifier"
    return Call(caller, ts.text(field), _line(field), qualifier=ts.text(operand) if plain else "<expr>",
                receiver_type=receiver, reference=True)


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


GO_EXTENSIONS = (".go",)
Value = tuple[str, str]  # what a descriptor evaluates to: (package, type name), or ("", import path) of a package
_MAX_DEPTH = 8  # variables and embedded fields followed through, at most
_NAMED_TYPE = re.compile(r"\w+(?:\.\w+)?")
_MAX_EMBEDDED = 3  # levels of embedded structs whose methods and fields are promoted


class GoResolver:
    """Calls resolved by package, import alias and receiver type; else by method name.

    A receiver's type is what its descriptor evaluates to, step by step, through the whole
    package: the result types functions and methods declare, the types of struct fields
    (promoted through embedded ones) and of package-level variables.

    A package's files are read when a call first needs that package (its own, an imported one,
    one a receiver's type leads to), all of them at once; the packages no call leads to are never
    read. Only a method call whose receiver stays unknown asks the whole repository, by name."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.modules = scope.modules
        self.files = scope.files
        self.funcs: dict[tuple[str, str], str] = {}  # (package, name) -> id
        self.types: set[tuple[str, str]] = set()
        self.methods: dict[tuple[str, str, str], str] = {}  # (package, type, name) -> id
        self.packages: dict[str, str] = {}  # path -> import path of its folder
        self.package_names: dict[str, str] = {}
        self.results: dict[str, tuple[str, str]] = {}  # symbol id -> (first result type, path)
        self.fields: dict[Value, dict[str, tuple[str, str]]] = defaultdict(dict)  # -> name -> (type, path)
        self.embedded: dict[Value, list[tuple[str, str]]] = defaultdict(list)  # -> [(type, path)]
        self.variables: dict[Value, tuple[str, str]] = {}  # (package, name) -> (descriptor, path)
        self.by_package: dict[str, list[str]] = defaultdict(list)  # import path -> its files, from paths alone
        folders: dict[str, str] = {}
        for path in scope.files:
            if path.endswith(GO_EXTENSIONS):
                folder = path.rpartition("/")[0]
                if folder not in folders:
                    folders[folder] = go_import_path(folder, self.modules)
                self.packages[path] = folders[folder]
                self.by_package[folders[folder]].append(path)
        self.local = set(self.by_package)  # the repository's own packages
        self.read: set[str] = set()  # packages whose files are read
        self.memo: dict[tuple[str, str], Value | None] = {}
        self.owners: dict[Value, list[Value]] = {}  # a type -> it and the types embedded in it
        self.aliases: dict[tuple[str, str], str | None] = {}  # (path, qualifier) -> import path

    def _ensure(self, package: str) -> None:
        """Read every file of ``package`` (one of the repository's), once."""
        if package in self.read or package not in self.by_package:
            return
        self.read.add(package)
        paths = self.by_package[package]
        self.scope.load(paths)
        for path in paths:
            pf = self.files[path]
            if pf.language in self.scope.languages:
                self._read(path, pf)
                for symbol in self.scope.in_file(path):
                    self._register(symbol)

    def _is_type(self, package: str, name: str) -> bool:
        self._ensure(package)
        return (package, name) in self.types

    def _func(self, package: str, name: str) -> str | None:
        self._ensure(package)
        return self.funcs.get((package, name))

    def _register(self, s: Symbol) -> None:
        if s.kind == "function":
            self.funcs.setdefault((s.package, s.name), s.id)
        elif s.kind == "type":
            self.types.add((s.package, s.name))
        elif s.kind == "method":
            self.methods.setdefault((s.package, s.receiver.lstrip("*"), s.name), s.id)

    def _read(self, path: str, pf: ParsedFile) -> None:
        """What a file tells about types: result types, struct fields, package-level variables."""
        package = self.package(path)
        if pf.package:
            self.package_names[package] = pf.package
        for d in pf.definitions:
            if d.result:
                self.results.setdefault(f"{package}.{d.local}", (d.result, path))
        for f in pf.fields:
            if f.embedded:
                self.embedded[(package, f.owner)].append((f.type, path))
            self.fields[(package, f.owner)].setdefault(f.name, (f.type, path))
        for name, descriptor in pf.variables:
            self.variables.setdefault((package, name), (descriptor, path))

    def package(self, path: str) -> str:
        found = self.packages.get(path)
        if found is None:
            found = self.packages[path] = go_import_path(posixpath.dirname(path), self.modules)
        return found

    def targets(self, pf: ParsedFile, call: Call) -> list[Target]:
        package = self.package(pf.path)
        if call.reference:
            found = self._referenced(pf, package, call)
            return [(found, "reference")] if found else []
        written = f"{call.qualifier}.{call.name}" if call.qualifier and call.qualifier != "<expr>" else call.name
        if not call.qualifier:
            if self._is_type(package, call.name):
                return []  # a conversion, T(x), is not a call
            found = None if call.local_value else self._func(package, call.name)
            return [(found, "exact")] if found else [(f"external:{written}", "external")]
        imported = self._imported_package(pf, call)
        if imported is not None:
            return self._imported(imported, call.name, written)
        if call.receiver_type:
            by_type = self._by_type(pf, call, written)
            if by_type is not None:
                return by_type
        same_name = [s.id for s in self.scope.named(call.name) if s.kind == "method"]
        if same_name:
            return [(target, "by-name-only") for target in sorted(same_name)]
        return [(f"external:{written}", "external")]

    def _imported_package(self, pf: ParsedFile, call: Call) -> str | None:
        """The import path when the qualifier is an import alias (and no variable of the function)."""
        return self._alias(pf, call.qualifier) if call.receiver_type == f"@{call.qualifier}" else None

    def _imported(self, imported: str, name: str, written: str) -> list[Target]:
        if self._is_type(imported, name):
            return []
        found = self._func(imported, name)
        return [(found, "exact")] if found else [(f"external:{written}", "external")]

    def _by_type(self, pf: ParsedFile, call: Call, written: str) -> list[Target] | None:
        """The method of a receiver whose type is known; None when only its name can decide."""
        owner = self.evaluate(pf, call.receiver_type)
        if owner is None or not owner[0]:
            return None
        found = self._method(owner, call.name)
        if found:
            return [(found, "by-type")]
        if not self._is_type(*owner):
            return [(f"external:{written}", "external")]
        return None

    def _referenced(self, pf: ParsedFile, package: str, call: Call) -> str | None:
        """The repository function or method a name used as a value is, if it is one."""
        if not call.qualifier:
            return None if call.local_value else self._func(package, call.name)
        imported = self._imported_package(pf, call)
        if imported is not None:
            return self._func(imported, call.name)
        owner = self.evaluate(pf, call.receiver_type) if call.receiver_type else None
        return self._method(owner, call.name) if owner is not None and owner[0] else None

    # -- receiver descriptors (see the parser's ``_describe``) ---------------------------------------

    def evaluate(self, pf: ParsedFile, descriptor: str, depth: int = 0) -> Value | None:
        """The type (or package) a receiver descriptor written in ``pf`` stands for; None if unknown."""
        key = (pf.path, descriptor)
        if key in self.memo:
            return self.memo[key]
        if depth > _MAX_DEPTH:
            return None
        self.memo[key] = None  # a variable defined through itself stays unknown
        steps = descriptor.split(" ")
        value = self._base(pf, steps[0], depth)
        for step in steps[1:]:
            if value is None:
                break
            value = self._step(value, step.removeprefix("."), depth)
        self.memo[key] = value
        return value

    def _base(self, pf: ParsedFile, token: str, depth: int) -> Value | None:
        core, dims = _dimensions(token)
        package = self.package(pf.path)
        if core.startswith("@"):
            return self._name(pf, package, core[1:], dims, depth)
        if core.endswith("()"):
            return self._called(package, core[:-2], dims)
        return self._declared((core, pf.path), dims)

    def _name(self, pf: ParsedFile, package: str, name: str, dims: int, depth: int) -> Value | None:
        """A name the function does not declare: an import, a type (``T.Method``) or a package variable."""
        imported = self._alias(pf, name) if not dims else None
        if imported is not None:
            return ("", imported)
        if not dims and self._is_type(package, name):
            return (package, name)
        return self._variable(package, name, dims, depth)

    def _step(self, value: Value, step: str, depth: int) -> Value | None:
        outside = value[0] or value[1]
        if outside not in self.local:
            return (outside, "")  # what a package outside the repository gives stays outside it
        core, dims = _dimensions(step)
        name = core.removesuffix("()")
        called = name != core
        if not value[0]:  # a member of an imported package
            return self._called(value[1], name, dims) if called else self._variable(value[1], name, dims, depth)
        if called:
            return self._declared(self._method_result(value, name), dims)
        return self._declared(self._field(value, name), dims)

    def _called(self, package: str, name: str, dims: int) -> Value | None:
        """What ``name(...)`` of ``package`` gives: a function's first result, or a conversion's type."""
        if self._is_type(package, name):
            return (package, name) if not dims else None
        found = self._func(package, name)
        return self._declared(self.results.get(found), dims) if found else None

    def _variable(self, package: str, name: str, dims: int, depth: int) -> Value | None:
        self._ensure(package)
        found = self.variables.get((package, name))
        if found is None:
            return None
        descriptor, path = found
        return self.evaluate(self.files[path], descriptor + "[]" * dims, depth + 1)

    def _declared(self, written: tuple[str, str] | None, dims: int = 0) -> Value | None:
        """A type as written in a file, (type, path), or the element type ``dims`` indexes reach."""
        if written is None:
            return None
        text, path = written
        for _ in range(dims):
            text = _element(text)
        return self._type(self.files[path], self.package(path), text) if text else None

    def _owners(self, owner: Value) -> list[Value]:
        """The type and the types embedded in it (and in those), nearest first."""
        if owner not in self.owners:
            self.owners[owner] = self._embedding(owner)
        return self.owners[owner]

    def _embedding(self, owner: Value) -> list[Value]:
        found, level = [owner], [owner]
        for _ in range(_MAX_EMBEDDED):
            for o in level:
                self._ensure(o[0])
            level = [t for o in level for text, path in self.embedded.get(o, ())
                     if (t := self._declared((text, path))) is not None and t not in found]
            found += level
        return found

    def _method(self, owner: Value, name: str) -> str | None:
        for candidate in self._owners(owner):
            self._ensure(candidate[0])
            found = self.methods.get((candidate[0], candidate[1], name))
            if found:
                return found
        return None

    def _method_result(self, owner: Value, name: str) -> tuple[str, str] | None:
        """The result type of a method, or of a method an interface declares (a field ``name()``)."""
        found = self._method(owner, name)
        return self.results.get(found) if found else self._field(owner, f"{name}()")

    def _field(self, owner: Value, name: str) -> tuple[str, str] | None:
        for candidate in self._owners(owner):
            self._ensure(candidate[0])
            found = self.fields.get(candidate, {}).get(name)
            if found:
                return found
        return None

    def _alias(self, pf: ParsedFile, qualifier: str) -> str | None:
        key = (pf.path, qualifier)
        if key not in self.aliases:
            self.aliases[key] = self._import_named(pf, qualifier)
        return self.aliases[key]

    def _import_named(self, pf: ParsedFile, qualifier: str) -> str | None:
        for alias, path in pf.imports:
            if alias == qualifier:
                return path
            if not alias:
                self._ensure(path)
                if (self.package_names.get(path) or posixpath.basename(path)) == qualifier:
                    return path
        return None

    def _type(self, pf: ParsedFile, package: str, type_text: str) -> Value | None:
        """(package, type name) of a type written in ``pf``, like ``*T``, ``pkg.T`` or ``T[K]``."""
        bare = type_text.lstrip("*&[]").split("[", 1)[0]
        if not _NAMED_TYPE.fullmatch(bare):
            return None  # a type literal (interface{...}, func(...), struct{...}): no methods of the repository
        if "." in bare:
            qualifier, name = bare.split(".", 1)
            imported = self._alias(pf, qualifier)
            return (imported, name) if imported is not None else None
        return (package, bare)


def _dimensions(token: str) -> tuple[str, int]:
    """``xs[][]`` -> (``xs``, 2): a descriptor step and how many times its value is indexed."""
    dims = 0
    while token.endswith("[]"):
        token, dims = token[:-2], dims + 1
    return token, dims


def _element(text: str) -> str:
    """The element type of a slice, array or map type as written; empty for any other type."""
    if text.startswith("map["):
        depth = 0
        for i, char in enumerate(text[3:], start=3):
            depth += {"[": 1, "]": -1}.get(char, 0)
            if depth == 0:
                return text[i + 1:]
        return ""
    if text.startswith("["):
        return text[text.find("]") + 1:]
    return ""


def _outside(files: Mapping[str, ParsedFile], paths: Collection[str], modules: Modules) -> set[str]:
    local = {go_import_path(posixpath.dirname(path), modules) for path in paths if path.endswith(".go")}
    return {alias or posixpath.basename(imported) for f in files.values() if f.language == NAME
            for alias, imported in f.imports if imported not in local and alias not in ("_", ".")}


GO = Language(
    name=NAME,
    extensions=GO_EXTENSIONS,
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

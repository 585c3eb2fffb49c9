"""Python: definitions with qualified names and positions through libcst, and calls with the
qualified names libcst resolves through the module's imports. A symbol hangs from its module's
dotted name, which comes from the file's path: the same blob at another path is another module.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Collection, Mapping
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from reviewvet.index.languages.base import Language, Scope, Target
from reviewvet.index.records import Call, Definition, ParsedFile, Symbol

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import CodeRange

NAME = "python"
MAX_NESTING = 100
_BUILTINS = frozenset(dir(builtins))
_STRINGS_AND_COMMENTS = re.compile(
    rb'(?s)""".*?"""|\'\'\'.*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|#[^\n]*'
)


def module_name(path: str) -> str:
    """``tools.report`` for ``tools/report.py``; ``tools`` for ``tools/__init__.py``."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(p for p in parts if p)


def parse_python(path: str, data: bytes) -> ParsedFile:
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    module = module_name(path)
    if _nesting(data) > MAX_NESTING:
        return ParsedFile(path, NAME, module, skipped=f"brackets nest deeper than {MAX_NESTING} levels")
    try:
        tree = cst.parse_module(data)
        visitor = _visitor_class()()
        MetadataWrapper(tree, unsafe_skip_copy=True).visit(visitor)
    except cst.ParserSyntaxError as exc:
        line = _syntax_error_line(data) or exc.raw_line
        return ParsedFile(path, NAME, module, errors=((line, line),))
    except (SyntaxError, UnicodeDecodeError, RecursionError, ValueError) as exc:
        return ParsedFile(path, NAME, module, skipped=f"not parsed: {type(exc).__name__}: {exc}")
    found: _Collected = visitor.found
    return ParsedFile(path, NAME, module, tuple(found.definitions), tuple(found.calls), tuple(found.imports))


def _nesting(data: bytes) -> int:
    """The deepest bracket nesting outside strings and comments: libcst's native parser
    overflows its stack on absurd nesting, which would kill the whole process."""
    depth = deepest = 0
    for byte in _STRINGS_AND_COMMENTS.sub(b"", data):
        if byte in b"([{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b")]}":
            depth = max(0, depth - 1)
    return deepest


def _syntax_error_line(data: bytes) -> int | None:
    """Python's own compiler points at the broken line more precisely than libcst does."""
    try:
        compile(data, "<file>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


class _Collected:
    """What one module defines, calls and imports; the stack of enclosing definitions gives
    nested names (``Class.method``) and the caller of each call."""

    def __init__(self) -> None:
        self.stack: list[tuple[str, str]] = []  # (kind, name)
        self.definitions: list[Definition] = []
        self.calls: list[Call] = []
        self.imports: list[tuple[str, str]] = []

    def enter(self, kind: str, name: str, where: CodeRange) -> None:
        local = ".".join([n for _, n in self.stack] + [name])
        self.definitions.append(Definition(kind, name, local, where.start.line, where.end.line))
        self.stack.append((kind, name))

    def enter_function(self, name: str, where: CodeRange) -> None:
        inside_class = bool(self.stack) and self.stack[-1][0] == "class"
        self.enter("method" if inside_class else "function", name, where)

    def leave(self) -> None:
        self.stack.pop()

    def call(self, func: cst.BaseExpression, line: int, qualified: tuple[str, ...]) -> None:
        callee = _callee(func)
        if callee is None:
            return
        qualifier, name = callee
        caller = ".".join(n for _, n in self.stack) or "<main>"
        self.calls.append(Call(caller, name, line, qualifier, self._receiver(qualifier), candidates=qualified))

    def _receiver(self, qualifier: str) -> str:
        """The class whose method calls ``self.name(...)``: the only receiver type known for certain."""
        inside_method = len(self.stack) >= 2 and self.stack[-2][0] == "class"
        return self.stack[-2][1] if qualifier == "self" and inside_method else ""


@lru_cache(maxsize=1)
def _visitor_class() -> Any:
    """The libcst visitor, defined on first use so that importing this module stays cheap. It
    only asks libcst for positions and qualified names; ``_Collected`` keeps what they mean."""
    import libcst as cst
    from libcst.metadata import PositionProvider, QualifiedNameProvider

    class Visitor(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

        def __init__(self) -> None:
            super().__init__()
            self.found = _Collected()

        def visit_ClassDef(self, node: cst.ClassDef) -> None:  # noqa: N802 (libcst's naming)
            self.found.enter("class", node.name.value, self.get_metadata(PositionProvider, node))

        def leave_ClassDef(self, original_node: cst.ClassDef) -> None:  # noqa: N802
            self.found.leave()

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:  # noqa: N802
            self.found.enter_function(node.name.value, self.get_metadata(PositionProvider, node))

        def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:  # noqa: N802
            self.found.leave()

        def visit_Import(self, node: cst.Import) -> None:  # noqa: N802
            self.found.imports.extend(_imported(node))

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:  # noqa: N802
            module = _dotted(node.module) if node.module is not None else ""
            self.found.imports.append(("from", "." * len(node.relative) + module))

        def visit_Call(self, node: cst.Call) -> None:  # noqa: N802
            names = self.get_metadata(QualifiedNameProvider, node.func, set())
            called = node.func.attr if isinstance(node.func, cst.Attribute) else node.func  # the line of the name
            self.found.call(node.func, self.get_metadata(PositionProvider, called).start.line,
                            tuple(sorted(q.name for q in names if q.name)))

    return Visitor


def _imported(node: cst.Import) -> list[tuple[str, str]]:
    return [(_dotted(alias.asname.name) if alias.asname else "", _dotted(alias.name)) for alias in node.names]


def _callee(func: cst.BaseExpression) -> tuple[str, str] | None:
    """(qualifier, name) of what a call calls; None for builtins and for calls of expressions."""
    import libcst as cst

    if isinstance(func, cst.Attribute):
        return (_dotted(func.value) if _is_dotted(func.value) else "<expr>"), func.attr.value
    if isinstance(func, cst.Name) and func.value not in _BUILTINS:
        return "", func.value
    return None


def _is_dotted(node: cst.BaseExpression) -> bool:
    import libcst as cst

    if isinstance(node, cst.Name):
        return True
    return isinstance(node, cst.Attribute) and _is_dotted(node.value)


def _dotted(node: cst.BaseExpression | cst.BaseAssignTargetExpression) -> str:
    import libcst as cst

    if isinstance(node, cst.Name):
        return str(node.value)
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


# -- placement -------------------------------------------------------------------------------------


def _symbol_id(pf: ParsedFile, package: str, local: str) -> str:
    return f"{package}.{local}" if package else local


def _main_id(pf: ParsedFile) -> str:
    return f"{pf.package}.<main>"


def _relocate(pf: ParsedFile, path: str) -> ParsedFile:
    """A module's name is its path: a blob parsed under one path is another module under another."""
    return replace(pf, path=path, package=module_name(path))


def _qualifies(symbol: Symbol, qualifier: str) -> bool:
    """``report.build`` or ``tools.report.build``: any tail of the dotted path to the name."""
    owner = f"{symbol.package}.{symbol.local}".rsplit(".", 1)[0]
    return owner == qualifier or owner.endswith("." + qualifier)


# -- calls -----------------------------------------------------------------------------------------


class PythonResolver:
    """Calls resolved through the names libcst qualified, then ``self``, then the module itself."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.by_name: dict[str, dict[str, str]] = {}  # name -> full dotted name -> id (the first placed)

    def _names(self, name: str) -> dict[str, str]:
        if name not in self.by_name:
            full: dict[str, str] = {}
            for s in self.scope.named(name):
                full.setdefault(f"{s.package}.{s.local}" if s.package else s.local, s.id)
            self.by_name[name] = full
        return self.by_name[name]

    def _lookup(self, dotted: str) -> str | None:
        return self._names(dotted.rsplit(".", 1)[-1]).get(dotted)

    def targets(self, pf: ParsedFile, call: Call) -> list[Target]:
        for candidate in call.candidates:
            found = self._lookup(_absolute(pf.package, candidate))
            if found:
                return [(found, "exact")]
        if call.receiver_type:
            found = self._lookup(f"{pf.package}.{call.receiver_type}.{call.name}")
            if found:
                return [(found, "by-type")]
        if not call.qualifier:
            found = self._lookup(f"{pf.package}.{call.name}")
            if found:
                return [(found, "exact")]
        else:
            methods = sorted(s.id for s in self.scope.named(call.name) if s.kind == "method")
            if methods:
                return [(t, "by-name-only") for t in methods]
        written = f"{call.qualifier}.{call.name}" if call.qualifier else call.name
        return [(f"external:{written}", "external")]


def _absolute(module: str, name: str) -> str:
    """A relative import's name made absolute from the importing module."""
    if not name.startswith("."):
        return name
    dots = len(name) - len(name.lstrip("."))
    base = module.split(".")[: max(0, len(module.split(".")) - dots)]
    return ".".join([*base, name.lstrip(".")])


def _outside(files: Mapping[str, ParsedFile], paths: Collection[str], modules: Mapping[str, str]) -> set[str]:
    """Modules imported as ``import x`` (or ``import x as y``) whose top level is not the repository's."""
    roots = {module_name(path).split(".", 1)[0] for path in paths if path.endswith(".py")} - {""}
    return {alias or imported.split(".", 1)[0] for f in files.values() if f.language == NAME
            for alias, imported in f.imports if alias != "from" and imported.split(".", 1)[0] not in roots}


PYTHON = Language(
    name=NAME,
    extensions=(".py",),
    fences=("python", "py"),
    parse=parse_python,
    resolver=PythonResolver,
    symbol_id=_symbol_id,
    main_id=_main_id,
    qualifies=_qualifies,
    relocate=_relocate,
    outside=_outside,
)

"""Python files through libcst: definitions with qualified names and positions, and calls
with the qualified names libcst resolves through the module's imports."""

from __future__ import annotations

import builtins
import re
from functools import lru_cache
from typing import Any

from reviewvet.index.model import Call, Definition, ParsedFile


_BUILTINS = frozenset(dir(builtins))


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
        return ParsedFile(path, "python", module, skipped=f"brackets nest deeper than {MAX_NESTING} levels")
    try:
        tree = cst.parse_module(data)
        visitor = _visitor_class()()
        MetadataWrapper(tree, unsafe_skip_copy=True).visit(visitor)
    except cst.ParserSyntaxError as exc:
        line = _syntax_error_line(data) or exc.raw_line
        return ParsedFile(path, "python", module, errors=((line, line),))
    except (SyntaxError, UnicodeDecodeError, RecursionError, ValueError) as exc:
        return ParsedFile(path, "python", module, skipped=f"not parsed: {type(exc).__name__}: {exc}")
    return ParsedFile(path, "python", module, tuple(visitor.definitions), tuple(visitor.calls),
                      tuple(visitor.imports))


MAX_NESTING = 100


_STRINGS_AND_COMMENTS = re.compile(
    rb'(?s)""".*?"""|\'\'\'.*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|#[^\n]*'
)


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


@lru_cache(maxsize=1)
def _visitor_class() -> Any:
    """The libcst visitor, defined on first use so that importing this module stays cheap."""
    import libcst as cst
    from libcst.metadata import PositionProvider, QualifiedNameProvider

    class Visitor(cst.CSTVisitor):  # type: ignore[misc]
        """Collects definitions (a stack gives nesting) and calls (with their caller)."""

        METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

        def __init__(self) -> None:
            super().__init__()
            self.stack: list[tuple[str, str]] = []  # (kind, name)
            self.definitions: list[Definition] = []
            self.calls: list[Call] = []
            self.imports: list[tuple[str, str]] = []

        def visit_ClassDef(self, node: Any) -> None:  # noqa: N802 (libcst's naming)
            self._define(node, "class")

        def leave_ClassDef(self, node: Any) -> None:  # noqa: N802
            self.stack.pop()

        def visit_FunctionDef(self, node: Any) -> None:  # noqa: N802
            inside_class = bool(self.stack) and self.stack[-1][0] == "class"
            self._define(node, "method" if inside_class else "function")

        def leave_FunctionDef(self, node: Any) -> None:  # noqa: N802
            self.stack.pop()

        def visit_Import(self, node: Any) -> None:  # noqa: N802
            for alias in node.names:
                self.imports.append((_dotted(alias.asname.name) if alias.asname else "", _dotted(alias.name)))

        def visit_ImportFrom(self, node: Any) -> None:  # noqa: N802
            module = _dotted(node.module) if node.module is not None else ""
            self.imports.append(("from", "." * len(node.relative) + module))

        def visit_Call(self, node: Any) -> None:  # noqa: N802
            func = node.func
            if isinstance(func, cst.Attribute):
                qualifier = _dotted(func.value) if _is_dotted(func.value) else "<expr>"
                name = func.attr.value
            elif isinstance(func, cst.Name):
                qualifier, name = "", func.value
                if name in _BUILTINS:
                    return
            else:
                return
            receiver = ""
            if qualifier == "self" and len(self.stack) >= 2 and self.stack[-2][0] == "class":
                receiver = self.stack[-2][1]
            names = self.get_metadata(QualifiedNameProvider, func, set())
            qualified = tuple(sorted(q.name for q in names if q.name))
            caller = ".".join(n for _, n in self.stack) or "<main>"
            line = self.get_metadata(PositionProvider, node).start.line
            self.calls.append(Call(caller, name, line, qualifier, receiver, candidates=qualified))

        def _define(self, node: Any, kind: str) -> None:
            name = node.name.value
            local = ".".join([n for _, n in self.stack] + [name])
            position = self.get_metadata(PositionProvider, node)
            self.definitions.append(Definition(kind, name, local, position.start.line, position.end.line))
            self.stack.append((kind, name))

    return Visitor


def _is_dotted(node: Any) -> bool:
    import libcst as cst

    if isinstance(node, cst.Name):
        return True
    return isinstance(node, cst.Attribute) and _is_dotted(node.value)


def _dotted(node: Any) -> str:
    import libcst as cst

    if isinstance(node, cst.Name):
        return str(node.value)
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""

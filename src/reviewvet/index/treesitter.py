"""Go, shell and BATS files through tree-sitter and the query files in ``grammars/``.

BATS: tree-sitter-bash reads ``@test "name" {`` as an ordinary command, so each test
header is first rewritten, in place and at the same byte length, into a function header
(``bt0() {`` padded with spaces). Only real ``@test`` commands of the bash parse are
rewritten — never text inside strings or here-documents — so offsets and line numbers
stay those of the original file.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from reviewvet.index.model import Call, Definition, ParsedFile

GO_BUILTINS = frozenset(
    "append cap clear close complex copy delete imag len make max min new panic print println real recover".split()
)
# Shell builtins and reserved words, and the BATS framework's own commands: not calls.
SHELL_BUILTINS = frozenset(
    ". : [ [[ alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs "
    "disown echo enable eval exec exit export false fc fg getopts hash help history jobs kill let local logout "
    "mapfile popd printf pushd pwd read readarray readonly return set shift shopt source suspend test times "
    "trap true type typeset ulimit umask unalias unset wait run load bats_load_library "
    "bats_require_minimum_version skip".split()
)
GO_PREDECLARED_TYPES = frozenset(
    "any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune "
    "string uint uint8 uint16 uint32 uint64 uintptr".split()
)
_RUN_OPTIONS = re.compile(r"^(?:-\d+|!|--[\w-]+|-\w)$")
_SOURCE_COMMANDS = ("source", ".", "load", "load_lib", "bats_load_library")


@lru_cache(maxsize=None)
def _language(name: str) -> Any:
    import tree_sitter

    if name == "go":
        import tree_sitter_go as grammar
    else:
        import tree_sitter_bash as grammar  # type: ignore[no-redef]
    return tree_sitter.Language(grammar.language())


@lru_cache(maxsize=None)
def _query(name: str) -> Any:
    import tree_sitter

    text = resources.files("reviewvet.grammars").joinpath(f"{name}.scm").read_text("utf-8")
    return tree_sitter.Query(_language("go" if name == "go" else "bash"), text)


def warm_up() -> None:
    """Load grammars and compile queries now (before worker processes fork, so they inherit them)."""
    for name in ("go", "bash", "bats"):
        _query(name)


def _parse(name: str, data: bytes) -> Any:
    import tree_sitter

    return tree_sitter.Parser(_language(name)).parse(data)


def raw_parse(language: str, data: bytes) -> None:
    """Only the tree-sitter parse, for benchmarks' baseline."""
    _parse("go" if language == "go" else "bash", data)


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def _lines(node: Any) -> tuple[int, int]:
    return node.start_point[0] + 1, node.end_point[0] + 1


def _matches(name: str, tree: Any) -> list[tuple[int, dict[str, list[Any]]]]:
    import tree_sitter

    return tree_sitter.QueryCursor(_query(name)).matches(tree.root_node)  # type: ignore[no-any-return]


def _errors(tree: Any) -> tuple[tuple[int, int], ...]:
    if not tree.root_node.has_error:
        return ()
    found: list[tuple[int, int]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            found.append(_lines(node))
        elif node.has_error:
            stack.extend(node.children)
    return tuple(sorted(found))


# -- Go ---------------------------------------------------------------------------------------


def parse_go(path: str, data: bytes) -> ParsedFile:
    tree = _parse("go", data)
    package = ""
    imports: list[tuple[str, str]] = []
    definitions: list[Definition] = []
    call_nodes: list[tuple[Any, Any | None]] = []
    typed: list[tuple[Any, str, str]] = []  # (node, variable, type)
    for _, caps in _matches("go", tree):
        if "name.package" in caps:
            package = _text(caps["name.package"][0])
        elif "import.path" in caps:
            alias = _text(caps["import.alias"][0]) if "import.alias" in caps else ""
            imports.append((alias, _text(caps["import.path"][0]).strip('"`')))
        elif "name.reference.call" in caps:
            call_nodes.append((caps["reference.call"][0], caps.get("reference.qualifier", [None])[0]))
        elif "typed.name" in caps:
            typed.append((caps["typed.name"][0], _text(caps["typed.name"][0]), _text(caps["typed.type"][0])))
        else:
            definitions.extend(_go_definition(caps))
    enclosing = _GoEnclosing(definitions)
    types: dict[str, dict[str, str]] = {}
    for node, variable, type_text in typed:
        types.setdefault(enclosing.name(node), {})[variable] = type_text
    calls = [_go_call(node, qualifier, enclosing, types) for node, qualifier in call_nodes]
    return ParsedFile(path, "go", package, tuple(definitions), tuple(c for c in calls if c), tuple(imports),
                      _errors(tree))


def _go_definition(caps: dict[str, list[Any]]) -> list[Definition]:
    for kind in ("function", "method", "type", "var", "constant"):
        key = f"name.definition.{kind}"
        if key not in caps:
            continue
        name = _text(caps[key][0])
        node = caps[f"definition.{kind}"][0]
        if kind in ("type", "var", "constant") and node.parent is not None and node.parent.named_child_count == 1:
            node = node.parent  # `type T struct {...}`: the whole declaration
        start, end = _lines(node)
        if kind == "method":
            receiver = receiver_type(_text(caps["receiver"][0]))
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


class _GoEnclosing:
    """Which function or method a node lies in."""

    def __init__(self, definitions: list[Definition]) -> None:
        self.by_lines = {(d.start, d.end): d.local for d in definitions if d.kind in ("function", "method")}

    def name(self, node: Any) -> str:
        current = node.parent
        while current is not None:
            if current.type in ("function_declaration", "method_declaration"):
                found = self.by_lines.get((current.start_point[0] + 1, current.end_point[0] + 1))
                if found:
                    return found
            current = current.parent
        return "<main>"


def _go_call(
    node: Any, qualifier: Any | None, enclosing: _GoEnclosing, types: dict[str, dict[str, str]]
) -> Call | None:
    function = node.child_by_field_name("function")
    caller = enclosing.name(node)
    line = node.start_point[0] + 1
    local_types = types.get(caller, {})
    if qualifier is None:
        name = _text(function)
        if name in GO_BUILTINS or name in GO_PREDECLARED_TYPES:
            return None
        return Call(caller, name, line, local_value=name in local_types or _assigned_locally(node, name))
    name = _text(function.child_by_field_name("field"))
    qual_text = _text(qualifier)
    receiver = local_types.get(qual_text, "") if qualifier.type == "identifier" else ""
    return Call(caller, name, line, qualifier=qual_text if qualifier.type == "identifier" else "<expr>",
                receiver_type=receiver)


def _assigned_locally(node: Any, name: str) -> bool:
    """Whether ``name`` is assigned with ``:=`` in the function around ``node`` (a function value)."""
    current = node.parent
    while current is not None and current.type not in ("function_declaration", "method_declaration"):
        current = current.parent
    if current is None:
        return False
    body = _text(current)
    return re.search(rf"(?<![\w.]){re.escape(name)}\s*(?:,\s*\w+\s*)?:=", body) is not None


# -- shell and BATS ---------------------------------------------------------------------------


def parse_shell(path: str, data: bytes, *, bats: bool = False) -> ParsedFile:
    titles: dict[str, str] = {}
    if bats:
        data, titles = rewrite_bats(data)
    tree = _parse("bash", data)
    definitions: list[Definition] = []
    calls: list[Call] = []
    imports: list[tuple[str, str]] = []
    for _, caps in _matches("bash", tree):
        if "name.definition.function" in caps:
            name = _text(caps["name.definition.function"][0])
            start, end = _lines(caps["definition.function"][0])
            if name in titles:
                definitions.append(Definition("test", titles[name], f"@test {titles[name]}", start, end))
            else:
                definitions.append(Definition("function", name, name, start, end))
        elif "name.reference.call" in caps:
            command = caps["reference.call"][0]
            calls.extend(_shell_calls(command, titles, imports))
    return ParsedFile(path, "bats" if bats else "shell", "", tuple(definitions), tuple(calls), tuple(imports),
                      _errors(tree))


def _shell_calls(command: Any, titles: dict[str, str], imports: list[tuple[str, str]]) -> list[Call]:
    name = _text(command.child_by_field_name("name"))
    args = command.children_by_field_name("argument")
    line = command.start_point[0] + 1
    caller = _shell_caller(command, titles)
    if name in _SOURCE_COMMANDS and args:
        imports.append((name, _text(args[0]).strip("'\"")))
        return []
    if name == "run":
        target = next((a for a in args if not _RUN_OPTIONS.match(_text(a))), None)
        return [Call(caller, _text(target), line)] if target is not None else []
    if name in SHELL_BUILTINS or not re.fullmatch(r"[\w.@+-]+", name):
        return []
    return [Call(caller, name, line)]


def _shell_caller(node: Any, titles: dict[str, str]) -> str:
    current = node.parent
    while current is not None:
        if current.type == "function_definition":
            name = _text(current.child_by_field_name("name"))
            return f"@test {titles[name]}" if name in titles else name
        current = current.parent
    return "<main>"


def rewrite_bats(data: bytes) -> tuple[bytes, dict[str, str]]:
    """Each ``@test "title" {`` header replaced by ``btN() {`` of the same byte length."""
    titles: dict[str, str] = {}
    if b"@test" not in data:
        return data, titles
    tree = _parse("bash", data)
    out = bytearray(data)
    headers = [caps["bats.test"][0] for _, caps in _matches("bats", tree)]
    for number, node in enumerate(sorted(headers, key=lambda n: n.start_byte)):
        args = node.children_by_field_name("argument")
        brace = next((a for a in args if _text(a) == "{"), None)
        if brace is None:
            continue
        title_parts = [a for a in args if a.start_byte < brace.start_byte]
        title = " ".join(_unquote(_text(a)) for a in title_parts)
        name = f"bt{number}"
        span = brace.end_byte - node.start_byte
        replacement = f"{name}() {{".encode()
        if len(replacement) > span:
            continue
        out[node.start_byte:brace.end_byte] = replacement[:-1] + b" " * (span - len(replacement)) + b"{"
        titles[name] = title
    return bytes(out), titles


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].replace('\\"', '"')
    return text

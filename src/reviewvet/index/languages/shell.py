"""Shell scripts: functions and commands through tree-sitter-bash and ``grammars/bash.scm``;
a call resolves to a function of the same file or of a file it sources, as bash would find it.

BATS files are bash once their ``@test`` headers are rewritten (``languages.bats``), so the
commands of the BATS framework (``run``, ``load``, ``skip`` ...) are understood here too.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import reviewvet.index.languages.treesitter as ts
from reviewvet.index.languages.base import Language, Scope, Target
from reviewvet.index.records import Call, Definition, ParsedFile

if TYPE_CHECKING:
    from tree_sitter import Node

NAME = "shell"
GRAMMAR = "tree_sitter_bash"
# Shell builtins and reserved words, and the BATS framework's own commands: not calls.
SHELL_BUILTINS = frozenset(
    ". : [ [[ alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs "
    "disown echo enable eval exec exit export false fc fg getopts hash help history jobs kill let local logout "
    "mapfile popd printf pushd pwd read readarray readonly return set shift shopt source suspend test times "
    "trap true type typeset ulimit umask unalias unset wait run load bats_load_library "
    "bats_require_minimum_version skip".split()
)
_RUN_OPTIONS = re.compile(r"^(?:-\d+|!|--[\w-]+|-\w)$")
_SOURCE_COMMANDS = ("source", ".", "load", "load_lib", "bats_load_library")


def parse_shell(path: str, data: bytes) -> ParsedFile:
    return parse_commands(path, data, NAME, {})


def parse_commands(path: str, data: bytes, language: str, titles: Mapping[str, str]) -> ParsedFile:
    """Functions, calls and sourced files of bash source; ``titles`` names the functions that
    stand for rewritten BATS tests (``bt0`` -> its title)."""
    tree = ts.parse(GRAMMAR, data)
    definitions: list[Definition] = []
    calls: list[Call] = []
    imports: list[tuple[str, str]] = []
    for _, caps in ts.matches(GRAMMAR, "bash", tree):
        if "name.definition.function" in caps:
            name = ts.text(caps["name.definition.function"][0])
            start, end = ts.lines(caps["definition.function"][0])
            if name in titles:
                definitions.append(Definition("test", titles[name], f"@test {titles[name]}", start, end))
            else:
                definitions.append(Definition("function", name, name, start, end))
        elif "name.reference.call" in caps:
            calls.extend(_calls(caps["reference.call"][0], titles, imports))
    return ParsedFile(path, language, "", tuple(definitions), tuple(calls), tuple(imports), ts.errors(tree))


def _calls(command: Node, titles: Mapping[str, str], imports: list[tuple[str, str]]) -> list[Call]:
    name_node = command.child_by_field_name("name")
    name = ts.text(name_node)
    args = command.children_by_field_name("argument")
    line = (name_node or command).start_point[0] + 1  # the command's name, after any VAR=value lines
    caller = _caller(command, titles)
    if name in _SOURCE_COMMANDS and args:
        imports.append((name, ts.text(args[0]).strip("'\"")))
        return []
    if name == "run":
        target = next((a for a in args if not _RUN_OPTIONS.match(ts.text(a))), None)
        return [Call(caller, ts.text(target), target.start_point[0] + 1)] if target is not None else []
    if name in SHELL_BUILTINS or not re.fullmatch(r"[\w.@+-]+", name):
        return []
    return [Call(caller, name, line)]


def _caller(node: Node, titles: Mapping[str, str]) -> str:
    current = node.parent
    while current is not None:
        if current.type == "function_definition":
            name = ts.text(current.child_by_field_name("name"))
            return f"@test {titles[name]}" if name in titles else name
        current = current.parent
    return "<main>"


def warm_up() -> None:
    ts.query(GRAMMAR, "bash")


class ShellResolver:
    """A command names a function of its own file or, transitively, of a file it sources."""

    def __init__(self, scope: Scope) -> None:
        self.files = scope.files
        self.scope = scope
        self.functions: dict[str, dict[str, str]] = {}  # name -> path -> id (the first a file defines)
        self.visible: dict[str, list[str]] = {}  # path -> the files it sees, itself first

    def targets(self, pf: ParsedFile, call: Call) -> list[Target]:
        if pf.path not in self.visible:
            self.visible[pf.path] = self._visible_files(pf.path)
        defined = self._functions(call.name)
        for path in self.visible[pf.path]:
            found = defined.get(path)
            if found:
                return [(found, "exact")]
        return [(f"external:{call.name}", "external")]

    def _functions(self, name: str) -> dict[str, str]:
        if name not in self.functions:
            by_path: dict[str, str] = {}
            for s in self.scope.named(name):
                if s.kind == "function":
                    by_path.setdefault(s.path, s.id)
            self.functions[name] = by_path
        return self.functions[name]

    def _visible_files(self, path: str, seen: set[str] | None = None) -> list[str]:
        """The file and, transitively, every file it sources or loads."""
        seen = seen if seen is not None else set()
        if path in seen:
            return []
        seen.add(path)
        visible = [path]
        pf = self.files.get(path)
        for _, written in pf.imports if pf else ():
            target = resolve_source(path, written, self.files)
            if target:
                visible += self._visible_files(target, seen)
        return visible


def resolve_source(path: str, written: str, files: Mapping[str, ParsedFile]) -> str | None:
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


SHELL = Language(
    name=NAME,
    extensions=(".sh", ".bash"),
    fences=("bash", "sh", "shell"),
    parse=parse_shell,
    resolver=ShellResolver,
    kin=("bats",),
    warm_up=warm_up,
    grammar=GRAMMAR,
)

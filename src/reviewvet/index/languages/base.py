"""What the index needs to know about one language, as one frozen record of data and hooks.

Every hook has a default that suits a language of plain files, where a symbol is known by its
file (shell): a language module overrides only what differs. The registry in ``__init__`` is the
only place that lists the languages; it lives apart from this module so that the language
modules can import ``Language`` without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from reviewvet.index.records import Call, ParsedFile, Symbol

Target = tuple[str, str]  # (node id, confidence)
Modules = Mapping[str, str]  # module root folder ("" for the repository root) -> module path


class Symbols(Protocol):
    """Where a resolver's symbols come from: asked by name or by file, so that a resolver reads only
    the files its calls lead to (an index), or a list of every symbol (``Listed``)."""

    def named(self, name: str) -> list[Symbol]:
        """Every symbol called ``name``, by path and then in the order its file defines them."""
        ...

    def in_file(self, path: str) -> list[Symbol]:
        """The symbols ``path`` defines, in order."""
        ...


class Scope:
    """What a call resolver sees of a revision: every file (a shell script may source any of
    them; the mapping may read a file only when it is asked for), the symbols of the languages
    that share the resolver, asked by name or by file, and their module roots."""

    def __init__(self, files: Mapping[str, ParsedFile], symbols: Symbols, modules: Modules,
                 languages: frozenset[str], load: Callable[[list[str]], None] | None = None) -> None:
        self.files = files
        self.modules = modules
        self.languages = languages
        self._symbols = symbols
        self._load = load

    def load(self, paths: list[str]) -> None:
        """Read ``paths`` in one go, before asking ``files`` for each (when the mapping reads lazily)."""
        if self._load is not None:
            self._load(paths)

    def named(self, name: str) -> list[Symbol]:
        return [s for s in self._symbols.named(name) if s.language in self.languages]

    def in_file(self, path: str) -> list[Symbol]:
        return [s for s in self._symbols.in_file(path) if s.language in self.languages]


class Listed:
    """``Symbols`` over a list of every symbol of a revision."""

    def __init__(self, symbols: Sequence[Symbol]) -> None:
        self._named: dict[str, list[Symbol]] = {}
        self._in_file: dict[str, list[Symbol]] = {}
        for s in symbols:
            self._named.setdefault(s.name, []).append(s)
            self._in_file.setdefault(s.path, []).append(s)

    def named(self, name: str) -> list[Symbol]:
        return self._named.get(name, [])

    def in_file(self, path: str) -> list[Symbol]:
        return self._in_file.get(path, [])


class CallResolver(Protocol):
    def targets(self, pf: ParsedFile, call: Call) -> list[Target]:
        """Where one call site of ``pf`` goes: symbol ids or ``external:<name>``, with a confidence."""
        ...


ResolverFactory = Callable[[Scope], CallResolver]


@dataclass(frozen=True)
class Place:
    """Where a file's symbols belong: the package their ids hang from, and (Go) the name the
    package clause gives it, which may differ from its folder."""

    package: str
    package_name: str = ""


def declared_package(pf: ParsedFile, modules: Modules) -> Place:
    return Place(pf.package)


def file_scoped_id(pf: ParsedFile, package: str, local: str) -> str:
    """Without packages, only the file tells two functions of the same name apart."""
    return f"{pf.path}::{local}"


def file_main_id(pf: ParsedFile) -> str:
    return f"{pf.path}::<main>"


def never_qualifies(symbol: Symbol, qualifier: str) -> bool:
    return False


def moved(pf: ParsedFile, path: str) -> ParsedFile:
    """The same blob under another path parses the same, unless its path is part of its meaning."""
    return replace(pf, path=path)


def no_module(data: bytes) -> str:
    return ""


def nothing_to_load() -> None:
    return None


def nothing_outside(files: Mapping[str, ParsedFile], paths: Collection[str], modules: Modules) -> set[str]:
    return set()


@dataclass(frozen=True)
class Language:
    """One language the index parses. ``name`` is stored in every ParsedFile and Symbol and keys
    the parse cache; ``extensions`` (with the dot) decide which files are indexed; ``fences``
    are the Markdown info strings (lower case) that mean a quote is in this language."""

    name: str
    extensions: tuple[str, ...]
    fences: tuple[str, ...]
    parse: Callable[[str, bytes], ParsedFile]  # (path, file bytes)
    resolver: ResolverFactory  # called once per index; languages naming the same one share what it builds
    kin: tuple[str, ...] = ()  # languages whose files a quote fenced as this one may really come from
    manifest: str = ""  # base name of a file that marks a module root (``go.mod``)
    module_path: Callable[[bytes], str] = no_module  # the module path a manifest declares
    place: Callable[[ParsedFile, Modules], Place] = declared_package
    symbol_id: Callable[[ParsedFile, str, str], str] = file_scoped_id  # (file, package, local name)
    main_id: Callable[[ParsedFile], str] = file_main_id  # the caller id of top-level code
    qualifies: Callable[[Symbol, str], bool] = never_qualifies  # does ``pkg`` in ``pkg.Name`` fit?
    relocate: Callable[[ParsedFile, str], ParsedFile] = moved  # a cached parse reused at another path
    warm_up: Callable[[], None] = nothing_to_load  # load the parser before workers are forked
    grammar: str = ""  # the tree-sitter grammar package, for the benchmarks' raw-parse baseline
    # the names under which ``files`` (of any language: each takes its own) import packages from outside
    # the repository (``context`` of ``context.WithTimeout``): (the files to read, every source path of
    # the revision, this language's module roots)
    outside: Callable[[Mapping[str, ParsedFile], Collection[str], Modules], set[str]] = nothing_outside

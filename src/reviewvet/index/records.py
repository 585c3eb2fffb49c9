"""Records of the parser layer: what one file defines and calls, and the symbols of a revision.

A ParsedFile depends only on the file's bytes and path, so it is cached by git blob id
(and path); resolving calls across files happens later, in ``graph``. Everything in the index
builds on these records, so this module imports nothing of reviewvet; ``model`` re-exports
them beside ``RepoIndex`` for the layers above.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Bump when the parsers' output changes, so cached results are not reused.
PARSER_VERSION = 4
CONFIDENCES = ("exact", "by-type", "by-name-only", "external", "reference")


@dataclass(frozen=True)
class Definition:
    """A symbol defined in one file. ``local`` is the name inside its package or file:
    ``Name``, ``(*T).Name``, ``T.Name`` (Go), ``@test title`` (BATS), ``Class.method`` (Python).
    ``result`` is the type of a Go function's first result, as written (``*Store``)."""

    kind: str
    name: str
    local: str
    start: int
    end: int
    receiver: str = ""
    result: str = ""


@dataclass(frozen=True)
class Call:
    """A call site: who calls (``caller``, a Definition.local or ``<main>``), what, and where.

    ``qualifier`` is the text before the dot (``st`` in ``st.New()``), ``receiver_type``
    the type the parser could infer for it (``*Store``; in Go, a receiver descriptor the
    resolver finishes, see ``languages.go``), ``candidates`` qualified names a Python call
    may refer to. ``line`` is the line of the called name itself. ``reference``: not a call
    but a function named as a value (``RunE: run``, ``http.HandleFunc("/", handle)``).
    """

    caller: str
    name: str
    line: int
    qualifier: str = ""
    receiver_type: str = ""
    local_value: bool = False
    candidates: tuple[str, ...] = ()
    reference: bool = False


@dataclass(frozen=True)
class Field:
    """A field of a Go struct type: ``owner`` the struct's name, ``type`` as written;
    an embedded field is named after its type (``Mutex`` of ``sync.Mutex``)."""

    owner: str
    name: str
    type: str
    embedded: bool = False


@dataclass(frozen=True)
class ParsedFile:
    path: str
    language: str
    package: str = ""
    definitions: tuple[Definition, ...] = ()
    calls: tuple[Call, ...] = ()
    imports: tuple[tuple[str, str], ...] = ()  # (alias or "", import path / sourced file)
    errors: tuple[tuple[int, int], ...] = ()  # (start line, end line) of ERROR regions
    skipped: str = ""  # why the file was not parsed (too large, not UTF-8 ...)
    fields: tuple[Field, ...] = ()  # Go: struct fields, for receiver types reached through them
    variables: tuple[tuple[str, str], ...] = ()  # Go: (package-level variable, receiver descriptor of its type)

    def to_json(self) -> list[Any]:
        """A compact list form for the cache (``asdict`` deep-copies and is ten times slower)."""
        return [
            self.path, self.language, self.package,
            [[d.kind, d.name, d.local, d.start, d.end, d.receiver, d.result] for d in self.definitions],
            [[c.caller, c.name, c.line, c.qualifier, c.receiver_type, c.local_value, list(c.candidates), c.reference]
             for c in self.calls],
            [list(i) for i in self.imports], [list(e) for e in self.errors], self.skipped,
            [[f.owner, f.name, f.type, f.embedded] for f in self.fields], [list(v) for v in self.variables],
        ]

    @staticmethod
    def from_json(data: list[Any]) -> ParsedFile:
        path, language, package, definitions, calls, imports, errors, skipped, fields, variables = data
        return ParsedFile(
            path=path, language=language, package=package,
            definitions=tuple(Definition(*d) for d in definitions),
            calls=tuple(Call(c[0], c[1], c[2], c[3], c[4], c[5], tuple(c[6]), c[7]) for c in calls),
            imports=tuple((a, b) for a, b in imports),
            errors=tuple((a, b) for a, b in errors),
            skipped=skipped,
            fields=tuple(Field(*f) for f in fields),
            variables=tuple((a, b) for a, b in variables),
        )


@dataclass(frozen=True)
class Symbol:
    """A definition placed in the repository: ``id`` is unique per revision.

    Ids: Go ``<import path>.<local>``; shell and BATS ``<path>::<local>``;
    Python ``<module>.<local>``.
    """

    id: str
    kind: str
    name: str
    local: str
    language: str
    path: str
    start: int
    end: int
    package: str = ""
    receiver: str = ""
    package_name: str = ""  # Go: the package clause, which may differ from the folder name

    def contains(self, line: int) -> bool:
        return self.start <= line <= self.end


@dataclass(frozen=True)
class IndexStats:
    files: int
    parsed: int
    cached: int
    skipped: int
    symbols: int
    edges: int
    bytes: int
    seconds: float
    errors: int = 0
    by_language: dict[str, int] = field(default_factory=dict)

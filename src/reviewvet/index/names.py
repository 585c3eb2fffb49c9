"""The names under which a parsed file can be found without reading it: what it defines, calls
and imports. The parse cache keeps them beside each parse result (keyed by blob id), so a
revision's symbols and call sites of one name are found without loading every file."""

from __future__ import annotations

import posixpath

# What ``names_of`` gives is stored beside every cached parse: a change to it must come with a new
# cache file name (``cache.CACHE_FILE``), or files cached before would be missing from the answers.

from reviewvet.index.records import Call, ParsedFile

DEFINES, CALLS, IMPORTS = "def", "call", "import"


def call_names(call: Call) -> set[str]:
    """The names under which a call site can reach a symbol: the name written at the call or,
    for Python, the last part of a qualified name the parser resolved it to."""
    return {call.name, *(candidate.rsplit(".", 1)[-1] for candidate in call.candidates)}


def import_names(alias: str, imported: str) -> set[str]:
    """The names an import can be written under: its alias, the last part of its path (Go) and the
    first part of its dotted name (Python)."""
    return {name for name in (alias, posixpath.basename(imported), imported.split(".", 1)[0]) if name}


def names_of(pf: ParsedFile) -> set[tuple[str, str]]:
    """(role, name) for everything the file defines, calls and imports."""
    names = {(DEFINES, d.name) for d in pf.definitions}
    names |= {(CALLS, name) for call in pf.calls for name in call_names(call)}
    names |= {(IMPORTS, name) for alias, imported in pf.imports for name in import_names(alias, imported)}
    return names

"""The languages the index understands: one module each, listed once in ``LANGUAGES``.

Adding a language means writing its module (a ``Language`` record; see ``base``), adding it to
the tuple below, and giving ``tests/index/test_languages.py`` a snippet of it. Nothing else in
the index names a language: parsing, symbol ids, package placement, call resolution and the
Markdown fences that mean a language are all asked of the record.
"""

from __future__ import annotations

import posixpath

from reviewvet.index.languages import bats, go, python, shell, treesitter
from reviewvet.index.languages.base import (
    CallResolver, Language, Listed, Place, ResolverFactory, Scope, Symbols, Target,
)

__all__ = [
    "LANGUAGES", "CallResolver", "Language", "Listed", "Place", "ResolverFactory", "Scope", "Symbols", "Target",
    "by_fence",
    "extensions_for_fence", "language_of", "raw_parse", "warm_up",
]

LANGUAGES: dict[str, Language] = {
    language.name: language for language in (go.GO, shell.SHELL, bats.BATS, python.PYTHON)
}


def language_of(path: str) -> str | None:
    """The name of the language a file is indexed as, from its extension; None for other files.

    The registry is read on every call (four short tuples), so a language added to it later,
    as the tests do, is seen at once."""
    extension = posixpath.splitext(path)[1]
    for language in LANGUAGES.values():
        if extension in language.extensions:
            return language.name
    return None


def by_fence(name: str) -> Language | None:
    """The language a Markdown code fence's info string names (``bash``, ``py`` ...), if indexed."""
    wanted = name.strip().lower()
    for language in LANGUAGES.values():
        if wanted in language.fences:
            return language
    return None


def extensions_for_fence(name: str) -> tuple[str, ...]:
    """The file extensions a quote fenced as ``name`` may come from: its language's own, then its
    kin's (a ``bash`` block often quotes a ``.bats`` file). Empty for a fence no language claims."""
    language = by_fence(name)
    if language is None:
        return ()
    found = list(language.extensions)
    for kin in language.kin:
        related = LANGUAGES[kin].extensions if kin in LANGUAGES else ()
        found += [e for e in related if e not in found]
    return tuple(found)


def warm_up() -> None:
    """Load every parser now, before parse workers are forked, so that they inherit it."""
    for language in LANGUAGES.values():
        language.warm_up()


def raw_parse(name: str, data: bytes) -> None:
    """Only the tree-sitter parse of a file, as the benchmarks' baseline; nothing for a language
    that does not parse with tree-sitter."""
    language = LANGUAGES.get(name)
    if language is not None and language.grammar:
        treesitter.parse(language.grammar, data)

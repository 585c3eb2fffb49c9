"""Look symbols up the way reviews name them: ``watchUntil``, ``cliexit.Classify``,
``service.StartTime()``, ``(*dockerWatcher).run``, ``Store.Len``, ``tools.report.build``."""

from __future__ import annotations

import re
from collections.abc import Callable

from reviewvet.index.languages import LANGUAGES
from reviewvet.index.records import Symbol

_RECEIVER_FORM = re.compile(r"^\(\*?(?P<type>\w+)\)\.(?P<name>\w+)$")


class SymbolTable:
    """Lookups over a revision's symbols, asked of two functions: the symbols of a name, and the
    symbols of a file (so that an index can place only the files a question needs)."""

    def __init__(self, named: Callable[[str], list[Symbol]], in_file: Callable[[str], list[Symbol]]) -> None:
        self._named = named
        self._in_file = in_file

    def find(self, identifier: str) -> list[Symbol]:
        """Every symbol the identifier can name; a qualifier narrows the name when it matches."""
        text = identifier.strip().removesuffix("()")
        receiver = _RECEIVER_FORM.match(text)
        if receiver:
            return [s for s in self._named(receiver["name"]) if s.receiver.lstrip("*") == receiver["type"]]
        if "." not in text:
            return list(self._named(text))
        qualifier, name = text.rsplit(".", 1)
        return [s for s in self._named(name) if _qualifies(s, qualifier)]

    def enclosing(self, path: str, line: int, end: int | None = None) -> Symbol | None:
        """The innermost symbol of ``path`` around ``line`` (or around most of ``line``..``end``:
        a quote that opens with a doc comment still belongs to the function below it)."""
        last = end if end is not None else line
        overlapping = [s for s in self._in_file(path) if s.start <= last and line <= s.end]
        if not overlapping:
            return None

        def covered(s: Symbol) -> int:
            return min(s.end, last) - max(s.start, line) + 1

        return max(overlapping, key=lambda s: (covered(s), -(s.end - s.start)))

    def in_file(self, path: str) -> list[Symbol]:
        return list(self._in_file(path))


def _qualifies(symbol: Symbol, qualifier: str) -> bool:
    """Whether ``qualifier`` (a package, alias, type or module name) fits the symbol: its receiver
    type in any language, else whatever the symbol's language says a qualifier may be."""
    last = qualifier.rsplit(".", 1)[-1]
    if symbol.receiver and symbol.receiver.lstrip("*") == last:
        return True
    language = LANGUAGES.get(symbol.language)
    return language is not None and language.qualifies(symbol, qualifier)

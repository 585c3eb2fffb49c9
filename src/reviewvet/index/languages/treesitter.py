"""Tree-sitter plumbing shared by the languages that parse with it.

Nothing here knows a language. A grammar is named by the Python package that ships it
(``tree_sitter_go``), a query by its file in ``grammars/``; each is loaded or compiled once per
process, so worker processes forked after ``warm_up`` inherit them instead of paying again.
``tree_sitter`` itself is imported on first use: importing the index must stay cheap for the
commands that never parse.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tree_sitter

# What one query match captured, by capture name.
Captures = dict[str, list["tree_sitter.Node"]]


@lru_cache(maxsize=None)
def grammar(module: str) -> tree_sitter.Language:
    """The grammar a ``tree_sitter_*`` package provides, loaded once."""
    import tree_sitter

    return tree_sitter.Language(importlib.import_module(module).language())


@lru_cache(maxsize=None)
def query(module: str, name: str) -> tree_sitter.Query:
    """``grammars/<name>.scm`` compiled for the grammar of ``module``, once."""
    import tree_sitter

    text = resources.files("reviewvet.grammars").joinpath(f"{name}.scm").read_text("utf-8")
    return tree_sitter.Query(grammar(module), text)


def parse(module: str, data: bytes) -> tree_sitter.Tree:
    import tree_sitter

    return tree_sitter.Parser(grammar(module)).parse(data)


def matches(module: str, name: str, tree: tree_sitter.Tree) -> list[tuple[int, Captures]]:
    import tree_sitter

    return tree_sitter.QueryCursor(query(module, name)).matches(tree.root_node)


def text(node: tree_sitter.Node | None) -> str:
    """A node's source, never failing on bytes that are not UTF-8 (or on a missing node)."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def lines(node: tree_sitter.Node) -> tuple[int, int]:
    """1-based first and last line, the way reviews cite code."""
    return node.start_point[0] + 1, node.end_point[0] + 1


def errors(tree: tree_sitter.Tree) -> tuple[tuple[int, int], ...]:
    """The line ranges tree-sitter could not parse: only subtrees that hold an error are walked."""
    if not tree.root_node.has_error:
        return ()
    found: list[tuple[int, int]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            found.append(lines(node))
        elif node.has_error:
            stack.extend(node.children)
    return tuple(sorted(found))

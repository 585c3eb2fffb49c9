"""How ``reviewvet audit sql`` prints its results: one renderer per format, in ``RENDERERS``.

Column names are printed as DuckDB gives them, unchanged. NULL is ``NULL`` in a table and in
Markdown, ``null`` in JSON and an empty field in CSV, where an empty string is ``""`` (as in
DuckDB's own CSV files). Every statement's result is printed, in order: in a table and in
Markdown each is headed by its statement when there are several, CSV results are separated by
a blank line, and JSON is a list of results (a single statement gives that one result).
In a table and in Markdown, control characters are spelled out (``\\x1b``); JSON escapes them.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reviewvet.cli.emit import as_json, lines
from reviewvet.report.escape import visible

if TYPE_CHECKING:
    from reviewvet.audit.store import QueryResult

NULL = "NULL"
WIDTH = 160  # characters of a table's line; wider cells are folded
_CSV_QUOTED = re.compile('[,"\r\n]')


def render(fmt: str, results: list[QueryResult]) -> str:
    """``results`` in the format ``fmt`` (a key of RENDERERS)."""
    return RENDERERS[fmt](results)


def value_text(value: Any) -> str:
    """A value as DuckDB's command-line client writes it: NULL, true, [1, 2], {'k': v}."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"'{k}': {value_text(v)}" for k, v in value.items()) + "}"
    return str(value)


# -- table ----------------------------------------------------------------------------------------


def table_text(results: list[QueryResult]) -> str:
    headed = len(results) > 1
    blocks = []
    for result in results:
        heading = [visible(line) for line in result.statement.splitlines()] if headed else []
        blocks.append(lines(*heading, _grid(result), f"{len(result.rows)} row(s)"))
    return "\n".join(blocks)


def _grid(result: QueryResult) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    grid = Table(show_edge=False)
    for name in result.columns:  # Text, never markup: "[b]" in a name or value is printed as it is
        grid.add_column(Text(visible(name)), overflow="fold")
    for row in result.rows:
        grid.add_row(*(Text(visible(value_text(v))) for v in row))
    buffer = io.StringIO()
    Console(file=buffer, width=WIDTH, no_color=True, highlight=False).print(grid)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())


# -- CSV ------------------------------------------------------------------------------------------


def csv_text(results: list[QueryResult]) -> str:
    return "\r\n".join(_csv_rows([result.columns, *result.rows]) for result in results)


def _csv_rows(rows: list[Any]) -> str:
    return "".join(",".join(_csv_field(v) for v in row) + "\r\n" for row in rows)


def _csv_field(value: Any) -> str:
    """NULL as an empty field; an empty string, and text holding a comma, quote or line break, quoted."""
    if value is None:
        return ""
    text = value_text(value)
    return '"' + text.replace('"', '""') + '"' if not text or _CSV_QUOTED.search(text) else text


# -- JSON -----------------------------------------------------------------------------------------


def json_text(results: list[QueryResult]) -> str:
    data = [{"statement": r.statement, "columns": r.columns, "truncated": r.truncated,
             "rows": [[_json_value(v) for v in row] for row in r.rows]} for r in results]
    return as_json(data[0] if len(data) == 1 else data)


def _json_value(value: Any) -> Any:
    """A value JSON can hold: NaN and infinities as their text, a map's keys as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


# -- Markdown -------------------------------------------------------------------------------------


def markdown_text(results: list[QueryResult]) -> str:
    headed = len(results) > 1
    blocks = []
    for result in results:
        block = _fenced(result.statement) if headed else []
        block += [_md_row(result.columns), "|" + "---|" * len(result.columns)]
        block += [_md_row([value_text(v) for v in row]) for row in result.rows]
        blocks.append(lines(*block))
    return "\n".join(blocks)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(visible(c).replace("|", "\\|") for c in cells) + " |"


def _fenced(statement: str) -> list[str]:
    """The statement as an SQL code block, its fence longer than any run of backticks in it."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", statement)), default=0))
    return [fence + "sql", *(visible(line) for line in statement.splitlines()), fence, ""]


RENDERERS: dict[str, Callable[[list[QueryResult]], str]] = {
    "table": table_text,
    "text": table_text,  # the name the table had before
    "csv": csv_text,
    "json": json_text,
    "markdown": markdown_text,
}

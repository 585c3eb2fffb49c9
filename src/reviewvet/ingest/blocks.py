"""Turn a review document into a flat list of blocks with source line numbers.

Two producers give the same records: ``markdown_blocks`` reads real Markdown through
markdown-it-py (so lines inside code fences are never headings), and ``flat_blocks``
reads documents whose Markdown was flattened into plain text (headings as bare lines,
often ending in a pilcrow, code fences and backticks gone), classifying line by line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewvet.ingest.vocabulary import TAG, heading_category, is_known_heading

if TYPE_CHECKING:
    from markdown_it.token import Token

PILCROW = "\u00b6"


@dataclass(frozen=True)
class Block:
    """One structural piece of a document.

    kind: heading, para, item, code, table or rule. ``text`` is the inline source
    (Markdown markup kept) for prose, the verbatim content for code, and
    ``rows`` holds a table's cells.
    """

    kind: str
    text: str
    line: int
    end_line: int
    level: int = 0
    language: str = ""
    number: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


def detect_format(text: str) -> str:
    """``markdown`` when the document has code fences or Markdown section headings."""
    if re.search(r"^\s{0,3}```", text, re.M):
        return "markdown"
    headings = re.findall(r"^#{1,4} (.+)$", text, re.M)
    known = [h for h in headings if heading_category(h) is not None or h.lower().startswith("deep review")]
    return "markdown" if len(known) >= 2 else "flattened"


# -- real Markdown --------------------------------------------------------------------


def markdown_blocks(text: str) -> list[Block]:
    from markdown_it import MarkdownIt

    # Blocks keep their inline source (``content``), so inline parsing is skipped: it is never used,
    # and markdown-it's link-label scan is quadratic on a long run of ``[``.
    tokens = MarkdownIt("commonmark").enable("table").disable("inline").parse(text)
    blocks: list[Block] = []
    item_number: list[str] = []  # per open list, the marker of its current item ("" before the first)
    i = 0
    while i < len(tokens):
        reader = _MARKDOWN_READERS.get(tokens[i].type)
        if reader is None:
            _track_lists(tokens[i], item_number)
            i += 1
        else:
            i, block = reader(tokens, i, item_number)
            blocks.append(block)
    return blocks


def _track_lists(tok: Token, item_number: list[str]) -> None:
    """Follow list nesting, and each open list's current item marker ("-" for a bullet)."""
    if tok.type in ("ordered_list_open", "bullet_list_open"):
        item_number.append("")
    elif tok.type in ("ordered_list_close", "bullet_list_close"):
        item_number.pop()
    elif tok.type == "list_item_open" and item_number:
        item_number[-1] = tok.info or "-"


def _token_lines(tok: Token) -> tuple[int, int]:
    """A block token's first line (1-based) and last line, or (0, 0) when it has no map."""
    return (tok.map[0] + 1, tok.map[1]) if tok.map else (0, 0)


def _markdown_heading(tokens: list[Token], i: int, item_number: list[str]) -> tuple[int, Block]:
    start, end = _token_lines(tokens[i])
    return i + 3, Block("heading", tokens[i + 1].content, start, end, level=int(tokens[i].tag[1]))


def _markdown_paragraph(tokens: list[Token], i: int, item_number: list[str]) -> tuple[int, Block]:
    """A paragraph, or a list item's: numbered by the item's marker when it is the item's first."""
    start, end = _token_lines(tokens[i])
    kind = "item" if item_number else "para"
    number = item_number[-1] if item_number else ""
    if item_number and not tokens[i - 1].type == "list_item_open":
        number = ""  # a second paragraph of the same item
    return i + 3, Block(kind, tokens[i + 1].content, start, end, number=number)


def _markdown_code(tokens: list[Token], i: int, item_number: list[str]) -> tuple[int, Block]:
    """A fenced or indented code block: its content starts after a fence's opening line."""
    tok = tokens[i]
    start, end = _token_lines(tok)
    language = tok.info.strip().split()[0] if tok.info.strip() else ""
    return i + 1, Block("code", tok.content, start + (tok.type == "fence"), end, language=language)


def _markdown_rule(tokens: list[Token], i: int, item_number: list[str]) -> tuple[int, Block]:
    start, end = _token_lines(tokens[i])
    return i + 1, Block("rule", "", start, end)


def _markdown_table_block(tokens: list[Token], i: int, item_number: list[str]) -> tuple[int, Block]:
    return _markdown_table(tokens, i)


# The block each markdown-it token opens, by token type: (index after the block, the block).
_MarkdownReader = Callable[[list["Token"], int, list[str]], tuple[int, Block]]
_MARKDOWN_READERS: dict[str, _MarkdownReader] = {
    "heading_open": _markdown_heading,
    "paragraph_open": _markdown_paragraph,
    "fence": _markdown_code,
    "code_block": _markdown_code,
    "table_open": _markdown_table_block,
    "hr": _markdown_rule,
}


def _markdown_table(tokens: list[Token], i: int) -> tuple[int, Block]:
    where = tokens[i].map
    start, end = (where[0] + 1, where[1]) if where else (0, 0)
    rows: list[tuple[str, ...]] = []
    row: list[str] = []
    while tokens[i].type != "table_close":
        tok = tokens[i]
        if tok.type == "tr_open":
            row = []
        elif tok.type == "inline":
            row.append(tok.content)
        elif tok.type == "tr_close":
            rows.append(tuple(row))
        i += 1
    return i + 1, Block("table", "", start, end, rows=tuple(rows))


# -- flattened text -------------------------------------------------------------------

_STOPWORDS = frozenset(
    "a an the is are was were be been to of and or in on at for with that this these those "
    "when it its not no but as by from so which will would can could does do has have than "
    "then only also there their they we you because before after into over every any all "
    "should must may might while where what who how why each both one two same still now "
    "just more most less other such".split()
)
_ITEM = re.compile(r"^\s*(?:(?P<num>\d+)[.)]|[-*\u2022])\s+(?P<rest>\S.*)$")
_TAG_LINE = re.compile(r"^\s*\*?\((?:critical|important|suggestion)\b", re.I)
_CODE_SIGNAL = re.compile(
    r":=|==|!=|&&|\|\||=>|->|^\s*[\w.\[\]*]+\s*[-+*/]?=\s|^\s*\w+\(|[;{]\s*$|^\s*[})\]]|"
    r"^\s*(?:func|return|if|for|case|var|const|local|echo|def|class|import|package)\b"
)
_CODE_START = re.compile(r"^\s*(//|/\*|\*/|#|@test\b|\+|-(?!\s+[A-Z][a-z]))")


def flat_blocks(text: str) -> list[Block]:
    lines = [raw.rstrip() for raw in text.splitlines()]
    kinds = [classify_flat_line(line) for line in lines]
    blocks: list[Block] = []
    for kind, first, end in _flat_runs(kinds):
        blocks += _FLAT_READERS.get(kind, _flat_para)(lines[first:end], first + 1)
    return blocks


def _flat_runs(kinds: list[str]) -> Iterator[tuple[str, int, int]]:
    """The lines of each block, as (kind, first, end) 0-based and end-exclusive: a table is a run of
    table lines, a code block a run of code lines with the blank lines between them, anything else
    one line. Blank lines outside code belong to no block."""
    i = 0
    while i < len(kinds):
        end = i + 1
        if kinds[i] == "table":
            while end < len(kinds) and kinds[end] == "table":
                end += 1
        elif kinds[i] == "code":
            end = _code_run_end(kinds, i)
        if kinds[i] != "blank":
            yield kinds[i], i, end
        i = end


def _code_run_end(kinds: list[str], first: int) -> int:
    """Where the code run starting at ``first`` ends: after its last code line before a line that is
    neither code nor blank."""
    end = last = first + 1
    while end < len(kinds) and kinds[end] in ("code", "blank"):
        end += 1
        if kinds[end - 1] == "code":
            last = end
    return last


def _flat_code(lines: list[str], lineno: int) -> list[Block]:
    """A run of code; two blocks when it turns from quoted source into a marked diff."""
    cut = _diff_start(lines)
    source = [Block("code", "\n".join(lines[:cut]) + "\n", lineno, lineno + cut - 1)] if cut else []
    return [*source, Block("code", "\n".join(lines[cut:]) + "\n", lineno + cut, lineno + len(lines) - 1)]


def _flat_table(lines: list[str], lineno: int) -> list[Block]:
    return [Block("table", "", lineno, lineno + len(lines) - 1, rows=tuple(_table_cells(line) for line in lines))]


def _flat_heading(lines: list[str], lineno: int) -> list[Block]:
    return [Block("heading", _flat_stripped(lines[0]), lineno, lineno, level=0)]


def _flat_item(lines: list[str], lineno: int) -> list[Block]:
    match = _ITEM.match(lines[0])
    assert match is not None
    return [Block("item", match["rest"], lineno, lineno, number=match["num"] or "-")]


def _flat_para(lines: list[str], lineno: int) -> list[Block]:
    return [Block("para", _flat_stripped(lines[0]), lineno, lineno)]


def _flat_stripped(line: str) -> str:
    return line.strip().rstrip(PILCROW).strip()


# The blocks one run of lines makes (the run's lines, the line number of its first), by the run's kind;
# a kind not listed reads as a paragraph.
_FLAT_READERS: dict[str, Callable[[list[str], int], list[Block]]] = {
    "code": _flat_code,
    "table": _flat_table,
    "heading": _flat_heading,
    "item": _flat_item,
    "para": _flat_para,
}


def _diff_start(code: list[str]) -> int:
    """Where a run of code turns from quoted source into a diff whose every line is marked.

    Flattening can leave a quoted function and the diff that fixes it back to back; when
    the diff kept its ``+``/``-``/space markers (a context line starts with one space, which
    unmarked source never does), they are two blocks.
    """
    n = len(code)
    marked = [line[:1] in ("+", "-", " ") for line in code]
    head_end = next((i for i, m in enumerate(marked) if m), n)  # a cut is at or before the first marked line
    tail_start = n  # ... and at or after the start of the run of marked (or empty) lines that ends the code
    while tail_start > 0 and (marked[tail_start - 1] or not code[tail_start - 1]):
        tail_start -= 1
    first, changed = [""] * (n + 1), [False] * (n + 1)  # from each line on: the first non-empty, any +/- line
    for i in range(n - 1, -1, -1):
        first[i] = code[i] or first[i + 1]
        changed[i] = changed[i + 1] or code[i][:1] in ("+", "-")
    for cut in range(max(1, tail_start), min(head_end, n - 1) + 1):  # linear: each cut checked in O(1)
        if first[cut][:1] == " " and changed[cut]:
            return cut
    return 0


def classify_flat_line(line: str) -> str:
    """blank, table, heading, item, para or code, for one line of a flattened document."""
    stripped = line.strip()
    if not stripped:
        return "blank"
    if stripped.startswith("|") and stripped.endswith("|") and stripped.count("|") >= 3:
        return "table"
    if stripped.endswith(PILCROW) or is_known_heading(stripped):
        return "heading"
    if _TAG_LINE.match(stripped) or stripped.rstrip(".") in ("None", "N/A", "n/a"):
        return "para"
    numbered = re.match(r"^\s{0,3}\d{1,3}[.)]\s+\S", line)
    if numbered or (TAG.search(stripped) and not _CODE_START.match(stripped)):
        return "item" if _ITEM.match(line) else "para"
    if not looks_like_prose(stripped):
        return "code"
    return "item" if _ITEM.match(line) and not line.startswith(("\t", "    ")) else "para"


def looks_like_prose(text: str) -> bool:
    """Whether a flattened line reads as a sentence rather than code."""
    if _CODE_START.match(text) and not _ITEM.match(text):
        return False
    if text.startswith("- ") and _ITEM.match(text):
        return bool(re.match(r"^- [A-Z][a-z]+$", text)) or _sentence_like(text[2:])
    if re.match(r"^[A-Z][a-z'’]*\b[^{};=\[\]]*:$", text) and len(text.split()) <= 8:
        return True  # a short lead-in such as "On Unix:", "Fix:" or "Fix (if desired):"
    return _sentence_like(text)


def _sentence_like(text: str) -> bool:
    if re.search(r"[{;]\s*$", text) or text.endswith((":=", "&&", "||", ",")) and not text[0].isupper():
        return False
    bare = re.sub(r'"[^"]*"|`[^`]*`', " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", bare)
    if not words:
        return False
    if _CODE_SIGNAL.search(bare) and not (text.endswith((".", ":")) and len(words) >= 8):
        return False
    stop = sum(1 for w in words if w.lower() in _STOPWORDS)
    if stop >= 2 and stop / len(words) >= 0.15:
        return True
    if len(words) >= 8 and re.search(r"[a-z0-9]\. [A-Z][a-z]", bare):
        return True  # several sentences in a line: prose
    if not re.match(r"^[A-Z][a-z'’]*[ ,:]", text) or len(words) < 4:
        return False
    if text.endswith((".", ":")) and not re.search(r"[:=]=|\bfunc\b|\breturn\b", bare):
        return True
    return stop >= 1 and not re.search(r"[:=]=|\bfunc\b|\breturn\b|\w\(", bare)


def _table_cells(line: str) -> tuple[str, ...]:
    inner = line.strip()[1:-1]
    cells = re.split(r"(?<!\\)\|", inner)
    return tuple(cell.strip().replace("\\|", "|") for cell in cells)

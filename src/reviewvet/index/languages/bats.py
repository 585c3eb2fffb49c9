"""BATS test files: bash with ``@test "title" {`` blocks, parsed as shell after a rewrite.

tree-sitter-bash reads ``@test "name" {`` as an ordinary command, so each test header is first
rewritten, in place and at the same byte length, into a function header (``bt0() {`` padded
with spaces). Only real ``@test`` commands of the bash parse are rewritten — never text inside
strings or here-documents — so offsets and line numbers stay those of the original file. The
tests then become symbols named by their titles, and calls resolve like shell calls, into the
helpers a test file loads.
"""

from __future__ import annotations

import reviewvet.index.languages.shell as shell
import reviewvet.index.languages.treesitter as ts
from reviewvet.index.languages.base import Language
from reviewvet.index.records import ParsedFile

NAME = "bats"


def parse_bats(path: str, data: bytes) -> ParsedFile:
    rewritten, titles = rewrite_bats(data)
    return shell.parse_commands(path, rewritten, NAME, titles)


def rewrite_bats(data: bytes) -> tuple[bytes, dict[str, str]]:
    """Each ``@test "title" {`` header replaced by ``btN() {`` of the same byte length."""
    titles: dict[str, str] = {}
    if b"@test" not in data:
        return data, titles
    tree = ts.parse(shell.GRAMMAR, data)
    out = bytearray(data)
    headers = [caps["bats.test"][0] for _, caps in ts.matches(shell.GRAMMAR, "bats", tree)]
    for number, node in enumerate(sorted(headers, key=lambda n: n.start_byte)):
        args = node.children_by_field_name("argument")
        brace = next((a for a in args if ts.text(a) == "{"), None)
        if brace is None:
            continue
        title = " ".join(_unquote(ts.text(a)) for a in args if a.start_byte < brace.start_byte)
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


def _warm_up() -> None:
    shell.warm_up()
    ts.query(shell.GRAMMAR, "bats")


BATS = Language(
    name=NAME,
    extensions=(".bats",),
    fences=("bats",),
    parse=parse_bats,
    resolver=shell.ShellResolver,  # shared: a test calls the functions of the shell helpers it loads
    kin=("shell",),
    warm_up=_warm_up,
    grammar=shell.GRAMMAR,
)

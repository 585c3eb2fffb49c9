"""GitHub code scanning's line hash of a file (``primaryLocationLineHash`` in SARIF).

Computed while verifying, from the blob at head, and carried on each finding's verdict: the
SARIF writer renders it and never reads the repository."""

from __future__ import annotations

_BLOCK = 100
_MOD = 37
_MASK = (1 << 64) - 1


def line_hashes(text: str, until: int | None = None) -> dict[int, str]:  # noqa: C901 -- kept in the shape of GitHub's published algorithm
    """The line hashes GitHub code scanning computes for a file (its rolling hash over the next
    100 characters of the file, spaces and tabs skipped, line endings as LF, plus an occurrence
    count), by line number; with ``until``, those of the lines up to it only (a line's hash depends
    on the text before it and the 100 characters after its start, never on the rest)."""
    first_mod = pow(_MOD, _BLOCK, 1 << 64)
    window = [0] * _BLOCK
    starts = [-1] * _BLOCK
    counts: dict[str, int] = {}
    out: dict[int, str] = {}
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}

    def emit() -> None:
        value = format(state["hash"] & _MASK, "x")
        counts[value] = counts.get(value, 0) + 1
        out[starts[state["index"]]] = f"{value}:{counts[value]}"
        starts[state["index"]] = -1

    def update(code: int) -> None:
        i = state["index"]
        begin = window[i]
        window[i] = code
        state["hash"] = (_MOD * state["hash"] + code - first_mod * begin) & _MASK
        state["index"] = (i + 1) % _BLOCK

    def feed(code: int) -> None:
        if code in (32, 9) or (state["prev_cr"] and code == 10):
            state["prev_cr"] = False
            return
        state["prev_cr"] = code == 13
        if code == 13:
            code = 10
        if starts[state["index"]] != -1:
            emit()
        if state["line_start"]:
            state["line_start"] = False
            state["line"] += 1
            starts[state["index"]] = state["line"]
        if code == 10:
            state["line_start"] = True
        update(code)

    for char in text:  # GitHub hashes UTF-16 code units: a character past U+FFFF is two of them
        if until is not None and until in out:
            return {line: value for line, value in out.items() if line <= until}
        code = ord(char)
        if code < 0x10000:
            feed(code)
        else:
            feed(0xD800 + ((code - 0x10000) >> 10))
            feed(0xDC00 + ((code - 0x10000) & 0x3FF))
    feed(65535)
    for _ in range(_BLOCK):
        if starts[state["index"]] != -1:
            emit()
        update(0)
    return out if until is None else {line: value for line, value in out.items() if line <= until}



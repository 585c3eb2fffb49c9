"""Where a command's output goes: standard output, or the ``--output`` file through the one
writer of user-named files (``reviewvet.output``); messages go to standard error."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from reviewvet.errors import OutputError


def emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it whole to ``output``."""
    from reviewvet.output import write_output

    if output is not None:
        write_output(output, text, option="--output")  # the CLI's own write: its label is the flag
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left (| head): not an error, and --fail-on still decides
        quiet_stdout()
    except OSError as exc:
        raise OutputError(f"standard output: {exc.strerror or exc}") from exc


def lines(*rows: str) -> str:
    """Text output: one row a line, each ending with a newline."""
    return "".join(row + "\n" for row in rows)


def as_json(data: object) -> str:
    """JSON output: sorted keys, indented, ASCII only (so no control character reaches a terminal)."""
    return json.dumps(data, indent=2, sort_keys=True, default=_plain) + "\n"


def _plain(value: object) -> object:
    """Values JSON has no type for: sets as lists, anything else (dates, decimals) as its text."""
    if isinstance(value, (set, frozenset)):
        return list(value)
    return str(value)


def say(message: str) -> None:
    """A message on standard error, ``reviewvet:`` first, control characters spelled out."""
    from reviewvet.report.escape import visible

    print("reviewvet: " + "\n".join(visible(line) for line in message.split("\n")), file=sys.stderr)


def quiet_stdout() -> None:
    """After a closed pipe, send what is left in stdout's buffer nowhere, so exit is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass

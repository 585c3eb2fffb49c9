"""The ``reviewvet`` command line: one module per command, the option groups they share in
``options``. Errors are caught here, once, in ``main``, and turned into exit codes.

Exit codes: 0 done; 1 a finding carries a flag named by ``--fail-on`` (the findings are named
on stderr); 2 bad usage or input (a ``ReviewvetError``: one line naming the input, with the
flag that gives it when the error says which library input it is about); 3 an internal error,
a bug (the traceback only with ``--debug`` or ``REVIEWVET_DEBUG=1``); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import os
import traceback

from reviewvet import __version__
from reviewvet.cli.emit import quiet_stdout, say
from reviewvet.cli.exits import EXIT_BAD_INPUT, EXIT_CODES, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK
from reviewvet.cli.options import flag_for
from reviewvet.errors import ReviewvetError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from reviewvet.cli import audit, bench, blame, index, rules, serve, verify
    from reviewvet.cli import mcp
    from reviewvet.cli import models

    parser = argparse.ArgumentParser(
        prog="reviewvet",
        description="Vet the findings of AI code reviewers against the repository they talk about.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"reviewvet {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an internal error, print the traceback (also: REVIEWVET_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    verify.add_parser(sub)
    models.add_parsers(sub)
    rules.add_parser(sub)
    audit.add_parser(sub)
    blame.add_parser(sub)
    index.add_parsers(sub)
    bench.add_parser(sub)
    mcp.add_parser(sub)
    serve.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; the only place errors become exit codes (argparse's own usage errors exit 2)."""
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(argv)
        code: int = args.run(args)
        return code
    except ReviewvetError as exc:
        say(f"error: {error_message(exc, args)}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        say("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        quiet_stdout()
        return EXIT_OK
    except Exception as exc:  # the one place an unexpected exception is caught: a bug
        return _internal_error(exc, args)


def error_message(exc: ReviewvetError, args: argparse.Namespace | None) -> str:
    """The library's message, after the flag that gives the input it is about (``--context: ...``)."""
    flag = flag_for(exc.field, args)
    return f"{flag}: {exc}" if flag else str(exc)


def _internal_error(exc: Exception, args: argparse.Namespace | None) -> int:
    debug = getattr(args, "debug", False) or os.environ.get("REVIEWVET_DEBUG", "") not in ("", "0")
    if debug:
        traceback.print_exc()
    where = "the traceback is above" if debug else "run again with --debug (or REVIEWVET_DEBUG=1) for the traceback"
    first = (str(exc).splitlines() or [""])[0][:200]
    say(f"internal error, a bug in reviewvet: {type(exc).__name__}: {first}; {where}")
    return EXIT_INTERNAL

"""The ``reviewvet`` command line. Errors are caught here, once, in ``main``, and turned into exit codes.

Exit codes: 0 done; 1 findings carry a flag named by ``--fail-on``; 2 bad usage or input (a
``ReviewvetError``: one line naming the input); 3 an internal error, a bug (the traceback only
with ``--debug`` or ``REVIEWVET_DEBUG=1``); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from pathlib import Path

from reviewvet import __version__
from reviewvet.errors import OutputError, ReviewInputError, ReviewvetError, UsageError

EXIT_OK, EXIT_FLAGGED, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_CODES = ("exit codes: 0 done; 1 a finding carries a --fail-on flag; 2 bad usage or unusable input "
              "(the message names it); 3 internal error, a bug in reviewvet (--debug or REVIEWVET_DEBUG=1 "
              "prints the traceback); 130 interrupted")


def build_parser() -> argparse.ArgumentParser:
    from reviewvet.checks.flags import FLAGS
    from reviewvet.report import FORMATS

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

    verify = sub.add_parser(
        "verify",
        help="check every finding of a review against a git repository",
        description=(
            "Parse a deep-review Markdown report (or a reviewvet claims JSON file) and check, for every "
            "finding, whether the code it quotes exists and whether its path:line claims are right. "
            "Files are read from git objects at --head and at the merge base; nothing is written "
            "into the repository."
        ),
        epilog="flags for --fail-on: " + "; ".join(f"{k}: {v}" for k, v in FLAGS.items()) + ". " + EXIT_CODES,
    )
    verify.add_argument("review", type=Path, help="the review: Markdown (.md/.txt) or claims JSON")
    verify.add_argument("--repo", type=Path, default=Path("."), help="the git repository (default: .)")
    verify.add_argument("--head", default="HEAD",
                        help="revision the review is about (default HEAD); 'auto' uses the review's own head, "
                             "or the best candidate found by its commit subjects")
    verify.add_argument("--base", default=None,
                        help="base revision; the merge base of base and head is computed "
                             "(default: main or master when present)")
    verify.add_argument("--merge-base", dest="merge_base", default=None, metavar="SHA",
                        help="use this merge base instead of computing it")
    verify.add_argument("--format", choices=sorted(FORMATS), default="terminal", help="output format")
    verify.add_argument("--output", "-o", type=Path, default=None,
                        help="write the report to this file: a regular file (or one a link names) is written "
                             "whole or not at all and keeps its mode; a device or FIFO is written in place")
    verify.add_argument("--consolidated-only", action="store_true",
                        help="skip the agents' own reviews from the appendix")
    verify.add_argument("--fail-on", nargs="+", default=[], metavar="FLAG",
                        help="exit 1 when any finding carries one of these flags ('any' for all of them, "
                             "'false-positive' for a finding the rules judged a false positive)")
    verify.add_argument("--near-miss", type=float, default=0.8, metavar="RATIO",
                        help="similarity (0-1) above which an absent quote is reported as a near miss")
    verify.add_argument("--max-drift", type=int, default=5, metavar="N",
                        help="line claims off by at most N lines are 'drifted', further off 'wrong'")
    verify.add_argument("--rules", type=Path, action="append", default=[], metavar="DIR",
                        help="a folder of rule files, added to the default rules (repeatable)")
    verify.add_argument("--no-default-rules", action="store_true", help="use only the rules given with --rules")
    verify.add_argument("--context", type=Path, default=None, metavar="FILE",
                        help="the repository's conventions (default: .reviewvet.yaml at the head revision)")
    verify.add_argument("--no-provenance", action="store_true",
                        help="skip git blame: no regression/gap provenance")
    verify.add_argument("--no-ignore-whitespace", action="store_true", help="do not pass -w to git blame")
    verify.add_argument("--no-move-detection", action="store_true", help="do not pass -M -C to git blame")
    verify.add_argument("--no-symbols", action="store_true",
                        help="skip the parser layer: no symbol checks, no enclosing symbols")
    verify.add_argument("--no-cache", action="store_true", help="parse every file, ignoring the parse cache")
    verify.add_argument("--cache-dir", type=Path, default=None,
                        help="folder of the parse cache (default $REVIEWVET_CACHE_DIR or ~/.cache/reviewvet)")
    verify.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    verify.set_defaults(run=run_verify)

    from reviewvet.bench import add_bench_parser
    from reviewvet.cli_audit import add_audit_parser
    from reviewvet.cli_blame import add_blame_parser
    from reviewvet.cli_index import add_index_parsers
    from reviewvet.cli_rules import add_rules_parser

    add_rules_parser(sub)
    add_audit_parser(sub)
    add_blame_parser(sub)
    add_index_parsers(sub)
    add_bench_parser(sub)
    return parser


def run_verify(args: argparse.Namespace) -> int:
    from reviewvet.checks.context import CheckOptions
    from reviewvet.checks.flags import FLAGS
    from reviewvet.cli_blame import blame_options
    from reviewvet.pipeline import VerifyOptions, load_review, verify

    unknown = [f for f in args.fail_on if f not in FLAGS and f not in ("any", "false-positive")]
    if unknown:
        raise UsageError(f"--fail-on: unknown flag(s) {', '.join(map(repr, unknown))}; known: {', '.join(FLAGS)}")
    if not 0 < args.near_miss <= 1:
        raise UsageError(f"--near-miss {args.near_miss!r} must be between 0 and 1")
    review = load_review(args.review)
    if not review.all_findings():
        hint = f" ({review.warnings[0].message})" if review.warnings else ""
        raise ReviewInputError(f"review {str(args.review)!r} has no findings to verify{hint}")
    options = VerifyOptions(
        head=args.head, base=args.base, merge_base=args.merge_base, include_agents=not args.consolidated_only,
        checks=CheckOptions(near_miss_threshold=args.near_miss, max_drift=args.max_drift,
                            symbols=not args.no_symbols, provenance=not args.no_provenance,
                            blame_options=blame_options(args)),
        cache_dir=args.cache_dir, use_cache=not args.no_cache,
        rule_dirs=tuple(args.rules), default_rules=not args.no_default_rules, context=args.context,
    )
    result = verify(review, args.repo, options)
    text = render(args.format, result, color=_color(args))
    emit(text, args.output)
    wanted = set(FLAGS) if "any" in args.fail_on else set(args.fail_on)
    flagged = any(wanted & set(fv.flags) for fv in result.verdicts) or (
        "false-positive" in args.fail_on and any(d.false_positive for d in result.decisions.values()))
    return EXIT_FLAGGED if flagged else EXIT_OK


def render(fmt: str, result: object, *, color: bool = False) -> str:
    from reviewvet.report import FORMATS

    module = importlib.import_module(FORMATS[fmt])
    if fmt == "terminal":
        return module.render(result, color=color)  # type: ignore[no-any-return]
    return module.render(result)  # type: ignore[no-any-return]


def _color(args: argparse.Namespace) -> bool:
    if args.color != "auto":
        return args.color == "always"
    return args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def emit(text: str, output: Path | None) -> None:
    """Print, or write the file through the one output writer (``reviewvet.output``)."""
    from reviewvet.output import write_output

    if output is not None:
        write_output(output, text)
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left (| head): not an error, and --fail-on still decides
        _quiet_stdout()
    except OSError as exc:
        raise OutputError(f"standard output: {exc.strerror or exc}") from exc


def main(argv: list[str] | None = None) -> int:
    """Run one command; the only place errors become exit codes (argparse's own usage errors exit 2)."""
    args = None
    try:
        args = build_parser().parse_args(argv)
        return int(args.run(args))
    except ReviewvetError as exc:
        _say(f"error: {exc}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_OK
    except Exception as exc:  # the one place an unexpected exception is caught: a bug
        debug = getattr(args, "debug", False) or os.environ.get("REVIEWVET_DEBUG", "") not in ("", "0")
        if debug:
            traceback.print_exc()
        where = "the traceback is above" if debug else "run again with --debug (or REVIEWVET_DEBUG=1) for the traceback"
        first = (str(exc).splitlines() or [""])[0][:200]
        _say(f"internal error, a bug in reviewvet: {type(exc).__name__}: {first}; {where}")
        return EXIT_INTERNAL


def _say(message: str) -> None:
    from reviewvet.report.escape import visible

    print("reviewvet: " + "\n".join(visible(line) for line in message.split("\n")), file=sys.stderr)


def _quiet_stdout() -> None:
    """After a closed pipe, send what is left in stdout's buffer nowhere, so exit is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``reviewvet verify``: check every finding of a review against a git repository."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from reviewvet.cli.emit import emit, say
from reviewvet.cli.exits import EXIT_CODES, EXIT_FLAGGED, EXIT_OK
from reviewvet.cli.options import (
    add_checks,
    add_output,
    add_posting,
    add_pull_request,
    cache_options,
    output_targets,
    render_options,
    verify_options,
)
from reviewvet.errors import ReviewInputError, UsageError
from reviewvet.report import RenderOptions

if TYPE_CHECKING:
    from reviewvet.cli.options import Subparsers
    from reviewvet.model.checks import FindingVerdict
    from reviewvet.model.review import Review
    from reviewvet.model.verification import CacheOptions, Verification, VerifyOptions

SHOWN = 20  # findings named on stderr when --fail-on raises; the rest are counted
STDIN, STDIN_NAME = "-", "<stdin>"
MIN_WIDTH = 40  # narrower terminals get this width all the same: a line may then wrap


def add_parser(sub: Subparsers) -> None:
    from reviewvet.model.flags import FLAGS
    from reviewvet.report import FORMATS

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
    verify.add_argument("review", type=Path,
                        help="the review: Markdown (.md/.txt) or claims JSON; '-' reads it from standard input")
    add_pull_request(verify)
    output = add_output(verify, sorted(FORMATS), "terminal", help="report format")
    output.add_argument("--output-format", dest="outputs", action="append", default=[], metavar="FORMAT=FILE",
                        help="also write the report in FORMAT to FILE (repeatable: one verification, several "
                             "files, e.g. --output-format sarif=rv.sarif --output-format github-comment=c.md)")
    output.add_argument("--quiet", "-q", action="store_true",
                        help="print no report on standard output (files named by --output/--output-format are "
                             "still written) and, for --fail-on, only the count of findings that raised it")
    output.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the terminal format: auto (default: when writing to a terminal and NO_COLOR "
                             "is not set, or when FORCE_COLOR is set to anything but 0), always or never")
    output.add_argument("--fail-on", nargs="+", default=[], metavar="FLAG",
                        help="exit 1 when any finding carries one of these flags ('any' for all of them, "
                             "'false-positive' for a finding the rules judged a false positive), naming those "
                             "findings on standard error")
    add_posting(verify)
    add_checks(verify)
    verify.set_defaults(run=run)


# -- argument handling ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FailOn:
    """What ``--fail-on`` asks for: these flags, and whether a false positive counts."""

    flags: frozenset[str]
    false_positive: bool


def parse_fail_on(names: list[str]) -> FailOn:
    from reviewvet.model.flags import FLAGS

    unknown = [f for f in names if f not in FLAGS and f not in ("any", "false-positive")]
    if unknown:
        raise UsageError(f"--fail-on: unknown flag(s) {', '.join(map(repr, unknown))}; known: {', '.join(FLAGS)}")
    flags = set(FLAGS) if "any" in names else set(names) - {"false-positive"}
    return FailOn(frozenset(flags), "false-positive" in names)


def run(args: argparse.Namespace) -> int:
    wanted = parse_fail_on(args.fail_on)
    targets = output_targets(args)  # refused before any work when a FORMAT=FILE is wrong
    result = verify_review(args.review, args.repo, verify_options(args), head=args.head, base=args.base,
                           merge_base=args.merge_base, cache=cache_options(args))
    options = render_options(args, result)
    rendered = [(render(fmt, result, options), path) for fmt, path in targets]  # every text before any file
    if not args.quiet or args.output is not None:
        emit(render(args.format, result, replace(options, color=_color(args), width=_width(args))), args.output)
    from reviewvet.output import write_output

    for text, path in rendered:
        write_output(path, text, option="--output-format")
    raised = raised_by(result, wanted)
    if raised:
        say(fail_on_message(raised, shown=0 if args.quiet else SHOWN))
        return EXIT_FLAGGED
    return EXIT_OK


def _color(args: argparse.Namespace) -> bool:
    """--color always/never; auto: FORCE_COLOR (set, not 0) colours standard output even when it is a
    pipe (a CI log), else colour when it is a terminal and NO_COLOR is not set. Files get no colour."""
    color: str = args.color
    if color != "auto":
        return color == "always"
    if args.output is not None:
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _width(args: argparse.Namespace) -> int:
    """Columns of the terminal format: $COLUMNS, else the terminal's width, else 120 (a file or a pipe)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(MIN_WIDTH, int(columns))
    if args.output is None and sys.stdout.isatty():
        return max(MIN_WIDTH, shutil.get_terminal_size().columns)
    return RenderOptions.width


# -- the verification -----------------------------------------------------------------------------


def verify_review(path: Path, repo: Path, options: VerifyOptions, *, head: str, base: str | None,
                  merge_base: str | None, cache: CacheOptions) -> Verification:
    """Read the review at ``path`` and verify it against ``repo`` at ``head`` and ``base``."""
    from reviewvet.api import open_workspace, verify

    review = _read(path)
    if not review.all_findings():
        hint = f" ({review.warnings[0].message})" if review.warnings else ""
        raise ReviewInputError(f"review {str(path)!r} has no findings to verify{hint}")
    with open_workspace(repo, head, base, merge_base, cache_dir=cache.directory, use_cache=cache.use) as workspace:
        return verify(workspace, review, options)


def _read(path: Path) -> Review:
    """The review at ``path``, or on standard input when ``path`` is ``-``."""
    from reviewvet.api import load_review, read_review

    if str(path) != STDIN:
        return load_review(path)
    from reviewvet.ingest.parse import MAX_REVIEW_BYTES, review_text
    from reviewvet.streams import read_at_most

    if sys.stdin is None or sys.stdin.isatty():
        raise ReviewInputError("review '-' reads standard input, but it is a terminal (pipe the review in)")
    text = review_text(STDIN_NAME, 0, lambda: read_at_most(sys.stdin.buffer, MAX_REVIEW_BYTES + 1))
    return read_review(text, STDIN_NAME)


def render(fmt: str, result: Verification, options: RenderOptions) -> str:
    """The report in one of the registered formats (``reviewvet.report.FORMATS``)."""
    from reviewvet.report import render as render_format

    return render_format(fmt, result, options)


# -- --fail-on ------------------------------------------------------------------------------------


def raised_by(result: Verification, wanted: FailOn) -> list[str]:
    """One line per finding that raises ``--fail-on``: its key, what raised it, where it points."""
    lines = []
    for fv in result.verdicts:
        reasons = [flag for flag in fv.flags if flag in wanted.flags]
        decision = result.decisions.get(fv.finding.key)
        if wanted.false_positive and decision is not None and decision.false_positive:
            reasons.append("false-positive")
        if reasons:
            lines.append(f"{fv.finding.key}: {', '.join(reasons)}{_where(fv)}")
    return lines


def _where(fv: FindingVerdict) -> str:
    references = fv.finding.references
    return f" ({references[0].span()})" if references else ""


def fail_on_message(raised: list[str], shown: int = SHOWN) -> str:
    count = f"{len(raised)} finding{'s' if len(raised) != 1 else ''}"
    if shown == 0:
        return f"--fail-on: raised by {count}"
    lines = [f"  {line}" for line in raised[:shown]]
    more = [f"  and {len(raised) - shown} more"] if len(raised) > shown else []
    return "\n".join([f"--fail-on: raised by {count}:", *lines, *more])

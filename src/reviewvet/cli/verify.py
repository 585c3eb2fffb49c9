"""``reviewvet verify``: check every finding of a review against a git repository."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reviewvet.cli.emit import emit, say
from reviewvet.cli.exits import EXIT_CODES, EXIT_FLAGGED, EXIT_OK
from reviewvet.cli.options import add_checks, add_output, add_pull_request, cache_options, verify_options
from reviewvet.errors import ReviewInputError, UsageError

if TYPE_CHECKING:
    from reviewvet.cli.options import Subparsers
    from reviewvet.model.checks import FindingVerdict
    from reviewvet.model.verification import CacheOptions, Verification, VerifyOptions

SHOWN = 20  # findings named on stderr when --fail-on raises; the rest are counted


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
    verify.add_argument("review", type=Path, help="the review: Markdown (.md/.txt) or claims JSON")
    add_pull_request(verify)
    output = add_output(verify, sorted(FORMATS), "terminal", help="report format")
    output.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the terminal format: auto (default: when writing to a terminal and NO_COLOR "
                             "is not set), always or never")
    output.add_argument("--fail-on", nargs="+", default=[], metavar="FLAG",
                        help="exit 1 when any finding carries one of these flags ('any' for all of them, "
                             "'false-positive' for a finding the rules judged a false positive), naming those "
                             "findings on standard error")
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
    result = verify_review(args.review, args.repo, verify_options(args), head=args.head, base=args.base,
                           merge_base=args.merge_base, cache=cache_options(args))
    emit(render(args.format, result, color=_color(args)), args.output)
    raised = raised_by(result, wanted)
    if raised:
        say(fail_on_message(raised))
        return EXIT_FLAGGED
    return EXIT_OK


def _color(args: argparse.Namespace) -> bool:
    color: str = args.color
    if color != "auto":
        return color == "always"
    return args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


# -- the verification -----------------------------------------------------------------------------


def verify_review(path: Path, repo: Path, options: VerifyOptions, *, head: str, base: str | None,
                  merge_base: str | None, cache: CacheOptions) -> Verification:
    """Read the review at ``path`` and verify it against ``repo`` at ``head`` and ``base``."""
    from reviewvet.api import load_review, open_workspace, verify

    review = load_review(path)
    if not review.all_findings():
        hint = f" ({review.warnings[0].message})" if review.warnings else ""
        raise ReviewInputError(f"review {str(path)!r} has no findings to verify{hint}")
    with open_workspace(repo, head, base, merge_base, cache_dir=cache.directory, use_cache=cache.use) as workspace:
        return verify(workspace, review, options)


def render(fmt: str, result: Verification, *, color: bool = False) -> str:
    """The report in one of the registered formats (``reviewvet.report.FORMATS``)."""
    from reviewvet.report import RenderOptions
    from reviewvet.report import render as render_format

    return render_format(fmt, result, RenderOptions(color=color))


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


def fail_on_message(raised: list[str]) -> str:
    count = f"{len(raised)} finding{'s' if len(raised) != 1 else ''}"
    shown = [f"  {line}" for line in raised[:SHOWN]]
    more = [f"  and {len(raised) - SHOWN} more"] if len(raised) > SHOWN else []
    return "\n".join([f"--fail-on: raised by {count}:", *shown, *more])

"""``reviewvet verify``: check every finding of a review against a git repository.

Two optional model steps wrap the verification (``--extract-with``: the review's text read into
claims by a model first; ``--challenge-with``: the refuted and doubtful findings sent back to a model
afterwards, in the same workspace, and what it amends or defends verified again). ``reviewvet
challenge`` and ``reviewvet extract`` (``cli.models``) reuse them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from reviewvet.cli.emit import emit, say
from reviewvet.cli.exits import EXIT_CODES, EXIT_FLAGGED, EXIT_OK
from reviewvet.cli.options import (
    Container,
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
    from reviewvet.llm.client import ModelClient
    from reviewvet.llm.extract import Extraction
    from reviewvet.model.challenge import ChallengeOutcome
    from reviewvet.model.checks import FindingVerdict
    from reviewvet.model.review import Review
    from reviewvet.model.verification import CacheOptions, Verification, VerifyOptions

SHOWN = 20  # findings named on stderr when --fail-on raises; the rest are counted
STDIN, STDIN_NAME = "-", "<stdin>"
MIN_WIDTH = 40  # narrower terminals get this width all the same: a line may then wrap


def add_parser(sub: Subparsers) -> None:
    from reviewvet.model.flags import FLAGS

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
    add_arguments(verify)
    models = add_models(verify)
    models.add_argument("--challenge-with", default=None, metavar="PROVIDER:MODEL",
                        help="after verifying, send each refuted or doubtful finding (and each false positive) back "
                             "to this model with its evidence; what it amends or defends is verified again, and "
                             "the report shows what came of each")
    add_model_connection(models)
    verify.set_defaults(run=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The review, the repository, the output and the checks: what verify and challenge share."""
    from reviewvet.report import FORMATS

    parser.add_argument("review", type=Path,
                        help="the review: Markdown (.md/.txt) or claims JSON; '-' reads it from standard input")
    add_pull_request(parser)
    output = add_output(parser, sorted(FORMATS), "terminal", help="report format")
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
    add_posting(parser)
    add_checks(parser)


def add_models(parser: argparse.ArgumentParser) -> Container:
    """The models group with ``--extract-with``; the command adds its challenger, then
    ``add_model_connection``."""
    from reviewvet.llm.client import PROVIDERS

    group = parser.add_argument_group("models")
    group.add_argument("--extract-with", default=None, metavar="PROVIDER:MODEL",
                       help="read the review's text into claims with this model first, for a review that is not a "
                            "deep-review report (a bot's comment, an agent's answer); PROVIDER is one of "
                            f"{', '.join(PROVIDERS)}, its key read from the SDK's usual variable")
    return group


def add_model_connection(container: Container) -> None:
    """``--base-url`` and ``--timeout``: where a model is asked and how long one request may take."""
    from reviewvet.llm.client import DEFAULT_TIMEOUT

    container.add_argument("--base-url", default=None, metavar="URL",
                           help="the provider's API at this URL (a gateway, a proxy, a self-hosted server speaking "
                                "its protocol) instead of its SDK's endpoint variable or default")
    container.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                           help=f"seconds one model request may take, before the SDK's retries "
                                f"(default {DEFAULT_TIMEOUT:g})")


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


def run(args: argparse.Namespace, models: Callable[[argparse.Namespace], Models] | None = None) -> int:
    """Verify (with the model steps ``models`` opens: by default those --extract-with and --challenge-with
    name), render, write, and decide --fail-on."""
    wanted = parse_fail_on(args.fail_on)
    targets = output_targets(args)  # refused before any work when a FORMAT=FILE is wrong
    steps = (models or open_models)(args)  # a missing key or SDK is refused before any work too
    result = verify_review(args.review, args.repo, verify_options(args), head=args.head, base=args.base,
                           merge_base=args.merge_base, cache=cache_options(args), models=steps)
    if steps.challenge is not None:
        say(challenge_summary(steps.challenge, result.challenges))
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


# -- the models ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Models:
    """The models a verification asks, each optional: one reads the review's text into claims before it,
    one challenges the findings it refuted or doubted."""

    extract: ModelClient | None = None
    challenge: ModelClient | None = None


def open_models(args: argparse.Namespace) -> Models:
    """The clients --extract-with and --challenge-with name (none when neither is given)."""
    extract = named_model(args, "--extract-with", args.extract_with)
    challenge = named_model(args, "--challenge-with", args.challenge_with)
    lone = [flag for flag, value in (("--base-url", args.base_url), ("--timeout", args.timeout)) if value is not None]
    if extract is None and challenge is None and lone:
        raise UsageError(f"{lone[0]}: no model to ask; it goes with --extract-with or --challenge-with")
    return Models(extract, challenge)


def named_model(args: argparse.Namespace, flag: str, spec: str | None) -> ModelClient | None:
    """The client of ``spec`` (PROVIDER:MODEL, as ``flag`` gave it), or None when it is not given."""
    from reviewvet.llm.client import ModelSetupError, parse_provider_model

    if spec is None:
        return None
    try:
        provider, model = parse_provider_model(spec)
    except ModelSetupError as exc:
        raise ModelSetupError(f"{flag}: {exc}") from exc
    return open_model(args, flag, provider, model)


def open_model(args: argparse.Namespace, flag: str, provider: str, model: str) -> ModelClient:
    """A client of ``model`` at --base-url with --timeout; a missing SDK or key is named after ``flag``."""
    from reviewvet.llm.client import DEFAULT_TIMEOUT, ModelSetupError, open_client

    timeout: float = DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    if not timeout > 0:
        raise UsageError(f"--timeout {timeout!r} must be more than 0 seconds")
    try:
        return open_client(provider, model, base_url=args.base_url, timeout=timeout)
    except ModelSetupError as exc:
        raise ModelSetupError(f"{flag}: {exc}") from exc


def extraction_summary(client: ModelClient, done: Extraction) -> str:
    """One line: what reading the text cost and how many quotes the model did not copy as written."""
    findings = len(done.claims.get("findings", []))
    rewritten = len(done.rewritten_quotes)
    where = f": {', '.join(done.rewritten_quotes)}" if rewritten else ""
    spent = _spent(done.usage.input_tokens, done.usage.output_tokens, [done.usage.cost_usd])
    return (f"extract: {_count(findings, 'finding')} from {_count(done.calls, 'call')} to "
            f"{client.provider}:{client.model}; {spent}; "
            f"{_count(rewritten, 'quote')} rewritten (not verbatim, not checked){where}")


def challenge_summary(client: ModelClient, outcomes: tuple[ChallengeOutcome, ...]) -> str:
    """One line: how many findings were challenged, what the answers were, how many survived, the cost."""
    from collections import Counter

    who = f"{client.provider}:{client.model}"
    if not outcomes:
        return f"challenge: no refuted or doubtful finding to send to {who}"
    answers = Counter(c.outcome for c in outcomes)
    told = ", ".join(f"{count} {outcome}" for outcome, count in sorted(answers.items()))
    survived = sum(c.survived for c in outcomes)
    spent = _spent(sum(c.input_tokens for c in outcomes), sum(c.output_tokens for c in outcomes),
                   [c.cost_usd for c in outcomes if c.input_tokens or c.output_tokens])
    failed = next((f"; the first failure, {c.key}: {c.reason}" for c in outcomes if c.outcome == "failed"), "")
    return (f"challenge: {_count(len(outcomes), 'finding')} sent to {who} ({told}); {survived} survived; "
            f"{spent}{failed}")


def _spent(input_tokens: int, output_tokens: int, costs: list[float | None]) -> str:
    """Tokens in and out, and the approximate cost of the calls that spent them (unknown when any call's
    price is)."""
    known = [c for c in costs if c is not None]
    cost = f"about ${sum(known):.4f}" if len(known) == len(costs) else "price unknown"
    return f"{input_tokens} tokens in, {output_tokens} out, {cost}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- the verification -----------------------------------------------------------------------------


def verify_review(path: Path, repo: Path, options: VerifyOptions, *, head: str, base: str | None,
                  merge_base: str | None, cache: CacheOptions, models: Models | None = None) -> Verification:
    """Read the review at ``path`` (through ``models.extract`` when given) and verify it against ``repo``
    at ``head`` and ``base``; then challenge what failed with ``models.challenge`` in the same workspace."""
    from reviewvet.api import open_workspace, verify

    steps = models or Models()
    review = _read(path, steps.extract)
    if not review.all_findings():
        hint = f" ({review.warnings[0].message})" if review.warnings else ""
        raise ReviewInputError(f"review {str(path)!r} has no findings to verify{hint}")
    with open_workspace(repo, head, base, merge_base, cache_dir=cache.directory, use_cache=cache.use) as workspace:
        result = verify(workspace, review, options)
        if steps.challenge is not None:
            from reviewvet.llm.challenge import challenge

            result = challenge(workspace, result, steps.challenge, options=options)
        return result


def _read(path: Path, reader: ModelClient | None = None) -> Review:
    """The review at ``path``, or on standard input when ``path`` is ``-``; read by ``reader`` when given."""
    from reviewvet.api import load_review, read_review

    if reader is None and str(path) != STDIN:
        return load_review(path)
    name, text = review_text(path)
    if reader is None:
        return read_review(text, name)
    done = extracted(reader, text, name)
    return read_review(json.dumps(done.claims), name)


def review_text(path: Path) -> tuple[str, str]:
    """The name and text of the review at ``path`` (standard input for ``-``), with the size and encoding
    checks of every review."""
    from reviewvet.ingest.parse import MAX_REVIEW_BYTES, read_review_file
    from reviewvet.ingest.parse import review_text as checked_text
    from reviewvet.streams import read_at_most

    if str(path) != STDIN:
        return str(path), read_review_file(path)
    if sys.stdin is None or sys.stdin.isatty():
        raise ReviewInputError("review '-' reads standard input, but it is a terminal (pipe the review in)")
    return STDIN_NAME, checked_text(STDIN_NAME, 0, lambda: read_at_most(sys.stdin.buffer, MAX_REVIEW_BYTES + 1))


def extracted(reader: ModelClient, text: str, name: str) -> Extraction:
    """The claims ``reader`` reads in ``text``, its cost said on standard error."""
    from reviewvet.llm.extract import extract

    done = extract(reader, text, title=f"claims read from {name} by {reader.provider}:{reader.model}")
    say(extraction_summary(reader, done))
    return done


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

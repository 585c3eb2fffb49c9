"""Option groups the commands share, the checks' options as the library takes them, and the
flag each library input is known by on the command line.

Each ``add_*`` function adds one titled group to a command's parser, so every command that
reads a repository, writes output or runs the checks spells and explains them the same way.
Flag values are validated here and by the commands (``UsageError`` naming the flag); the
library never names a flag, and says which of its inputs an error is about with ``field``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reviewvet.errors import UsageError

if TYPE_CHECKING:
    from reviewvet.model.verification import CacheOptions, Verification, VerifyOptions
    from reviewvet.report import RenderOptions

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]  # what ``add_subparsers`` returns

Container = argparse._ActionsContainer  # a parser or one of its groups

# The flag for each library input an error can be about (ReviewvetError.field).
FIELD_FLAGS = {
    "repo": "--repo",
    "head": "--head",
    "base": "--base",
    "merge-base": "--merge-base",
    "rev": "--rev",
    "branch": "--git-branch",
    "context": "--context",
    "rules": "--rules",
    "cache-dir": "--cache-dir",
    "map": "--map",
    "timeout": "--timeout",
    "output": "--output",
    "output-folder": "--out",
    "db": "--db",
}

HEAD_HELP = ("revision the review is about (default HEAD); 'auto' uses the review's own head when its objects "
             "are here, else its pull request's ref, else the best candidate found by its commit subjects")


def flag_for(field: str | None, args: argparse.Namespace | None) -> str | None:
    """The flag of the running command that gives the library input ``field``, if it has one."""
    flag = FIELD_FLAGS.get(field or "")
    if flag is None or args is None or not hasattr(args, flag[2:].replace("-", "_")):
        return None
    return flag


# -- repository and revisions ------------------------------------------------------------------


def add_repository(parser: argparse.ArgumentParser, *, default: Path | None = Path("."), required: bool = False,
                   help: str = "the git repository (default: .)", title: str = "repository") -> Container:
    group = parser.add_argument_group(title)
    group.add_argument("--repo", type=Path, default=default, required=required, help=help)
    return group


def add_base(container: Container, *, merge_base: bool = True) -> None:
    """``--base``, and ``--merge-base`` unless ``merge_base`` is False."""
    container.add_argument("--base", default=None,
                           help="base revision; the merge base of base and head is computed "
                                "(default: main or master when present)")
    if merge_base:
        container.add_argument("--merge-base", dest="merge_base", default=None, metavar="SHA",
                               help="use this merge base instead of computing it")


def add_pull_request(parser: argparse.ArgumentParser, *, head_help: str = HEAD_HELP) -> Container:
    """``--repo``, ``--head``, ``--base`` and ``--merge-base``: the two sides of a pull request."""
    group = add_repository(parser, title="repository and pull request")
    group.add_argument("--head", default="HEAD", help=head_help)
    add_base(group)
    return group


def add_revision(parser: argparse.ArgumentParser) -> Container:
    """``--repo`` and ``--rev``, for the commands that read one revision."""
    group = add_repository(parser, title="repository and revision")
    group.add_argument("--rev", default="HEAD", help="the revision to read (default HEAD)")
    return group


# -- output ---------------------------------------------------------------------------------------


def add_output(parser: argparse.ArgumentParser, formats: Sequence[str], default: str, *,
               json_alias: bool = False, help: str = "output format") -> Container:
    """``--format`` and ``--output``/``-o``; ``--json`` too where a command has always had it."""
    group = parser.add_argument_group("output")
    group.add_argument("--format", choices=list(formats), default=default,
                       help=f"{help} (default {default})")
    if json_alias:
        group.add_argument("--json", dest="format", action="store_const", const="json",
                           help="the same as --format json")
    group.add_argument("--output", "-o", type=Path, default=None, metavar="FILE",
                       help="write the output to FILE instead of standard output: a regular file (or the one a "
                            "link names) is written whole or not at all and keeps its mode; a device or FIFO is "
                            "written in place")
    return group


def add_posting(parser: argparse.ArgumentParser) -> Container:
    """The options of the formats that post to a pull request (SARIF, rdjsonl, GitHub annotations)."""
    from reviewvet.report import UNLOCATED

    group = parser.add_argument_group("pull request formats")
    group.add_argument("--sarif-unlocated", choices=UNLOCATED, default="file",
                       help="SARIF results of findings with no line to point at: 'file' (default) places them on "
                            "the file the finding names and leaves out those naming none; 'drop' leaves them all "
                            "out; 'keep' keeps them without a location (GitHub code scanning then refuses the "
                            "whole file). What is left out is counted in the run's properties")
    group.add_argument("--sarif-category", default=None, metavar="ID",
                       help="SARIF automationDetails.id (default reviewvet/<pr>/<round>/, so that the rounds of "
                            "a pull request do not replace each other's results on GitHub)")
    group.add_argument("--include-false-positives", action="store_true",
                       help="post false positives too in rdjsonl and GitHub annotations (left out by default: "
                            "they are noise on a pull request; the other formats always show them)")
    return group


def output_targets(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """The ``--output-format FORMAT=FILE`` pairs, checked: a known format, a file named once."""
    from reviewvet.report import FORMATS

    targets: list[tuple[str, Path]] = []
    for given in args.outputs:
        fmt, sep, file = given.partition("=")
        if not sep or not file:
            raise UsageError(f"--output-format {given!r}: expected FORMAT=FILE, e.g. sarif=reviewvet.sarif")
        if fmt not in FORMATS:
            raise UsageError(f"--output-format {given!r}: unknown format {fmt!r}; known: {', '.join(sorted(FORMATS))}")
        targets.append((fmt, Path(file)))
    paths = [path for _, path in targets] + ([args.output] if args.output is not None else [])
    twice = sorted({str(p) for p in paths if paths.count(p) > 1})
    if twice:
        raise UsageError(f"--output-format: {', '.join(map(repr, twice))} named more than once")
    return targets


def render_options(args: argparse.Namespace, result: Verification) -> RenderOptions:
    """How the reports of this run are drawn: the pull-request formats' options, and the command that
    shows the whole report (for a format that must cut it short)."""
    from reviewvet.report import RenderOptions

    return RenderOptions(sarif_unlocated=args.sarif_unlocated, category=args.sarif_category,
                         include_false_positives=args.include_false_positives,
                         command=full_report_command(args, result))


def full_report_command(args: argparse.Namespace, result: Verification) -> str:
    """``reviewvet verify REVIEW --head SHA --base SHA --format markdown`` at the revisions verified."""
    import shlex

    rv = result.revisions
    words = ["reviewvet", "verify", str(args.review), "--head", rv.head]
    if str(args.repo) != ".":
        words[3:3] = ["--repo", str(args.repo)]
    if rv.merge_base:
        words += ["--merge-base", rv.merge_base]
    return shlex.join([*words, "--format", "markdown"])


# -- checks ---------------------------------------------------------------------------------------


def add_checks(parser: argparse.ArgumentParser, *, context_default: str = "the head revision") -> Container:
    """Every option of the checks and rules a verification runs (verify, audit ingest)."""
    group = parser.add_argument_group("checks")
    group.add_argument("--near-miss", type=float, default=0.8, metavar="RATIO",
                       help="similarity (0-1, default 0.8) above which an absent quote is reported as a near miss")
    group.add_argument("--max-drift", type=int, default=5, metavar="N",
                       help="line claims off by at most N lines (default 5) are 'drifted', further off 'wrong'")
    group.add_argument("--no-symbols", action="store_true",
                       help="skip the parser layer: no symbol checks, no enclosing symbols")
    group.add_argument("--no-provenance", action="store_true", help="skip git blame: no regression/gap provenance")
    add_blame_flags(group)
    add_cache(group)
    add_rules(group)
    group.add_argument("--context", type=Path, default=None, metavar="FILE",
                       help=f"the repository's conventions (default: .reviewvet.yaml at {context_default})")
    group.add_argument("--consolidated-only", action="store_true",
                       help="skip the agents' own reviews from the appendix")
    return group


def add_blame_flags(container: Container) -> None:
    container.add_argument("--no-ignore-whitespace", action="store_true",
                           help="do not pass -w to git blame (re-indented lines count as changed)")
    container.add_argument("--no-move-detection", action="store_true",
                           help="do not pass -M -C to git blame (moved lines count as new)")


def add_cache(container: Container) -> None:
    container.add_argument("--no-cache", action="store_true", help="parse every file, ignoring the parse cache")
    container.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                           help="folder of the parse cache (default $REVIEWVET_CACHE_DIR or ~/.cache/reviewvet)")


def add_rules(container: Container) -> None:
    container.add_argument("--rules", type=Path, action="append", default=[], metavar="DIR",
                           help="a folder of rule files, added to the default rules (repeatable)")
    container.add_argument("--no-default-rules", action="store_true", help="use only the rules given with --rules")


def blame_options(args: argparse.Namespace) -> tuple[str, ...]:
    """The options git blame runs with: -w unless --no-ignore-whitespace, -M -C unless --no-move-detection."""
    options: tuple[str, ...] = () if args.no_ignore_whitespace else ("-w",)
    return options + (() if args.no_move_detection else ("-M", "-C"))


def verify_options(args: argparse.Namespace) -> VerifyOptions:
    """The parsed check options (``add_checks``) as the library's VerifyOptions (the parse cache is
    the workspace's: ``cache_options``)."""
    from reviewvet.model.verification import CheckOptions, VerifyOptions

    near_miss: float = args.near_miss
    max_drift: int = args.max_drift
    if not 0 < near_miss <= 1:
        raise UsageError(f"--near-miss {near_miss!r} must be between 0 and 1")
    if max_drift < 0:
        raise UsageError(f"--max-drift {max_drift!r} must be 0 or more")
    checks = CheckOptions(near_miss_threshold=near_miss, max_drift=max_drift, symbols=not args.no_symbols,
                          provenance=not args.no_provenance, blame_options=blame_options(args))
    return VerifyOptions(include_agents=not args.consolidated_only, checks=checks, rule_dirs=tuple(args.rules),
                         default_rules=not args.no_default_rules, context=args.context)


def cache_options(args: argparse.Namespace) -> CacheOptions:
    """Where the workspace keeps its parse cache (``--cache-dir``), and whether (``--no-cache``)."""
    from reviewvet.model.verification import CacheOptions

    cache_dir: Path | None = args.cache_dir
    return CacheOptions(cache_dir, use=not args.no_cache and not args.no_symbols)

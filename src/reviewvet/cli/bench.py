"""``reviewvet bench``: the benchmarks' options and their checks; the benchmarks themselves are
``reviewvet.bench`` (verify, index, provenance, audit) and ``reviewvet.bench.calibrate``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewvet import bench
from reviewvet.cli.emit import as_json, emit, lines
from reviewvet.cli.options import add_output, add_repository
from reviewvet.errors import UsageError

if TYPE_CHECKING:
    from reviewvet.cli.options import Subparsers

Runner = Callable[[argparse.Namespace], int]


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("bench", help="measure reviewvet on a generated repository and review",
                            description=bench.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    kinds = parser.add_subparsers(dest="bench", metavar="BENCHMARK")
    kinds.required = True
    verify = _benchmark(kinds, "verify", "ingest + resolve + checks for one review", run_verify, findings=30,
                        runs=(5, "warm runs after the cold one"))
    verify.add_argument("--keep", type=Path, default=None, metavar="FOLDER",
                        help="build the repository in this folder and keep it, with the review beside it "
                             "as FOLDER-review.md (to time the whole command: reviewvet verify FOLDER-review.md "
                             "--repo FOLDER --base main --head pr)")
    index = _benchmark(kinds, "index", "cold and warm indexing against the raw tree-sitter parse time", run_index,
                       runs=(5, "repetitions; medians are reported"))
    index.add_argument("--changed", type=float, default=1.0, metavar="PERCENT",
                       help="percent of files changed for the warm run (default 1)")
    provenance = _benchmark(kinds, "provenance", "blame-based provenance against plain per-claim git blame",
                            run_provenance, findings=30, runs=(3, "repetitions; medians are reported"))
    provenance.add_argument("--history", type=int, default=2000, metavar="N",
                            help="commits before the branch point (default 2000)")
    audit = _benchmark(kinds, "audit", "audit ingest throughput: N synthetic reviews into a fresh store", run_audit,
                       findings=8)
    audit.add_argument("--reviews", type=int, default=200, metavar="N", help="reviews to ingest (default 200)")
    startup = kinds.add_parser("startup", help="start-up time of light commands against a bare interpreter",
                               description="Start the same Python bare (-c pass) and as `reviewvet --help` and "
                                           "`reviewvet rules list`, in turn, and report the medians and ratios.")
    startup.add_argument("--runs", type=int, default=15, metavar="N", help="rounds counted (default 15)")
    add_output(startup, ("text", "json"), "text", json_alias=True, help="format of the figures")
    startup.set_defaults(run=run_startup)
    _add_calibrate(kinds)


def _benchmark(kinds: Subparsers, name: str, help: str, run: Runner, *, findings: int | None = None,
               runs: tuple[int, str] | None = None) -> argparse.ArgumentParser:
    """A benchmark's parser with the options they share: --files, --findings, --runs and the output."""
    parser = kinds.add_parser(name, help=help, description=help)
    size = parser.add_argument_group("size")
    size.add_argument("--files", type=int, default=300, metavar="N",
                      help="files in the generated repository (default 300)")
    if findings is not None:
        size.add_argument("--findings", type=int, default=findings, metavar="N",
                          help=f"findings per review (default {findings})")
    if runs is not None:
        size.add_argument("--runs", type=int, default=runs[0], metavar="N", help=f"{runs[1]} (default {runs[0]})")
    add_output(parser, ("text", "json"), "text", json_alias=True, help="format of the figures")
    parser.set_defaults(run=run)
    return parser


def _add_calibrate(kinds: Subparsers) -> None:
    from reviewvet.bench import calibrate

    parser = kinds.add_parser("calibrate", help="compare reviewvet's verdicts with the consolidators' own decisions",
                              description=calibrate.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = add_repository(parser, default=None, required=True, help="the git repository the reviews are about")
    group.add_argument("--reviews", type=Path, nargs="+", required=True, metavar="PATH", help="review documents")
    group.add_argument("--map", type=Path, default=None, metavar="FILE",
                       help="YAML or JSON: review file name -> {head: REV, base: REV}, overriding --head/--base")
    group.add_argument("--head", default="auto",
                       help="head for reviews the map does not name (default 'auto': the review's own head, "
                            "or the best candidate found by its commit subjects)")
    group.add_argument("--base", default=None,
                       help="base for reviews the map gives no base (default: main or master)")
    add_output(parser, ("text", "json"), "text", help="format of the tables")
    parser.set_defaults(run=run_calibrate)


def _figures(args: argparse.Namespace, figures: dict[str, Any], text: Callable[[dict[str, Any]], str]) -> int:
    emit(as_json(figures) if args.format == "json" else lines(text(figures)), args.output)
    return 0


# -- the benchmarks -------------------------------------------------------------------------------


def run_verify(args: argparse.Namespace) -> int:
    import tempfile

    if args.files < 10 or args.findings < 1 or args.runs < 1:
        raise UsageError("bench verify needs --files >= 10, --findings >= 1 and --runs >= 1")
    keep: Path | None = args.keep
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="reviewvet-bench-") as tmp:
            return _figures(args, bench.bench_verify(Path(tmp) / "repo", args.files, args.findings, args.runs),
                            bench.format_figures)
    if keep.exists() and any(keep.iterdir()):
        raise UsageError(f"--keep {str(keep)!r} exists and is not empty")
    return _figures(args, bench.bench_verify(keep, args.files, args.findings, args.runs, keep=True),
                    bench.format_figures)


def run_index(args: argparse.Namespace) -> int:
    import tempfile

    if args.files < 10 or args.runs < 1 or not 0 < args.changed <= 100:
        raise UsageError("bench index needs --files >= 10, --runs >= 1 and 0 < --changed <= 100")
    with tempfile.TemporaryDirectory(prefix="reviewvet-bench-") as tmp:
        figures = bench.bench_index(Path(tmp), args.files, args.changed, args.runs)
    return _figures(args, figures, bench.format_index_figures)


def run_provenance(args: argparse.Namespace) -> int:
    import tempfile

    if args.files < 10 or args.findings < 1 or args.history < 0 or args.runs < 1:
        raise UsageError("bench provenance needs --files >= 10, --findings >= 1, --history >= 0, --runs >= 1")
    with tempfile.TemporaryDirectory(prefix="reviewvet-bench-") as tmp:
        figures = bench.bench_provenance(Path(tmp), args.files, args.findings, args.history, args.runs)
    return _figures(args, figures, bench.format_provenance_figures)


def run_audit(args: argparse.Namespace) -> int:
    import tempfile

    if args.reviews < 1 or args.findings < 1 or args.files < 10:
        raise UsageError("bench audit needs --reviews >= 1, --findings >= 1 and --files >= 10")
    with tempfile.TemporaryDirectory(prefix="reviewvet-bench-") as tmp:
        figures = bench.bench_audit(Path(tmp), args.reviews, args.findings, args.files)
    return _figures(args, figures, bench.format_audit_figures)


def run_startup(args: argparse.Namespace) -> int:
    if args.runs < 1:
        raise UsageError("bench startup needs --runs >= 1")
    return _figures(args, bench.bench_startup(args.runs), bench.format_startup_figures)


def run_calibrate(args: argparse.Namespace) -> int:
    from reviewvet.bench.calibrate import calibration_report

    emit(calibration_report(args.repo, args.reviews, args.map, args.head, args.base, args.format), args.output)
    return 0

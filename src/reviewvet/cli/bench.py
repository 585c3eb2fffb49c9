"""``reviewvet bench``: the benchmarks' options and their checks; the benchmarks themselves are
``reviewvet.bench`` (verify, index, provenance, audit, startup), ``reviewvet.bench.command``
(verify --repo --review and scale: the whole command against the git floor of
``reviewvet.bench.floor``) and ``reviewvet.bench.calibrate``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewvet import bench
from reviewvet.cli.emit import as_json, emit, lines
from reviewvet.cli.options import add_base, add_output, add_repository
from reviewvet.errors import UsageError

if TYPE_CHECKING:
    from reviewvet.cli.options import Container, Subparsers

Runner = Callable[[argparse.Namespace], int]


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("bench",
                            help="measure reviewvet on generated repositories, or a real review against the git floor",
                            description=bench.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    kinds = parser.add_subparsers(dest="bench", metavar="BENCHMARK")
    kinds.required = True
    verify = _benchmark(kinds, "verify", "ingest + resolve + checks for one review; with --repo and --review, "
                        "the whole command on a real review against the git floor", run_verify, findings=30,
                        runs=(5, "warm runs after the cold one; with --repo, rounds of floor, cold and warm"))
    verify.add_argument("--keep", type=Path, default=None, metavar="FOLDER",
                        help="build the repository in this folder and keep it, with the review beside it "
                             "as FOLDER-review.md (to time the whole command: reviewvet verify FOLDER-review.md "
                             "--repo FOLDER --base main --head pr)")
    _add_real_repository(verify)
    _add_scale(kinds)
    index = _benchmark(kinds, "index", "cold and warm indexing against the raw tree-sitter parse time", run_index,
                       runs=(5, "repetitions; medians are reported"))
    index.add_argument("--changed", type=float, default=1.0, metavar="PERCENT",
                       help="percent of files changed for the warm run (default 1)")
    provenance = _benchmark(kinds, "provenance", "blame-based provenance against plain per-claim git blame",
                            run_provenance, findings=30, runs=(3, "repetitions; medians are reported"))
    provenance.add_argument("--history", type=int, default=2000, metavar="N",
                            help="commits before the branch point (default 2000)")
    audit = _benchmark(kinds, "audit", "audit ingest throughput: N synthetic reviews into a fresh store, "
                       "locally with one and two jobs and on a Dask cluster of two workers", run_audit,
                       findings=8)
    audit.add_argument("--reviews", type=int, default=200, metavar="N", help="reviews to ingest (default 200)")
    audit.add_argument("--address", default=None, metavar="ADDRESS",
                       help="time the cluster run on the Dask scheduler at ADDRESS (default: a cluster of two "
                            "local worker processes, started by the benchmark)")
    startup = kinds.add_parser("startup", help="start-up time of light commands against a bare interpreter",
                               description="Start the same Python bare (-c pass) and as `reviewvet --help` and "
                                           "`reviewvet rules list`, in turn, and report the medians and ratios.")
    startup.add_argument("--runs", type=int, default=15, metavar="N", help="rounds counted (default 15)")
    add_output(startup, ("text", "json"), "text", json_alias=True, help="format of the figures")
    startup.set_defaults(run=run_startup)
    _add_calibrate(kinds)
    _add_serve(kinds)
    _add_models(kinds)
    callgraph = kinds.add_parser("callgraph", help="precision and recall of the Go call graph against the Go "
                                 "callgraph tool (-algo=static) on standard-library packages",
                                 description="Index standard-library packages with reviewvet and compare its Go call "
                                             "edges with `callgraph -algo=static` (needs go and callgraph: Debian "
                                             "packages golang-go and golang-golang-x-tools).")
    callgraph.add_argument("--packages", nargs="+", default=None, metavar="PACKAGE",
                           help="standard-library packages (default net/http encoding/json text/template go/parser)")
    add_output(callgraph, ("text", "json"), "text", json_alias=True, help="format of the figures")
    callgraph.set_defaults(run=run_callgraph)


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


REAL_DESCRIPTION = """\
Without --repo: build a synthetic repository and review of --files and --findings in a
temporary folder and time ingest, resolve and checks in this process (cold, then warm).

With --repo and --review: time the whole `reviewvet verify REVIEW --repo R --head H --base B`
as a child process against the git floor of that review, in the same run. The floor is the git
work a perfect verifier must do (one git merge-base, one git cat-file --batch of the claimed
files at head and merge base, one bounded git blame per claimed file with all its ranges,
MERGE_BASE..HEAD) plus a bare start of the same interpreter (python -c pass). Each round runs
the floor, verify with an empty parse cache (cold) and the same command again (warm); medians
of wall and CPU time and the peak memory of verify are reported, with warm/floor against the
target (at most 3x). Nothing is written into the repository."""

SCALE_DESCRIPTION = """\
The same shape of review against generated repositories of each size (Go, shell and BATS files,
built by one git fast-import in a temporary folder, or in --keep FOLDER), each measured like
`bench verify --repo`: the git floor, verify cold and warm as a child process, peak memory.
Targets: at the largest size, warm within 2x of warm at the smallest size, and peak memory under
300 MiB. A verify that runs longer than --timeout is killed and reported as a timeout."""


def _add_real_repository(verify: argparse.ArgumentParser) -> None:
    verify.description = REAL_DESCRIPTION
    verify.formatter_class = argparse.RawDescriptionHelpFormatter
    group = add_repository(verify, default=None, title="a real repository (instead of a generated one)",
                           help="the git repository the review is about (needs --review)")
    group.add_argument("--review", type=Path, default=None, metavar="FILE", help="the review to verify")
    group.add_argument("--head", default="HEAD", help="the pull request's head as verify takes it: a revision "
                                                      "or 'auto' (default HEAD)")
    add_base(group, merge_base=False)
    _add_timeout(group)


def _add_scale(kinds: Subparsers) -> None:
    scale = kinds.add_parser("scale", help="verify against the git floor on generated repositories of growing size",
                             description=SCALE_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = scale.add_argument_group("size")
    size.add_argument("--sizes", default="300,3000,30000", metavar="N,N,...",
                      help="files in each generated repository (default 300,3000,30000)")
    size.add_argument("--findings", type=int, default=30, metavar="N", help="findings in the review (default 30)")
    size.add_argument("--runs", type=int, default=3, metavar="N",
                      help="rounds of floor, cold and warm verify per size (default 3)")
    _add_timeout(size)
    size.add_argument("--keep", type=Path, default=None, metavar="FOLDER",
                      help="build the repositories and reviews in this new or empty folder and keep them")
    add_output(scale, ("text", "json"), "text", json_alias=True, help="format of the figures")
    scale.set_defaults(run=run_scale)


def _add_serve(kinds: Subparsers) -> None:
    parser = kinds.add_parser("serve", help="load `reviewvet serve` on loopback (claims:check and verify) against "
                              "the command line per request",
                              description="Start `reviewvet serve` on a free loopback port, warm it, then let N "
                                          "clients send claims:check (one claim: the review's first located quote) "
                                          "and verify (the whole review) back to back for T seconds each; report "
                                          "throughput, p50/p95/p99 latency and errors, and the same work through "
                                          "the command line, one process per request, as the baseline. Targets "
                                          "(2 cores, 8 clients): claims:check p50 <= 20 ms, p99 <= 100 ms, no "
                                          "error.")
    group = parser.add_argument_group("workload")
    group.add_argument("--repo", type=Path, required=True, help="the repository to serve")
    group.add_argument("--review", type=Path, required=True,
                       help="the review to verify; its first located quote is the claim checked")
    group.add_argument("--head", default="HEAD", help="the head revision (default HEAD)")
    group.add_argument("--base", default=None, help="the base revision (default main or master)")
    load = parser.add_argument_group("load")
    load.add_argument("--clients", type=int, default=8, metavar="N",
                      help="concurrent clients (default 8, at most 64)")
    load.add_argument("--seconds", type=float, default=10.0, metavar="T",
                      help="seconds of load per route (default 10, at most 120)")
    load.add_argument("--cli-runs", type=int, default=5, metavar="N",
                      help="command-line runs per route for the baseline, after one warm-up (default 5)")
    add_output(parser, ("text", "json"), "text", json_alias=True, help="format of the figures")
    parser.set_defaults(run=run_serve)


def _add_timeout(container: Container) -> None:
    container.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                           help="a verify run taking longer is stopped and reported as a timeout (default 600)")


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

    if args.repo is not None or args.review is not None:
        return run_verify_repository(args)
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


def run_verify_repository(args: argparse.Namespace) -> int:
    from reviewvet.bench.command import bench_real, format_real

    if args.repo is None or args.review is None:
        raise UsageError("bench verify: --repo and --review go together")
    if args.keep is not None:
        raise UsageError("bench verify: --keep builds a generated repository; it does not go with --repo")
    _check_rounds(args, "bench verify --repo")
    return _figures(args, bench_real(args.repo, args.review, args.head, args.base, args.runs, args.timeout),
                    format_real)


def run_scale(args: argparse.Namespace) -> int:
    import tempfile

    from reviewvet.bench.command import bench_scale, format_scale
    from reviewvet.cli.emit import say

    sizes = parse_sizes(args.sizes)
    if args.findings < 1:
        raise UsageError(f"bench scale: --findings {args.findings!r} must be 1 or more")
    _check_rounds(args, "bench scale")
    keep: Path | None = args.keep
    if keep is not None:
        if keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
            raise UsageError(f"--keep {str(keep)!r} exists and is not an empty folder")
        keep.mkdir(parents=True, exist_ok=True)
        return _figures(args, bench_scale(keep, sizes, args.findings, args.runs, args.timeout, say), format_scale)
    with tempfile.TemporaryDirectory(prefix="reviewvet-bench-") as tmp:
        figures = bench_scale(Path(tmp), sizes, args.findings, args.runs, args.timeout, say)
    return _figures(args, figures, format_scale)


def parse_sizes(text: str) -> list[int]:
    """``--sizes``: comma-separated file counts, each at least 10."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"--sizes {text!r} must be file counts separated by commas, like 300,3000") from None
    if not sizes or min(sizes) < 10:
        raise UsageError(f"--sizes {text!r} needs at least one size, each of 10 files or more")
    return sizes


def _check_rounds(args: argparse.Namespace, command: str) -> None:
    if args.runs < 1:
        raise UsageError(f"{command}: --runs {args.runs!r} must be 1 or more")
    if not args.timeout > 0:
        raise UsageError(f"{command}: --timeout {args.timeout!r} must be more than 0 seconds")


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
        figures = bench.bench_audit(Path(tmp), args.reviews, args.findings, args.files, args.address)
    return _figures(args, figures, bench.format_audit_figures)


def run_startup(args: argparse.Namespace) -> int:
    if args.runs < 1:
        raise UsageError("bench startup needs --runs >= 1")
    return _figures(args, bench.bench_startup(args.runs), bench.format_startup_figures)


def run_calibrate(args: argparse.Namespace) -> int:
    from reviewvet.bench.calibrate import calibration_report

    emit(calibration_report(args.repo, args.reviews, args.map, args.head, args.base, args.format), args.output)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from reviewvet.bench.serve import bench_serve, format_report

    figures = bench_serve(args.repo, args.review, args.head, args.base, clients=args.clients,
                          seconds=args.seconds, cli_runs=args.cli_runs)
    return _figures(args, figures, format_report)


def run_callgraph(args: argparse.Namespace) -> int:
    from reviewvet.bench.callgraph import DEFAULT_PACKAGES, format_callgraph_figures, run_bench

    return _figures(args, run_bench(args.packages or DEFAULT_PACKAGES), format_callgraph_figures)


MODELS_DESCRIPTION = """\
Start a stand-in for each provider's API on 127.0.0.1 (its wire format, a fixed structured reply after
a fixed --delay; a dummy key is set for the run, nothing leaves the machine) and time, per call: the
server's own time, a raw HTTP round trip posting the bytes the SDK sent (http.client, no SDK, no
reviewvet), the SDK alone with the same request, and reviewvet's whole call: extract of a small
review text (prompt, SDK call, parsing, schema and verbatim checks) and challenge of one doubtful
finding of a small generated repository (evidence, SDK call, schema check, the amended claim verified
again). Medians of --calls calls after a warm-up call; the overhead is reviewvet's median minus the
raw round trip's, in ms and as a ratio, and "own" the part of it outside the SDK."""


def _add_models(kinds: Subparsers) -> None:
    from reviewvet.llm.client import PROVIDERS

    parser = kinds.add_parser("models", help="what reviewvet adds to a model call (extract, challenge) against a "
                              "local stand-in of each provider's API and a raw HTTP round trip",
                              description=MODELS_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_argument_group("calls")
    group.add_argument("--provider", choices=list(PROVIDERS), action="append", default=None,
                       help="measure this provider (repeatable; default all three)")
    group.add_argument("--calls", type=int, default=20, metavar="N",
                       help="calls of each kind per provider, after one warm-up call (default 20)")
    group.add_argument("--delay", type=float, default=5.0, metavar="MS",
                       help="milliseconds the stand-in server waits before each answer (default 5)")
    add_output(parser, ("text", "json"), "text", json_alias=True, help="format of the figures")
    parser.set_defaults(run=run_models)


def run_models(args: argparse.Namespace) -> int:
    import tempfile

    from reviewvet.bench.models import PROVIDERS, bench_models, format_models

    if args.calls < 1 or not 0 <= args.delay <= 10_000:
        raise UsageError("bench models needs --calls >= 1 and a --delay of 0 to 10000 ms")
    providers = tuple(dict.fromkeys(args.provider or PROVIDERS))
    with tempfile.TemporaryDirectory(prefix="reviewvet-bench-") as tmp:
        figures = bench_models(Path(tmp), providers, args.calls, args.delay / 1000)
    return _figures(args, figures, format_models)

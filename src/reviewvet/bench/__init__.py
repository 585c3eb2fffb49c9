"""``reviewvet bench``: measured figures, as a command (never as timed tests).

``reviewvet bench verify`` builds a synthetic repository and review of the requested
size in a temporary folder, then times ingest, resolve and checks: the first run in
the process (cold: imports and caches empty) and the median of the following runs
(warm), the peak memory of each stage, and how much of the total is spent inside
the git processes reviewvet starts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewvet.pipeline import VerifyOptions


def add_bench_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bench = sub.add_parser("bench", help="measure reviewvet on a generated repository and review",
                           description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    kinds = bench.add_subparsers(dest="bench", metavar="BENCHMARK")
    kinds.required = True
    def benchmark(name: str, help: str, run: Any, *, findings: int | None = None,
                  runs: tuple[int, str] | None = None) -> argparse.ArgumentParser:
        """A benchmark's parser with the options they share: --files, --findings, --runs, --json."""
        p = kinds.add_parser(name, help=help)
        p.add_argument("--files", type=int, default=300, help="files in the generated repository (default 300)")
        if findings is not None:
            p.add_argument("--findings", type=int, default=findings, help=f"findings per review (default {findings})")
        if runs is not None:
            p.add_argument("--runs", type=int, default=runs[0], help=f"{runs[1]} (default {runs[0]})")
        p.add_argument("--json", action="store_true", help="print the figures as JSON")
        p.set_defaults(run=run)
        return p

    verify = benchmark("verify", "ingest + resolve + checks for one review", run_bench_verify, findings=30,
                       runs=(5, "warm runs after the cold one"))
    verify.add_argument("--keep", type=Path, default=None,
                        help="build the repository in this folder and keep it, with the review beside it "
                             "as FOLDER-review.md (to time the whole command: reviewvet verify FOLDER-review.md "
                             "--repo FOLDER --base main --head pr)")
    index = benchmark("index", "cold and warm indexing against the raw tree-sitter parse time", run_bench_index,
                      runs=(5, "repetitions; medians are reported"))
    index.add_argument("--changed", type=float, default=1.0, help="percent of files changed for the warm run")
    prov = benchmark("provenance", "blame-based provenance against plain per-claim git blame", run_bench_provenance,
                     findings=30, runs=(3, "repetitions; medians are reported"))
    prov.add_argument("--history", type=int, default=2000, help="commits before the branch point (default 2000)")
    audit = benchmark("audit", "audit ingest throughput: N synthetic reviews into a fresh store", run_bench_audit,
                      findings=8)
    audit.add_argument("--reviews", type=int, default=200, help="reviews to ingest (default 200)")

    from reviewvet.bench.calibrate import add_calibrate_parser

    add_calibrate_parser(kinds)


def run_bench_verify(args: argparse.Namespace) -> int:
    from reviewvet.errors import UsageError

    if args.files < 10 or args.findings < 1 or args.runs < 1:
        raise UsageError("bench verify needs --files >= 10, --findings >= 1 and --runs >= 1")
    if args.keep is not None:
        if args.keep.exists() and any(args.keep.iterdir()):
            raise UsageError(f"--keep {str(args.keep)!r} exists and is not empty")
        figures = bench_verify(args.keep, args.files, args.findings, args.runs, keep=True)
    else:
        with tempfile.TemporaryDirectory(prefix="reviewvet-bench-") as tmp:
            figures = bench_verify(Path(tmp) / "repo", args.files, args.findings, args.runs)
    print(json.dumps(figures, indent=2, sort_keys=True) if args.json else format_figures(figures))
    return 0


def run_bench_index(args: argparse.Namespace) -> int:
    from reviewvet.errors import UsageError

    if args.files < 10 or args.runs < 1 or not 0 < args.changed <= 100:
        raise UsageError("bench index needs --files >= 10, --runs >= 1 and 0 < --changed <= 100")
    with tempfile.TemporaryDirectory(prefix="reviewvet-bench-") as tmp:
        figures = bench_index(Path(tmp), args.files, args.changed, args.runs)
    print(json.dumps(figures, indent=2, sort_keys=True) if args.json else format_index_figures(figures))
    return 0


def run_bench_provenance(args: argparse.Namespace) -> int:
    from reviewvet.errors import UsageError

    if args.files < 10 or args.findings < 1 or args.history < 0 or args.runs < 1:
        raise UsageError("bench provenance needs --files >= 10, --findings >= 1, --history >= 0, --runs >= 1")
    with tempfile.TemporaryDirectory(prefix="reviewvet-bench-") as tmp:
        figures = bench_provenance(Path(tmp), args.files, args.findings, args.history, args.runs)
    print(json.dumps(figures, indent=2, sort_keys=True) if args.json else format_provenance_figures(figures))
    return 0


def bench_provenance(tmp: Path, files: int, findings: int, history: int, runs: int) -> dict[str, Any]:
    """Our batched, bounded, concurrent provenance against one plain full-history
    ``git blame -L`` process per claim, for the same claimed ranges."""
    import subprocess

    from reviewvet.bench.synth import generate_repo, generate_review
    from reviewvet.checks.context import CheckContext, CheckOptions
    from reviewvet.checks.provenance import claims_of
    from reviewvet.git import Git
    from reviewvet.index.cache import ParseCache
    from reviewvet.ingest.parse import parse_review
    from reviewvet.pipeline import add_provenance, check_finding
    from reviewvet.resolve.revisions import resolve_revisions
    from reviewvet.resolve.snapshot import Snapshot

    started = time.perf_counter()
    repo = generate_repo(tmp / "repo", files, history=history)
    build_seconds = time.perf_counter() - started
    review = parse_review(generate_review(repo, findings), "bench.md")
    git = Git(repo.path)
    revisions = resolve_revisions(git, review, head="pr", base="main")
    assert revisions.merge_base is not None
    ctx = CheckContext(Snapshot(git, revisions.head), Snapshot(git, revisions.merge_base), CheckOptions(),
                       cache=ParseCache(tmp / "cache"))
    verdicts = tuple(check_finding(ctx, f) for f in review.all_findings())
    claims = [c for v in verdicts for c in claims_of(v.finding, list(v.quotes), list(v.lines), list(v.symbols))
              if not c.removed]

    def ours() -> tuple[float, int]:
        before = git.process_count
        begin = time.perf_counter()
        add_provenance(ctx, revisions, verdicts)
        return time.perf_counter() - begin, git.process_count - before

    def plain() -> float:
        begin = time.perf_counter()
        for c in claims:
            subprocess.run(["git", "-C", str(repo.path), "blame", "--porcelain", "-L", f"{c.start},{c.end}",
                            revisions.head, "--", c.path], capture_output=True, check=True)
        return time.perf_counter() - begin

    ours_runs = [ours() for _ in range(runs)]
    ours_seconds = statistics.median(r[0] for r in ours_runs)
    plain_seconds = statistics.median(plain() for _ in range(runs))
    statuses: dict[str, int] = {}
    for v in add_provenance(ctx, revisions, verdicts):
        if v.provenance is not None:
            statuses[v.provenance.status] = statuses.get(v.provenance.status, 0) + 1
    return {
        "repository": {"files": repo.files, "history_commits": history, "build_seconds": build_seconds},
        "findings": findings,
        "claims": len(claims),
        "files_blamed": len({c.path for c in claims}),
        "ours_seconds": ours_seconds,
        "ours_git_processes": ours_runs[0][1],
        "plain_blame_seconds": plain_seconds,
        "ours_over_plain": ours_seconds / plain_seconds if plain_seconds else None,
        "provenance": statuses,
    }


def format_provenance_figures(f: dict[str, Any]) -> str:
    repo = f["repository"]
    return "\n".join([
        f"repository: {repo['files']} files, {repo['history_commits']} commits of history before the PR "
        f"(built in {repo['build_seconds']:.1f} s)",
        f"review: {f['findings']} findings, {f['claims']} claims in {f['files_blamed']} files",
        f"reviewvet provenance: {f['ours_seconds']:.3f} s ({f['ours_git_processes']} git processes)",
        f"plain git blame -L, one per claim: {f['plain_blame_seconds']:.3f} s",
        f"ratio: {f['ours_over_plain']:.2f}",
        "provenance found: " + ", ".join(f"{k} {v}" for k, v in sorted(f["provenance"].items())),
    ])


def run_bench_audit(args: argparse.Namespace) -> int:
    from reviewvet.errors import UsageError

    if args.reviews < 1 or args.findings < 1 or args.files < 10:
        raise UsageError("bench audit needs --reviews >= 1, --findings >= 1 and --files >= 10")
    with tempfile.TemporaryDirectory(prefix="reviewvet-bench-") as tmp:
        figures = bench_audit(Path(tmp), args.reviews, args.findings, args.files)
    print(json.dumps(figures, indent=2, sort_keys=True) if args.json else format_audit_figures(figures))
    return 0


def bench_audit(tmp: Path, reviews: int, findings: int, files: int) -> dict[str, Any]:
    """Ingest the same synthetic reviews into fresh stores: cold parse cache with one job, then a
    warm cache with one and with two jobs."""
    from reviewvet.audit.ingest import Item, Options, ingest
    from reviewvet.audit.store import Store
    from reviewvet.bench.synth import generate_repo, generate_review
    from reviewvet.git import Git

    repo = generate_repo(tmp / "repo", files)
    head = Git(repo.path).resolve("pr")
    items = [Item(f"review-{i:04d}.md", f"review-{i:04d}.md",
                  generate_review(repo, findings, seed=1000 + i, head=head,
                                  date=f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", round_=1 + i % 4))
             for i in range(reviews)]
    runs = {}
    for name, jobs in (("cold_jobs_1", 1), ("warm_jobs_1", 1), ("warm_jobs_2", 2)):
        db = tmp / f"{name}.duckdb"
        options = Options(repo.path, "main", jobs=jobs, cache_dir=tmp / "parse-cache")
        started = time.perf_counter()
        with Store(db) as store:
            summary = ingest(store, items, options)
        seconds = time.perf_counter() - started
        runs[name] = {"seconds": seconds, "reviews_per_second": reviews / seconds,
                      "verified": summary.count("added"), "store_bytes": db.stat().st_size}
    return {"reviews": reviews, "findings_per_review": findings, "repository_files": files, "runs": runs}


def format_audit_figures(f: dict[str, Any]) -> str:
    lines = [f"{f['reviews']} reviews of {f['findings_per_review']} findings over a "
             f"{f['repository_files']}-file repository"]
    for name, run in f["runs"].items():
        lines.append(f"{name:12} {run['seconds']:7.2f} s  {run['reviews_per_second']:6.1f} reviews/s  "
                     f"{run['verified']} verified  store {run['store_bytes'] / 2**20:.1f} MiB")
    return "\n".join(lines)


def bench_index(tmp: Path, files: int, changed_percent: float, runs: int) -> dict[str, Any]:
    """Raw parse of the same bytes, then cold (empty cache; 1 and 2 workers), warm and 1 %-changed indexing."""
    from reviewvet.bench.synth import change_files, generate_repo
    from reviewvet.git import Git
    from reviewvet.index.build import index_revision, language_of
    from reviewvet.index.cache import ParseCache
    from reviewvet.index.treesitter import raw_parse

    repo = generate_repo(tmp / "repo", files)
    git = Git(repo.path)
    head = git.resolve("pr")
    tree = git.tree(head)
    sources = [(e, language_of(e.path)) for e in tree.values() if language_of(e.path)]
    blobs = git.read_blobs([e.oid for e, _ in sources])
    raw_parse("go", b"package x\n")  # load the grammars before timing
    raw_parse("shell", b"true\n")

    def raw() -> float:
        started = time.perf_counter()
        for entry, language in sources:
            raw_parse(language or "", blobs[entry.oid])
        return time.perf_counter() - started

    def cold(jobs: int, run: int) -> tuple[float, float]:
        cache = ParseCache(tmp / f"cache-{jobs}-{run}")
        started = time.perf_counter()
        index = index_revision(git, head, cache=cache, jobs=jobs)
        indexed = time.perf_counter() - started
        index.graph  # noqa: B018 - build the call graph too
        cache.close()
        return indexed, time.perf_counter() - started

    raw_seconds = statistics.median(raw() for _ in range(runs))
    cold1 = [cold(1, r) for r in range(runs)]
    cold2 = [cold(2, r) for r in range(runs)]
    warm_cache = ParseCache(tmp / "cache-warm")
    index_revision(git, head, cache=warm_cache)
    warm = statistics.median(_timed(lambda: index_revision(git, head, cache=warm_cache)) for _ in range(runs))
    changed_rev = change_files(repo, max(1, round(files * changed_percent / 100)))
    changed_index = index_revision(git, changed_rev, cache=warm_cache)
    changed = statistics.median(
        [changed_index.stats.seconds] + [_timed(lambda: index_revision(git, changed_rev, cache=warm_cache))
                                         for _ in range(runs - 1)]
    )
    warm_cache.close()
    cold1_index = statistics.median(c[0] for c in cold1)
    cold2_index = statistics.median(c[0] for c in cold2)
    return {
        "repository": {"files": len(sources), "bytes": sum(len(b) for b in blobs.values())},
        "raw_parse_seconds": raw_seconds,
        "cold_index_seconds": {"jobs_1": cold1_index, "jobs_2": cold2_index},
        "cold_index_and_graph_seconds": {"jobs_1": statistics.median(c[1] for c in cold1),
                                         "jobs_2": statistics.median(c[1] for c in cold2)},
        "cold_over_raw": {"jobs_1": cold1_index / raw_seconds, "jobs_2": cold2_index / raw_seconds},
        "warm_unchanged_seconds": warm,
        "warm_unchanged_over_cold": warm / min(cold1_index, cold2_index),
        "warm_changed": {"files": changed_index.stats.parsed, "seconds": changed},
    }


def _timed(work: Any) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def format_index_figures(f: dict[str, Any]) -> str:
    cold, both, ratio = f["cold_index_seconds"], f["cold_index_and_graph_seconds"], f["cold_over_raw"]
    return "\n".join([
        f"repository: {f['repository']['files']} source files, {f['repository']['bytes']:,} bytes",
        f"raw tree-sitter parse of the same bytes: {f['raw_parse_seconds']:.3f} s",
        f"cold index, 1 worker:  {cold['jobs_1']:.3f} s ({ratio['jobs_1']:.2f}x raw); with call graph "
        f"{both['jobs_1']:.3f} s",
        f"cold index, 2 workers: {cold['jobs_2']:.3f} s ({ratio['jobs_2']:.2f}x raw); with call graph "
        f"{both['jobs_2']:.3f} s",
        f"warm, nothing changed: {f['warm_unchanged_seconds']:.4f} s "
        f"({f['warm_unchanged_over_cold']:.1%} of the faster cold run)",
        f"warm, {f['warm_changed']['files']} file(s) changed: {f['warm_changed']['seconds']:.4f} s",
    ])


def bench_verify(dest: Path, files: int, findings: int, runs: int, keep: bool = False) -> dict[str, Any]:
    from reviewvet.bench.synth import generate_repo, generate_review
    from reviewvet.pipeline import VerifyOptions

    repo = generate_repo(dest, files)
    review_text = generate_review(repo, findings)
    if keep:
        dest.with_name(dest.name + "-review.md").write_text(review_text, encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="reviewvet-bench-cache-") as cache:
        options = VerifyOptions(head="pr", base="main", cache_dir=Path(cache))
        cold = _one_run(repo.path, review_text, options)
        warm = [_one_run(repo.path, review_text, options) for _ in range(runs)]
    memory = _peak_memory(repo.path, review_text)
    median = {stage: statistics.median(r[stage] for r in warm) for stage in warm[0] if stage != "flags"}
    return {
        "repository": {"files": repo.files, "bytes": repo.bytes},
        "findings": findings,
        "cold_seconds": cold,
        "warm_seconds": median,
        "warm_total_over_git": median["total"] / median["git"] if median["git"] else None,
        "peak_memory_bytes": memory,
        "verdict_flags": cold.pop("flags"),
    }


def _one_run(repo: Path, review_text: str, options: VerifyOptions) -> dict[str, Any]:
    from reviewvet.ingest.parse import parse_review
    from reviewvet.pipeline import verify

    started = time.perf_counter()
    review = parse_review(review_text, "bench.md")
    ingest = time.perf_counter() - started
    result = verify(review, repo, options)
    total = time.perf_counter() - started
    stages = dict(result.timings)
    flags: dict[str, int] = {}
    for v in result.verdicts:
        for flag in v.flags:
            flags[flag] = flags.get(flag, 0) + 1
    return {"ingest": ingest, "resolve": stages["resolve"], "checks": stages["checks"],
            "provenance": stages["provenance"], "total": total,
            "git": result.git_seconds, "git_processes": result.git_processes, "flags": flags}


def _peak_memory(repo: Path, review_text: str) -> dict[str, int]:
    """Peak Python allocations of each stage (a separate traced run: tracing slows it down)."""
    from reviewvet.checks.context import CheckContext
    from reviewvet.git import Git
    from reviewvet.ingest.parse import parse_review
    from reviewvet.pipeline import check_finding
    from reviewvet.resolve.revisions import resolve_revisions
    from reviewvet.resolve.snapshot import Snapshot

    peaks: dict[str, int] = {}
    tracemalloc.start()
    review = parse_review(review_text, "bench.md")
    peaks["ingest"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    git = Git(repo)
    revisions = resolve_revisions(git, review, head="pr", base="main")
    peaks["resolve"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    ctx = CheckContext(Snapshot(git, revisions.head),
                       Snapshot(git, revisions.merge_base) if revisions.merge_base else None)
    for finding in review.all_findings():
        check_finding(ctx, finding)
    peaks["checks"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peaks


def format_figures(f: dict[str, Any]) -> str:
    cold, warm = f["cold_seconds"], f["warm_seconds"]
    lines = [
        f"repository: {f['repository']['files']} files, {f['repository']['bytes']:,} bytes; "
        f"review: {f['findings']} findings",
        f"{'stage':10} {'cold s':>9} {'warm s':>9} {'peak MiB':>9}",
    ]
    for stage in ("ingest", "resolve", "checks", "provenance"):
        peak = f["peak_memory_bytes"].get(stage)
        mib = f"{peak / 2**20:9.2f}" if peak is not None else f"{'':9}"
        lines.append(f"{stage:10} {cold[stage]:9.4f} {warm[stage]:9.4f} {mib}")
    lines.append(f"{'total':10} {cold['total']:9.4f} {warm['total']:9.4f}")
    lines.append(f"git processes: {warm['git_processes']} taking {warm['git']:.4f} s warm; "
                 f"total / git time = {f['warm_total_over_git']:.2f}")
    lines.append("flags raised (cold run): " + ", ".join(f"{k} {v}" for k, v in sorted(f["verdict_flags"].items())))
    return "\n".join(lines)

"""``reviewvet bench``: measured figures, as a command (never as timed tests).

``reviewvet bench verify`` builds a synthetic repository and review of the requested
size in a temporary folder, then times ingest, resolve and checks: the first run in
the process (cold: imports and caches empty) and the median of the following runs
(warm), the peak memory of each stage, and how much of the total is spent inside
the git processes reviewvet starts.

``reviewvet bench verify --repo R --review FILE`` times the whole ``reviewvet verify``
command on a real review instead, and ``reviewvet bench scale`` on generated repositories
of growing size; both against the git floor of the review, measured in the same run
(``reviewvet.bench.command`` and ``reviewvet.bench.floor``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewvet.checks.context import CheckContext
    from reviewvet.index.model import RepoIndex
    from reviewvet.checks.provenance import Claim
    from reviewvet.model.checks import FindingVerdict
    from reviewvet.workspace import Workspace


def bench_provenance(tmp: Path, files: int, findings: int, history: int, runs: int) -> dict[str, Any]:
    """Our batched, bounded, concurrent provenance against one plain full-history
    ``git blame -L`` process per claim, for the same claimed ranges."""
    from reviewvet.api import open_workspace
    from reviewvet.bench.synth import generate_repo, generate_review
    from reviewvet.checks.context import CheckContext
    from reviewvet.checks.finding import check_finding
    from reviewvet.checks.provenance import claims_of
    from reviewvet.ingest.parse import parse_review

    started = time.perf_counter()
    repo = generate_repo(tmp / "repo", files, history=history)
    build_seconds = time.perf_counter() - started
    review = parse_review(generate_review(repo, findings), "bench.md")
    with open_workspace(repo.path, "pr", "main", cache_dir=tmp / "cache") as workspace, workspace.session():
        revisions = workspace.revisions(review)
        ctx = CheckContext(workspace.pair(revisions))
        verdicts = tuple(check_finding(ctx, f) for f in review.all_findings())
        claims = [c for v in verdicts for c in claims_of(v.finding, list(v.quotes), list(v.lines), list(v.symbols))
                  if not c.removed]
        race = _provenance_race(workspace, ctx, verdicts, claims, runs)
    return {
        "repository": {"files": repo.files, "history_commits": history, "build_seconds": build_seconds},
        "findings": findings,
        "claims": len(claims),
        "files_blamed": len({c.path for c in claims}),
    } | race


def _provenance_race(workspace: Workspace, ctx: CheckContext, verdicts: tuple[FindingVerdict, ...],
                     claims: list[Claim], runs: int) -> dict[str, Any]:
    import statistics

    import subprocess

    from reviewvet.checks.finding import add_provenance

    git = workspace.git
    revisions = workspace.revisions()
    assert revisions.merge_base is not None

    def ours() -> tuple[float, int]:
        before = git.process_count
        begin = time.perf_counter()
        add_provenance(ctx, revisions, verdicts)
        return time.perf_counter() - begin, git.process_count - before

    def plain() -> float:
        begin = time.perf_counter()
        for c in claims:
            subprocess.run(["git", "-C", str(git.repo), "blame", "--porcelain", "-L", f"{c.start},{c.end}",
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


def bench_audit(tmp: Path, reviews: int, findings: int, files: int, address: str | None = None) -> dict[str, Any]:
    """Ingest the same synthetic reviews into fresh stores: cold parse cache with one job, then a
    warm cache with one and with two local jobs, then on a Dask cluster of two workers (started
    here, or the one at ``address``), with the cluster's own cost per job."""
    from reviewvet.audit.ingest import Item, Options
    from reviewvet.model.verification import CacheOptions
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
        options = Options(repo.path, "main", jobs=jobs, cache=CacheOptions(tmp / "parse-cache"))
        runs[name] = _audit_run(tmp / f"{name}.duckdb", items, options)
    cluster = _audit_cluster(tmp, items, Options(repo.path, "main", jobs=2, cache=CacheOptions(tmp / "parse-cache"),
                                                 executor="dask"), address, runs)
    return {"reviews": reviews, "findings_per_review": findings, "repository_files": files, "runs": runs,
            "cluster": cluster}


def _audit_run(db: Path, items: list[Any], options: Any) -> dict[str, Any]:
    from reviewvet.audit.ingest import ingest
    from reviewvet.audit.store import Store

    started = time.perf_counter()
    with Store(db) as store:
        summary = ingest(store, items, options)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "reviews_per_second": len(items) / seconds, "verified": summary.count("added"),
            "store_bytes": db.stat().st_size}


def _audit_cluster(tmp: Path, items: list[Any], options: Any, address: str | None,
                   runs: dict[str, Any]) -> dict[str, Any]:
    """The cluster run (its workers warmed up first: reviewvet imported) and the engine's own cost
    per job: the median round trip of a job that does nothing with the review it carries."""
    import statistics
    from dataclasses import replace

    from reviewvet.audit import cluster

    started = time.perf_counter()
    with cluster.connect(address, workers=2, cache=options.cache.directory) as client:
        start_seconds = time.perf_counter() - started
        client.run(__import__, "reviewvet.audit.cluster")
        workers = len(client.scheduler_info()["workers"])
        name = f"cluster_dask_{workers}"
        runs[name] = _audit_run(tmp / f"{name}.duckdb", items,
                                replace(options, address=client.scheduler_info()["address"]))
        [job] = cluster.make_jobs(cluster.ping, [(items[0], options)], options)
        trips = []
        for _ in range(20):
            begin = time.perf_counter()
            client.submit(cluster.ping, job, pure=False).result()
            trips.append(time.perf_counter() - begin)
    return {"engine": "dask", "workers": workers, "address": address or "local (started here)",
            "start_seconds": start_seconds, "round_trip_seconds": statistics.median(trips),
            "overhead_per_review_seconds": (runs[name]["seconds"] - runs["warm_jobs_2"]["seconds"]) / len(items)}


def format_audit_figures(f: dict[str, Any]) -> str:
    lines = [f"{f['reviews']} reviews of {f['findings_per_review']} findings over a "
             f"{f['repository_files']}-file repository"]
    for name, run in f["runs"].items():
        lines.append(f"{name:16} {run['seconds']:7.2f} s  {run['reviews_per_second']:6.1f} reviews/s  "
                     f"{run['verified']} verified  store {run['store_bytes'] / 2**20:.1f} MiB")
    c = f["cluster"]
    lines.append(f"cluster: {c['engine']}, {c['workers']} workers at {c['address']}, started in "
                 f"{c['start_seconds']:.2f} s (not counted above)")
    lines.append(f"cluster overhead per job: {c['round_trip_seconds'] * 1000:.1f} ms round trip of a job that does "
                 f"nothing with its review; {c['overhead_per_review_seconds'] * 1000:+.1f} ms per review against "
                 "warm_jobs_2")
    return "\n".join(lines)


def bench_index(tmp: Path, files: int, changed_percent: float, runs: int) -> dict[str, Any]:
    """Raw parse of the same bytes, then cold (empty cache; 1 and 2 workers), warm and 1 %-changed indexing."""
    import statistics

    from reviewvet.api import index, open_workspace
    from reviewvet.bench.synth import change_files, generate_repo
    from reviewvet.git import Git
    from reviewvet.index.languages import language_of, raw_parse

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

    def indexed(rev: str, cache: Path, jobs: int | None = None) -> RepoIndex:
        """A fresh workspace's index of ``rev``: what is not in the parse cache at ``cache`` is parsed."""
        with open_workspace(repo.path, rev, cache_dir=cache) as workspace:
            return index(workspace, rev, jobs=jobs)

    def cold(jobs: int, run: int) -> tuple[float, float]:
        started = time.perf_counter()
        parsed = indexed(head, tmp / f"cache-{jobs}-{run}", jobs)
        seconds = time.perf_counter() - started
        parsed.graph  # noqa: B018 - build the call graph too
        return seconds, time.perf_counter() - started

    raw_seconds = statistics.median(raw() for _ in range(runs))
    cold1 = [cold(1, r) for r in range(runs)]
    cold2 = [cold(2, r) for r in range(runs)]
    warm_cache = tmp / "cache-warm"
    indexed(head, warm_cache)
    warm = statistics.median(_timed(lambda: indexed(head, warm_cache)) for _ in range(runs))
    changed_rev = change_files(repo, max(1, round(files * changed_percent / 100)))
    changed_index = indexed(changed_rev, warm_cache)
    changed = statistics.median(
        [changed_index.stats.seconds] + [_timed(lambda: indexed(changed_rev, warm_cache)) for _ in range(runs - 1)]
    )
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
    """The first verify in a new workspace with an empty parse cache (cold), then the median of
    ``runs`` more in the same workspace (warm: what a long-running service sees)."""
    import statistics
    import tempfile

    from reviewvet.api import open_workspace
    from reviewvet.bench.synth import generate_repo, generate_review

    repo = generate_repo(dest, files)
    review_text = generate_review(repo, findings)
    if keep:
        dest.with_name(dest.name + "-review.md").write_text(review_text, encoding="utf-8")
    with (tempfile.TemporaryDirectory(prefix="reviewvet-bench-cache-") as cache,
          open_workspace(repo.path, "pr", "main", cache_dir=Path(cache)) as workspace):
        cold = _one_run(workspace, review_text)
        warm = [_one_run(workspace, review_text) for _ in range(runs)]
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


def _one_run(workspace: Workspace, review_text: str) -> dict[str, Any]:
    from reviewvet.api import read_review, verify

    started = time.perf_counter()
    review = read_review(review_text, "bench.md")
    ingest = time.perf_counter() - started
    result = verify(workspace, review)
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
    """Peak Python allocations of each stage (a separate traced run in a fresh workspace without the
    parse cache: tracing slows it down)."""
    import tracemalloc

    from reviewvet.api import open_workspace, read_review, verify
    from reviewvet.model.verification import CheckOptions, VerifyOptions

    peaks: dict[str, int] = {}
    with open_workspace(repo, "pr", "main", use_cache=False) as workspace:
        tracemalloc.start()
        review = read_review(review_text, "bench.md")
        peaks["ingest"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        with workspace.session():
            workspace.revisions(review)
        peaks["resolve"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        verify(workspace, review, VerifyOptions(checks=CheckOptions(provenance=False)))
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


STARTUP_COMMANDS = {"bare interpreter": ["-c", "pass"], "reviewvet --help": ["-m", "reviewvet.cli", "--help"],
                    "reviewvet rules list": ["-m", "reviewvet.cli", "rules", "list"]}


def bench_startup(runs: int) -> dict[str, Any]:
    """Wall time of starting the same interpreter bare and as two light reviewvet commands, in turn
    (one of each per round, so a drifting machine moves them together); medians and ratios to bare."""
    import statistics
    import subprocess
    import sys

    seconds: dict[str, list[float]] = {name: [] for name in STARTUP_COMMANDS}
    for _ in range(runs + 1):  # the first round warms the file cache and is not counted
        for name, argv in STARTUP_COMMANDS.items():
            started = time.perf_counter()
            subprocess.run([sys.executable, *argv], check=True, capture_output=True)
            seconds[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(times[1:]) for name, times in seconds.items()}
    bare = medians["bare interpreter"]
    return {"runs": runs, "median_seconds": medians,
            "over_bare": {name: value / bare for name, value in medians.items() if name != "bare interpreter"}}


def format_startup_figures(f: dict[str, Any]) -> str:
    rows = [f"{name:22} {seconds * 1000:7.1f} ms" + (f"  {f['over_bare'][name]:5.1f}x bare" if name in f["over_bare"]
                                                     else "") for name, seconds in f["median_seconds"].items()]
    return "\n".join([f"start-up, median of {f['runs']} runs each:", *rows])


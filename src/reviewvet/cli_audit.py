"""``reviewvet audit``: ingest many reviews into DuckDB, report on the reviewers, query it."""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from pathlib import Path

from reviewvet.audit.workers import DEFAULT_BUDGET
from reviewvet.errors import UsageError
from reviewvet.report.escape import visible

REPORT_GROUPS = ("agent", "model", "month", "round")


def add_audit_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    audit = sub.add_parser("audit", help="audit reviewer accuracy across many reviews (DuckDB store)",
                           description="Ingest many reviews into an embedded DuckDB store, verifying each against "
                                       "the repository at its head, then report per agent and model version.")
    what = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    what.required = True

    def db(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", type=Path, default=None,
                       help="the store (default $REVIEWVET_DB or ~/.local/share/reviewvet/audit.duckdb)")

    ingest = what.add_parser("ingest", help="add reviews: files, folders, or a branch of the repository",
                             description="Each review is verified against --repo at the head it names (or the "
                                         "head --map gives); otherwise it is stored as unverified, with the reason. "
                                         "The same text is never stored twice; a changed report replaces its rows.")
    ingest.add_argument("paths", nargs="*", type=Path, help="review files or folders of them")
    ingest.add_argument("--git-branch", default=None, metavar="BRANCH",
                        help="read the reports committed on this branch of --repo (no checkout)")
    ingest.add_argument("--repo", type=Path, default=None, help="the repository the reviews are about")
    ingest.add_argument("--base", default=None, help="base revision for the merge base (default main or master)")
    ingest.add_argument("--map", dest="mapping", type=Path, default=None, metavar="FILE",
                        help="YAML or JSON: review file name -> {head: REV, base: REV}")
    ingest.add_argument("--jobs", type=int, default=1, help="reviews verified in parallel (default 1)")
    ingest.add_argument("--review-budget", type=float, default=DEFAULT_BUDGET, metavar="SECONDS",
                        help=f"time to read and verify one review (default {DEFAULT_BUDGET:g}); a review over it "
                             "is stopped and listed as skipped, and the ingest goes on")
    ingest.add_argument("--cache-dir", type=Path, default=None, help="folder of the parse cache")
    ingest.add_argument("--context", type=Path, default=None, metavar="FILE",
                        help="the repository's conventions (default: .reviewvet.yaml at each head)")
    ingest.add_argument("--rules", type=Path, action="append", default=[], metavar="DIR",
                        help="a folder of rule files, added to the default rules")
    db(ingest)
    ingest.set_defaults(run=run_ingest)

    report = what.add_parser("report", help="per agent, model, month and round; the consolidator comparison")
    report.add_argument("--by", nargs="+", choices=REPORT_GROUPS, default=["agent", "model"],
                        help="which groupings (default: agent model)")
    report.add_argument("--format", choices=("terminal", "markdown"), default="terminal")
    report.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="also write CSV, Parquet, PNG charts and a self-contained HTML page here")
    db(report)
    report.set_defaults(run=run_report)

    sql = what.add_parser("sql", help="run one read-only SELECT on the store",
                          description="One SELECT statement (WITH … SELECT, DESCRIBE, SHOW TABLES and SUMMARIZE "
                                      "included) on the store opened read-only, with no access to any other file "
                                      "and no extensions; anything else is refused.")
    sql.add_argument("query", help='e.g. "SELECT agent, count(*) FROM agent_findings GROUP BY agent"')
    sql.add_argument("--csv", action="store_true", help="print CSV")
    sql.add_argument("--max-rows", type=int, default=10_000, metavar="N",
                     help="print at most N rows (default 10000)")
    sql.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                     help="stop the query after this long (default 60)")
    db(sql)
    sql.set_defaults(run=run_sql)


def _db(args: argparse.Namespace) -> Path:
    from reviewvet.audit.store import default_db_path

    return args.db or default_db_path()


def run_ingest(args: argparse.Namespace) -> int:
    from rich.console import Console

    from reviewvet.audit import ingest as ing
    from reviewvet.audit.store import Store

    if not args.paths and not args.git_branch:
        raise UsageError("give review files or folders, or --git-branch BRANCH")
    if args.git_branch and args.repo is None:
        raise UsageError("--git-branch needs --repo")
    most = 4 * (os.cpu_count() or 1)
    if not 1 <= args.jobs <= most:
        raise UsageError(f"--jobs {args.jobs!r} must be between 1 and {most} (four per CPU)")
    if not 0 < args.review_budget < float("inf"):
        raise UsageError(f"--review-budget {args.review_budget!r} must be a positive number of seconds")
    items, skipped = ing.from_paths(args.paths) if args.paths else ([], [])
    if args.git_branch:
        more, more_skipped = ing.from_branch(args.repo, args.git_branch)
        items, skipped = items + more, skipped + more_skipped
    options = ing.Options(args.repo, args.base, ing.load_mapping(args.mapping), args.jobs, args.cache_dir,
                          args.context, tuple(args.rules), args.review_budget)
    console = Console(file=sys.stderr)
    with Store(_db(args)) as store:
        summary = _with_progress(console, lambda progress: ing.ingest(store, items, options, progress))
    summary.outcomes = skipped + summary.outcomes
    counts = ", ".join(f"{summary.count(s)} {s}" for s in ("added", "replaced", "unverified", "unchanged", "skipped"))
    print(f"{len(summary.outcomes)} files: {counts}")
    for outcome in summary.outcomes:
        if outcome.status in ("skipped", "unverified"):
            print(visible(f"  {outcome.status}: {outcome.source}: {outcome.reason}"))
    return 0


def _with_progress(console, work):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
                  disable=not console.is_terminal, transient=True) as bar:
        task = bar.add_task("verifying", total=None)

        def update(done: int, total: int, current: str) -> None:
            bar.update(task, completed=done, total=total, description=f"verifying {Path(current).name}")

        return work(update)


def run_report(args: argparse.Namespace) -> int:
    from reviewvet.audit import report
    from reviewvet.audit.store import Store

    path = _db(args)
    if not path.exists():
        raise UsageError(f"audit store {str(path)!r} does not exist; ingest reviews first")
    with Store(path, read_only=True, files=args.out is not None) as store:
        found = report.tables(store, args.by)
        print(report.render_markdown(found) if args.format == "markdown" else report.render_terminal(found))
        if args.out is not None:
            written = report.write_outputs(store, found, args.out, args.by)
            print("written: " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 0


def run_sql(args: argparse.Namespace) -> int:
    from reviewvet.audit.report import Table, render_terminal
    from reviewvet.audit.store import Store

    if args.max_rows < 1:
        raise UsageError(f"--max-rows {args.max_rows!r} must be at least 1")
    if not 0 < args.timeout < float("inf"):
        raise UsageError(f"--timeout {args.timeout!r} must be a positive number of seconds")
    with Store(_db(args), read_only=True) as store:
        result = store.user_query(args.query, max_rows=args.max_rows, timeout=args.timeout)
    columns, rows = result.columns, result.rows
    if result.truncated:
        print(f"reviewvet: only the first {len(rows)} rows (--max-rows)", file=sys.stderr)
    if args.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows(rows)
        sys.stdout.write(buffer.getvalue())
    else:
        print(render_terminal([Table("", columns, rows)]).rstrip())
        print(f"{len(rows)} row(s)")
    return 0

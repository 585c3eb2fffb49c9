"""``reviewvet audit``: ingest many reviews into DuckDB, report on the reviewers, query it."""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from reviewvet.audit import DEFAULT_BUDGET
from reviewvet.cli.emit import as_json, emit, lines
from reviewvet.cli.options import add_base, add_checks, add_output, add_repository, cache_options, verify_options
from reviewvet.errors import UsageError
from reviewvet.report.escape import visible

if TYPE_CHECKING:
    from rich.console import Console

    from reviewvet.audit.ingest import Options, Summary
    from reviewvet.audit.report import Table
    from reviewvet.audit.store import QueryResult
    from reviewvet.cli.options import Subparsers

REPORT_GROUPS = ("agent", "model", "month", "round")
STATUSES = ("added", "replaced", "unverified", "unchanged", "skipped")
T = TypeVar("T")


def add_parser(sub: Subparsers) -> None:
    audit = sub.add_parser("audit", help="audit reviewer accuracy across many reviews (DuckDB store)",
                           description="Ingest many reviews into an embedded DuckDB store, verifying each against "
                                       "the repository at its head, then report per agent and model version.")
    what = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    what.required = True
    _add_ingest(what)
    _add_report(what)
    _add_sql(what)


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument_group("store").add_argument(
        "--db", type=Path, default=None,
        help="the store (default $REVIEWVET_DB or ~/.local/share/reviewvet/audit.duckdb)")


def _add_ingest(what: Subparsers) -> None:
    ingest = what.add_parser("ingest", help="add reviews: files, folders, or a branch of the repository",
                             description="Each review is verified against --repo at the head it names (or the "
                                         "head --map gives); otherwise it is stored as unverified, with the reason. "
                                         "The same text is never stored twice; a changed report replaces its rows.")
    ingest.add_argument("paths", nargs="*", type=Path, help="review files or folders of them")
    reviews = ingest.add_argument_group("reviews")
    reviews.add_argument("--git-branch", default=None, metavar="BRANCH",
                         help="read the reports committed on this branch of --repo (no checkout)")
    reviews.add_argument("--map", type=Path, default=None, metavar="FILE",
                         help="YAML or JSON: review file name -> {head: REV, base: REV}")
    reviews.add_argument("--jobs", type=int, default=1, help="reviews verified in parallel (default 1)")
    reviews.add_argument("--review-budget", type=float, default=DEFAULT_BUDGET, metavar="SECONDS",
                         help=f"time to read and verify one review (default {DEFAULT_BUDGET:g}); a review over it "
                              "is stopped and listed as skipped, and the ingest goes on")
    repository = add_repository(ingest, default=None,
                                help="the repository the reviews are about (without it, every review is unverified)")
    add_base(repository, merge_base=False)
    add_checks(ingest, context_default="each review's head")
    _add_db(ingest)
    add_output(ingest, ("text", "json"), "text", help="format of the summary")
    ingest.set_defaults(run=run_ingest)


def _add_report(what: Subparsers) -> None:
    report = what.add_parser("report", help="per agent, model, month and round; the consolidator comparison")
    report.add_argument("--by", nargs="+", choices=REPORT_GROUPS, default=["agent", "model"],
                        help="which groupings (default: agent model)")
    output = add_output(report, ("terminal", "markdown", "json"), "terminal", help="report format")
    output.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="also write CSV, Parquet, PNG charts and a self-contained HTML page into this folder")
    _add_db(report)
    report.set_defaults(run=run_report)


def _add_sql(what: Subparsers) -> None:
    sql = what.add_parser("sql", help="run one read-only SELECT on the store",
                          description="One SELECT statement (WITH … SELECT, DESCRIBE, SHOW TABLES and SUMMARIZE "
                                      "included) on the store opened read-only, with no access to any other file "
                                      "and no extensions; anything else is refused.")
    sql.add_argument("query", help='e.g. "SELECT agent, count(*) FROM agent_findings GROUP BY agent"')
    bounds = sql.add_argument_group("bounds")
    bounds.add_argument("--max-rows", type=int, default=10_000, metavar="N",
                        help="print at most N rows (default 10000)")
    bounds.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="stop the query after this long (default 60)")
    output = add_output(sql, ("text", "csv", "json"), "text", help="result format: a text table, CSV or JSON")
    output.add_argument("--csv", dest="format", action="store_const", const="csv", help="the same as --format csv")
    _add_db(sql)
    sql.set_defaults(run=run_sql)


def _db(args: argparse.Namespace) -> Path:
    from reviewvet.audit.store import default_db_path

    db: Path | None = args.db
    return db or default_db_path()


# -- ingest ---------------------------------------------------------------------------------------


def _check_ingest(args: argparse.Namespace) -> None:
    if not args.paths and not args.git_branch:
        raise UsageError("give review files or folders, or --git-branch BRANCH")
    if args.git_branch and args.repo is None:
        raise UsageError("--git-branch needs --repo")
    most = 4 * (os.cpu_count() or 1)
    if not 1 <= args.jobs <= most:
        raise UsageError(f"--jobs {args.jobs!r} must be between 1 and {most} (four per CPU)")
    if not 0 < args.review_budget < float("inf"):
        raise UsageError(f"--review-budget {args.review_budget!r} must be a positive number of seconds")


def run_ingest(args: argparse.Namespace) -> int:
    from reviewvet.audit import ingest as ing

    _check_ingest(args)
    checks = verify_options(args)  # the flags' values are checked before any file is read
    options = ing.Options(args.repo, args.base, ing.load_mapping(args.map), jobs=args.jobs,
                          budget=args.review_budget, verify=checks, cache=cache_options(args))
    summary = ingest_reviews(args.paths, args.git_branch, options, _db(args))
    emit(as_json(summary_data(summary)) if args.format == "json" else summary_text(summary), args.output)
    return 0


def ingest_reviews(paths: list[Path], branch: str | None, options: Options, db: Path) -> Summary:
    """Read the reviews (files, folders, a branch), verify and store each; what became of every one."""
    from rich.console import Console

    from reviewvet.audit import ingest as ing
    from reviewvet.audit.store import Store

    items, skipped = ing.from_paths(paths) if paths else ([], [])
    if branch:
        assert options.repo is not None
        more, more_skipped = ing.from_branch(options.repo, branch)
        items, skipped = items + more, skipped + more_skipped
    console = Console(file=sys.stderr)
    with Store(db) as store:
        summary = _with_progress(console, lambda progress: ing.ingest(store, items, options, progress))
    summary.outcomes = skipped + summary.outcomes
    return summary


def _with_progress(console: Console, work: Callable[[Callable[[int, int, str], None]], T]) -> T:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
                  disable=not console.is_terminal, transient=True) as bar:
        task = bar.add_task("verifying", total=None)

        def update(done: int, total: int, current: str) -> None:
            bar.update(task, completed=done, total=total, description=f"verifying {Path(current).name}")

        return work(update)


def summary_data(summary: Summary) -> dict[str, object]:
    return {"files": len(summary.outcomes), "counts": {s: summary.count(s) for s in STATUSES},
            "outcomes": [asdict(o) for o in summary.outcomes]}


def summary_text(summary: Summary) -> str:
    counts = ", ".join(f"{summary.count(s)} {s}" for s in STATUSES)
    out = [f"{len(summary.outcomes)} files: {counts}"]
    out += [visible(f"  {o.status}: {o.source}: {o.reason}") for o in summary.outcomes
            if o.status in ("skipped", "unverified")]
    return lines(*out)


# -- report ---------------------------------------------------------------------------------------


def run_report(args: argparse.Namespace) -> int:
    from reviewvet.audit import report
    from reviewvet.audit.store import Store

    path = _db(args)
    if not path.exists():
        raise UsageError(f"audit store {str(path)!r} does not exist; ingest reviews first")
    with Store(path, read_only=True, files=args.out is not None) as store:
        found = report.tables(store, args.by)
        emit(render_tables(args.format, found), args.output)
        if args.out is not None:
            written = report.write_outputs(store, found, args.out, args.by)
            print("written: " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 0


def render_tables(fmt: str, found: list[Table]) -> str:
    from reviewvet.audit import report

    if fmt == "json":
        return as_json([{"title": t.title, "columns": t.columns, "rows": t.rows} for t in found])
    return lines(report.render_markdown(found) if fmt == "markdown" else report.render_terminal(found))


# -- sql ------------------------------------------------------------------------------------------


def run_sql(args: argparse.Namespace) -> int:
    from reviewvet.audit.store import Store

    if args.max_rows < 1:
        raise UsageError(f"--max-rows {args.max_rows!r} must be at least 1")
    if not 0 < args.timeout < float("inf"):
        raise UsageError(f"--timeout {args.timeout!r} must be a positive number of seconds")
    with Store(_db(args), read_only=True) as store:
        result = store.user_query(args.query, max_rows=args.max_rows, timeout=args.timeout)
    if result.truncated:
        print(f"reviewvet: only the first {len(result.rows)} rows (--max-rows)", file=sys.stderr)
    emit(render_result(args.format, result), args.output)
    return 0


def render_result(fmt: str, result: QueryResult) -> str:
    from reviewvet.audit.report import Table, render_terminal

    if fmt == "json":
        return as_json({"columns": result.columns, "rows": result.rows, "truncated": result.truncated})
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(result.columns)
        writer.writerows(result.rows)
        return buffer.getvalue()
    table = render_terminal([Table("", result.columns, result.rows)]).rstrip()
    return lines(table, f"{len(result.rows)} row(s)")

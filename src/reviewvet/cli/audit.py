"""``reviewvet audit``: ingest many reviews into DuckDB, report on the reviewers, query it."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from reviewvet.audit import DEFAULT_BUDGET
from reviewvet.cli.emit import as_json, emit, lines
from reviewvet.cli.options import add_checks, add_output, add_repository, cache_options, verify_options
from reviewvet.errors import UsageError
from reviewvet.report.escape import visible

if TYPE_CHECKING:
    from rich.console import Console

    from reviewvet.audit.ingest import Options, Summary
    from reviewvet.audit.report import Table
    from reviewvet.audit.store import QueryResult
    from reviewvet.cli.options import Subparsers

REPORT_GROUPS = ("agent", "model", "month", "round")
EXECUTORS = ("local", "dask")
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
                             description="Each review is verified against --repo at the head --map gives, else "
                                         "at the head 'verify --head auto' picks (its own, its pull request's ref, "
                                         "or by its commit subjects), else at the newest head of another report of "
                                         "its branch; otherwise it is stored as unverified, with the reason. "
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
    repository.add_argument("--base", default=None,
                            help="base revision of every review (else the mapping's, else main or master); "
                                 "{pr} in it is the review's pull request number (e.g. 'base/pr-{pr}'), and a "
                                 "base so made that is not in the repository falls back to main or master")
    repository.add_argument("--repo-name", default=None, metavar="OWNER/NAME",
                            help="the repository's identity; a review about another repository is refused "
                                 "(default: the origin's URL when it is a hosted one; a local path says nothing)")
    add_checks(ingest, context_default="each review's head")
    _add_challenger(ingest)
    _add_executor(ingest)
    _add_db(ingest)
    add_output(ingest, ("text", "json"), "text", help="format of the summary")
    ingest.set_defaults(run=run_ingest)


def _add_challenger(ingest: argparse.ArgumentParser) -> None:
    from reviewvet.cli.verify import add_model_connection

    group = ingest.add_argument_group("models")
    group.add_argument("--challenge-with", default=None, metavar="PROVIDER:MODEL",
                       help="challenge each review's refuted and doubtful findings with this model (as "
                            "'reviewvet challenge' does) and store the outcomes in the challenges table, so the "
                            "report can tell how often each reviewer's refuted findings survive their evidence")
    add_model_connection(group)


def _challenger(args: argparse.Namespace) -> tuple[str, str, str | None, float] | None:
    """--challenge-with as the ingest's workers take it, once a client of it could be opened here (a missing
    SDK or key is refused before any review is read)."""
    from reviewvet.cli.verify import named_model
    from reviewvet.llm.client import DEFAULT_TIMEOUT

    if args.challenge_with is None:
        if args.base_url is not None or args.timeout is not None:
            raise UsageError("--base-url and --timeout go with --challenge-with")
        return None
    client = named_model(args, "--challenge-with", args.challenge_with)
    assert client is not None
    timeout: float = DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    return client.provider, client.model, args.base_url, timeout


def _add_executor(ingest: argparse.ArgumentParser) -> None:
    group = ingest.add_argument_group("executor")
    group.add_argument("--executor", choices=EXECUTORS, default="local",
                       help="where reviews are verified: worker processes here (local, default), or the workers "
                            "of a Dask distributed cluster (dask; needs pip install 'reviewvet[cluster]')")
    group.add_argument("--address", default=None, metavar="ADDRESS",
                       help="with --executor dask: the scheduler, e.g. tcp://scheduler:8786 (default: a cluster of "
                            "--jobs worker processes on this machine)")


def _add_report(what: Subparsers) -> None:
    report = what.add_parser("report", help="per agent, model, month and round; the consolidator comparison",
                             description="First the sample (reviews found, verified at the reviewed head, at a "
                                         "substitute or user-given head, unverified with the reasons), then the "
                                         "tables; every rate as rate (k/n, 95% CI) with the Wilson interval.")
    report.add_argument("--by", nargs="+", choices=REPORT_GROUPS, default=["agent", "model"],
                        help="which groupings (default: agent model)")
    output = add_output(report, ("terminal", "markdown", "json"), "terminal", help="report format")
    output.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="also write CSV, Parquet, PNG charts and a self-contained HTML page into this folder")
    _add_db(report)
    report.set_defaults(run=run_report)


def _add_sql(what: Subparsers) -> None:
    sql = what.add_parser("sql", help="run read-only SELECT statements on the store",
                          description="SELECT statements (WITH … SELECT, DESCRIBE, SHOW TABLES and SUMMARIZE "
                                      "included), separated by ';', on the store opened read-only, with no access "
                                      "to any other file and no extensions. Every statement is checked before any "
                                      "runs: if one is not a SELECT, none runs. Each statement's result is printed, "
                                      "in order, with its column names as DuckDB gives them; when one fails, "
                                      "nothing is printed.")
    sql.add_argument("query", help='e.g. "SELECT agent, count(*) FROM agent_findings GROUP BY agent"; '
                                   f"- reads the statements from standard input (UTF-8, at most {STDIN_LIMIT_TEXT})")
    bounds = sql.add_argument_group("bounds")
    bounds.add_argument("--max-rows", type=int, default=10_000, metavar="N",
                        help="print at most N rows of each statement (default 10000)")
    bounds.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="stop the statements after this long in all (default 60)")
    output = add_output(sql, SQL_FORMATS, "table", json_alias=True,
                        help="result format: a table ('text' is the same), CSV, JSON or Markdown tables; NULL is "
                             "printed as NULL in a table and in Markdown, as null in JSON and as an empty field in "
                             'CSV, where an empty string is ""')
    output.add_argument("--csv", dest="format", action="store_const", const="csv", help="the same as --format csv")
    _add_db(sql)
    sql.set_defaults(run=run_sql)


def _db(args: argparse.Namespace) -> Path:
    from reviewvet.audit.store import default_db_path

    db: Path | None = args.db
    return db or default_db_path()


# -- ingest ---------------------------------------------------------------------------------------


def _check_ingest(args: argparse.Namespace) -> None:
    from reviewvet.audit import ingest as ing

    if not args.paths and not args.git_branch:
        raise UsageError("give review files or folders, or --git-branch BRANCH")
    if args.git_branch and args.repo is None:
        raise UsageError("--git-branch needs --repo")
    most = 4 * (os.cpu_count() or 1)
    if not 1 <= args.jobs <= most:
        raise UsageError(f"--jobs {args.jobs!r} must be between 1 and {most} (four per CPU)")
    if not 0 < args.review_budget < float("inf"):
        raise UsageError(f"--review-budget {args.review_budget!r} must be a positive number of seconds")
    if args.address is not None and args.executor != "dask":
        raise UsageError("--address names a Dask scheduler: it needs --executor dask")
    if args.repo_name is not None and not ing.valid_repo_name(args.repo_name):
        raise UsageError(f"--repo-name {args.repo_name!r} must be OWNER/NAME (as in github.com/OWNER/NAME)")


def run_ingest(args: argparse.Namespace) -> int:
    from reviewvet.audit import ingest as ing

    _check_ingest(args)
    checks = verify_options(args)  # the flags' values are checked before any file is read
    options = ing.Options(args.repo, args.base, ing.load_mapping(args.map), jobs=args.jobs,
                          budget=args.review_budget, verify=checks, cache=cache_options(args),
                          executor=args.executor, address=args.address,
                          repo_name=args.repo_name, challenger=_challenger(args))
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
            "sample": summary.sample(), "outcomes": [asdict(o) for o in summary.outcomes]}


def summary_text(summary: Summary) -> str:
    counts = ", ".join(f"{summary.count(s)} {s}" for s in STATUSES)
    out = [f"{len(summary.outcomes)} files: {counts}", *sample_text(summary.sample())]
    out += [visible(f"  {o.status}: {o.source}: {o.reason}") for o in summary.outcomes
            if o.status in ("skipped", "unverified")]
    return lines(*out)


def sample_text(sample: dict[str, Any]) -> list[str]:
    """What the reviews found amount to, in one line (and one of the unverified by cause)."""
    from reviewvet.audit.ingest import CAUSES

    by = ", ".join(f"{n} {how}" for how, n in sample["substitute_by"].items())
    unverified = sample["unverified"]
    parts = [f"{sample['reviewed_head']} verified at the reviewed head",
             f"{sample['substitute_head']} at a substitute head" + (f" ({by})" if by else ""),
             f"{sample['given_head']} at a head given", f"{sum(unverified.values())} unverified"]
    if sample["not_stored"]:
        parts.append(f"{sample['not_stored']} not stored")
    out = [f"{sample['reviews']} reviews: " + ", ".join(parts)]
    if unverified:
        out.append("unverified: " + ", ".join(f"{n} {CAUSES[cause]}" for cause, n in unverified.items()))
    return out


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
            if not report.charts_available():
                print(f"reviewvet: {report.CHARTS_NOTE}", file=sys.stderr)
    return 0


def render_tables(fmt: str, found: list[Table]) -> str:
    from reviewvet.audit import report

    if fmt == "json":
        return as_json(report.json_data(found))
    return lines(report.render_markdown(found) if fmt == "markdown" else report.render_terminal(found))


# -- sql ------------------------------------------------------------------------------------------


SQL_FORMATS = ("table", "text", "csv", "json", "markdown")  # text: the table's name before
STDIN_LIMIT = 1 << 20  # bytes of query text read from standard input
STDIN_LIMIT_TEXT = "1 MiB"


def run_sql(args: argparse.Namespace) -> int:
    from reviewvet.audit.store import Store

    if args.max_rows < 1:
        raise UsageError(f"--max-rows {args.max_rows!r} must be at least 1")
    if not 0 < args.timeout < float("inf"):
        raise UsageError(f"--timeout {args.timeout!r} must be a positive number of seconds")
    sql = query_text(args.query)
    with Store(_db(args), read_only=True) as store:
        results = store.user_query(sql, max_rows=args.max_rows, timeout=args.timeout)
    for number, result in enumerate(results, 1):
        if result.truncated:
            which = f" of statement {number}" if len(results) > 1 else ""
            print(f"reviewvet: only the first {len(result.rows)} rows{which} (--max-rows)", file=sys.stderr)
    emit(render_result(args.format, results), args.output)
    return 0


def query_text(query: str) -> str:
    """The query argument, or with ``-`` the UTF-8 text on standard input (at most STDIN_LIMIT bytes)."""
    if query != "-":
        return query
    if sys.stdin is None:
        raise UsageError("query '-': there is no standard input to read it from")
    try:
        from reviewvet.streams import read_at_most

        data = read_at_most(sys.stdin.buffer, STDIN_LIMIT + 1)
    except (OSError, ValueError) as exc:
        raise UsageError(f"query '-': standard input cannot be read: {exc}") from exc
    if len(data) > STDIN_LIMIT:
        raise UsageError(f"query '-': standard input holds more than {STDIN_LIMIT_TEXT}; "
                         f"give at most {STDIN_LIMIT} bytes of SQL")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"query '-': standard input is not UTF-8: byte {data[exc.start]:#04x} "
                         f"at offset {exc.start}") from exc


def render_result(fmt: str, results: list[QueryResult]) -> str:
    """Every statement's result in the format ``fmt`` (see reviewvet.cli.sql_results)."""
    from reviewvet.cli.sql_results import render

    return render(fmt, results)

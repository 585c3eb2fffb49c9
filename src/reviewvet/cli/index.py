"""The parser-layer commands: ``index``, ``symbols``, ``callers``, ``callees``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from reviewvet.cli.emit import as_json, emit, lines
from reviewvet.cli.options import add_cache, add_output, add_revision
from reviewvet.errors import UsageError, about
from reviewvet.report.escape import visible

if TYPE_CHECKING:
    from reviewvet.cli.options import Subparsers
    from reviewvet.workspace import Workspace
    from reviewvet.index.model import RepoIndex


def add_parsers(sub: Subparsers) -> None:
    index = sub.add_parser("index", help="parse a revision's Go, shell, BATS and Python files; print counts",
                           description="Parse every Go, shell, BATS and Python file of a revision (cached by "
                                       "git blob id) and print the counts and the time taken.")
    _common(index)
    index.set_defaults(run=run_index)

    symbols = sub.add_parser("symbols", help="list the symbols of a revision",
                             description="List functions, methods (with receivers), types, package-level values, "
                                         "shell functions, BATS tests and Python classes and functions.")
    _common(symbols)
    chosen = symbols.add_argument_group("which symbols")
    chosen.add_argument("--file", default=None, help="only symbols of this path")
    chosen.add_argument("--kind", default=None, help="only this kind (function, method, type, test, class ...)")
    chosen.add_argument("--name", default=None, help="only symbols this identifier can name (e.g. cliexit.Classify)")
    symbols.set_defaults(run=run_symbols)

    for direction in ("callers", "callees"):
        walk = sub.add_parser(direction, help=f"the {direction} of a symbol, from the call graph",
                              description=f"Walk the call graph from SYMBOL to its {direction}, up to --depth "
                                          "levels. Every edge shows its call site and how it was resolved "
                                          "(exact, by-type, by-name-only, external).")
        walk.add_argument("symbol", help="a name as reviews write it: Name, pkg.Name, (*Type).Method, a symbol id")
        walk.add_argument("--depth", type=int, default=1, help="levels to follow (default 1)")
        _common(walk)
        walk.set_defaults(run=run_walk, direction=direction)


def _common(parser: argparse.ArgumentParser) -> None:
    add_revision(parser)
    parsing = parser.add_argument_group("parsing")
    add_cache(parsing)
    parsing.add_argument("--jobs", type=int, default=None, help="worker processes for parsing (default 2)")
    add_output(parser, ("text", "json"), "text", json_alias=True)


# -- argument handling ----------------------------------------------------------------------------


@contextmanager
def _opened(args: argparse.Namespace) -> Iterator[tuple[Workspace, RepoIndex]]:
    """The workspace and the index of ``--rev``, usable while the workspace that reads it lazily is open."""
    from reviewvet.api import index, open_workspace

    jobs: int | None = args.jobs
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs {jobs!r} must be at least 1")
    with open_workspace(args.repo, args.rev, cache_dir=args.cache_dir, use_cache=not args.no_cache) as workspace:
        with about("rev"):
            idx = index(workspace, args.rev, jobs=jobs)
        yield workspace, idx


def run_index(args: argparse.Namespace) -> int:
    with _opened(args) as (_, idx):
        emit(as_json(index_data(idx)) if args.format == "json" else index_text(idx), args.output)
    return 0


def run_symbols(args: argparse.Namespace) -> int:
    with _opened(args) as (_, idx):
        chosen = idx.table.find(args.name) if args.name else list(idx.symbols)
    chosen = [s for s in chosen if (args.file is None or s.path == args.file)
              and (args.kind is None or s.kind == args.kind)]
    if args.format == "json":
        emit(as_json([asdict(s) for s in chosen]), args.output)
        return 0
    emit(lines(*(visible(f"{s.path}:{s.start}-{s.end}  {s.kind:8} {s.id}") for s in chosen)), args.output)
    if not chosen:
        print("no symbols match", file=sys.stderr)
    return 0


def run_walk(args: argparse.Namespace) -> int:
    from reviewvet.api import walk_calls

    depth: int = args.depth
    if depth < 1:
        raise UsageError(f"--depth {depth!r} must be at least 1")
    symbol: str = args.symbol
    with _opened(args) as (workspace, idx):
        try:
            starts, rows = walk_calls(workspace, symbol, args.direction, depth, idx.rev)
        except UsageError as exc:
            raise UsageError(f"{exc} (try: reviewvet symbols --name ...)") from exc
    if args.format == "json":
        emit(as_json({"symbols": starts, "direction": args.direction, "edges": rows}), args.output)
    else:
        emit(walk_text(symbol, starts, args.direction, rows), args.output)
    return 0


# -- output ---------------------------------------------------------------------------------------


def index_data(idx: RepoIndex) -> dict[str, Any]:
    return {"rev": idx.rev, "stats": asdict(idx.stats), "notes": idx.notes,
            "parse_errors": {p: f.errors for p, f in sorted(idx.files.items()) if f.errors}}


def index_text(idx: RepoIndex) -> str:
    from reviewvet.index.build import stats_line

    out = [f"{idx.rev[:12]}: {stats_line(idx.stats)}",
           "by language: " + ", ".join(f"{k} {v}" for k, v in sorted(idx.stats.by_language.items()))]
    for path, pf in sorted(idx.files.items()):
        if pf.errors:
            regions = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in pf.errors[:5])
            kept = "symbols outside them are kept" if pf.definitions else "no symbols could be read from it"
            out.append(visible(f"parse errors in {path} at lines {regions} ({kept})"))
    out += [visible(f"note: {note}") for note in idx.notes]
    return lines(*out)


def walk_text(symbol: str, starts: list[str], direction: str, rows: list[dict[str, Any]]) -> str:
    out = [visible(f"{symbol!r} names {len(starts)} symbols: {', '.join(starts)}")] if len(starts) > 1 else []
    arrow = "<-" if direction == "callers" else "->"
    for row in rows:
        out.append(visible(f"{'  ' * (row['depth'] - 1)}{row['from']} {arrow} {row['to']}  "
                           f"[{row['confidence']}] {row['path']}:{row['line']}"))
    return lines(*out)

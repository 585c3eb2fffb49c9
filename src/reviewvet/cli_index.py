"""The parser-layer commands: ``index``, ``symbols``, ``callers``, ``callees``."""

from __future__ import annotations

import argparse
import json
import sys
from collections import deque
from dataclasses import asdict
from pathlib import Path
from typing import Any

from reviewvet.errors import UsageError
from reviewvet.report.escape import visible


def add_index_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--repo", type=Path, default=Path("."), help="the git repository (default: .)")
        p.add_argument("--rev", default="HEAD", help="the revision to index (default HEAD)")
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        p.add_argument("--no-cache", action="store_true", help="parse every file, ignoring the parse cache")
        p.add_argument("--cache-dir", type=Path, default=None,
                       help="folder of the parse cache (default $REVIEWVET_CACHE_DIR or ~/.cache/reviewvet)")
        p.add_argument("--jobs", type=int, default=None, help="worker processes for parsing (default 2)")

    index = sub.add_parser("index", help="parse a revision's Go, shell, BATS and Python files; print counts",
                           description="Parse every Go, shell, BATS and Python file of a revision (cached by "
                                       "git blob id) and print the counts and the time taken.")
    common(index)
    index.set_defaults(run=run_index)

    symbols = sub.add_parser("symbols", help="list the symbols of a revision",
                             description="List functions, methods (with receivers), types, package-level values, "
                                         "shell functions, BATS tests and Python classes and functions.")
    common(symbols)
    symbols.add_argument("--file", default=None, help="only symbols of this path")
    symbols.add_argument("--kind", default=None, help="only this kind (function, method, type, test, class ...)")
    symbols.add_argument("--name", default=None, help="only symbols this identifier can name (e.g. cliexit.Classify)")
    symbols.set_defaults(run=run_symbols)

    for direction in ("callers", "callees"):
        walk = sub.add_parser(direction, help=f"the {direction} of a symbol, from the call graph",
                              description=f"Walk the call graph from SYMBOL to its {direction}, up to --depth "
                                          "levels. Every edge shows its call site and how it was resolved "
                                          "(exact, by-type, by-name-only, external).")
        walk.add_argument("symbol", help="a name as reviews write it: Name, pkg.Name, (*Type).Method, a symbol id")
        common(walk)
        walk.add_argument("--depth", type=int, default=1, help="levels to follow (default 1)")
        walk.set_defaults(run=run_walk, direction=direction)


def _load(args: argparse.Namespace) -> Any:
    from reviewvet.git import Git
    from reviewvet.index.build import index_revision
    from reviewvet.index.cache import ParseCache

    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs!r} must be at least 1")
    git = Git(args.repo)
    sha = git.resolve(args.rev, what="--rev")
    cache = None if args.no_cache else ParseCache(args.cache_dir)
    try:
        return index_revision(git, sha, cache=cache, jobs=args.jobs)
    finally:
        if cache is not None:
            cache.close()


def run_index(args: argparse.Namespace) -> int:
    from reviewvet.index.build import stats_line

    idx = _load(args)
    if args.json:
        _print_json({"rev": idx.rev, "stats": asdict(idx.stats), "notes": idx.notes,
                     "parse_errors": {p: f.errors for p, f in sorted(idx.files.items()) if f.errors}})
        return 0
    print(f"{idx.rev[:12]}: {stats_line(idx.stats)}")
    print("by language: " + ", ".join(f"{k} {v}" for k, v in sorted(idx.stats.by_language.items())))
    for path, pf in sorted(idx.files.items()):
        if pf.errors:
            regions = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in pf.errors[:5])
            kept = "symbols outside them are kept" if pf.definitions else "no symbols could be read from it"
            print(visible(f"parse errors in {path} at lines {regions} ({kept})"))
    for note in idx.notes:
        print(visible(f"note: {note}"))
    return 0


def run_symbols(args: argparse.Namespace) -> int:
    idx = _load(args)
    chosen = idx.table.find(args.name) if args.name else list(idx.symbols)
    chosen = [s for s in chosen if (args.file is None or s.path == args.file)
              and (args.kind is None or s.kind == args.kind)]
    if args.json:
        _print_json([asdict(s) for s in chosen])
        return 0
    for s in chosen:
        print(visible(f"{s.path}:{s.start}-{s.end}  {s.kind:8} {s.id}"))
    if not chosen:
        print("no symbols match", file=sys.stderr)
    return 0


def run_walk(args: argparse.Namespace) -> int:
    if args.depth < 1:
        raise UsageError(f"--depth {args.depth!r} must be at least 1")
    idx = _load(args)
    graph = idx.graph
    starts = [s.id for s in idx.table.find(args.symbol)] or ([args.symbol] if args.symbol in graph else [])
    if not starts:
        raise UsageError(f"no symbol {args.symbol!r} in {idx.rev[:12]} (try: reviewvet symbols --name ...)")
    rows = walk(graph, starts, args.direction, args.depth)
    if args.json:
        _print_json({"symbols": starts, "direction": args.direction, "edges": rows})
        return 0
    if len(starts) > 1:
        print(visible(f"{args.symbol!r} names {len(starts)} symbols: {', '.join(starts)}"))
    for row in rows:
        arrow = "<-" if args.direction == "callers" else "->"
        print(visible(f"{'  ' * (row['depth'] - 1)}{row['from']} {arrow} {row['to']}  "
                      f"[{row['confidence']}] {row['path']}:{row['line']}"))
    return 0


def walk(graph: Any, starts: list[str], direction: str, depth: int) -> list[dict[str, Any]]:
    """Breadth-first over the call graph; each edge once, with its depth."""
    rows: list[dict[str, Any]] = []
    seen = set(starts)
    queue = deque((s, 1) for s in starts)
    while queue:
        node, level = queue.popleft()
        edges = graph.in_edges(node, data=True) if direction == "callers" else graph.out_edges(node, data=True)
        for u, v, data in sorted(edges, key=lambda e: (e[0], e[1], e[2]["line"])):
            other = u if direction == "callers" else v
            rows.append({"from": node, "to": other, "depth": level, "path": data["path"], "line": data["line"],
                         "confidence": data["confidence"]})
            if other not in seen and level < depth:
                seen.add(other)
                queue.append((other, level + 1))
    return rows


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, sort_keys=True, default=list))

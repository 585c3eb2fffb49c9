"""Shared pieces of the audit tests: a small two-branch repository, review documents written
for it, and ways to run the CLI (in this process, or in a child process) and read a store."""

from __future__ import annotations

import _thread
import io
import linecache
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import duckdb

from reviewvet.audit.store import TABLES
from reviewvet.cli import main

ROOT = Path(__file__).resolve().parents[2]
REVIEWS = ROOT / "fixtures" / "reviews"
DEMO_REVIEW = REVIEWS / "demo-review.md"
DEMO_FLAT = REVIEWS / "demo-flat.txt"
DEMO_CONTEXT = REVIEWS / "demo-context.yaml"

BOIL_MAIN = """\
package kettle

// Boil heats the water until it reaches the target temperature.
func Boil(k *Kettle, target int) error {
\tfor k.Temp() < target {
\t\tk.Heat(1)
\t}
\treturn nil
}
"""

BOIL_PR = """\
package kettle

import "errors"

// ErrDry is returned when the kettle holds no water.
var ErrDry = errors.New("dry")

// Boil heats the water until it reaches the target temperature.
func Boil(k *Kettle, target int) error {
\tif k.Water() == 0 {
\t\treturn ErrDry
\t}
\tfor k.Temp() <= target {
\t\tk.Heat(5)
\t}
\treturn nil
}
"""

# A deep review of the kettle PR in the layout of fixtures/reviews/demo-review.md. {commit} is the
# commit it names, {repo} its Repo row, {title} the end of its title line.
KETTLE_REVIEW = """\
# Deep Review: {title}

| | |
|---|---|
| **Date** | 2026-02-10 09:30 |
| **Repo** | [{repo}](https://github.com/{repo}) |
| **Round** | 2 |
| **PR** | [#7](https://github.com/{repo}/pull/7) — Refuse to boil a dry kettle |
| **Branch** | `fix/dry-kettle` |
| **Commits** | `{commit}` kettle: refuse to boil without water |
| **Reviewers** | Claude Opus 4.7 (effort: high), Codex GPT 5.4 (effort: high) |

## Executive Summary

The PR makes `Boil` refuse an empty kettle and heats in steps of five degrees. One Important, one Suggestion.

## Critical Issues

None.

## Important Issues

I1. **The loop now overshoots the target by up to five degrees** — `kettle/boil.go:13-15` [Claude Opus 4.7]

```go
\tfor k.Temp() <= target {
\t\tk.Heat(5)
\t}
```

The condition became `<=` and the step became 5, so `Boil` stops anywhere up to `target+5`.
Heat in steps of one, or clamp the last step.

*(important, regression — the loop was changed on this branch.)*

## Suggestions

S1. **`ErrDry` does not say which package failed** — `kettle/boil.go:6` [Codex GPT 5.4]

```go
var ErrDry = errors.New("dry")
```

Errors from this package elsewhere start with `kettle:`; `ErrDry` should too.

*(suggestion, enhancement — the variable is new on this branch.)*
"""

EMPTY_REVIEW = """\
# Deep Review: 20260211-120000-pr-8

| | |
|---|---|
| **Date** | 2026-02-11 12:00 |
| **Repo** | [acme/kettle](https://github.com/acme/kettle) |
| **Reviewers** | Claude Opus 4.7 (effort: high) |

## Executive Summary

Nothing to report: the change is a comment.

## Critical Issues

None.

## Important Issues

None.

## Suggestions

None.
"""


def kettle_review(commit: str, *, repo: str = "acme/kettle", title: str = "20260210-093000-pr-7") -> str:
    return KETTLE_REVIEW.replace("{commit}", commit[:7]).replace("{repo}", repo).replace("{title}", title)


def build_kettle(builder: Any) -> tuple[Any, str]:
    """main: one commit; `fix/dry-kettle`: one more; main moves on by one. Returns (repo, PR head)."""
    builder.commit("kettle: add Boil", {"kettle/boil.go": BOIL_MAIN, "README.md": "# kettle\n"},
                   date="2026-02-02T09:00:00+00:00")
    builder.branch("fix/dry-kettle")
    builder.checkout("fix/dry-kettle")
    head = builder.commit("kettle: refuse to boil without water", {"kettle/boil.go": BOIL_PR},
                          date="2026-02-03T09:00:00+00:00")
    builder.checkout("main")
    builder.commit("readme: say what it does", {"README.md": "# kettle\n\nBoils water.\n"},
                   date="2026-02-04T09:00:00+00:00")
    return builder, head


def cli(*argv: Any) -> tuple[int, str, str]:
    """Run the reviewvet CLI in this process; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def cli_process(*argv: Any, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the reviewvet CLI in a child process (its own DuckDB instance and file locks)."""
    return subprocess.run([sys.executable, "-m", "reviewvet.cli", *(str(a) for a in argv)],
                          capture_output=True, text=True, timeout=timeout, check=False)


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read the store directly (read-only, closed again at once)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def counts(db: Path) -> dict[str, int]:
    """Row counts of every table of the store."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (*TABLES, "schema_version")}
    finally:
        con.close()


def review_row(rid: str, title: str) -> tuple[object, ...]:
    """A row of `reviews` (19 columns)."""
    return (rid, f"{rid}.md", title, "acme/kettle", 7, "pr", "1", "2026-02-10", "2026-02", "markdown",
            "abc1234", None, None, "unverified", "test", 0, None, None, None)


def finding_row(rid: str, n: int, *, line: int | None = 13) -> tuple[object, ...]:
    """A row of `findings` (24 columns)."""
    return (rid, f"consolidated/I{n}", "consolidated", f"I{n}", "important", f"finding {n}", ["Claude"],
            "Claude Opus 4.7", "important", "regression", "important", "regression", False, None, f"g{n}", [],
            True, "verified", ["wrong-line"], "gap", "agrees", line, "confirmed", "head")


def claim_row(rid: str, n: int) -> tuple[object, ...]:
    """A row of `claims` (10 columns)."""
    return (rid, f"consolidated/I{n}", "line", "exact", "kettle/boil.go", n, n + 2, f"kettle/boil.go:{n}",
            None, "head")


def synthetic_rows(rid: str, findings: int, claims_per_finding: int = 5) -> dict[str, list[Any]]:
    """The rows of one review with many findings and claims, as ingest would write them."""
    return {"reviews": [review_row(rid, f"review {rid[:6]}")],
            "agents": [(rid, "Claude", "Claude Opus 4.7", "high")],
            "findings": [finding_row(rid, n) for n in range(findings)],
            "claims": [claim_row(rid, n) for n in range(findings) for _ in range(claims_per_finding)]}


def fill_store(db: Path, reviews: int, findings: int = 3) -> None:
    """A store holding ``reviews`` synthetic reviews."""
    from reviewvet.audit.store import Store

    with Store(db) as store:
        for n in range(reviews):
            store.write_review(synthetic_rows(f"{n:032x}", findings), [])


@contextmanager
def ctrl_c_at(function: str, at: str, where: dict[str, Any] | None = None) -> Iterator[list[str]]:
    """Press Ctrl-C (SIGINT to this process, as a terminal sends it) the moment the main thread is
    about to run the line of ``function`` holding ``at``, with these local values. A trace on the
    main thread sees every line, so unlike ``ctrl_c_inside`` it never misses a statement that runs
    too fast to be sampled; the signal lands as the statement starts."""
    pressed: list[str] = []

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "line" and not pressed:
            line = linecache.getline(frame.f_code.co_filename, frame.f_lineno or 0)
            if at in line and all(frame.f_locals.get(k) == v for k, v in (where or {}).items()):
                pressed.append(function)
                os.kill(os.getpid(), signal.SIGINT)
        return local

    def calls(frame: Any, event: str, arg: Any) -> Any:
        return local if event == "call" and frame.f_code.co_name == function and not pressed else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        yield pressed
    finally:
        sys.settrace(previous)


@contextmanager
def ctrl_c_inside(function: str, *, at: str = "", where: dict[str, Any] | None = None, after: float = 0.0,
                  simulated: bool = False) -> Iterator[list[str]]:
    """Press Ctrl-C the moment the main thread is inside ``function`` (and, given ``at``, its
    innermost frame is there, on a line holding ``at``: a call into DuckDB is caught while
    DuckDB runs it; given ``where``, with these local values; given ``after``, still there that
    many seconds later). The list it yields names the function once it was pressed.

    Ctrl-C is SIGINT sent to this process, as a terminal sends it; ``simulated`` sets Python's
    own flag instead (``_thread.interrupt_main``), which DuckDB checks between the tasks of a
    statement, where a signal caught by one of DuckDB's threads may wait for the statement's end."""
    main = threading.main_thread().ident
    pressed: list[str] = []
    done = threading.Event()

    def inside(frame: Any) -> bool:
        if at:
            line = linecache.getline(frame.f_code.co_filename, frame.f_lineno or 0)
            return bool(frame.f_code.co_name == function and at in line
                        and all(frame.f_locals.get(k) == v for k, v in (where or {}).items()))
        while frame is not None and frame.f_code.co_name != function:
            frame = frame.f_back
        return frame is not None

    def watch() -> None:
        while not done.is_set():
            frame = sys._current_frames().get(main or 0)
            if frame is not None and inside(frame) and after:
                time.sleep(after)
                frame = sys._current_frames().get(main or 0)
            if frame is not None and inside(frame):
                pressed.append(function)
                if simulated:
                    _thread.interrupt_main(signal.SIGINT)
                else:
                    os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.0002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield pressed
    finally:
        done.set()
        watcher.join()


def markdown_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """The tables of `audit report --format markdown`, by their `## title`, as lists of dicts."""
    found: dict[str, list[dict[str, str]]] = {}
    title, header = None, None
    for line in text.splitlines():
        if line.startswith("## "):
            title, header = line[3:], None
            found[title] = []
        elif line.startswith("|") and title is not None:
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
            if header is None:
                header = cells
            elif not line.startswith("|---"):
                found[title].append(dict(zip(header, cells, strict=True)))
    return found

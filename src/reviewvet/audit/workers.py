"""Run one function over many items in worker processes, each item within a time budget.

A worker that overruns its budget is killed with everything it started (it runs in a process
group of its own, so the git processes it is waiting for go too) and a fresh worker takes the
next item; so does a worker that dies. The results come back in the items' order. Workers do
not see the terminal's Ctrl-C (their own process group); the caller's KeyboardInterrupt kills
them on its way out.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any


# Imported once in the fork server, so each fresh worker starts with the verifier loaded.
PRELOAD = ["reviewvet.audit.ingest"]


@dataclass(frozen=True)
class Stopped:
    """An item whose work did not finish: over budget, its worker died, or it raised."""

    reason: str


@dataclass
class _Worker:
    process: Any
    conn: Connection
    index: int = -1
    deadline: float = 0.0


def run(fn: Callable[[Any], Any], items: list[Any], *, jobs: int, budget: float) -> Generator[Any, None, None]:
    """``fn(item)`` for each item, in order, or :class:`Stopped` with the reason. No process is
    started for no items; closing the generator stops every worker."""
    if not items:
        return
    context = _context()
    workers: list[_Worker] = []
    done: dict[int, Any] = {}
    queue = list(range(len(items)))[::-1]
    try:
        for wanted in range(len(items)):
            while wanted not in done:
                while queue and len([w for w in workers if w.index >= 0]) < jobs:
                    _hand(_idle(workers, context, fn), queue.pop(), items, budget)
                _collect(workers, done, budget)
            yield done.pop(wanted)
    finally:
        for worker in workers:
            _stop(worker)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if "forkserver" in methods:
        context.set_forkserver_preload(PRELOAD)
    return context


def _idle(workers: list[_Worker], context: Any, fn: Callable[[Any], Any]) -> _Worker:
    for worker in workers:
        if worker.index < 0:
            return worker
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child, fn), daemon=True)
    process.start()
    child.close()
    workers.append(_Worker(process, parent))
    return workers[-1]


def _hand(worker: _Worker, index: int, items: list[Any], budget: float) -> None:
    worker.index, worker.deadline = index, time.monotonic() + budget
    worker.conn.send((index, items[index]))


def _collect(workers: list[_Worker], done: dict[int, Any], budget: float) -> None:
    """Wait for the first result or the first deadline; record what finished or was stopped."""
    busy = [w for w in workers if w.index >= 0]
    timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
    ready = wait([w.conn for w in busy], timeout)
    for worker in busy:
        if worker.conn in ready:
            try:
                index, ok, value = worker.conn.recv()
            except (EOFError, OSError):
                worker.process.join(5)
                done[worker.index] = Stopped(f"its worker process died ({_exit(worker.process.exitcode)})")
                _replace(workers, worker)
                continue
            done[index] = value if ok else Stopped(value)
            worker.index = -1
        elif time.monotonic() >= worker.deadline:
            done[worker.index] = Stopped(f"over budget: not done in {budget:g} s, the time allowed for one review")
            _replace(workers, worker)


def _replace(workers: list[_Worker], worker: _Worker) -> None:
    _stop(worker)
    workers.remove(worker)


def _stop(worker: _Worker) -> None:
    """The worker and every process it started, killed; a worker at rest just leaves."""
    if worker.index < 0 and worker.process.is_alive():
        try:
            worker.conn.send(None)
            worker.process.join(2)
        except (OSError, ValueError):
            pass
    if worker.process.is_alive() or worker.index >= 0:
        try:
            os.killpg(worker.process.pid, signal.SIGKILL)
        except (OSError, AttributeError):
            worker.process.kill()
    worker.process.join(5)
    worker.conn.close()


def _exit(code: int | None) -> str:
    if code is None:
        return "no exit status"
    return f"signal {-code}" if code < 0 else f"exit status {code}"


def _serve(conn: Connection, fn: Callable[[Any], Any]) -> None:
    """A worker: items in, results out, until told to stop or the parent goes away."""
    if hasattr(os, "setpgrp"):
        os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A daemon to its parent (stopped with it), but free to start processes of its own: a cold
    # index parses a large revision in a pool. They share its process group, so they go with it.
    multiprocessing.current_process().daemon = False
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, item = task
        try:
            reply = (index, True, fn(item))
        except Exception as exc:  # a bug in one item's work is that item's reason, not the batch's end
            reply = (index, False, f"internal error, a bug in reviewvet: {type(exc).__name__}: {exc}")
        conn.send(reply)

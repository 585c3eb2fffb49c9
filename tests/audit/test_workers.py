"""Worker processes with a time budget: overrunning work is stopped, with every process it started."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from reviewvet.audit import workers
from reviewvet.audit.workers import Stopped

from .helpers import ctrl_c_inside

# A `sleep` no other process runs, so the test can look for it.
SLEEP = ["sleep", "31.4159"]


def sleeping() -> list[int]:
    """Processes running SLEEP, found in /proc."""
    found = []
    wanted = [s.encode() for s in SLEEP]
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().split(b"\0")[:2] == wanted:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def die_on_odd(n: int) -> int:
    if n % 2:
        os._exit(n)
    return n


def fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError(f"bad item {n!r}")
    return n * 10


def test_work_over_its_budget_is_stopped_and_the_next_item_runs() -> None:
    started = time.monotonic()
    results = list(workers.run(time.sleep, [30, 0], jobs=1, budget=0.5))
    assert results == [Stopped("over budget: not done in 0.5 s, the time allowed for one review"), None]
    assert time.monotonic() - started < 15  # not the 30 s the first item wanted


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_the_processes_an_overrunning_worker_started_are_stopped_with_it() -> None:
    assert sleeping() == []
    results = list(workers.run(subprocess.call, [SLEEP], jobs=1, budget=0.5))
    assert results == [Stopped("over budget: not done in 0.5 s, the time allowed for one review")]
    time.sleep(0.2)
    assert sleeping() == []


def test_a_worker_that_dies_is_its_items_reason_and_a_fresh_one_goes_on() -> None:
    assert list(workers.run(die_on_odd, [2, 3, 4, 5, 6], jobs=2, budget=30)) == [
        2, Stopped("its worker process died (exit status 3)"), 4, Stopped("its worker process died (exit status 5)"), 6]


def test_an_exception_is_its_items_reason() -> None:
    assert list(workers.run(fail_on_three, [1, 3, 4], jobs=1, budget=30)) == [
        10, Stopped("internal error, a bug in reviewvet: ValueError: bad item 3"), 40]


def test_results_come_back_in_the_items_order() -> None:
    assert list(workers.run(time.sleep, [0.5, 0, 0.2, 0], jobs=3, budget=30)) == [None] * 4


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_ctrl_c_while_waiting_stops_the_workers_and_what_they_started() -> None:
    started = time.monotonic()
    with ctrl_c_inside("_collect") as pressed, pytest.raises(KeyboardInterrupt):
        list(workers.run(subprocess.call, [SLEEP, SLEEP], jobs=2, budget=60))
    assert pressed == ["_collect"]
    assert time.monotonic() - started < 15  # at once, not when the sleeps end
    time.sleep(0.2)
    assert sleeping() == []

"""The git floor of a review, and ``reviewvet verify`` timed against it as a child process.

The floor is the git work a perfect verifier must do for one review, run as separate git
processes, plus a bare start of the same interpreter (``python -c pass``)::

    git merge-base --end-of-options HEAD BASE
    git cat-file --batch            every claimed file at head and at the merge base
    git blame --porcelain -w -M -C -L a,b [-L c,d ...] MERGE_BASE..HEAD -- PATH
                                    one per claimed file found at head, all its ranges

The claims are the ``path:lines`` references the review's findings write (read by reviewvet's
own review reader); ranges are clipped to the file at head, as a verifier that has read the
file would. Blame runs with the options reviewvet's provenance check uses by default, so the
floor buys the same answers.

``reviewvet verify`` runs as a child of this process: ``sys.executable -c`` with the two lines
the ``reviewvet`` console script holds, so it is the very interpreter and package the floor's
bare start uses and this benchmark imports, whatever PATH or the script's shebang say. Each
round runs the floor, then verify with an empty parse cache (cold), then the same command again
(warm), so a drifting machine moves them together. Wall time is measured here; CPU time and
peak memory come from the child's rusage (``os.wait4``), which on Linux includes the processes
the child waited for (git, parse workers): CPU summed, peak memory the largest single process's
resident set, not the sum of processes running at once. Nothing is written into the repository
inspected.
"""

from __future__ import annotations

import os
import json
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewvet.errors import GitError, UsageError

if TYPE_CHECKING:
    from reviewvet.model.review import Review

BLAME_OPTIONS = ("-w", "-M", "-C")  # reviewvet's default blame options (see cli.options.blame_options)
ENTRY = "import sys; from reviewvet.cli import main; sys.exit(main())"  # what the console script runs
KIB = 1024

Ranges = tuple[tuple[int, int], ...]
_OBJECT_TYPES = (b"blob", b"tree", b"commit", b"tag")


@dataclass(frozen=True)
class Target:
    """What is measured: a review's claims in a repository, and the verify command that checks them."""

    repo: Path
    head: str  # resolved commit ids
    base: str
    claims: tuple[tuple[str, Ranges], ...]  # claimed path -> its line ranges (none for a bare path)
    verify_args: tuple[str, ...]  # the arguments after ``reviewvet``


@dataclass(frozen=True)
class FloorRun:
    git_wall: float
    git_cpu: float
    interpreter_wall: float
    interpreter_cpu: float
    git_processes: int
    blamed_files: int
    blamed_ranges: int

    @property
    def wall(self) -> float:
        return self.git_wall + self.interpreter_wall

    @property
    def cpu(self) -> float:
        return self.git_cpu + self.interpreter_cpu


@dataclass(frozen=True)
class ChildRun:
    """One child process: wall and CPU seconds, peak resident memory, and how it ended."""

    wall: float
    cpu: float
    peak_kib: int | None  # None when it was killed: nothing reported its rusage
    exit_code: int | None
    timed_out: bool
    stderr: str

    @property
    def ok(self) -> bool:
        return not self.timed_out and self.exit_code == 0

    def status(self, timeout: float) -> str:
        if self.timed_out:
            return f"timeout after {timeout:g} s"
        if self.exit_code != 0:
            last = (self.stderr.strip().splitlines() or [""])[-1][:200]
            return f"failed: exit {self.exit_code}: {last}"
        return "ok"


@dataclass(frozen=True)
class Measurement:
    floors: tuple[FloorRun, ...]
    cold: tuple[ChildRun, ...]
    warm: tuple[ChildRun, ...]
    timeout: float


# -- the claims ---------------------------------------------------------------------------------


def claimed_ranges(review: Review) -> tuple[tuple[str, Ranges], ...]:
    """Every path the review's findings (agents' own included) reference, with the line ranges claimed."""
    ranges: dict[str, set[tuple[int, int]]] = {}
    for finding in review.all_findings():
        for ref in finding.references:
            if not ref.path or "\n" in ref.path:  # a batch request is one line
                continue
            spans = ranges.setdefault(ref.path, set())
            if ref.start is not None and ref.start > 0:
                spans.add((ref.start, max(ref.start, ref.end if ref.end is not None else ref.start)))
    return tuple((path, tuple(sorted(spans))) for path, spans in sorted(ranges.items()))


def clip(ranges: Ranges, lines: int) -> Ranges:
    """``ranges`` inside a file of ``lines`` lines, overlapping and touching ones merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((s, min(e, lines)) for s, e in ranges if s <= lines):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


# -- the floor ----------------------------------------------------------------------------------


def run_floor(target: Target) -> FloorRun:
    """The floor once: the git processes in turn, then the bare interpreter start."""
    before = _children_cpu()
    walls: list[float] = []
    merge_base = _git(target.repo, ["merge-base", "--end-of-options", target.head, target.base], walls).decode().strip()
    if not merge_base:
        raise UsageError(f"head {target.head!r} and base {target.base!r} share no history: no merge base",
                         field="base")
    requests = [f"{rev}:{path}\n" for path, _ in target.claims for rev in (target.head, merge_base)]
    batch = _git(target.repo, ["cat-file", "--batch"], walls, "".join(requests).encode())
    at_head = head_lines(batch, [path for path, _ in target.claims])
    blames = [(path, clip(ranges, at_head[path])) for path, ranges in target.claims if path in at_head]
    blames = [(path, ranges) for path, ranges in blames if ranges]
    for path, ranges in blames:
        spans = [arg for start, end in ranges for arg in ("-L", f"{start},{end}")]
        _git(target.repo, ["blame", "--porcelain", "--no-ignore-revs-file", "--no-textconv", *BLAME_OPTIONS,
                           *spans, f"{merge_base}..{target.head}", "--", path], walls)
    git_cpu = _children_cpu() - before
    bare = run_child([sys.executable, "-c", "pass"], dict(os.environ), None, 60.0)
    return FloorRun(sum(walls), git_cpu, bare.wall, bare.cpu, len(walls), len(blames),
                    sum(len(r) for _, r in blames))


def _git(repo: Path, args: list[str], walls: list[float], stdin: bytes | None = None) -> bytes:
    """Run one git process (its wall time appended to ``walls``); its standard output."""
    argv = ["git", "--no-pager", "-C", str(repo), *args]
    started = time.perf_counter()
    proc = subprocess.run(argv, input=stdin, capture_output=True, env=_git_env(), check=False)
    walls.append(time.perf_counter() - started)
    if proc.returncode != 0 and args[0] != "merge-base":  # no merge base is an answer, reported by the caller
        raise GitError(f"git {args[0]} failed in {str(repo)!r}: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout


def head_lines(batch: bytes, paths: list[str]) -> dict[str, int]:
    """Lines of each of ``paths`` found at head, from the ``cat-file --batch`` answer to the
    requests head:path, merge-base:path for each path in turn."""
    found: dict[str, int] = {}
    pos = 0
    for index in range(2 * len(paths)):
        end = batch.index(b"\n", pos)
        header = batch[pos:end].rsplit(b" ", 2)
        pos = end + 1
        if len(header) != 3 or header[1] not in _OBJECT_TYPES or not header[2].isdigit():
            continue  # "<request> missing" (or ambiguous): no such file there
        data = batch[pos:pos + int(header[2])]
        pos += len(data) + 1
        if index % 2 == 0 and header[1] == b"blob":
            found[paths[index // 2]] = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    return found


def _git_env() -> dict[str, str]:
    """The caller's environment without GIT_* variables that would point git elsewhere; no optional locks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_NO_REPLACE_OBJECTS="1", LC_ALL="C")
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- child processes ----------------------------------------------------------------------------


# A process's peak memory (ru_maxrss) starts from what it held before exec: a child forked from
# this process (hundreds of MiB inside a test run, or holding a generated repository) would
# report this process's size. So each measured command is started by a small interpreter of its
# own (the starter), which times it, waits for it and prints its rusage as one JSON line.
STARTER = """\
import json, os, sys, time
started = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
print(json.dumps([wall, os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss]))
"""


def run_child(argv: list[str], env: dict[str, str], cwd: Path | None, timeout: float) -> ChildRun:
    """Run ``argv`` (``argv[0]`` a full path) to its end, or kill its process group after ``timeout``
    seconds; what it cost, as the starter measured it."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen([sys.executable, "-c", STARTER, *argv], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=errors, env=env, cwd=cwd, start_new_session=True)
        timed_out = False
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:  # on Ctrl-C too: the starter leads its own session and would outlive the benchmark
            if proc.returncode is None:
                _kill_group(proc.pid)
                out, _ = proc.communicate()
        errors.seek(0)
        stderr = errors.read()[-4000:].decode("utf-8", "replace")
    if timed_out:
        return ChildRun(float(timeout), 0.0, None, None, True, stderr)
    try:
        wall, code, cpu, maxrss = json.loads(out)
    except ValueError:  # the starter itself failed (the command could not be started): its message says why
        return ChildRun(0.0, 0.0, None, proc.returncode or 1, False, stderr)
    peak = maxrss // (KIB if sys.platform == "darwin" else 1)  # bytes on macOS, KiB on Linux
    return ChildRun(wall, cpu, peak, code, False, stderr)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # the starter leads its own session: the command and its git go too
    except ProcessLookupError:  # it ended just now
        pass


def verify_once(target: Target, cache: Path, cwd: Path, timeout: float) -> ChildRun:
    """``reviewvet verify`` once, with its parse cache in ``cache``."""
    env = dict(os.environ, REVIEWVET_CACHE_DIR=str(cache), NO_COLOR="1")
    return run_child([sys.executable, "-c", ENTRY, *target.verify_args], env, cwd, timeout)


def measure(target: Target, runs: int, timeout: float, scratch: Path) -> Measurement:
    """``runs`` rounds of floor, cold verify (a new empty cache) and warm verify (the same command again).

    A first floor, not counted, brings the repository's objects and the interpreter into the file
    cache. A verify that times out or fails ends the rounds: its status is reported.
    """
    run_floor(target)
    floors: list[FloorRun] = []
    cold: list[ChildRun] = []
    warm: list[ChildRun] = []
    for round_ in range(runs):
        floors.append(run_floor(target))
        cache = scratch / f"cache-{round_}"
        cache.mkdir(parents=True)
        cold.append(verify_once(target, cache, scratch, timeout))
        if not cold[-1].ok:
            break
        warm.append(verify_once(target, cache, scratch, timeout))
        if not warm[-1].ok:
            break
    return Measurement(tuple(floors), tuple(cold), tuple(warm), timeout)


# -- figures ------------------------------------------------------------------------------------


def summary(m: Measurement) -> dict[str, Any]:
    """Medians of the floor and of cold and warm verify, their peak memory, and the ratios to the floor."""
    floor = _floor_summary(m.floors)
    cold, warm = _child_summary(m.cold, m.timeout), _child_summary(m.warm, m.timeout)
    return {
        "rounds": len(m.floors),
        "floor": floor,
        "cold": cold,
        "warm": warm,
        "ratios": {
            "cold_over_floor": ratio(cold["wall_seconds"], floor["wall_seconds"]),
            "warm_over_floor": ratio(warm["wall_seconds"], floor["wall_seconds"]),
            "warm_cpu_over_floor_cpu": ratio(warm["cpu_seconds"], floor["cpu_seconds"]),
        },
    }


def _floor_summary(floors: tuple[FloorRun, ...]) -> dict[str, Any]:
    first = floors[0]
    return {
        "wall_seconds": statistics.median(f.wall for f in floors),
        "cpu_seconds": statistics.median(f.cpu for f in floors),
        "git_wall_seconds": statistics.median(f.git_wall for f in floors),
        "git_cpu_seconds": statistics.median(f.git_cpu for f in floors),
        "interpreter_wall_seconds": statistics.median(f.interpreter_wall for f in floors),
        "interpreter_cpu_seconds": statistics.median(f.interpreter_cpu for f in floors),
        "git_processes": first.git_processes,
        "blamed_files": first.blamed_files,
        "blamed_ranges": first.blamed_ranges,
        "blame_options": " ".join(BLAME_OPTIONS),
    }


def _child_summary(runs: tuple[ChildRun, ...], timeout: float) -> dict[str, Any]:
    """Medians of the runs that ended well; the status of the first that did not; the peak of all that ended."""
    good = [r for r in runs if r.ok]
    bad = next((r for r in runs if not r.ok), None)
    peaks = [r.peak_kib for r in runs if r.peak_kib is not None]
    return {
        "runs": len(good),
        "status": bad.status(timeout) if bad is not None else ("ok" if runs else "not run"),
        "wall_seconds": statistics.median(r.wall for r in good) if good else None,
        "cpu_seconds": statistics.median(r.cpu for r in good) if good else None,
        "peak_rss_mib": max(peaks) / KIB if peaks else None,
    }


def ratio(value: float | None, to: float | None) -> float | None:
    return value / to if value is not None and to else None


def target(name: str, value: float | None, limit: float, unit: str, *, strict: bool = False) -> dict[str, Any]:
    """A target: ``value`` at most ``limit`` (under it when ``strict``); missed when there is no value."""
    met = value is not None and (value < limit if strict else value <= limit)
    return {"name": name, "value": value, "limit": limit, "unit": unit, "met": met}


def verdict(t: dict[str, Any]) -> str:
    return "PASS" if t["met"] else "MISS"

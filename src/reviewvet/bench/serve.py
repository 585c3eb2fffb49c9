"""``reviewvet bench serve``: a bounded load run against ``reviewvet serve`` on loopback.

The server runs as its own process (``python -m reviewvet.cli serve --port 0``, one repository,
a bearer token), is warmed with one request of each kind, then N client threads (keep-alive
connections of the standard library) send requests back to back for T seconds:

- ``claims:check`` of one claim (the first located quote of the review), warm;
- ``verify`` of the whole review (JSON), warm.

Each reports throughput, p50/p95/p99 latency and errors. The baseline is the same work through
the command line, one process per request (``reviewvet verify CLAIMS.json`` for the claim,
``reviewvet verify REVIEW`` for the review), measured in the same run. Targets (2 cores):
claims:check p50 <= 20 ms and p99 <= 100 ms at 8 clients, with no error.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewvet.errors import ReviewInputError, UsageError

MAX_CLIENTS = 64
MAX_SECONDS = 120.0
CLAIM_P50_MS, CLAIM_P99_MS = 20.0, 100.0
_LISTENING = re.compile(r"on http://(?P<host>[^:/\s]+):(?P<port>\d+)")
START_SECONDS = 60.0


@dataclass
class Load:
    """What the clients of one load run saw."""

    latencies: list[float] = field(default_factory=list)  # seconds, of the requests that succeeded
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def figures(self) -> dict[str, Any]:
        done = sorted(self.latencies)
        return {"requests": len(done), "errors": sum(self.errors.values()), "error_kinds": dict(self.errors),
                "throughput_per_second": round(len(done) / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": _ms(_quantile(done, 0.50)), "p95_ms": _ms(_quantile(done, 0.95)),
                "p99_ms": _ms(_quantile(done, 0.99))}


@dataclass(frozen=True)
class Workload:
    repo: Path
    review: Path
    head: str
    base: str | None
    claim: dict[str, Any]


def bench_serve(repo: Path, review: Path, head: str, base: str | None, *, clients: int, seconds: float,
                cli_runs: int) -> dict[str, Any]:
    """Load the service with ``clients`` clients for ``seconds`` per request kind; the CLI baseline too."""
    import tempfile

    if not 1 <= clients <= MAX_CLIENTS or not 0 < seconds <= MAX_SECONDS or cli_runs < 1:
        raise UsageError(f"bench serve: --clients 1-{MAX_CLIENTS}, --seconds up to {MAX_SECONDS:g} "
                         "and --cli-runs 1 or more")
    with tempfile.TemporaryDirectory(prefix="reviewvet-bench-serve-") as scratch:
        work = workload(repo, review, head, base)
        token = secrets.token_urlsafe(24)
        token_file = Path(scratch) / "token"
        token_file.write_text(token + "\n", encoding="utf-8")
        cache = Path(scratch) / "cache"
        with _server(work.repo, token_file, cache) as (port, pid):
            client = Client(port, token)
            bodies = _bodies(work)
            try:
                for route, body in bodies.items():  # warm: the first request of each kind opens the workspace
                    client.post(route, body)
            finally:
                client.close()
            loads = {route: run_load(port, token, route, body, clients, seconds) for route, body in bodies.items()}
            peak = _peak_mib(pid)
        baseline = cli_baseline(work, Path(scratch), cache, cli_runs)
    return _report(work, clients, seconds, loads, baseline, peak)


def workload(repo: Path, review: Path, head: str, base: str | None) -> Workload:
    """The review and its first located quote as the claim to check."""
    from reviewvet.api import load_review

    parsed = load_review(review)
    for finding in parsed.all_findings():
        quotes = [b for b in finding.blocks if b.role == "evidence" and b.claimed]
        located = [r for r in finding.references if r.path and r.start]
        if quotes and located:
            ref = located[0]
            claim = {"path": ref.path, "start": ref.start, "end": ref.end or ref.start,
                     "quote": "\n".join(quotes[0].claimed)}
            return Workload(repo.resolve(), review.resolve(), head, base, claim)
    raise ReviewInputError(f"review {str(review)!r} has no finding with a located quote to check as a claim")


def _bodies(work: Workload) -> dict[str, dict[str, Any]]:
    common = {"repository": "bench", "head": work.head, "base": work.base}
    return {"/v1/claims:check": common | {"claims": [work.claim]},
            "/v1/verify": common | {"review": work.review.read_text(encoding="utf-8"), "format": "json"}}


# -- the server ------------------------------------------------------------------------------------


class _server:
    """``reviewvet serve`` in a child process on a free loopback port; stopped with SIGTERM on exit."""

    def __init__(self, repo: Path, token_file: Path, cache: Path) -> None:
        self.command = [sys.executable, "-m", "reviewvet.cli", "serve", "--repo", f"bench={repo}",
                        "--token-file", str(token_file), "--host", "127.0.0.1", "--port", "0",
                        "--cache-dir", str(cache)]
        self.process: subprocess.Popen[str] | None = None
        self.drain: threading.Thread | None = None

    def __enter__(self) -> tuple[int, int]:
        self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        assert self.process.stderr is not None
        try:
            port = _wait_for_port(self.process, self.process.stderr)
        except BaseException:
            self.__exit__()
            raise
        self.drain = threading.Thread(target=self.process.stderr.read, daemon=True)  # keep the pipe drained
        self.drain.start()
        return port, self.process.pid

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.drain is not None:
            self.drain.join(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()


def _wait_for_port(process: subprocess.Popen[str], stderr: Any) -> int:
    deadline = time.monotonic() + START_SECONDS
    said: list[str] = []
    while time.monotonic() < deadline:
        line = stderr.readline()
        if not line:
            break
        said.append(line.rstrip())
        match = _LISTENING.search(line)
        if match:
            return int(match["port"])
    raise UsageError("bench serve: the server did not start: " + (" | ".join(said[-5:]) or "no output"))


def _peak_mib(pid: int) -> float:
    """The server's peak resident memory (VmHWM), or 0 when the system does not say."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0.0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return round(int(match[1]) / 1024, 1) if match else 0.0


# -- the clients -----------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection to the service."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=MAX_SECONDS)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def close(self) -> None:
        self.connection.close()

    def post(self, route: str, body: dict[str, Any]) -> tuple[int, bytes]:
        self.connection.request("POST", route, json.dumps(body), self.headers)
        reply = self.connection.getresponse()
        return reply.status, reply.read()


def run_load(port: int, token: str, route: str, body: dict[str, Any], clients: int, seconds: float) -> Load:
    """``clients`` threads posting ``body`` to ``route`` back to back until ``seconds`` have passed."""
    load = Load()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at: list[float] = []

    def client() -> None:
        connection = Client(port, token)
        start.wait()
        while time.monotonic() < stop_at[0]:
            began = time.perf_counter()
            outcome = _attempt(connection, route, body)
            took = time.perf_counter() - began
            with lock:
                if outcome == "ok":
                    load.latencies.append(took)
                else:
                    load.errors[outcome] = load.errors.get(outcome, 0) + 1
            if outcome.startswith("connection"):
                connection.close()
                connection = Client(port, token)
        connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    stop_at.append(time.monotonic() + seconds)
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + MAX_SECONDS)
    load.seconds = time.perf_counter() - began
    return load


def _attempt(connection: Client, route: str, body: dict[str, Any]) -> str:
    try:
        status, _ = connection.post(route, body)
    except (OSError, http.client.HTTPException) as exc:
        return f"connection: {type(exc).__name__}"
    return "ok" if status == 200 else f"HTTP {status}"


# -- the baseline: one process per request ---------------------------------------------------------


def cli_baseline(work: Workload, scratch: Path, cache: Path, runs: int) -> dict[str, Any]:
    """Median wall time of ``reviewvet verify`` per request: the claim as a claims file, and the review."""
    claims = scratch / "claim.json"
    from reviewvet.service.core import claims_document

    claims.write_text(json.dumps(claims_document([work.claim])), encoding="utf-8")
    env = os.environ | {"REVIEWVET_CACHE_DIR": str(cache)}
    common = ["--repo", str(work.repo), "--head", work.head, "--format", "json"]
    common += ["--base", work.base] if work.base else []
    commands: dict[str, list[str]] = {
        "/v1/claims:check": [sys.executable, "-m", "reviewvet.cli", "verify", str(claims), *common],
        "/v1/verify": [sys.executable, "-m", "reviewvet.cli", "verify", str(work.review), *common]}
    return {route: _median_run(command, env, runs) for route, command in commands.items()}


def _median_run(command: list[str], env: dict[str, str], runs: int) -> dict[str, Any]:
    times = []
    for _ in range(runs + 1):  # the first run warms the parse cache and is not counted
        began = time.perf_counter()
        proc = subprocess.run(command, env=env, capture_output=True, check=False, timeout=MAX_SECONDS * 5)
        if proc.returncode not in (0, 1):
            raise UsageError(f"bench serve: the CLI baseline failed: {proc.stderr.decode('utf-8', 'replace')[-300:]}")
        times.append(time.perf_counter() - began)
    return {"runs": runs, "median_ms": _ms(statistics.median(times[1:]))}


# -- the report ------------------------------------------------------------------------------------


def _report(work: Workload, clients: int, seconds: float, loads: dict[str, Load], baseline: dict[str, Any],
            peak_mib: float) -> dict[str, Any]:
    routes = {route: load.figures() | {"cli_median_ms": baseline[route]["median_ms"],
                                       "cli_over_service_p50": _ratio(baseline[route]["median_ms"],
                                                                      load.figures()["p50_ms"])}
              for route, load in loads.items()}
    claim = routes["/v1/claims:check"]
    checks: list[tuple[str, bool]] = [
        (f"claims:check p50 {claim['p50_ms']} ms <= {CLAIM_P50_MS:g} ms", claim["p50_ms"] <= CLAIM_P50_MS),
        (f"claims:check p99 {claim['p99_ms']} ms <= {CLAIM_P99_MS:g} ms", claim["p99_ms"] <= CLAIM_P99_MS),
        ("no errors", all(r["errors"] == 0 for r in routes.values())),
    ]
    if clients != 8:
        checks.append(("the targets are stated for 8 clients", False))
    return {"repository": str(work.repo), "review": str(work.review), "head": work.head, "base": work.base,
            "claim": work.claim, "clients": clients, "seconds": seconds, "routes": routes,
            "server_peak_mib": peak_mib,
            "targets": [{"target": name, "met": met} for name, met in checks]}


def format_report(figures: dict[str, Any]) -> str:
    rows = [f"reviewvet serve under load: {figures['clients']} clients, {figures['seconds']:g} s per route "
            f"(server peak {figures['server_peak_mib']} MiB)",
            f"{'route':18} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} "
            f"{'CLI ms':>8} {'CLI/p50':>8}"]
    for route, r in figures["routes"].items():
        rows.append(f"{route:18} {r['throughput_per_second']:>8} {r['p50_ms']:>8} {r['p95_ms']:>8} "
                    f"{r['p99_ms']:>8} {r['errors']:>7} {r['cli_median_ms']:>8} {r['cli_over_service_p50']:>7}x")
    rows += [f"{'PASS' if t['met'] else 'MISS'}  {t['target']}" for t in figures["targets"]]
    return "\n".join(rows)


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(q * len(values)))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _ratio(a: float, b: float) -> float:
    return round(a / b, 1) if b else 0.0


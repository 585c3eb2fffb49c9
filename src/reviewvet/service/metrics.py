"""What ``GET /metrics`` says, in the Prometheus text exposition format 0.0.4, written by hand.

Two sources: ``HttpMetrics``, which the HTTP layer feeds (requests by route, method and status
code; a latency histogram per route; requests at work now; requests refused with 429), and the
service itself (the workspace pool's hits, misses, evictions and open workspaces; git processes
and their seconds; calls, errors and seconds by operation). Routes are the route templates
(``/v1/repos/{name}:fetch``), never the paths asked for, so the label values stay few.

Every sample line is ``name{label="value",...} number``; label values escape backslash, double
quote and newline; each family starts with its ``# HELP`` and ``# TYPE`` lines.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewvet.service.core import Service

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Upper bounds of the latency buckets, in seconds: a warm claim check takes milliseconds, a cold verify seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

Labels = tuple[tuple[str, str], ...]


@dataclass
class Histogram:
    """Observations counted per bucket (not yet cumulative), with their sum."""

    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: int = 0
    seconds: float = 0.0

    def observe(self, seconds: float) -> None:
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1
                break
        self.total += 1
        self.seconds += seconds


@dataclass
class HttpMetrics:
    """What the HTTP layer counts; thread-safe."""

    requests: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (route, method, code) -> count
    latency: dict[str, Histogram] = field(default_factory=dict)  # route -> histogram

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    def observe(self, route: str, method: str, code: str, seconds: float) -> None:
        with self.lock:
            key = (route, method, code)
            self.requests[key] = self.requests.get(key, 0) + 1
            self.latency.setdefault(route, Histogram()).observe(seconds)


@dataclass(frozen=True)
class Family:
    """One metric: its name, type, help text and samples (labels, value)."""

    name: str
    kind: str  # counter, gauge or histogram
    help: str
    samples: tuple[tuple[str, Labels, float], ...]  # (suffix, labels, value)

    def lines(self) -> Iterator[str]:
        yield f"# HELP {self.name} {_escape_help(self.help)}"
        yield f"# TYPE {self.name} {self.kind}"
        for suffix, labels, value in self.samples:
            yield f"{self.name}{suffix}{_labels(labels)} {_number(value)}"


def exposition(http: HttpMetrics, service: Service, *, in_flight: int, refused: int) -> str:
    """The whole ``/metrics`` page."""
    families = [*_http_families(http, in_flight, refused), *_service_families(service)]
    return "".join(line + "\n" for family in families for line in family.lines())


# -- the families --------------------------------------------------------------------------------


def _http_families(http: HttpMetrics, in_flight: int, refused: int) -> list[Family]:
    with http.lock:
        requests = sorted(http.requests.items())
        latency = sorted((route, Histogram(list(h.counts), h.total, h.seconds)) for route, h in http.latency.items())
    return [
        Family("reviewvet_http_requests_total", "counter",
               "HTTP requests answered, by route template, method and status code ('none': no answer was sent)",
               tuple(("", (("route", r), ("method", m), ("code", c)), n) for (r, m, c), n in requests)),
        Family("reviewvet_http_request_duration_seconds", "histogram",
               "Time from a request's arrival to its answer, by route template",
               tuple(s for route, h in latency for s in _histogram_samples(route, h))),
        Family("reviewvet_http_requests_in_flight", "gauge",
               "API requests at work now (those counted against max_concurrency, timed-out work included)",
               (("", (), in_flight),)),
        Family("reviewvet_http_requests_refused_total", "counter",
               "API requests refused with 429 because max_concurrency requests were at work",
               (("", (), refused),)),
    ]


def _histogram_samples(route: str, h: Histogram) -> Iterator[tuple[str, Labels, float]]:
    cumulative = 0
    for bound, count in zip(BUCKETS, h.counts, strict=True):
        cumulative += count
        yield "_bucket", (("route", route), ("le", _number(bound))), cumulative
    yield "_bucket", (("route", route), ("le", "+Inf")), h.total
    yield "_sum", (("route", route),), h.seconds
    yield "_count", (("route", route),), h.total


def _service_families(service: Service) -> list[Family]:
    stats = service.pool.stats
    c = service.counters
    with c.lock:
        calls, errors, seconds = dict(c.calls), dict(c.errors), dict(c.seconds)
        git_processes, git_seconds = c.git_processes, c.git_seconds
    return [
        _single("reviewvet_pool_hits_total", "counter", "Requests served by a workspace already open", stats.hits),
        _single("reviewvet_pool_misses_total", "counter", "Requests that opened a workspace", stats.misses),
        _single("reviewvet_pool_evictions_total", "counter", "Idle workspaces closed to stay within the limits",
                stats.evictions),
        _single("reviewvet_pool_workspaces_open", "gauge", "Workspaces open now", stats.open),
        _single("reviewvet_git_processes_total", "counter", "git processes the operations started",
                git_processes),
        _single("reviewvet_git_seconds_total", "counter", "Seconds spent in the git processes the operations started",
                git_seconds),
        _by_operation("reviewvet_operations_total", "counter", "Service operations run, by operation", calls),
        _by_operation("reviewvet_operation_errors_total", "counter", "Service operations that failed, by operation",
                      errors),
        _by_operation("reviewvet_operation_seconds_total", "counter", "Seconds spent in service operations",
                      seconds),
    ]


def _single(name: str, kind: str, help: str, value: float) -> Family:
    return Family(name, kind, help, (("", (), value),))


def _by_operation(name: str, kind: str, help: str, values: Mapping[str, float]) -> Family:
    return Family(name, kind, help, tuple(("", (("operation", op),), v) for op, v in sorted(values.items())))


# -- the text format -----------------------------------------------------------------------------


def _labels(labels: Iterable[tuple[str, str]]) -> str:
    text = ",".join(f'{name}="{_escape_label(value)}"' for name, value in labels)
    return "{" + text + "}" if text else ""


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    """Integers without a point, floats as Python writes them (``0.005``, ``1e-07``), and Prometheus's infinities."""
    if isinstance(value, int) or (math.isfinite(value) and value == int(value) and abs(value) < 2 ** 53):
        return str(int(value))
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))

"""Real servers for the HTTP tests: uvicorn in a thread of the test process (``running``), or
``reviewvet serve`` as a process (``ServeProcess``), each on 127.0.0.1 at a free port, spoken to
with httpx."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from demo import DemoRepo
from reviewvet.service.config import Limits, Repository, ServiceConfig, Token
from reviewvet.service.core import Service

ROOT = Path(__file__).resolve().parents[2]
DEMO_REVIEW = ROOT / "fixtures" / "reviews" / "demo-review.md"

FULL_TOKEN = "full-access-token-0123456789"
OTHER_TOKEN = "other-only-token-9876543210"  # may see the repository "other" only
SERVING = re.compile(r"^reviewvet: serving (\d+) repositor(?:y|ies) on http://127\.0\.0\.1:(\d+) \(docs: /docs\)$")

# A line of the Prometheus text format 0.0.4: a comment, or name{labels} value.
SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)'
                    r'(?:\{(?P<labels>(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")'
                    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)?\})?'
                    r' (?P<value>[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|Inf|NaN))$')
COMMENT = re.compile(r"^# (?:HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* "
                     r"(?:counter|gauge|histogram|summary|untyped))$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def claim(**fields: Any) -> dict[str, Any]:
    """A claim about the demo's budget.go (its refill, lines 58-62 at the pull request's head)."""
    return {"path": "agent/internal/retry/budget.go", "start": 58, "end": 62, "quote": "b.last = now"} | fields


def config(demo: DemoRepo, *, tokens: tuple[Token, ...] = (), limits: Limits | None = None, **extra: Repository
           ) -> ServiceConfig:
    repositories = {"beacon": Repository("beacon", demo.path), "other": Repository("other", demo.path)} | extra
    return ServiceConfig(repositories, tokens, limits or Limits())


@contextmanager
def running(service: Service, mcp_app: Any = None) -> Iterator[str]:
    """``service`` served by uvicorn in a thread of this process; its base URL. The service is closed after."""
    from reviewvet.cli.serve import listen, uvicorn_server
    from reviewvet.service.http import create_app

    server = uvicorn_server(create_app(service, mcp_app=mcp_app))
    with listen("127.0.0.1", 0) as sock:
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            thread.join(15)
            service.close()
    assert not thread.is_alive()


@dataclass
class ServeProcess:
    """``reviewvet serve ARGS --port 0`` as a process; ``url`` once it said where it listens."""

    args: list[str]
    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    url: str = ""
    proc: subprocess.Popen[bytes] | None = None

    @property
    def stderr(self) -> str:
        return (self.folder / "serve.stderr").read_text("utf-8", "replace")

    def start(self) -> ServeProcess:
        with open(self.folder / "serve.stderr", "wb") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "reviewvet.cli", "serve", *self.args, "--port", "0"],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                         env=os.environ | self.env)
        deadline = time.monotonic() + 30
        while not self.url:
            match = next((m for m in map(SERVING.match, self.stderr.splitlines()) if m), None)
            if match:
                self.url = f"http://127.0.0.1:{match[2]}"
            elif self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"reviewvet serve did not start: {self.stderr}")
            else:
                time.sleep(0.02)
        return self

    def terminate(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 40) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[Any]:
    """Start ``reviewvet serve`` with the arguments given (stopped at the end of the test)."""
    started: list[ServeProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ServeProcess:
        process = ServeProcess(list(args), tmp_path, env or {})
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="module")
def api(demo_repo: DemoRepo) -> Iterator[str]:
    """The demo repository served as "beacon" (and as "other"), with two tokens: FULL_TOKEN sees both,
    OTHER_TOKEN only "other". Small limits: 64 KiB bodies, 50 claims or findings."""
    tokens = (Token(FULL_TOKEN), Token(OTHER_TOKEN, frozenset({"other"})))
    service = Service(config(demo_repo, tokens=tokens, limits=Limits(max_body_bytes=64 * 1024, max_findings=50,
                                                                     timeout_seconds=60)))
    with running(service) as url:
        yield url


@pytest.fixture
def client(api: str) -> Iterator[httpx.Client]:
    """A client of ``api`` that sends FULL_TOKEN."""
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {FULL_TOKEN}"}, timeout=60) as c:
        yield c


def parse_metrics(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a /metrics page by name and labels; AssertionError on any line the format does not allow."""
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("#"):
            assert COMMENT.match(line), line
            continue
        match = SAMPLE.match(line)
        assert match, line
        labels = frozenset(LABEL.findall(match["labels"] or ""))
        key = (match["name"], labels)
        assert key not in samples, f"sample given twice: {line}"
        samples[key] = float(match["value"])
    return samples


def metric(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def free_port_refuses(url: str) -> bool:
    """Whether a connection to ``url``'s port is refused."""
    host, port = url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


SLOW_CLAIMS = 500  # a claims check this big takes a second or more: long enough to be seen at work


@dataclass
class Background:
    """A request sent from a thread; ``response`` once it is answered."""

    thread: threading.Thread
    answers: list[httpx.Response | BaseException]

    @property
    def response(self) -> httpx.Response:
        self.thread.join(120)
        answer = self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def send_slow_check(url: str, head: str, headers: dict[str, str] | None = None) -> Background:
    """A claims check of SLOW_CLAIMS claims, sent from a thread."""
    body = {"repository": "beacon", "head": head,
            "claims": [claim(quote=f"b.last = now // {i}") for i in range(SLOW_CLAIMS)]}
    answers: list[httpx.Response | BaseException] = []

    def send() -> None:
        try:
            answers.append(httpx.post(url + "/v1/claims:check", json=body, headers=headers, timeout=120))
        except BaseException as exc:  # handed to the test by Background.response
            answers.append(exc)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return Background(thread, answers)


def in_flight(url: str, headers: dict[str, str] | None = None) -> float:
    samples = parse_metrics(httpx.get(url + "/metrics", headers=headers, timeout=10).text)
    return metric(samples, "reviewvet_http_requests_in_flight")


def wait_for(predicate: Any, timeout: float = 20, step: float = 0.01) -> bool:
    """Whether ``predicate()`` came true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def hold_slow_check(url: str, head: str, headers: dict[str, str] | None = None, tries: int = 3) -> Background:
    """A slow claims check seen at work (in flight) in /metrics; sent again when it ended before being seen."""
    for _ in range(tries):
        slow = send_slow_check(url, head, headers)
        if wait_for(partial(_at_work_or_done, url, headers, slow)) and slow.thread.is_alive():
            return slow
        slow.thread.join()
    raise AssertionError(f"a check of {SLOW_CLAIMS} claims was never seen at work")


def _at_work_or_done(url: str, headers: dict[str, str] | None, slow: Background) -> bool:
    return in_flight(url, headers) >= 1 or not slow.thread.is_alive()

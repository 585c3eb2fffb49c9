"""``reviewvet serve`` as a process: its start line, its refusals, 429 under load, background fetches and
a graceful shutdown on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from demo import DemoRepo
from reviewvet.cli import main
from reviewvet.cli.serve import NEEDS_EXTRA, is_loopback
from tests.service.conftest import (SLOW_CLAIMS, claim, free_port_refuses, hold_slow_check, in_flight, metric,
                                    parse_metrics, wait_for)


def serve_yaml(folder: Path, text: str) -> str:
    path = folder / "serve.yaml"
    path.write_text(textwrap.dedent(text), "utf-8")
    return str(path)


def test_the_help_names_the_routes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["serve", "--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    for words in ("POST /v1/verify", "POST /v1/claims:check", "GET  /metrics", "--token-file", "--port", "/docs",
                  "exits 0"):
        assert words in out


def test_without_a_token_only_loopback_is_served(demo_repo: DemoRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--repo", f"beacon={demo_repo.path}", "--host", "0.0.0.0"]) == 2
    assert "'0.0.0.0' is not a loopback address: serving it needs a token" in capsys.readouterr().err
    assert [is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "localhost")] == [True] * 4
    assert [is_loopback(h) for h in ("0.0.0.0", "::", "192.0.2.1")] == [False] * 3


def test_bad_options_are_exit_2(demo_repo: DemoRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve"]) == 2
    assert "no repository to serve" in capsys.readouterr().err
    assert main(["serve", "--repo", f"beacon={tmp_path / 'nowhere'}"]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["serve", "--repo", f"beacon={demo_repo.path}", "--port", "70000"]) == 2
    assert "--port 70000" in capsys.readouterr().err


def test_a_port_in_use_is_exit_2(demo_repo: DemoRepo, serve_process: Any, capsys: pytest.CaptureFixture[str]) -> None:
    server = serve_process("--repo", f"beacon={demo_repo.path}")
    port = server.url.rsplit(":", 1)[1]
    assert main(["serve", "--repo", f"beacon={demo_repo.path}", "--port", port]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_without_the_service_extra_serve_says_what_to_install(demo_repo: DemoRepo) -> None:
    """The service core and the command line import without FastAPI; serve then exits 2 naming the extra."""
    probe = textwrap.dedent(f"""
        import importlib.abc, sys

        class Missing(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {{"fastapi", "uvicorn", "starlette", "mcp"}}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None

        sys.meta_path.insert(0, Missing())
        import reviewvet.service.core, reviewvet.service.config, reviewvet.service.auth, reviewvet.service.pool
        from reviewvet.cli import main
        sys.exit(main(["serve", "--repo", "beacon={demo_repo.path}"]))
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"reviewvet: error: {NEEDS_EXTRA}\n"


def test_one_request_past_max_concurrency_is_429(demo_repo: DemoRepo, tmp_path: Path, serve_process: Any) -> None:
    config = serve_yaml(tmp_path, f"""
        repositories:
          beacon: {demo_repo.path}
        limits:
          max_concurrency: 1
    """)
    server = serve_process("--config", config)
    url = server.url
    quick = {"repository": "beacon", "head": demo_repo.head_sha, "claim": claim()}
    assert httpx.post(url + "/v1/claims:check", json=quick, timeout=30).status_code == 200  # warm
    slow = hold_slow_check(url, demo_repo.head_sha)
    refused = httpx.post(url + "/v1/claims:check", json=quick, timeout=30)
    also = httpx.get(url + "/v1/symbols", params={"repository": "beacon", "name": "Budget"}, timeout=30)
    assert slow.thread.is_alive()
    assert refused.status_code == also.status_code == 429, refused.text
    assert refused.headers["retry-after"] == "1" and refused.json()["type"] == "urn:reviewvet:problem:busy"
    assert httpx.get(url + "/healthz").status_code == 200  # not work: never refused
    assert slow.response.status_code == 200 and len(slow.response.json()["results"]) == SLOW_CLAIMS
    assert wait_for(lambda: in_flight(url) == 0)
    assert httpx.post(url + "/v1/claims:check", json=quick, timeout=30).status_code == 200
    samples = parse_metrics(httpx.get(url + "/metrics").text)
    assert metric(samples, "reviewvet_http_requests_refused_total") == 2
    assert metric(samples, "reviewvet_http_requests_total", code="429") == 2
    assert not [labels for (name, labels), _ in samples.items()
                if name == "reviewvet_http_requests_total" and dict(labels)["code"].startswith("5")]


def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(demo_repo: DemoRepo, tmp_path: Path,
                                                                serve_process: Any) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("# the one token\nshutdown-test-token-0123456789\n", "utf-8")
    server = serve_process("--repo", f"beacon={demo_repo.path}", "--token-file", str(tokens))
    headers = {"Authorization": "Bearer shutdown-test-token-0123456789"}
    mcp = httpx.post(server.url + "/mcp/", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert mcp.status_code == 401  # the MCP server is mounted behind the same tokens
    slow = hold_slow_check(server.url, demo_repo.head_sha, headers)
    server.terminate()
    assert wait_for(lambda: free_port_refuses(server.url), timeout=10)  # no new connection, at once
    assert slow.thread.is_alive()  # ... while the request in flight goes on
    assert slow.response.status_code == 200, slow.response.text
    assert len(slow.response.json()["results"]) == SLOW_CLAIMS
    assert server.wait() == 0
    assert free_port_refuses(server.url)
    assert "Traceback" not in server.stderr and "error" not in server.stderr.lower()


def test_mirrors_with_a_fetch_interval_are_fetched_in_the_background(demo_repo: DemoRepo, tmp_path: Path,
                                                                     serve_process: Any) -> None:
    upstream = tmp_path / "upstream.git"
    mirror = tmp_path / "mirror.git"
    for source, target in ((demo_repo.path, upstream), (upstream, mirror)):
        subprocess.run(["git", "clone", "--quiet", "--bare", str(source), str(target)], check=True)
    subprocess.run(["git", "-C", str(upstream), "update-ref", "refs/heads/moved", demo_repo.base_sha], check=True)
    config = serve_yaml(tmp_path, f"""
        repositories:
          mirror: {{path: {mirror}, fetch: {upstream}, fetch_interval: 10}}
          broken: {{path: {demo_repo.path}, fetch: {tmp_path / 'no-such-remote'}, fetch_interval: 10}}
    """)
    server = serve_process("--config", config)

    def fetched() -> bool:
        samples = parse_metrics(httpx.get(server.url + "/metrics").text)
        return metric(samples, "reviewvet_operations_total", operation="fetch") >= 2

    assert wait_for(fetched, timeout=30, step=0.1)
    moved = subprocess.run(["git", "-C", str(mirror), "rev-parse", "--verify", "--quiet", "refs/heads/moved"],
                           capture_output=True, text=True)
    assert moved.stdout.strip() == demo_repo.base_sha
    assert wait_for(lambda: "fetching 'broken' failed" in server.stderr, timeout=10)
    assert httpx.get(server.url + "/healthz").status_code == 200
    started = time.monotonic()
    server.terminate(signal.SIGINT)  # Ctrl-C: the same graceful stop as SIGTERM
    assert server.wait() == 0
    assert time.monotonic() - started < 5  # the fetch threads stop waiting for their next interval
    assert "Traceback" not in server.stderr and "interrupted" not in server.stderr

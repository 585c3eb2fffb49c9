"""Time limits and the metrics page, on servers of their own."""

from __future__ import annotations

import time

import httpx

from demo import DemoRepo
from reviewvet.service.config import Limits
from reviewvet.service.core import Service
from tests.service.conftest import claim, config, in_flight, metric, parse_metrics, running, send_slow_check, wait_for


def test_work_past_the_timeout_is_504_and_finishes_in_the_background(demo_repo: DemoRepo) -> None:
    service = Service(config(demo_repo, limits=Limits(timeout_seconds=0.3)))
    with running(service) as url:
        started = time.monotonic()
        response = send_slow_check(url, demo_repo.head_sha).response
        assert time.monotonic() - started < 5
        assert response.status_code == 504, response.text
        body = response.json()
        assert body["type"] == "urn:reviewvet:problem:timeout" and "0.3 seconds" in body["detail"]
        assert in_flight(url) == 1  # the abandoned thread is still at work, and still counts
        assert wait_for(lambda: in_flight(url) == 0, timeout=60, step=0.1)
        samples = parse_metrics(httpx.get(url + "/metrics").text)
        assert metric(samples, "reviewvet_operations_total", operation="claims") == 1
        assert metric(samples, "reviewvet_operation_errors_total", operation="claims") == 0
        quick = httpx.post(url + "/v1/claims:check", json={"repository": "beacon", "head": demo_repo.head_sha,
                                                           "claim": claim()})
        assert quick.status_code == 200, quick.text


def test_metrics_parse_and_count_the_requests(demo_repo: DemoRepo) -> None:
    service = Service(config(demo_repo))
    with running(service) as url, httpx.Client(base_url=url) as client:
        check = {"repository": "beacon", "head": demo_repo.head_sha, "base": demo_repo.base_sha, "claim": claim()}
        first = client.post("/v1/claims:check", json=check)
        assert first.status_code == 200
        before = parse_metrics(client.get("/metrics").text)
        again = client.post("/v1/claims:check", json=check)
        after = parse_metrics(client.get("/metrics").text)
        assert again.json() == first.json()
        assert metric(before, "reviewvet_git_processes_total") > 0  # the first check read the repository
        assert metric(after, "reviewvet_git_processes_total") == metric(before, "reviewvet_git_processes_total")
        assert metric(after, "reviewvet_pool_hits_total") == metric(before, "reviewvet_pool_hits_total") + 1
        assert metric(after, "reviewvet_pool_workspaces_open") == 1

        assert client.post("/v1/claims:check", json=check | {"repository": "nosuch"}).status_code == 404
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/callers", params={"repository": "beacon", "symbol": "Send",
                                                 "rev": demo_repo.head_sha}).status_code == 200
        response = client.get("/metrics")
        assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
        samples = parse_metrics(response.text)

    requests = "reviewvet_http_requests_total"
    assert metric(samples, requests, route="/v1/claims:check", method="POST", code="200") == 2
    assert metric(samples, requests, route="/v1/claims:check", method="POST", code="404") == 1
    assert metric(samples, requests, route="/v1/callers", method="GET", code="200") == 1
    assert metric(samples, requests, route="/healthz", code="200") == 1
    assert metric(samples, requests, route="/metrics", code="200") == 2  # the page counts the requests before it
    assert metric(samples, "reviewvet_operations_total", operation="callers") == 1
    assert metric(samples, "reviewvet_http_requests_in_flight") == 0
    assert metric(samples, "reviewvet_http_requests_refused_total") == 0
    histogram = "reviewvet_http_request_duration_seconds"
    for route in ("/v1/claims:check", "/v1/callers", "/healthz"):
        buckets = sorted(((float(dict(labels)["le"]), value) for (name, labels), value in samples.items()
                          if name == histogram + "_bucket" and ("route", route) in labels))
        counts = [value for _, value in buckets]
        assert counts == sorted(counts) and buckets[-1][0] == float("inf")
        assert counts[-1] == metric(samples, histogram + "_count", route=route) == metric(samples, requests,
                                                                                         route=route)
        assert 0 < metric(samples, histogram + "_sum", route=route) < 60


def test_the_metrics_page_is_strictly_the_text_format(demo_repo: DemoRepo) -> None:
    """Every family is declared once, before its samples, and every sample belongs to the family declared last."""
    service = Service(config(demo_repo))
    with running(service) as url:
        assert httpx.request("BREW", url + "/v1/verify").status_code == 405
        text = httpx.get(url + "/metrics").text
    samples = parse_metrics(text)
    assert metric(samples, "reviewvet_http_requests_total", route="/v1/verify", method="other", code="405") == 1
    declared: list[str] = []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            declared.append(line.split()[2])
        elif not line.startswith("#"):
            name = line.split("{")[0].split(" ")[0]
            assert name == declared[-1] or name.removesuffix("_bucket").removesuffix("_sum").removesuffix(
                "_count") == declared[-1], line
    assert len(declared) == len(set(declared)) >= 13


def test_label_values_are_escaped() -> None:
    from reviewvet.service.metrics import Family

    family = Family("x_total", "counter", "a help text\\with a backslash", (("", (("v", 'a"b\\c\nd'),), 1.5),))
    lines = list(family.lines())
    assert lines[2] == 'x_total{v="a\\"b\\\\c\\nd"} 1.5'
    assert parse_metrics("\n".join(lines) + "\n") == {("x_total", frozenset({("v", 'a\\"b\\\\c\\nd')})): 1.5}

"""Bad requests get application/problem+json naming the field; nothing a client sends reaches git as an
option or the filesystem as a path; limits on the body and on the claims."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from demo import DemoRepo
from reviewvet.service.config import Repository
from reviewvet.service.core import Service
from tests.service.conftest import claim, config, metric, parse_metrics, running


def problem(response: httpx.Response, status: int, field: str | None, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["field"] == field, body
    assert body["title"] and body["detail"] and body["type"].startswith("urn:reviewvet:problem:")
    if kind is not None:
        assert body["type"] == f"urn:reviewvet:problem:{kind}"
    return body


def check(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post("/v1/claims:check", json={"repository": "beacon", "head": "feature/retry-budget"} | body)


@pytest.mark.parametrize(("body", "field"), [
    ({"claim": claim(), "repository": None}, "repository"),
    ({"claim": claim(), "head": 5}, "head"),
    ({"claim": claim(start="58")}, "claim/start"),
    ({"claims": [claim(), claim(start=0)]}, "claims/1/start"),
    ({"claims": [claim(), claim(bogus=1)]}, "claims/1/bogus"),
    ({"claims": claim()}, "claims"),
    ({"claim": claim(), "extra": True}, "extra"),
])
def test_a_field_of_the_wrong_shape_is_422_naming_it(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    if body.get("repository", "") is None:
        body = {k: v for k, v in body.items() if k != "repository"}
        response = client.post("/v1/claims:check", json=body)
    else:
        response = check(client, **body)
    found = problem(response, 422, field, "invalid-request")
    assert found["errors"][0]["field"] == field


@pytest.mark.parametrize(("body", "field", "words"), [
    ({}, "claims", "either 'claims'"),
    ({"claim": claim(), "claims": [claim()]}, "claims", "either 'claims'"),
    ({"claims": []}, "claims", "non-empty"),
    ({"claims": [{"title": "no place"}]}, "claims", "needs a path, a quote or a symbol"),
    ({"claims": [claim()] * 51}, "claims", "51 claims: at most 50"),
    ({"claim": claim(), "head": "no-such-branch"}, "head", "'no-such-branch' is not a commit in 'beacon'"),
    ({"claim": claim(), "base": "v9.9.9"}, "base", "'v9.9.9' is not a commit"),
])
def test_a_usable_shape_with_unusable_content_is_422_naming_the_field(client: httpx.Client, body: dict[str, Any],
                                                                      field: str, words: str,
                                                                      demo_repo: DemoRepo) -> None:
    found = problem(check(client, **body), 422, field)
    assert words in found["detail"]
    assert str(demo_repo.path) not in found["detail"]


@pytest.mark.parametrize("where", ["head", "base"])
def test_a_revision_like_an_option_is_422_and_reaches_no_git(client: httpx.Client, tmp_path: Path,
                                                             where: str) -> None:
    target = tmp_path / "x"
    for value in (f"--output={target}", "-o" + str(target), "--upload-pack=touch " + str(target)):
        found = problem(check(client, claim=claim(), **{where: value}), 422, where, "unknown-revision")
        assert "looks like an option" in found["detail"]
    verify = client.post("/v1/verify", json={"repository": "beacon", "review": "# x", "head": f"--output={target}"})
    assert verify.status_code == 422
    for route, params in (("/v1/symbols", {"name": "Budget"}), ("/v1/callers", {"symbol": "Budget"})):
        problem(client.get(route, params={"repository": "beacon", "rev": f"--output={target}"} | params), 422, "rev")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post("/v1/claims:check", content=b'{"repository": "beacon", "claim": ',
                           headers={"Content-Type": "application/json"})
    found = problem(response, 400, "body", "malformed-json")
    assert "not JSON" in found["detail"]


def test_a_body_that_is_not_an_object_is_422(client: httpx.Client) -> None:
    problem(client.post("/v1/claims:check", json=["beacon"]), 422, "body")
    problem(client.post("/v1/claims:check"), 422, "body")


def test_a_body_over_the_limit_is_413_whether_or_not_its_length_is_declared(client: httpx.Client) -> None:
    big = json.dumps({"repository": "beacon", "claim": claim(title="x" * 70_000)}).encode()
    problem(client.post("/v1/claims:check", content=big, headers={"Content-Type": "application/json"}),
            413, "body", "too-large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for start in range(0, len(big), 8192):
            yield big[start:start + 8192]

    response = client.post("/v1/claims:check", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    problem(response, 413, "body", "too-large")
    just_under = json.dumps({"repository": "beacon", "head": "feature/retry-budget",
                             "claim": claim(title="x" * 60_000)}).encode()
    assert client.post("/v1/claims:check", content=iter([just_under]),
                       headers={"Content-Type": "application/json"}).status_code == 200


def test_verify_limits_and_reads_the_review(client: httpx.Client, demo_repo: DemoRepo) -> None:
    from reviewvet.service.core import claims_document

    body = {"repository": "beacon", "head": demo_repo.head, "base": demo_repo.base}
    for review in (claims_document([claim()] * 51), json.dumps(claims_document([claim()] * 51))):
        found = problem(client.post("/v1/verify", json=body | {"review": review}), 422, "findings")
        assert "51 findings: at most 50" in found["detail"]
    problem(client.post("/v1/verify", json=body | {"review": "# Nothing here\n\nNo findings.\n"}), 422, "review")
    problem(client.post("/v1/verify", json=body | {"review": '{"reviewvet_claims": 1, "findings": 3}'}), 422,
            "review")
    found = problem(client.post("/v1/verify", json=body | {"review": "x", "format": "pdf"}), 422, "format")
    assert "known: github" in found["detail"]


def test_other_unusable_requests_name_their_field(client: httpx.Client, demo_repo: DemoRepo) -> None:
    params = {"repository": "beacon", "rev": demo_repo.head}
    problem(client.get("/v1/callers", params=params | {"symbol": "NoSuchThing"}), 422, "symbol")
    problem(client.get("/v1/callees", params=params | {"symbol": "Send", "depth": 9}), 422, "depth")
    problem(client.get("/v1/callees", params=params | {"symbol": "Send", "depth": "deep"}), 422, "depth")
    problem(client.get("/v1/symbols", params={"repository": "beacon"}), 422, "name")
    blame = {"repository": "beacon", "head": demo_repo.head, "base": demo_repo.base}
    problem(client.post("/v1/blame", json=blame | {"locations": ["budget.go"]}), 422, "locations")
    problem(client.post("/v1/blame", json=blame | {"locations": []}), 422, "locations")
    problem(client.post("/v1/blame", json=blame | {"locations": "a.go:1"}), 422, "locations")


def test_unknown_routes_and_methods_are_problems_too(client: httpx.Client) -> None:
    problem(client.get("/v1/nowhere"), 404, None, "not-found")
    found = problem(client.get("/v1/claims:check"), 405, None, "method-not-allowed")
    assert found["title"] == "Method Not Allowed"


def test_a_broken_repository_is_502_without_its_path(demo_repo: DemoRepo, tmp_path: Path) -> None:
    folder = tmp_path / "not-a-repository"
    folder.mkdir()
    service = Service(config(demo_repo, broken=Repository("broken", folder)))
    with running(service) as url:
        response = httpx.post(url + "/v1/claims:check", json={"repository": "broken", "claim": claim()})
    found = problem(response, 502, None)
    assert str(tmp_path) not in response.text and "broken" in found["detail"]


def test_an_unexpected_error_is_500_with_a_generic_detail(demo_repo: DemoRepo, tmp_path: Path) -> None:
    """An app under the guard that raises (here the one mounted at /mcp) answers a problem, not a traceback."""
    secret = str(tmp_path / "private")

    async def failing(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raise RuntimeError(f"something broke in {secret}")

    with running(Service(config(demo_repo)), mcp_app=failing) as url:
        response = httpx.post(url + "/mcp/", json={})
        found = problem(response, 500, None, "internal")
        assert secret not in response.text and "Traceback" not in response.text
        assert found["detail"] == "an internal error; the server's log has the details"
        samples = parse_metrics(httpx.get(url + "/metrics").text)
        assert metric(samples, "reviewvet_http_requests_total", route="/mcp", code="500") == 1

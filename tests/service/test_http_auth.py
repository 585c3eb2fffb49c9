"""Who may ask what: bearer tokens, tokens limited to some repositories, and repositories by name only."""

from __future__ import annotations

import hmac
from typing import Any

import httpx
import pytest

from tests.service.conftest import FULL_TOKEN, OTHER_TOKEN, claim

CHECK = {"repository": "beacon", "head": "feature/retry-budget", "claim": claim()}


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "field"} and body["status"] == status
    return body


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token-of-this-server"},
                                     {"Authorization": f"Basic {FULL_TOKEN}"},
                                     {"Authorization": f"Bearer {FULL_TOKEN[:-1]}"},
                                     {"Authorization": f"Bearer {FULL_TOKEN}x"}])
def test_a_request_without_a_known_token_is_401_with_www_authenticate(api: str, headers: dict[str, str]) -> None:
    for method, path, body in (("POST", "/v1/claims:check", CHECK), ("GET", "/v1/repos", None),
                               ("GET", "/metrics", None), ("GET", "/docs", None), ("GET", "/v1/nowhere", None)):
        response = httpx.request(method, api + path, json=body, headers=headers)
        _problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


def test_healthz_needs_no_token(api: str) -> None:
    response = httpx.get(api + "/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_the_right_token_is_served(client: httpx.Client) -> None:
    response = client.post("/v1/claims:check", json=CHECK)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["verdict"] == "confirmed"
    assert client.get("/v1/repos").json() == {"repositories": ["beacon", "other"]}


def test_a_token_limited_to_another_repository_gets_404_as_for_an_unknown_one(api: str) -> None:
    limited = {"Authorization": f"Bearer {OTHER_TOKEN}"}
    hidden = httpx.post(api + "/v1/claims:check", json=CHECK, headers=limited)
    unknown = httpx.post(api + "/v1/claims:check", json=CHECK | {"repository": "nosuch"}, headers=limited)
    assert _problem(hidden, 404) == _problem(unknown, 404) | {"detail": "no repository 'beacon'"}
    assert _problem(hidden, 404)["field"] == "repository"
    for path in ("/v1/symbols?repository=beacon&name=Budget", "/v1/callers?repository=beacon&symbol=Budget"):
        _problem(httpx.get(api + path, headers=limited), 404)
    _problem(httpx.post(api + "/v1/repos/beacon:fetch", headers=limited), 404)
    assert httpx.get(api + "/v1/repos", headers=limited).json() == {"repositories": ["other"]}
    allowed = httpx.post(api + "/v1/claims:check", json=CHECK | {"repository": "other"}, headers=limited)
    assert allowed.status_code == 200, allowed.text


def test_every_token_is_compared_in_constant_time(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server compares the offered token with each configured one through hmac.compare_digest, all of
    them whatever matched (the HTTP layer authenticates through auth.authenticate)."""
    import reviewvet.service.auth as auth

    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", counting)
    for token in (FULL_TOKEN, "wrong-token-wrong-token", OTHER_TOKEN):
        compared.clear()
        httpx.get(api + "/v1/repos", headers={"Authorization": f"Bearer {token}"})
        assert [a for a, _ in compared] == [token.encode()] * 2
        assert {b for _, b in compared} == {FULL_TOKEN.encode(), OTHER_TOKEN.encode()}


@pytest.mark.parametrize("name", ["nosuch", "/tmp", "../beacon", "beacon/../beacon", ".", "", "BEACON"])
def test_a_repository_is_a_configured_name_never_a_path(client: httpx.Client, demo_repo: Any, name: str) -> None:
    for given in (name, str(demo_repo.path), str(demo_repo.path / ".git")):
        response = client.post("/v1/claims:check", json=CHECK | {"repository": given})
        assert _problem(response, 404)["field"] == "repository"
    assert client.get("/v1/symbols", params={"repository": name, "name": "Budget"}).status_code == 404


@pytest.mark.parametrize("path", ["/v1/repos/%2Ftmp%2Fdemo:fetch", "/v1/repos/..%2Fbeacon:fetch",
                                  "/v1/repos/nosuch:fetch"])
def test_fetch_names_a_repository_too(client: httpx.Client, path: str) -> None:
    _problem(client.post(path), 404)

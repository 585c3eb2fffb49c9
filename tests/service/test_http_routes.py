"""Every route answers what the command line answers for the same input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from demo import DemoRepo
from reviewvet.cli import main
from reviewvet.report import FORMATS
from reviewvet.service.config import Repository
from reviewvet.service.core import Service
from tests.service.conftest import DEMO_REVIEW, claim, config, running


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_verify_answers_the_findings_of_reviewvet_verify(client: httpx.Client, demo_repo: DemoRepo,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    response = client.post("/v1/verify", json={"repository": "beacon", "review": DEMO_REVIEW.read_text("utf-8"),
                                               "head": demo_repo.head, "base": demo_repo.base})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    served = response.json()
    cli = cli_json(capsys, "verify", str(DEMO_REVIEW), "--repo", str(demo_repo.path), "--head", demo_repo.head,
                   "--base", demo_repo.base, "--format", "json")
    assert len(served["findings"]) == len(cli["findings"]) > 30
    assert served["findings"] == cli["findings"]
    assert served["summary"] == cli["summary"]
    assert served["revisions"]["head"]["sha"] == demo_repo.head_sha
    assert str(demo_repo.path) not in json.dumps(served["review"])


@pytest.mark.parametrize(("fmt", "media"), [("sarif", "application/sarif+json"),
                                            ("markdown", "text/markdown; charset=utf-8"),
                                            ("github-comment", "text/markdown; charset=utf-8"),
                                            ("terminal", "text/plain; charset=utf-8"),
                                            ("rdjsonl", "text/plain; charset=utf-8"),
                                            ("github", "text/plain; charset=utf-8")])
def test_verify_renders_every_format_with_its_media_type(client: httpx.Client, demo_repo: DemoRepo,
                                                         capsys: pytest.CaptureFixture[str], fmt: str,
                                                         media: str) -> None:
    response = client.post("/v1/verify", json={"repository": "beacon", "review": DEMO_REVIEW.read_text("utf-8"),
                                               "head": demo_repo.head, "base": demo_repo.base, "format": fmt})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media
    capsys.readouterr()
    assert main(["verify", str(DEMO_REVIEW), "--repo", str(demo_repo.path), "--head", demo_repo.head,
                 "--base", demo_repo.base, "--format", fmt, "--color", "never"]) == 0
    cli = capsys.readouterr().out
    if fmt == "sarif":  # the SARIF names the review's file: compare the results
        assert [r["ruleId"] for r in response.json()["runs"][0]["results"]] == \
            [r["ruleId"] for r in json.loads(cli)["runs"][0]["results"]]
    else:
        assert len(response.text.splitlines()) == pytest.approx(len(cli.splitlines()), abs=3)


def test_verify_takes_a_claims_document_as_an_object(client: httpx.Client, demo_repo: DemoRepo) -> None:
    document = {"reviewvet_claims": 1, "findings": [{"id": "C1", "title": "refill resets the clock",
                                                     "locations": [{"path": "agent/internal/retry/budget.go",
                                                                    "start": 58, "end": 62}],
                                                     "quotes": [{"text": "b.last = now", "role": "evidence"}]}]}
    as_object = client.post("/v1/verify", json={"repository": "beacon", "review": document, "head": demo_repo.head})
    as_text = client.post("/v1/verify", json={"repository": "beacon", "review": json.dumps(document),
                                              "head": demo_repo.head})
    assert as_object.status_code == as_text.status_code == 200, as_object.text
    assert as_object.json()["findings"] == as_text.json()["findings"]
    assert as_object.json()["findings"][0]["status"] == "verified"


def test_claims_check_answers_as_a_claims_file_verified_by_the_cli(client: httpx.Client, demo_repo: DemoRepo,
                                                                   tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from reviewvet.service.core import claims_document

    claims = [claim(), claim(quote="b.last = later"), {"symbol": "Budget.Withdraw"},
              {"path": "agent/internal/probe/probe.go", "start": 67, "end": 74, "label": "regression"}]
    response = client.post("/v1/claims:check", json={"repository": "beacon", "head": demo_repo.head,
                                                     "base": demo_repo.base, "claims": claims})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["repository"] == "beacon"
    results = body["results"]
    assert [r["claim"] for r in results] == claims
    assert all(r["sentence"].startswith(r["verdict"].upper() + ":") for r in results)
    assert {r["head"] for r in results} == {demo_repo.head_sha}
    assert results[0]["evidence"]["lines"][0]["text"][3] == "\tb.last = now"
    (tmp_path / "claims.json").write_text(json.dumps(claims_document(claims)), "utf-8")
    cli = cli_json(capsys, "verify", str(tmp_path / "claims.json"), "--repo", str(demo_repo.path),
                   "--head", demo_repo.head, "--base", demo_repo.base, "--format", "json")
    assert [r["flags"] for r in results] == [f["flags"] for f in cli["findings"]]
    assert [r["reasons"] for r in results] == [f["verdict"]["reasons"] if f["verdict"] else []
                                               for f in cli["findings"]]
    one = client.post("/v1/claims:check", json={"repository": "beacon", "head": demo_repo.head,
                                                "base": demo_repo.base, "claim": claims[0]})
    assert one.json()["results"] == results[:1]


def test_blame_answers_what_reviewvet_blame_answers(client: httpx.Client, demo_repo: DemoRepo,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    locations = ["agent/internal/retry/budget.go:58-62", "agent/internal/retry/policy.go:1-5"]
    response = client.post("/v1/blame", json={"repository": "beacon", "head": demo_repo.head, "base": demo_repo.base,
                                              "locations": locations})
    assert response.status_code == 200, response.text
    served = response.json()
    cli = cli_json(capsys, "blame", *locations, "--repo", str(demo_repo.path), "--head", demo_repo.head,
                   "--base", demo_repo.base, "--json")
    assert {k: served[k] for k in ("head", "merge_base", "locations")} == cli
    assert served["merge_base"] == demo_repo.merge_base and served["merge_base_source"] == "computed"
    assert served["locations"][0]["status"] == "regression"


def test_symbols_answers_what_reviewvet_symbols_answers(client: httpx.Client, demo_repo: DemoRepo,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    response = client.get("/v1/symbols", params={"repository": "beacon", "name": "Budget", "rev": demo_repo.head})
    assert response.status_code == 200, response.text
    cli = cli_json(capsys, "symbols", "--name", "Budget", "--repo", str(demo_repo.path), "--rev", demo_repo.head,
                   "--json")
    assert response.json()["symbols"] == cli and cli
    at_base = client.get("/v1/symbols", params={"repository": "beacon", "name": "Budget", "rev": demo_repo.base})
    assert at_base.json()["symbols"] == []


@pytest.mark.parametrize(("direction", "symbol"), [("callers", "ShouldRetry"), ("callees", "Send")])
def test_the_call_graph_answers_what_the_cli_answers(client: httpx.Client, demo_repo: DemoRepo,
                                                     capsys: pytest.CaptureFixture[str], direction: str,
                                                     symbol: str) -> None:
    for depth in (1, 2):
        response = client.get(f"/v1/{direction}", params={"repository": "beacon", "symbol": symbol,
                                                          "depth": depth, "rev": demo_repo.head})
        assert response.status_code == 200, response.text
        cli = cli_json(capsys, direction, symbol, "--depth", str(depth), "--repo", str(demo_repo.path),
                       "--rev", demo_repo.head, "--json")
        served = response.json()
        assert served["edges"] == cli["edges"] and cli["edges"]
        assert served["symbols"] == cli["symbols"] and served["direction"] == direction


def test_fetch_refreshes_a_mirror_from_its_url(demo_repo: DemoRepo, tmp_path: Path) -> None:
    """A mirror cloned before the pull request's branch moved sees the new commit after POST :fetch."""
    upstream = tmp_path / "upstream.git"
    mirror = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(demo_repo.path), str(upstream)], check=True)
    subprocess.run(["git", "clone", "--quiet", "--bare", str(upstream), str(mirror)], check=True)
    subprocess.run(["git", "-C", str(upstream), "update-ref", "refs/heads/moved", demo_repo.base_sha], check=True)
    service = Service(config(demo_repo, mirror=Repository("mirror", mirror, fetch_url=str(upstream))))
    with running(service) as url, httpx.Client(base_url=url, timeout=60) as client:
        before = client.get("/v1/symbols", params={"repository": "mirror", "name": "Budget", "rev": "moved"})
        assert before.status_code == 422 and before.json()["field"] == "rev"
        fetched = client.post("/v1/repos/mirror:fetch")
        assert fetched.status_code == 200, fetched.text
        assert fetched.json()["repository"] == "mirror" and fetched.json()["seconds"] >= 0
        after = client.get("/v1/symbols", params={"repository": "mirror", "name": "Budget", "rev": "moved"})
        assert after.status_code == 200 and after.json()["symbols"] == []
        no_url = client.post("/v1/repos/beacon:fetch")
        assert no_url.status_code == 422 and no_url.json()["field"] == "repository"


def test_the_documentation_describes_every_route_and_field(client: httpx.Client) -> None:
    assert "swagger" in client.get("/docs").text.lower()
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) == {"/v1/verify", "/v1/claims:check", "/v1/blame", "/v1/symbols", "/v1/callers",
                                    "/v1/callees", "/v1/repos", "/v1/repos/{name}:fetch", "/healthz", "/metrics"}
    models = schema["components"]["schemas"]
    for model in ("VerifyRequest", "ClaimsRequest", "Claim", "BlameRequest"):
        for name, field in models[model]["properties"].items():
            assert field.get("description"), (model, name)
    assert models["VerifyRequest"]["properties"]["format"]["enum"] == sorted(FORMATS)
    check = schema["paths"]["/v1/claims:check"]["post"]
    assert "application/problem+json" in check["responses"]["422"]["content"]
    assert "429" in check["responses"]

"""The service core the HTTP API, the MCP tools and the benchmark share: its configuration, the pool
of warm workspaces, and claims answered verdict first — on the demo repository, in this process."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reviewvet.errors import ReviewInputError, UsageError
from reviewvet.service.auth import authenticate
from reviewvet.service.config import Limits, Repository, ServiceConfig, Token, config_from_options, load_config
from reviewvet.service.core import NotFound, Service, claims_document
from reviewvet.service.pool import WorkspacePool

RUN_AGENT_LINE = 'exec "$BEACOND_BIN" -collector "$collector/beat" "${extra[@]}" "$@"'
TOKEN = "t0ken-for-the-tests-only"


@pytest.fixture(scope="module")
def service(demo_repo, tmp_path_factory: pytest.TempPathFactory):
    config = ServiceConfig({"beacon": Repository("beacon", demo_repo.path)},
                           cache_dir=tmp_path_factory.mktemp("cache"))
    with_service = Service(config)
    yield with_service
    with_service.close()


def check(service: Service, demo_repo, **claim: object) -> dict[str, object]:
    [answer] = service.check_claims("beacon", [claim], head=demo_repo.head_sha, base=demo_repo.base_sha)
    return answer


# -- claims ---------------------------------------------------------------------------------------------


def test_a_true_claim_is_confirmed_with_its_lines_and_blame(service: Service, demo_repo) -> None:
    answer = check(service, demo_repo, path="scripts/run-agent.sh", start=38, quote=RUN_AGENT_LINE, label="regression")
    assert answer["verdict"] == "confirmed"
    assert str(answer["sentence"]).startswith("CONFIRMED: the quote is found verbatim at scripts/run-agent.sh:38")
    evidence = answer["evidence"]
    assert isinstance(evidence, dict)
    assert evidence["lines"] == [{"path": "scripts/run-agent.sh", "start": 38, "end": 38,
                                  "text": ["    " + RUN_AGENT_LINE]}]
    assert evidence["blame"]["status"] == "regression" and evidence["blame"]["label_agreement"] == "agrees"


def test_a_quote_with_two_letters_swapped_is_doubtful_with_the_differences(service: Service, demo_repo) -> None:
    swapped = RUN_AGENT_LINE.replace("BEACOND_BIN", "BAECOND_BIN")
    answer = check(service, demo_repo, path="scripts/run-agent.sh", start=38, quote=swapped)
    evidence = answer["evidence"]
    assert isinstance(evidence, dict)
    quote = evidence["quote"]
    assert quote["status"] == "near-miss" and quote["at"] == "scripts/run-agent.sh:38"
    assert any("BAEC" in d["quoted"] and "BEAC" in d["actual"] for d in quote["nearest"]["differences"])
    # a near miss the claim does not argue about could be a typo in the claim or a change since: doubtful
    assert answer["verdict"] == "doubtful"
    assert str(answer["sentence"]).startswith("DOUBTFUL: the quote is not found; closest is scripts/run-agent.sh:38")


def test_a_wrong_line_claim_says_where_the_code_is(service: Service, demo_repo) -> None:
    answer = check(service, demo_repo, path="scripts/run-agent.sh", start=10, end=10, quote=RUN_AGENT_LINE)
    evidence = answer["evidence"]
    assert isinstance(evidence, dict)
    assert evidence["line_claim"]["status"] == "wrong" and evidence["line_claim"]["actual"] == "scripts/run-agent.sh:38"
    assert "wrong-line" in answer["flags"]  # type: ignore[operator]


def test_claims_are_answered_in_order_and_a_repeat_starts_no_git_process(service: Service, demo_repo) -> None:
    claims = [{"symbol": "NewBudget"}, {"path": "scripts/run-agent.sh", "start": 38, "quote": RUN_AGENT_LINE}]
    first = service.check_claims("beacon", claims, head=demo_repo.head_sha, base=demo_repo.base_sha)
    before = service.counters.git_processes
    again = service.check_claims("beacon", claims, head=demo_repo.head_sha, base=demo_repo.base_sha)
    assert service.counters.git_processes == before
    assert [a["claim"] for a in again] == claims and again == first
    assert first[0]["evidence"]["symbols"][0]["status"] == "found"  # type: ignore[index]


@pytest.mark.parametrize(("claims", "message"), [
    ([], "non-empty list"),
    ([{"title": "no place"}], "needs a path, a quote or a symbol"),
    ([{"path": "a.go", "colour": "red"}], "unknown field(s) colour"),
    (["a.go:3"], "claims/0 must be an object"),
])
def test_bad_claims_name_what_is_wrong(claims: list[object], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        claims_document(claims)  # type: ignore[arg-type]
    assert caught.value.field == "claims"


def test_a_claim_value_of_the_wrong_type_is_refused_by_the_schema(service: Service, demo_repo) -> None:
    with pytest.raises(ReviewInputError, match="start"):
        check(service, demo_repo, path="a.go", start="three")


def test_too_many_claims_are_refused(demo_repo) -> None:
    small = Service(ServiceConfig({"beacon": Repository("beacon", demo_repo.path)}, limits=Limits(max_findings=2)))
    with pytest.raises(UsageError, match="3 claims: at most 2"):
        small.check_claims("beacon", [{"symbol": "x"}] * 3)
    small.close()


# -- who may see what ---------------------------------------------------------------------------------


def test_repositories_are_by_name_and_a_token_sees_only_its_own(service: Service, demo_repo) -> None:
    with pytest.raises(NotFound, match="no repository 'kettle'"):
        service.check_claims("kettle", [{"symbol": "x"}])
    with pytest.raises(NotFound):
        service.check_claims(str(demo_repo.path), [{"symbol": "x"}])
    other = Token("another-token-of-16+", frozenset({"kettle"}))
    with pytest.raises(NotFound, match="no repository 'beacon'"):
        service.symbols("beacon", "NewBudget", rev=demo_repo.head_sha, token=other)
    assert service.visible(other) == [] and service.visible(None) == ["beacon"]


def test_bearer_tokens_are_matched_exactly() -> None:
    tokens = (Token(TOKEN), Token("second-token-for-tests", frozenset({"beacon"})))
    assert authenticate(f"Bearer {TOKEN}", tokens) is tokens[0]
    assert authenticate("bearer second-token-for-tests", tokens) is tokens[1]
    for header in (None, "", TOKEN, f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer "):
        assert authenticate(header, tokens) is None


# -- the pool -------------------------------------------------------------------------------------------


def test_the_pool_reuses_a_workspace_and_closes_the_idle_ones(demo_repo) -> None:
    pool = WorkspacePool(max_workspaces=1)
    with pool.use("beacon", demo_repo.path, demo_repo.head, demo_repo.base) as first:
        pass
    with pool.use("beacon", demo_repo.path, demo_repo.head_sha, demo_repo.base_sha) as again:
        assert again is first  # a branch and its commit id are the same revisions
    assert (pool.stats.hits, pool.stats.misses) == (1, 1)
    with pool.use("beacon", demo_repo.path, demo_repo.base, None) as other:
        assert other is not first
    assert pool.stats.evictions == 1 and pool.stats.open == 1
    pool.close()


def test_a_workspace_in_use_is_not_closed(demo_repo) -> None:
    pool = WorkspacePool(max_workspaces=1)
    with pool.use("beacon", demo_repo.path, demo_repo.head, demo_repo.base) as held:
        with pool.use("beacon", demo_repo.path, demo_repo.base, None):
            pass
        assert pool.stats.evictions == 1 and pool.stats.open == 1  # the idle second one went, not ours
        assert held.revisions().head == demo_repo.head_sha
    pool.close()


def test_concurrent_requests_about_one_pull_request_share_one_workspace(demo_repo) -> None:
    pool = WorkspacePool()
    seen: list[object] = []
    start = threading.Barrier(4)

    def request() -> None:
        start.wait()
        with pool.use("beacon", demo_repo.path, demo_repo.head_sha, demo_repo.base_sha) as workspace:
            seen.append(workspace)

    threads = [threading.Thread(target=request) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(w) for w in seen}) == 1 and pool.stats.open == 1
    pool.close()


# -- the configuration -------------------------------------------------------------------------------


def test_a_config_file_names_repositories_tokens_and_limits(tmp_path: Path, demo_repo,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ci.token").write_text(f"# CI\n{TOKEN} beacon\n", encoding="utf-8")
    monkeypatch.setenv("RV_TEST_TOKEN", "an-env-token-of-16+")
    (tmp_path / "serve.yaml").write_text(f"""
repositories:
  beacon: {{path: {demo_repo.path}, fetch: https://example.com/beacon.git, fetch_interval: 60}}
tokens:
  - file: ci.token
  - env: RV_TEST_TOKEN
    repositories: [beacon]
limits: {{max_concurrency: 2, workspace_memory_mb: 256}}
""", encoding="utf-8")
    config = load_config(tmp_path / "serve.yaml")
    assert config.repositories["beacon"].fetch_interval == 60.0
    assert [(t.secret, t.repositories) for t in config.tokens] == [
        (TOKEN, frozenset({"beacon"})), ("an-env-token-of-16+", frozenset({"beacon"}))]
    assert config.limits.max_concurrency == 2 and config.limits.workspace_memory_bytes == 256 * 1024 * 1024
    assert TOKEN not in repr(config)


@pytest.mark.parametrize(("text", "message"), [
    ("repositories: [a, b]\n", "'repositories' must map names"),
    ("repositories:\n  'a/b': {path: .}\n", "must be letters, digits"),
    ("repositories:\n  a: {path: /no/such/folder}\n", "is not a folder"),
    ("repositories:\n  a: {path: ., colour: red}\n", "unknown key(s) colour"),
    ("repositories:\n  a: .\nlimits: {max_findings: -1}\n", "max_findings must be a positive number"),
    ("repositories:\n  a: .\ntokens: [{file: t, env: T}]\n", "either 'file' or 'env'"),
    ("server: x\n", "unknown key(s) server"),
])
def test_a_bad_config_file_is_refused_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "serve.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        load_config(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(("repos", "message"), [
    (["beacon"], "expected NAME=PATH"), ([], "no repository to serve"),
    (["a=.", "a=."], "given twice"), (["../x=."], "must be letters, digits"),
])
def test_repositories_from_the_command_line(repos: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        config_from_options(repos, None, None)


def test_a_token_file_needs_real_tokens(tmp_path: Path) -> None:
    short = tmp_path / "short.token"
    short.write_text("abc\n", encoding="utf-8")
    with pytest.raises(UsageError, match="at least 16 characters"):
        config_from_options(["a=."], short, None)
    empty = tmp_path / "empty.token"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(UsageError, match="holds no token"):
        config_from_options(["a=."], empty, None)

"""``reviewvet mcp`` over standard input and output, driven by the mcp SDK's own client: the tools and
their schemas, real answers about the demo repository, and errors that leave the server answering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client, StdioServerParameters
from mcp_types import CallToolResult

from reviewvet.cli import main

REVIEW = Path(__file__).resolve().parents[2] / "fixtures" / "reviews" / "demo-review.md"
RUN_AGENT_LINE = 'exec "$BEACOND_BIN" -collector "$collector/beat" "${extra[@]}" "$@"'
TOOLS = {"check_claim", "verify_review", "blame_lines", "find_symbol", "callers", "callees"}


class Remote:
    """A client session with a server process, called from synchronous tests through a blocking portal."""

    def __init__(self, portal: BlockingPortal, client: Client) -> None:
        self.portal = portal
        self.client = client

    def call(self, tool: str, **arguments: Any) -> CallToolResult:
        return self.portal.call(self.client.call_tool, tool, arguments)

    def answer(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """The structured answer of a call that must succeed; its text starts with the same summary."""
        result = self.call(tool, **arguments)
        assert not result.is_error, result.content
        data = result.structured_content
        assert isinstance(data, dict)
        assert result.content[0].text.splitlines()[0] == data["summary"]  # type: ignore[union-attr]
        return data

    def error(self, tool: str, **arguments: Any) -> str:
        result = self.call(tool, **arguments)
        assert result.is_error and result.structured_content is None
        return str(result.content[0].text)  # type: ignore[union-attr]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "reviewvet.cli", "mcp", *args]


@contextmanager
def served(*args: str, cwd: Path | None = None) -> Iterator[Remote]:
    """``reviewvet mcp ARGS`` started by the SDK's stdio client, and a session with it."""
    argv = command(*args)
    params = StdioServerParameters(command=argv[0], args=argv[1:], cwd=cwd,
                                   env={"REVIEWVET_CACHE_DIR": os.environ["REVIEWVET_CACHE_DIR"]})
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(
            Client(params, read_timeout_seconds=60)) as client:
        yield Remote(portal, client)


@pytest.fixture(scope="module")
def demo(demo_repo) -> Iterator[Remote]:
    with served("--repo", f"demo={demo_repo.path}") as remote:
        yield remote


def at_head(demo_repo) -> dict[str, str]:
    return {"head": demo_repo.head, "base": demo_repo.base}


# -- the tools --------------------------------------------------------------------------------------


def test_the_tools_are_listed_with_described_inputs_and_output_schemas(demo: Remote) -> None:
    tools = demo.portal.call(demo.client.list_tools).tools
    assert {t.name for t in tools} == TOOLS
    for tool in tools:
        properties = tool.input_schema["properties"]
        assert properties and all(p.get("description") for p in properties.values()), tool.name
        assert tool.output_schema is not None and "summary" in tool.output_schema["properties"], tool.name
        assert tool.annotations is not None and tool.annotations.read_only_hint
        assert "defaults to 'demo'" in (tool.description or "")
    check = next(t for t in tools if t.name == "check_claim")
    assert set(check.input_schema["properties"]) == {"repository", "path", "start", "end", "quote", "symbol",
                                                      "label", "head", "base"}
    assert "required" not in check.input_schema  # the repository too: this server has a default


def test_a_true_claim_is_confirmed_with_its_lines_and_blame(demo: Remote, demo_repo) -> None:
    answer = demo.answer("check_claim", path="scripts/run-agent.sh", start=38, quote=RUN_AGENT_LINE,
                         label="regression", **at_head(demo_repo))
    assert answer["verdict"] == "confirmed" and answer["repository"] == "demo"
    assert answer["summary"].startswith("CONFIRMED: the quote is found verbatim at scripts/run-agent.sh:38")
    evidence = answer["evidence"]
    assert evidence["lines"] == [{"path": "scripts/run-agent.sh", "start": 38, "end": 38,
                                  "text": ["    " + RUN_AGENT_LINE]}]
    assert evidence["blame"]["status"] == "regression" and evidence["blame"]["label_agreement"] == "agrees"
    assert answer["head"] == demo_repo.head_sha and answer["merge_base"] == demo_repo.merge_base


def test_a_quote_with_two_letters_swapped_is_a_near_miss_with_the_differences(demo: Remote, demo_repo) -> None:
    swapped = RUN_AGENT_LINE.replace("BEACOND_BIN", "BAECOND_BIN")
    answer = demo.answer("check_claim", path="scripts/run-agent.sh", start=38, quote=swapped, **at_head(demo_repo))
    assert answer["verdict"] in ("refuted", "doubtful") and "near-miss-quote" in answer["flags"]
    quote = answer["evidence"]["quote"]
    assert quote["status"] == "near-miss" and quote["at"] == "scripts/run-agent.sh:38"
    assert any("BAEC" in d["quoted"] and "BEAC" in d["actual"] for d in quote["nearest"]["differences"])
    assert answer["summary"].startswith(answer["verdict"].upper() + ": the quote is not found; closest is "
                                        "scripts/run-agent.sh:38")


def test_a_review_is_answered_with_counts_and_one_line_per_finding(demo: Remote, demo_repo) -> None:
    from reviewvet.api import load_review, verify_repository
    from reviewvet.report.text import verdict_word

    answer = demo.answer("verify_review", review=REVIEW.read_text(encoding="utf-8"), base=demo_repo.base)
    expected = verify_repository(demo_repo.path, load_review(REVIEW), head=demo_repo.head, base=demo_repo.base)
    words = {fv.finding.key: verdict_word(fv, expected.decisions.get(fv.finding.key)) for fv in expected.verdicts}
    assert {f["key"]: f["verdict"] for f in answer["findings"]} == words
    assert answer["head"] == demo_repo.head_sha  # 'auto' found the head the review names
    counts = answer["counts"]
    assert counts["findings"] == len(words) == sum(counts["by_verdict"].values())
    assert counts["flagged"] == sum(1 for f in answer["findings"] if f["flags"])
    assert all(f["sentence"].startswith(f["verdict"].upper() + ":") for f in answer["findings"]
               if f["verdict"] != "false positive")
    assert answer["summary"].endswith(f"of {len(words)} findings, at head {demo_repo.head_sha[:12]} "
                                      f"(merge base {demo_repo.merge_base[:12]}); {counts['flagged']} carry flags.")


def test_blame_tells_a_regression_from_a_gap(demo: Remote, demo_repo) -> None:
    answer = demo.answer("blame_lines", locations=["scripts/run-agent.sh:38", "agent/internal/retry/policy.go:1-5"],
                         **at_head(demo_repo))
    new, old = answer["locations"]
    assert (new["location"], new["status"]) == ("scripts/run-agent.sh:38", "regression")
    assert new["pr_commits"][0]["sha"] == demo_repo.commits["scripts: pass BEACON_RETRY_BUDGET through run-agent"]
    assert (old["location"], old["status"]) == ("agent/internal/retry/policy.go:1-5", "gap")
    assert old["old_commits"][0]["sha"] == demo_repo.commits["agent: add the beacond heartbeat daemon"]
    assert answer["summary"].startswith("1 REGRESSION, 1 GAP: scripts/run-agent.sh:38 (location) regression")


def test_a_symbol_is_found_with_its_place_or_said_to_be_nowhere(demo: Remote, demo_repo) -> None:
    found = demo.answer("find_symbol", name="NewBudget", rev=demo_repo.head)
    [symbol] = found["symbols"]
    assert (symbol["kind"], symbol["path"]) == ("function", "agent/internal/retry/budget.go")
    assert found["summary"].startswith("FOUND: 'NewBudget' names 1 symbol")
    nowhere = demo.answer("find_symbol", name="NewBudget", rev=demo_repo.base)  # the PR adds it
    assert nowhere["symbols"] == [] and nowhere["summary"].startswith("NOT FOUND")


@pytest.mark.parametrize(("direction", "symbol", "depth"), [("callers", "refill", 1), ("callees", "run", 2)])
def test_the_call_graph_lists_the_call_sites_the_command_line_lists(demo: Remote, demo_repo, direction: str,
                                                                    symbol: str, depth: int) -> None:
    answer = demo.answer(direction, symbol=symbol, depth=depth, rev=demo_repo.head_sha)
    listed = subprocess.run([sys.executable, "-m", "reviewvet.cli", direction, symbol, "--depth", str(depth),
                             "--repo", str(demo_repo.path), "--rev", demo_repo.head_sha, "--json"],
                            check=True, capture_output=True, text=True).stdout
    expected = json.loads(listed)
    assert expected["edges"] and answer["edges"] == expected["edges"]
    assert answer["symbols"] == expected["symbols"]
    near = sum(1 for edge in expected["edges"] if edge["depth"] == 1)
    assert answer["summary"].startswith(f"{near} {direction.upper()} of {symbol!r}")


# -- errors -----------------------------------------------------------------------------------------


def test_bad_arguments_are_tool_errors_and_the_server_keeps_answering(demo: Remote, demo_repo) -> None:
    assert "'path', 'quote' or 'symbol'" in demo.error("check_claim", start=3, label="gap")
    unknown = demo.error("check_claim", repository="kettle", symbol="NewBudget")
    assert unknown == "argument 'repository': no repository 'kettle'; repositories: demo"
    revision = demo.error("check_claim", symbol="NewBudget", head="no-such-branch")
    assert revision.startswith("argument 'head': head 'no-such-branch' is not a commit in repository 'demo'")
    assert str(demo_repo.path) not in revision  # clients name repositories; paths stay on the server
    assert "start" in demo.error("check_claim", path="scripts/run-agent.sh", start=0)
    assert demo.error("find_symbol", name="NewBudget", rev="--all").startswith("argument 'rev': ")
    assert demo.error("callers", symbol="NoSuchThing").startswith("argument 'symbol': no symbol 'NoSuchThing'")
    assert "depth" in demo.error("callees", symbol="run", depth=9)
    assert demo.error("blame_lines", locations=["nowhere.go:3"], **at_head(demo_repo)).startswith(
        "argument 'locations': ")
    assert demo.error("verify_review", review="no findings here").startswith("argument 'review': ")
    assert demo.answer("find_symbol", name="NewBudget", rev=demo_repo.head)["symbols"]  # still answering


# -- the command ------------------------------------------------------------------------------------


def test_the_current_folders_repository_is_served_by_default(demo_repo) -> None:
    with served(cwd=demo_repo.path / "scripts") as remote:
        answer = remote.answer("find_symbol", name="NewBudget", rev=demo_repo.head)
        assert answer["repository"] == demo_repo.path.name and answer["symbols"]
        assert remote.error("find_symbol", repository="demo", name="NewBudget").endswith(
            f"repositories: {demo_repo.path.name}")


def test_nothing_but_the_protocol_reaches_standard_output(demo_repo) -> None:
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "check_claim", "arguments": {
            "path": "scripts/run-agent.sh", "start": 38, "quote": RUN_AGENT_LINE, **at_head(demo_repo)}}},
    ]
    with subprocess.Popen(command("--repo", f"demo={demo_repo.path}"), stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as server:
        assert server.stdin is not None and server.stdout is not None and server.stderr is not None
        server.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
        server.stdin.flush()
        lines = [server.stdout.readline(), server.stdout.readline()]  # the answers to requests 1 and 2
        server.stdin.close()
        lines += server.stdout.readlines()
        stderr = server.stderr.read()
    replies = [json.loads(line) for line in lines if line.strip()]
    assert [r.get("id") for r in replies] == [1, 2] and all(r["jsonrpc"] == "2.0" for r in replies)
    assert replies[1]["result"]["structuredContent"]["verdict"] == "confirmed"
    assert server.returncode == 0
    assert "serving demo over MCP on standard input and output (default repository 'demo')" in stderr


def test_the_help_shows_how_to_register_it_with_each_agent(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["mcp", "--help"])
    shown = capsys.readouterr().out
    assert done.value.code == 0
    assert "claude mcp add reviewvet -- reviewvet mcp --repo beacon=/src/beacon" in shown
    assert '[mcp_servers.reviewvet]\n  command = "reviewvet"\n  args = ["mcp", "--repo", "beacon=/src/beacon"]' in shown
    assert '"mcpServers": {\n      "reviewvet": {"command": "reviewvet", "args": ["mcp", "--repo"' in shown


def test_without_the_mcp_package_the_command_names_the_extra_to_install(demo_repo) -> None:
    probe = ("import sys; sys.modules['mcp'] = None; from reviewvet.cli import main; "
             f"sys.exit(main(['mcp', '--repo', 'demo={demo_repo.path}']))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and done.stdout == ""
    assert "reviewvet mcp needs the service extra: pip install 'reviewvet[service]'" in done.stderr


def test_outside_a_repository_the_command_asks_for_one(tmp_path: Path) -> None:
    done = subprocess.run(command(), capture_output=True, text=True, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and done.stdout == ""
    assert "give --repo NAME=PATH or --config FILE" in done.stderr

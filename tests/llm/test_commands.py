"""The model commands end to end: ``reviewvet extract``, ``verify --extract-with``, ``reviewvet challenge``
and ``verify --challenge-with``, through the real command line and the real SDKs, against the local fake
provider servers of ``tests.llm.servers`` (127.0.0.1 only), for each of the three providers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from reviewvet.api import read_review
from reviewvet.cli import main
from tests.conftest import REVIEWS, ROOT
from tests.llm.servers import (
    KEY_VARIABLES,
    PROVIDERS,
    MODELS,
    PROVIDER_VARIABLES,
    PROXY_VARIABLES,
    FakeProvider,
    Recorded,
    Response,
    clean_environment,
    error_reply,
    provider_server,
    reply_with,
)

FREEFORM = REVIEWS / "freeform-review.md"
DEMO_REVIEW = REVIEWS / "demo-review.md"
DEMO_CONTEXT = REVIEWS / "demo-context.yaml"

# What a model reads in freeform-review.md: the first two quotes copied as written, the third "improved"
# (`d <= 0` became `d < 0`), which extract must mark as not verbatim.
BUDGET_QUOTE = "\tif b.tokens == 0 {\n\t\treturn false\n\t}\n\tb.tokens--"
SEND_QUOTE = ("\t\tif !p.policy.ShouldRetry(attempt, err) {\n"
              "\t\t\tif err != nil && p.policy.Budget != nil && attempt < p.policy.MaxAttempts {\n"
              '\t\t\t\treturn fmt.Errorf("%w after %d attempts: %w", retry.ErrBudgetExhausted, attempt, err)')
REWRITTEN_QUOTE = "\tif d < 0 || d > p.MaxDelay {"


def _finding(title: str, severity: str, label: str, place: tuple[str, int, int | None], quote: str,
             identifiers: list[str]) -> dict[str, Any]:
    path, start, end = place
    return {"title": title, "severity": severity, "label": label, "body": f"{title}.",
            "locations": [{"path": path, "start": start, "end": end}],
            "quotes": [{"text": quote, "role": "evidence"}], "identifiers": identifiers}


READ: dict[str, Any] = {"findings": [
    _finding("A negative budget is never exhausted", "important", "gap",
             ("agent/internal/retry/budget.go", 42, 45), BUDGET_QUOTE, ["Withdraw"]),
    _finding("Rejected payloads are reported as a spent budget", "important", "regression",
             ("agent/internal/probe/probe.go", 45, 47), SEND_QUOTE, ["Send", "ShouldRetry"]),
    _finding("Delay waits the maximum when BaseDelay is zero", "suggestion", "regression",
             ("agent/internal/retry/policy.go", 45, None), REWRITTEN_QUOTE, ["Delay"]),
]}
# The same reply with the first finding's identifiers left out: it does not match the extract schema.
INCOMPLETE: dict[str, Any] = {"findings": [{k: v for k, v in READ["findings"][0].items() if k != "identifiers"},
                                           *READ["findings"][1:]]}
MISSING = "'identifiers' is a required property"

# The demo review's challengeable findings (verify --context demo-context.yaml): S2 quotes `"$*"` where
# scripts/run-agent.sh:38 has `"$@"` (refuted, a near miss), S3 cites 19-25 for code at 32-38 (doubtful),
# and Gemini's S3 asks for a teardown the conventions forbid (a false positive).
EXEC_LINE = '    exec "$BEACOND_BIN" -collector "$collector/beat" "${extra[@]}" "$@"'
NO_ANSWER: dict[str, Any] = {"path": None, "start": None, "end": None, "quote": None, "label": None}
ANSWERS: dict[str, dict[str, Any]] = {
    "consolidated/S2": {"outcome": "amend", "reason": "The line passes \"$@\"; the quote was wrong.",
                        "path": "scripts/run-agent.sh", "start": 38, "end": 38, "quote": EXEC_LINE, "label": None},
    "consolidated/S3": {"outcome": "defend", "reason": "The empty array is expanded under set -u.",
                        "path": "scripts/run-agent.sh", "start": 32, "end": 32,
                        "quote": '    local -a extra=("${BEACON_EXTRA_FLAGS[@]}")', "label": None},
    "Gemini/S3": NO_ANSWER | {"outcome": "withdraw", "reason": "docs/testing.md forbids a teardown."},
}




def model_flags(fake: FakeProvider) -> list[str]:
    return ["--provider", fake.provider, "--model", MODELS[fake.provider], "--base-url", fake.url]


def demo_flags(demo: Any) -> list[str]:
    return ["--repo", str(demo.path), "--head", demo.head, "--base", demo.base]


def prompt(provider: str, body: dict[str, Any]) -> str:
    """The user turns of a request, whatever the provider's format."""
    if provider == "gemini":
        return "\n".join(c["parts"][0]["text"] for c in body["contents"] if c["role"] == "user")
    return "\n".join(m["content"] for m in body["messages"] if m["role"] == "user")


def finding_key(text: str) -> str:
    """The key of the finding a challenge prompt is about."""
    found = re.search(r"^Finding (\S+): ", text, re.MULTILINE)
    assert found is not None, text
    return found.group(1)


def by_finding(provider: str) -> Callable[[Recorded], Response]:
    """Answers a challenge from the finding key its prompt names, whatever order the findings come in."""
    def answer(request: Recorded) -> Response:
        return reply_with(provider, ANSWERS[finding_key(prompt(provider, request.body))])

    return answer


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- extract --------------------------------------------------------------------------------------


def test_extract_prints_claims_verify_accepts_and_marks_the_rewritten_quote(
        fake: FakeProvider, capsys: pytest.CaptureFixture[str]) -> None:
    fake.script([reply_with(fake.provider, READ, input_tokens=1500, output_tokens=400)])
    code, out, err = run(capsys, "extract", str(FREEFORM), *model_flags(fake))
    assert code == 0, err
    claims = json.loads(out)
    review = read_review(json.dumps(claims), "extracted")
    assert [f.id for f in review.findings] == ["E1", "E2", "E3"]
    quotes = [f["quotes"][0] for f in claims["findings"]]
    assert [q["text"] for q in quotes] == [BUDGET_QUOTE, SEND_QUOTE, REWRITTEN_QUOTE]
    assert [q.get("verbatim", True) for q in quotes] == [True, True, False]
    assert claims["findings"][2]["locations"] == [{"path": "agent/internal/retry/policy.go", "start": 45}]
    assert FREEFORM.read_text(encoding="utf-8") in prompt(fake.provider, fake.requests[0].body)
    [line] = err.splitlines()
    assert line.startswith(f"reviewvet: extract: 3 findings from 1 call to {fake.provider}:{MODELS[fake.provider]}; "
                           "1500 tokens in, 400 out, about $")
    assert line.endswith("; 1 quote rewritten (not verbatim, not checked): E3 quote 1")


def test_a_reply_off_the_schema_is_sent_back_once_with_the_complaint(
        fake: FakeProvider, capsys: pytest.CaptureFixture[str]) -> None:
    fake.script([reply_with(fake.provider, INCOMPLETE), reply_with(fake.provider, READ)])
    code, out, err = run(capsys, "extract", str(FREEFORM), *model_flags(fake))
    assert code == 0, err
    assert len(json.loads(out)["findings"]) == 3
    first, second = (prompt(fake.provider, r.body) for r in fake.requests)
    assert MISSING not in first
    assert "does not match the schema (at findings/0: " + MISSING in second
    assert "3 findings from 2 calls" in err


def test_a_reply_off_the_schema_twice_exits_2_naming_the_problem(
        fake: FakeProvider, capsys: pytest.CaptureFixture[str]) -> None:
    fake.script([reply_with(fake.provider, INCOMPLETE)] * 2)
    code, out, err = run(capsys, "extract", str(FREEFORM), *model_flags(fake))
    assert (code, out) == (2, "")
    assert err == (f"reviewvet: error: {fake.provider}:{MODELS[fake.provider]} answered twice with findings that do "
                   f"not match the schema; the second time at findings/0: {MISSING}\n")
    assert len(fake.requests) == 2


def test_a_failed_call_exits_2_with_one_line(fake: FakeProvider, capsys: pytest.CaptureFixture[str]) -> None:
    fake.script([error_reply(fake.provider, 400, "no such model")])
    code, out, err = run(capsys, "extract", str(FREEFORM), *model_flags(fake))
    assert (code, out) == (2, "")
    assert re.fullmatch(rf"reviewvet: error: {fake.provider}: HTTP 400.*no such model\n", err), err


def test_extract_reads_standard_input_and_the_sdks_own_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a process: the key and the endpoint come from the environment; a model with no known price."""
    env = {k: v for k, v in os.environ.items() if k not in PROVIDER_VARIABLES + PROXY_VARIABLES}
    for provider in PROVIDERS:
        with provider_server(provider) as fake:
            fake.script([reply_with(provider, READ, model="house-model-7")])
            done = subprocess.run([sys.executable, "-m", "reviewvet.cli", "extract", "-", "--provider", provider,
                                   "--model", "house-model-7"], input=FREEFORM.read_bytes(), capture_output=True,
                                  cwd=ROOT, env=env | fake.env | {"NO_PROXY": "127.0.0.1"}, check=False)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["title"] == "claims read from <stdin> by " + f"{provider}:house-model-7"
        assert b"100 tokens in, 20 out, price unknown; 1 quote rewritten" in done.stderr


# -- verify --extract-with ------------------------------------------------------------------------


def test_verify_extract_with_gives_real_verdicts(fake: FakeProvider, demo_repo: Any,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    fake.script([reply_with(fake.provider, READ)])
    code, out, err = run(capsys, "verify", str(FREEFORM), *demo_flags(demo_repo), "--format", "json",
                         "--extract-with", f"{fake.provider}:{MODELS[fake.provider]}", "--base-url", fake.url)
    assert code == 0, err
    data = json.loads(out)
    findings = {f["id"]: f for f in data["findings"]}
    assert data["review"]["format"] == "claims-json"
    assert {k: f["verdict"]["grade"] for k, f in findings.items()} == {"E1": "confirmed", "E2": "confirmed",
                                                                        "E3": "confirmed"}
    assert [q["status"] for q in findings["E1"]["quotes"]] == ["exact"]
    assert findings["E1"]["quotes"][0]["span"] | {"rev": ""} == {
        "path": "agent/internal/retry/budget.go", "start": 42, "end": 45, "side": "head", "rev": ""}
    assert findings["E1"]["flags"] == ["mislabelled-provenance"]  # labelled gap: the budget is new in the PR
    assert [q["status"] for q in findings["E2"]["quotes"]] == ["exact"]
    assert [q["role"] for q in findings["E3"]["quotes"]] == ["proposal"]  # rewritten: not held against it
    assert [c["status"] for c in findings["E3"]["lines"]] == ["contained"]
    assert any("E3: quote 1 is not in the review as written" in w["message"] for w in data["review"]["warnings"])
    assert "reviewvet: extract: 3 findings from 1 call" in err


# -- challenge ------------------------------------------------------------------------------------


def test_challenge_verifies_what_the_model_answers(fake: FakeProvider, demo_repo: Any,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    fake.script([by_finding(fake.provider)] * 3)
    code, out, err = run(capsys, "challenge", str(DEMO_REVIEW), *demo_flags(demo_repo), "--context",
                         str(DEMO_CONTEXT), "--format", "json", *model_flags(fake))
    assert code == 0, err
    data = json.loads(out)
    outcomes = {c["key"]: c for c in data["challenges"]}
    assert {k: (c["outcome"], c["regrade"], c["survived"]) for k, c in outcomes.items()} == {
        "consolidated/S2": ("amend", "confirmed", True),
        "consolidated/S3": ("defend", "false positive", False),  # a near miss of line 32
        "Gemini/S3": ("withdraw", "", False),
    }
    assert outcomes["consolidated/S2"]["claim"]["quotes"] == [{"text": EXEC_LINE, "role": "evidence"}]
    assert all(c["provider"] == fake.provider and c["input_tokens"] == 100 for c in outcomes.values())
    assert data["summary"]["challenges"] == {"withdraw": 1, "amend": 1, "defend": 1, "failed": 0, "survived": 1}
    findings = {f["key"]: f for f in data["findings"]}
    assert findings["consolidated/S2"]["verdict"]["grade"] == "refuted"  # a model's word changes no verdict
    assert findings["consolidated/S2"]["challenge"]["outcome"] == "amend"
    assert f"challenge: 3 findings sent to {fake.provider}:{MODELS[fake.provider]} " \
           "(1 amend, 1 defend, 1 withdraw); 1 survived; 300 tokens in, 60 out, about $" in err


def test_the_challenge_prompt_carries_the_evidence(fake: FakeProvider, demo_repo: Any,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The near miss at scripts/run-agent.sh:38: the line really there, and the characters that differ."""
    fake.script([by_finding(fake.provider)] * 3)
    code, _, err = run(capsys, "verify", str(DEMO_REVIEW), *demo_flags(demo_repo), "--context", str(DEMO_CONTEXT),
                       "--quiet", "--challenge-with", f"{fake.provider}:{MODELS[fake.provider]}",
                       "--base-url", fake.url)
    assert code == 0, err
    prompts = {finding_key(p): p for p in (prompt(fake.provider, r.body) for r in fake.requests)}
    assert sorted(prompts) == sorted(ANSWERS)
    near_miss = prompts["consolidated/S2"]
    assert "The lines at scripts/run-agent.sh:38-38:\n   38  " + EXEC_LINE in near_miss
    assert """you wrote ' "$*"', the file has ' "$@"'""" in near_miss
    assert "scripts/run-agent.sh:32-38" in prompts["consolidated/S3"]  # where the quoted code really is


def test_the_challenge_report_reads_in_the_terminal_format(fake: FakeProvider, demo_repo: Any,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    fake.script([by_finding(fake.provider)] * 3)
    code, out, err = run(capsys, "challenge", str(DEMO_REVIEW), *demo_flags(demo_repo), "--context",
                         str(DEMO_CONTEXT), "--color", "never", "--fail-on", "near-miss-quote", *model_flags(fake))
    assert code == 1, err  # --fail-on decides as in verify
    who = f"{fake.provider}:{MODELS[fake.provider]}"
    assert f"challenged ({who}): amended — re-verified confirmed: survived" in out
    assert f"challenged ({who}): withdrawn" in out
    assert "--fail-on: raised by 1 finding:\n  consolidated/S2: near-miss-quote" in err


def test_a_challenge_the_model_cannot_answer_is_reported_not_fatal(fake: FakeProvider, demo_repo: Any,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The verification stands; each challenge is recorded as failed, and standard error says why."""
    fake.script([error_reply(fake.provider, 400, "no such model")] * 3)
    code, out, err = run(capsys, "verify", str(DEMO_REVIEW), *demo_flags(demo_repo), "--context", str(DEMO_CONTEXT),
                         "--format", "json", "--challenge-with", f"{fake.provider}:{MODELS[fake.provider]}",
                         "--base-url", fake.url)
    assert code == 0, err
    challenges = json.loads(out)["challenges"]
    assert [c["outcome"] for c in challenges] == ["failed"] * 3
    assert all("the model could not be asked" in c["reason"] and "no such model" in c["reason"] for c in challenges)
    assert re.search(r"reviewvet: challenge: 3 findings sent to .*\(3 failed\); 0 survived; 0 tokens in, 0 out, "
                     r"about \$0\.0000; the first failure, \S+: the model could not be asked: .*no such model", err)


# -- setup errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_key_exits_2_naming_the_variable(provider: str, demo_repo: Any, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    clean_environment(monkeypatch)
    named = f"{provider}:{MODELS[provider]}"
    commands = {
        "--provider": ["extract", str(FREEFORM), "--provider", provider, "--model", MODELS[provider]],
        "--challenge-with": ["verify", str(DEMO_REVIEW), *demo_flags(demo_repo), "--challenge-with", named],
        "--extract-with": ["verify", str(FREEFORM), *demo_flags(demo_repo), "--extract-with", named],
    }
    for flag, argv in commands.items():
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, "")
        assert re.fullmatch(rf"reviewvet: error: {flag}: no \w+ key: set {KEY_VARIABLES[provider]}.*\n", err), err


def test_a_malformed_model_name_and_lone_connection_flags_are_usage_errors(demo_repo: Any,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "verify", str(DEMO_REVIEW), *demo_flags(demo_repo), "--challenge-with", "mistral")
    assert (code, err) == (2, "reviewvet: error: --challenge-with: 'mistral': expected PROVIDER:MODEL with PROVIDER "
                              "one of anthropic, openai, gemini\n")
    for flag, value in (("--base-url", "http://127.0.0.1:9"), ("--timeout", "5")):
        code, _, err = run(capsys, "verify", str(DEMO_REVIEW), *demo_flags(demo_repo), flag, value)
        assert (code, err) == (2, f"reviewvet: error: {flag}: no model to ask; it goes with --extract-with or "
                                  "--challenge-with\n")


def test_the_model_commands_explain_themselves(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("extract", "challenge"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
        text = capsys.readouterr().out
        assert "--provider" in text and "--base-url" in text and "--timeout" in text


# -- the audit: challenges stored per review --------------------------------------------------------


def test_audit_ingest_challenges_and_stores_the_outcomes(fake: FakeProvider, demo_repo: Any, tmp_path: Any,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # In a child process: the ingest's workers see the environment reviewvet starts with (the key), as in use.
    import os
    import subprocess
    import sys

    import duckdb

    fake.script([by_finding(fake.provider)] * 3)
    db = tmp_path / "audit.duckdb"
    heads = tmp_path / "heads.json"
    heads.write_text(json.dumps({DEMO_REVIEW.name: {"head": demo_repo.head, "base": demo_repo.base}}),
                     encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "reviewvet.cli", "audit", "ingest", str(DEMO_REVIEW),
                           "--repo", str(demo_repo.path), "--map", str(heads), "--context", str(DEMO_CONTEXT),
                           "--db", str(db), "--challenge-with", f"{fake.provider}:{MODELS[fake.provider]}"],
                          env=os.environ | fake.env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(fake.requests) == 3, proc.stdout  # one per refuted or doubtful finding
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT finding_key, provider, outcome, regrade, survived, input_tokens "
                           "FROM challenges ORDER BY finding_key").fetchall()
    finally:
        con.close()
    assert rows == [("Gemini/S3", fake.provider, "withdraw", None, False, 100),
                    ("consolidated/S2", fake.provider, "amend", "confirmed", True, 100),
                    ("consolidated/S3", fake.provider, "defend", "false positive", False, 100)]
    code, out, err = run(capsys, "audit", "report", "--db", str(db), "--format", "markdown")
    assert code == 0, err
    assert "challenges per agent" in out and "challenges per model" in out


def test_audit_ingest_refuses_a_challenger_it_cannot_open(demo_repo: Any, tmp_path: Any,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    clean_environment(monkeypatch)
    db = tmp_path / "audit.duckdb"
    code, _, err = run(capsys, "audit", "ingest", str(DEMO_REVIEW), "--repo", str(demo_repo.path), "--db", str(db),
                       "--challenge-with", "openai:gpt-test")
    assert code == 2 and "OPENAI_API_KEY" in err
    assert not db.exists()  # refused before any review was read
    code, _, err = run(capsys, "audit", "ingest", str(DEMO_REVIEW), "--db", str(db), "--timeout", "5")
    assert code == 2 and "--challenge-with" in err

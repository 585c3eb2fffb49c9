"""A challenged finding in every output format: one sentence (``describe_challenge``) under the finding in
the terminal and Markdown reports and in its block of the pull-request comment, a short bracket after the
headline of an annotation or a reviewdog diagnostic, the record itself in JSON (valid against the schema)
and SARIF, and the outcomes counted in the summary only when something was challenged.

The verification is the demo's, really verified; the challenges are records attached to its doubtful
finding, as ``reviewvet challenge`` attaches a model's answers (no model is asked here)."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from importlib import resources
from typing import Any

import jsonschema
import pytest

from reviewvet.api import verify_repository
from reviewvet.ingest.parse import parse_review, read_review_file
from reviewvet.model.challenge import ChallengeOutcome
from reviewvet.model.verification import Verification
from reviewvet.report import RenderOptions, github_annotations, json_format, markdown, rdjsonl, render, sarif
from reviewvet.report import terminal
from reviewvet.report.data import summary_data
from reviewvet.report.github_comment import BUDGET
from reviewvet.report.text import describe_challenge
from tests.conftest import REVIEWS

CLAIM = {"id": "S3-challenged", "title": "the amended claim",
         "quotes": [{"text": "return b.remaining", "role": "evidence"}],
         "locations": [{"path": "agent/internal/retry/budget.go", "start": 40, "end": 41}]}

# The three answers a challenge can come to, each as the record llm.challenge makes of it.
SENTENCES = {
    "amend": "challenged (anthropic:claude-x): amended — re-verified confirmed: survived; "
             "reason: the quote was from the neighbouring function",
    "withdraw": "challenged (openai:gpt-y): withdrawn; reason: the evidence shows the check is there",
    "failed": "challenge failed (anthropic:claude-x): the model could not be asked: timed out after 60 s",
}
SHORT = {
    "amend": "challenged (anthropic:claude-x): amended — re-verified confirmed: survived",
    "withdraw": "challenged (openai:gpt-y): withdrawn",
    "failed": "challenge failed (anthropic:claude-x)",
}


def outcome(kind: str, key: str) -> ChallengeOutcome:
    if kind == "amend":
        return ChallengeOutcome(key, "anthropic", "claude-x", "amend", "the quote was from the neighbouring function",
                                claim=CLAIM, regrade="confirmed", survived=True, input_tokens=1200, output_tokens=80,
                                cost_usd=0.0042, seconds=3.25)
    if kind == "withdraw":
        return ChallengeOutcome(key, "openai", "gpt-y", "withdraw", "the evidence shows the check is there",
                                input_tokens=900, output_tokens=40, seconds=1.5)
    return ChallengeOutcome(key, "anthropic", "claude-x", "failed",
                            "the model could not be asked: timed out after 60 s", seconds=60.0)


@pytest.fixture(scope="module")
def verified(demo_repo: Any) -> Verification:
    review = parse_review(read_review_file(REVIEWS / "demo-review.md"), "demo-review.md")
    return verify_repository(demo_repo.path, review, head=demo_repo.head, base=demo_repo.base)


@pytest.fixture(scope="module")
def doubtful_key(verified: Verification) -> str:
    """The demo's doubtful finding (located, and no false positive: every format posts it)."""
    return next(fv.finding.key for fv in verified.verdicts if fv.verdict and fv.verdict.grade == "doubtful")


@pytest.fixture(params=sorted(SENTENCES))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def challenged(verified: Verification, doubtful_key: str, kind: str) -> Verification:
    return replace(verified, challenges=(outcome(kind, doubtful_key),))


def block_of(text: str, start: str, end: str) -> str:
    """The part of ``text`` from the first line holding ``start`` to the next line holding ``end``."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if start in line)
    last = next((i for i in range(first + 1, len(lines)) if end in lines[i]), len(lines))
    return "\n".join(lines[first:last])


# -- the sentence -----------------------------------------------------------------------------------


def test_the_sentence_says_what_the_challenge_came_to(kind: str) -> None:
    c = outcome(kind, "consolidated/S3")
    assert describe_challenge(c) == SENTENCES[kind]
    assert describe_challenge(c, reason=False) == SHORT[kind]


def test_a_defended_finding_whose_claim_was_refuted_did_not_survive() -> None:
    c = ChallengeOutcome("k", "google", "gemini-z", "defend", "it is there", regrade="refuted", flags=("absent",))
    assert describe_challenge(c) == ("challenged (google:gemini-z): defended — re-verified refuted: did not survive; "
                                     "reason: it is there")
    nothing = replace(c, outcome="amend", regrade="", reason="")
    assert describe_challenge(nothing) == "challenged (google:gemini-z): amended — nothing re-verified: did not survive"


# -- the human-readable formats -----------------------------------------------------------------------


def test_terminal_shows_the_challenge_under_its_finding(challenged: Verification, doubtful_key: str,
                                                        kind: str) -> None:
    text = terminal.render(challenged, RenderOptions(color=False, width=400))
    block = block_of(text, f" {doubtful_key} ", "consolidated/S4")
    assert f"          {SENTENCES[kind]}" in block.splitlines()
    assert text.count(SENTENCES[kind]) == 1
    summary = block_of(text, "Summary", "Agents")
    assert f"challenge {kind}" in summary and "challenge survived" in summary


def test_terminal_colours_the_challenge_by_what_became_of_the_finding(challenged: Verification, kind: str) -> None:
    text = terminal.render(challenged, RenderOptions(color=True, width=400))
    colour = {"amend": "32", "withdraw": "31", "failed": "35"}[kind]  # green, red, magenta
    line = next(line for line in text.splitlines() if SENTENCES[kind][:20] in line)
    assert f"\x1b[{colour}m" in line


def test_markdown_lists_the_challenge_in_its_finding(challenged: Verification, doubtful_key: str, kind: str) -> None:
    text = markdown.render(challenged)
    block = block_of(text, f"### {doubtful_key} ", "### ")
    assert f"- {SENTENCES[kind]}" in block.splitlines()
    assert text.count(SENTENCES[kind]) == 1
    assert f"| {kind} | 1 |" in block_of(text, "## Summary", "## Agents")


def test_the_pull_request_comment_has_the_challenge_in_the_findings_block(challenged: Verification,
                                                                          doubtful_key: str, kind: str) -> None:
    text = render("github-comment", challenged)
    block = block_of(text, f"<code>{doubtful_key}</code>", "</details>")
    assert f"**Challenge:** {SENTENCES[kind]}" in block.splitlines()
    assert text.count("**Challenge:**") == 1


def test_a_long_answer_is_clipped_and_the_comment_stays_within_its_budget(verified: Verification,
                                                                          doubtful_key: str) -> None:
    long = replace(outcome("amend", doubtful_key), reason="@octocat look: " + "because " * 20_000)
    challenges = tuple(replace(long, key=fv.finding.key) for fv in verified.verdicts)
    many = replace(verified, verdicts=verified.verdicts * 20, challenges=challenges)  # far more than fits
    text = render("github-comment", many)
    assert len(text) <= BUDGET
    lines = [line for line in text.splitlines() if line.startswith("**Challenge:** ")]
    assert lines and all(len(line) < 700 and line.endswith("…") for line in lines)
    assert all("`@octocat`" in line for line in lines)  # a mention in a model's answer notifies nobody
    assert "not shown" in text  # the budget still cuts the confirmed tail


# -- the one-line formats ---------------------------------------------------------------------------------


def test_annotations_end_the_message_with_the_short_form(challenged: Verification, doubtful_key: str,
                                                         kind: str) -> None:
    lines = github_annotations.render(challenged).splitlines()
    mine = [line for line in lines if f"] {doubtful_key}: " in line]
    assert len(mine) == 1 and mine[0].endswith(f" [{SHORT[kind]}]")
    assert sum("challenge" in line for line in lines) == 1


def test_rdjsonl_ends_the_message_with_the_short_form(challenged: Verification, doubtful_key: str,
                                                      kind: str) -> None:
    diagnostics = [json.loads(line) for line in rdjsonl.render(challenged).splitlines()]
    mine = [d for d in diagnostics if d["original_output"] == doubtful_key]
    assert len(mine) == 1 and mine[0]["message"].endswith(f" [{SHORT[kind]}]")
    assert mine[0]["message"].startswith(f"[doubtful] {doubtful_key}: ")
    assert sum("challenge" in d["message"] for d in diagnostics) == 1


# -- the data formats ---------------------------------------------------------------------------------------


def test_json_holds_the_records_and_validates_against_the_schema(challenged: Verification, doubtful_key: str,
                                                                 kind: str) -> None:
    schema = json.loads(resources.files("reviewvet.schemas").joinpath("verify-1.schema.json").read_text())
    data = json.loads(json_format.render(challenged))
    jsonschema.Draft202012Validator(schema).validate(data)
    [c] = challenged.challenges
    record = asdict(c) | {"flags": list(c.flags)}
    assert data["challenges"] == [record]
    by_key = {f["key"]: f["challenge"] for f in data["findings"]}
    assert by_key.pop(doubtful_key) == record
    assert set(by_key.values()) == {None}
    counts = {"withdraw": 0, "amend": 0, "defend": 0, "failed": 0} | {kind: 1}
    assert data["summary"]["challenges"] == counts | {"survived": int(kind == "amend")}


def test_json_of_an_unchallenged_review_has_no_challenge_counts(verified: Verification) -> None:
    schema = json.loads(resources.files("reviewvet.schemas").joinpath("verify-1.schema.json").read_text())
    data = json.loads(json_format.render(verified))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["challenges"] == [] and {f["challenge"] for f in data["findings"]} == {None}
    assert "challenges" not in data["summary"] and "challenges" not in summary_data(verified)


def test_the_schema_refuses_a_challenge_of_an_unknown_outcome(challenged: Verification) -> None:
    schema = json.loads(resources.files("reviewvet.schemas").joinpath("verify-1.schema.json").read_text())
    data = json.loads(json_format.render(challenged))
    data["challenges"][0]["outcome"] = "ignore"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(data)


def test_sarif_gives_the_outcome_in_the_results_properties(challenged: Verification, doubtful_key: str,
                                                           kind: str) -> None:
    results = {r["properties"]["finding"]: r for r in json.loads(sarif.render(challenged))["runs"][0]["results"]}
    [c] = challenged.challenges
    assert results[doubtful_key]["properties"]["challenge"] == {
        "provider": c.provider, "model": c.model, "outcome": kind, "reason": c.reason, "claim": c.claim,
        "regrade": c.regrade, "flags": [], "survived": c.survived, "inputTokens": c.input_tokens,
        "outputTokens": c.output_tokens, "costUsd": c.cost_usd, "seconds": c.seconds}
    assert [key for key, r in results.items() if "challenge" in r["properties"]] == [doubtful_key]
    assert "challenge" not in results[doubtful_key]["message"]["text"]  # the message stays the headline


def test_an_unchallenged_verification_renders_as_before(verified: Verification) -> None:
    again = replace(verified, challenges=())
    for name in ("terminal", "markdown", "sarif", "rdjsonl", "github", "github-comment"):
        text = render(name, verified)
        assert text == render(name, again)
        assert "challenge" not in text.lower()

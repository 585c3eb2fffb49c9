"""rdjsonl, reviewdog's diagnostics as JSON lines: every line fits the rdf proto's Diagnostic, messages
lead with the verdict, false positives only on request, and a diff becomes a suggestion only over the
very lines it was written for."""

from __future__ import annotations

import ast
import inspect
import json
from dataclasses import replace
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from gitbuild import RepoBuilder

from reviewvet.api import verify_repository
from reviewvet.ingest.parse import parse_review, read_review_file
from reviewvet.model.checks import primary_location
from reviewvet.model.verification import Verification
from reviewvet.report import PLAIN, RenderOptions, rdjsonl, render
from reviewvet.report.links import rule_url
from reviewvet.report.text import deciding_rule, headline
from tests.conftest import REVIEWS

WITH_FALSE_POSITIVES = RenderOptions(include_false_positives=True)
SEVERITIES = {"critical": "ERROR", "important": "WARNING", "suggestion": "INFO"}

# reviewdog's Diagnostic message (proto/rdf/reviewdog.proto) as a JSON schema: the proto's field names,
# the fields reviewdog cannot do without marked required, its Severity enum by name.
RDJSONL_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "position": {"type": "object", "additionalProperties": False, "required": ["line"],
                     "properties": {"line": {"type": "integer", "minimum": 1},
                                    "column": {"type": "integer", "minimum": 1}}},
        "range": {"type": "object", "additionalProperties": False, "required": ["start"],
                  "properties": {"start": {"$ref": "#/$defs/position"}, "end": {"$ref": "#/$defs/position"}}},
    },
    "type": "object",
    "additionalProperties": False,
    "required": ["message", "location"],
    "properties": {
        "message": {"type": "string", "minLength": 1},
        "location": {"type": "object", "additionalProperties": False, "required": ["path"],
                     "properties": {"path": {"type": "string", "minLength": 1}, "range": {"$ref": "#/$defs/range"}}},
        "severity": {"enum": ["UNKNOWN_SEVERITY", "ERROR", "WARNING", "INFO"]},
        "source": {"type": "object", "additionalProperties": False, "required": ["name"],
                   "properties": {"name": {"type": "string"}, "url": {"type": "string"}}},
        "code": {"type": "object", "additionalProperties": False, "required": ["value"],
                 "properties": {"value": {"type": "string"}, "url": {"type": "string"}}},
        "suggestions": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["range", "text"],
            "properties": {"range": {"$ref": "#/$defs/range"}, "text": {"type": "string"}}}},
        "original_output": {"type": "string"},
        "images": {"type": "array"},
    },
}




def diagnostics(v: Verification, options: RenderOptions = PLAIN) -> dict[str, dict[str, Any]]:
    """The rendered lines read back, by finding key."""
    lines = [json.loads(line) for line in rdjsonl.render(v, options).splitlines()]
    by_key = {d["original_output"]: d for d in lines}
    assert len(by_key) == len(lines)
    return by_key


def false_positives(v: Verification) -> set[str]:
    return {key for key, d in v.decisions.items() if d.false_positive}


# -- the demo verification ----------------------------------------------------------------------


def test_every_line_is_a_reviewdog_diagnostic(result: Verification) -> None:
    validator = jsonschema.Draft202012Validator(RDJSONL_SCHEMA)
    for options in (PLAIN, WITH_FALSE_POSITIVES):
        text = rdjsonl.render(result, options)
        assert text.endswith("\n")
        for line in text.splitlines():
            d = json.loads(line)
            validator.validate(d)
            assert {"severity", "source", "code", "original_output"} <= set(d)


def test_one_diagnostic_per_located_finding_without_false_positives(result: Verification) -> None:
    expected = [fv.finding.key for fv in result.verdicts
                if primary_location(fv) is not None and fv.finding.key not in false_positives(result)]
    assert list(diagnostics(result)) == expected
    assert false_positives(result) == {"consolidated/S2", "Gemini/S3"}
    assert "consolidated/D1" not in expected  # a design observation cites no lines


def test_false_positives_are_posted_when_asked(result: Verification) -> None:
    posted = diagnostics(result, WITH_FALSE_POSITIVES)
    assert set(posted) - set(diagnostics(result)) == false_positives(result)
    for key in false_positives(result):
        d = posted[key]
        assert d["message"].startswith("[false positive] ")
        assert d["severity"] == "INFO" and "suggestions" not in d
    assert posted["Gemini/S3"]["code"]["value"] == "RV601"


def test_messages_lead_with_the_verdict(result: Verification) -> None:
    by_key = diagnostics(result, WITH_FALSE_POSITIVES)
    for fv in result.verdicts:
        if fv.finding.key in by_key:
            assert by_key[fv.finding.key]["message"] == headline(fv, result.decisions.get(fv.finding.key))
    assert by_key["consolidated/S3"]["message"].startswith("[doubtful] consolidated/S3: ")
    # no rule decided anything about I3: its verdict grade still leads
    assert by_key["consolidated/I3"]["code"]["value"] == "RV000"
    assert by_key["consolidated/I3"]["message"].startswith("[confirmed] consolidated/I3: ")


def test_codes_name_the_deciding_rule_and_link_to_its_documentation(result: Verification) -> None:
    by_key = diagnostics(result, WITH_FALSE_POSITIVES)
    for key, d in by_key.items():
        assert d["code"]["value"] == deciding_rule(result.decisions.get(key))
        assert d["code"]["url"] == rule_url(d["code"]["value"])
        assert d["source"] == {"name": "reviewvet"}
    assert by_key["consolidated/S2"]["code"]["url"].endswith("rules.md#rv102")


def test_severities_follow_the_final_severities(result: Verification) -> None:
    by_key = diagnostics(result)
    for key, d in by_key.items():
        decision = result.decisions[key]
        assert d["severity"] == SEVERITIES.get(decision.severity or "", "INFO"), key
    assert by_key["consolidated/I1"]["severity"] == "WARNING"
    assert by_key["consolidated/S1"]["severity"] == "INFO"


def test_ranges_are_the_located_lines_linewise(result: Verification) -> None:
    by_key = diagnostics(result)
    s3 = by_key["consolidated/S3"]["location"]  # cited 19-25, really 32-38
    assert s3 == {"path": "scripts/run-agent.sh", "range": {"start": {"line": 32}, "end": {"line": 38}}}
    assert by_key["consolidated/S4"]["location"]["path"] == "scripts/lib.sh"  # the quote's real file
    for d in by_key.values():
        assert "column" not in d["location"]["range"]["start"] and "column" not in d["location"]["range"]["end"]


def test_a_demo_diff_found_with_other_whitespace_suggests_nothing(result: Verification) -> None:
    s1 = next(fv for fv in result.verdicts if fv.finding.key == "consolidated/S1")
    assert [(q.role, q.status) for q in s1.quotes] == [("diff", "normalised")]  # spaces for the file's tabs
    assert not any("suggestions" in d for d in diagnostics(result, WITH_FALSE_POSITIVES).values())


def test_the_registry_renders_rdjsonl(result: Verification) -> None:
    assert render("rdjsonl", result, WITH_FALSE_POSITIVES) == rdjsonl.render(result, WITH_FALSE_POSITIVES)


def test_rdjsonl_uses_no_private_name_of_another_format() -> None:
    tree = ast.parse(inspect.getsource(rdjsonl))
    imported = [(node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names]
    assert not [(m, n) for m, n in imported if n.startswith("_")]
    assert "reviewvet.report.sarif" not in {m for m, _ in imported}


# -- suggestions, on a small repository --------------------------------------------------------

LEDGER = '''\
"""Balances of a small ledger, kept in a dict from account name to amount."""


def deposit(balances, account, amount):
    balances[account] = balances.get(account, 0) + amount
    return balances


def withdraw(balances, account, amount):
    balance = balances.get(account, 0)
    balances[account] = balance - amount
    return balances


def total(balances):
    result = 0
    for value in balances.values():
        result += value
    return result
'''


@pytest.fixture
def ledger(make_repo: Callable[..., RepoBuilder]) -> Verification:
    """rdjsonl-suggestions.md verified against the ledger it reviews."""
    repo = make_repo()
    repo.commit("ledger: start", {"README.md": "ledger\n"}, date="2025-05-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("ledger: deposit, withdraw and total", {"app/ledger.py": LEDGER}, date="2026-01-10T09:00:00+00:00")
    path = REVIEWS / "rdjsonl-suggestions.md"
    return verify_repository(repo.path, parse_review(read_review_file(path), path.name), head="pr", base="main")


def ledger_lines(start: int, end: int) -> list[str]:
    return LEDGER.splitlines()[start - 1:end]


def test_a_diff_written_for_the_located_lines_becomes_a_suggestion(ledger: Verification) -> None:
    s1 = diagnostics(ledger)["consolidated/S1"]
    removed = ["    balances[account] = balance - amount"]
    assert ledger_lines(9, 11) == ["def withdraw(balances, account, amount):",
                                   "    balance = balances.get(account, 0)", *removed]
    lines = {"start": {"line": 9}, "end": {"line": 11}}
    assert s1["location"] == {"path": "app/ledger.py", "range": lines}
    (suggestion,) = s1["suggestions"]
    assert suggestion["range"] == lines  # reviewdog posts a suggestion only over the comment's own lines
    assert suggestion["text"].split("\n") == [
        "def withdraw(balances, account, amount):",
        "    balance = balances.get(account, 0)",
        "    if amount > balance:",
        '        raise ValueError(f"not enough money in {account!r}")',
        "    balances[account] = balance - amount",
    ]  # context lines kept, the - line gone, the + lines in their place
    jsonschema.Draft202012Validator(RDJSONL_SCHEMA).validate(s1)


def test_a_diff_whose_lines_differ_from_the_located_lines_suggests_nothing(ledger: Verification) -> None:
    by_key = diagnostics(ledger)
    statuses = {fv.finding.key: [q.status for q in fv.quotes] for fv in ledger.verdicts}
    assert statuses["consolidated/S2"] == ["normalised"]  # two-space indentation for the file's four
    assert statuses["consolidated/S3"] == ["near-miss"]  # a removed line the file does not have
    for key, start, end in (("consolidated/S2", 15, 19), ("consolidated/S3", 4, 5)):
        d = by_key[key]
        assert d["location"]["range"] == {"start": {"line": start}, "end": {"line": end}}, key
        assert "suggestions" not in d, key


def test_a_diff_located_away_from_the_diagnostic_suggests_nothing(ledger: Verification) -> None:
    s4 = next(fv for fv in ledger.verdicts if fv.finding.key == "consolidated/S4")
    diff = next(q for q in s4.quotes if q.role == "diff")
    assert diff.status == "exact" and diff.span is not None and (diff.span.start, diff.span.end) == (9, 11)
    d = diagnostics(ledger)["consolidated/S4"]
    assert d["location"]["range"] == {"start": {"line": 4}, "end": {"line": 5}}  # the evidence block comes first
    assert "suggestions" not in d


def test_a_refuted_finding_or_a_false_positive_suggests_nothing(ledger: Verification) -> None:
    (s1,) = [fv for fv in ledger.verdicts if fv.finding.key == "consolidated/S1"]
    assert s1.verdict is not None
    refuted = replace(ledger, verdicts=(replace(s1, verdict=replace(s1.verdict, grade="refuted")),))
    assert "suggestions" not in diagnostics(refuted)["consolidated/S1"]
    false_positive = replace(ledger.decisions["consolidated/S1"], false_positive=True)
    decisions = {**ledger.decisions, "consolidated/S1": false_positive}
    posted = diagnostics(replace(ledger, decisions=decisions), WITH_FALSE_POSITIVES)["consolidated/S1"]
    assert posted["severity"] == "INFO" and "suggestions" not in posted

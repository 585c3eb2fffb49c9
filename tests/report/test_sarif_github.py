"""The SARIF reviewvet writes passes GitHub code scanning's ingestion rules: for the demo review and
for each of the five real seed reports verified against their repository (skipped when ../shared
is absent). Each seed is verified once for the whole module.

The rules, from GitHub's "SARIF support for code scanning" page (docs.github.com/en/code-security/
code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning): every result has a
location (GitHub shows no result without one and the upload fails); locations are paths relative
to the repository's root; every rule has help; the file stays within the limits below; and it is
valid SARIF 2.1.0.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from reviewvet.api import VerifyOptions, load_review, verify_repository
from reviewvet.report import sarif
from tests.conftest import REVIEWS, SEED_PRS, SHARED

SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"

# GitHub's limits on an uploaded SARIF file, from docs.github.com "SARIF support for code scanning"
# (section "Validating your SARIF file") and "SARIF results exceed one or more limits" (code-scanning/
# troubleshooting-sarif-uploads/results-exceed-limit): a file over any of them is rejected.
MAX_GZIP_BYTES = 10 * 1024 * 1024  # the gzip-compressed file
MAX_RUNS = 20  # runs per file
MAX_RESULTS = 25_000  # results per run
MAX_RULES = 25_000  # rules per run
MAX_EXTENSIONS = 100  # tool extensions per run
MAX_LOCATIONS = 1_000  # locations per result
MAX_TAGS = 20  # tags per rule
MAX_NAME = 255  # characters of a rule's name
MAX_DESCRIPTION = 1_024  # characters of a rule's short and full description

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@pytest.fixture(scope="module")
def demo_log(demo_repo) -> dict[str, Any]:
    review = load_review(REVIEWS / "demo-review.md")  # an absolute source: it must not reach the file
    v = verify_repository(demo_repo.path, review, head=demo_repo.head, base=demo_repo.base,
                          options=VerifyOptions(context=REVIEWS / "demo-context.yaml"))
    data: dict[str, Any] = json.loads(sarif.render(v))
    return data


@pytest.fixture(scope="module")
def seed_logs(seed_verifications: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {prefix: json.loads(sarif.render(v)) for prefix, v in seed_verifications.items()}


@pytest.fixture(params=["demo", *(pytest.param(p, marks=pytest.mark.slow) for p in SEED_PRS)])
def log(request: pytest.FixtureRequest) -> dict[str, Any]:
    chosen: dict[str, Any] = (request.getfixturevalue("demo_log") if request.param == "demo"
                              else request.getfixturevalue("seed_logs")[request.param])
    return chosen


def runs(log: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = log["runs"]
    return found


def relative_uri_problem(uri: object) -> str | None:
    """Why ``uri`` is not a path relative to the repository's root (None when it is one)."""
    if not isinstance(uri, str) or not uri:
        return f"{uri!r} is not a path"
    if _SCHEME.match(uri) or uri.startswith(("/", "\\")):
        return f"{uri!r} is absolute"
    if ".." in re.split(r"[/\\]", uri):
        return f"{uri!r} leaves the repository"
    return None


def location_problems(where: str, location: dict[str, Any]) -> list[str]:
    physical = location.get("physicalLocation") or {}
    artifact = physical.get("artifactLocation") or {}
    problems = [f"{where}: {p}" for p in [relative_uri_problem(artifact.get("uri"))] if p]
    if not artifact.get("uriBaseId"):
        problems.append(f"{where}: no uriBaseId")
    region = physical.get("region") or {}
    if not (isinstance(region.get("startLine"), int) and region["startLine"] >= 1):  # the multitool's GH1003
        problems.append(f"{where}: no region with a start line")
    return problems


def result_problems(where: str, result: dict[str, Any], rule_ids: set[str]) -> list[str]:
    locations = result.get("locations") or []
    problems = [] if locations else [f"{where}: no location"]
    if len(locations) > MAX_LOCATIONS:
        problems.append(f"{where}: {len(locations)} locations")
    for i, location in enumerate(locations):
        problems += location_problems(f"{where} location {i}", location)
    if not (result.get("message") or {}).get("text"):
        problems.append(f"{where}: no message text")
    if result.get("ruleId") not in rule_ids:
        problems.append(f"{where}: rule {result.get('ruleId')!r} is not described")
    if not result.get("partialFingerprints"):
        problems.append(f"{where}: no partial fingerprints")
    return problems


def rule_problems(rule: dict[str, Any]) -> list[str]:
    where = f"rule {rule.get('id')!r}"
    problems = [f"{where}: no {field}" for field, value in (
        ("shortDescription.text", (rule.get("shortDescription") or {}).get("text")),
        ("fullDescription.text", (rule.get("fullDescription") or {}).get("text")),
        ("help.text", (rule.get("help") or {}).get("text")),
        ("help.markdown", (rule.get("help") or {}).get("markdown")),
        ("helpUri", rule.get("helpUri"))) if not value]
    for field in ("shortDescription", "fullDescription"):
        if len((rule.get(field) or {}).get("text", "")) > MAX_DESCRIPTION:
            problems.append(f"{where}: {field} over {MAX_DESCRIPTION} characters")
    if len(rule.get("name", "")) > MAX_NAME:
        problems.append(f"{where}: name over {MAX_NAME} characters")
    if len((rule.get("properties") or {}).get("tags", [])) > MAX_TAGS:
        problems.append(f"{where}: over {MAX_TAGS} tags")
    return problems


def results_problems(n: int, run: dict[str, Any]) -> list[str]:
    ids = {rule["id"] for rule in run["tool"]["driver"].get("rules", [])}
    problems = []
    for i, result in enumerate(run.get("results", [])):
        key = (result.get("properties") or {}).get("finding", "")
        problems += result_problems(f"run {n} result {i} ({key})", result, ids)
    return problems


def limit_problems(n: int, run: dict[str, Any]) -> list[str]:
    counts = (("results", len(run.get("results", [])), MAX_RESULTS),
              ("rules", len(run["tool"]["driver"].get("rules", [])), MAX_RULES),
              ("extensions", len(run["tool"].get("extensions", [])), MAX_EXTENSIONS))
    return [f"run {n}: {count} {what}, over GitHub's {limit}" for what, count, limit in counts if count > limit]


# -- the rules, on every log ----------------------------------------------------------------------


def test_every_result_has_a_relative_location_with_a_base(log: dict[str, Any]) -> None:
    problems = [p for n, run in enumerate(runs(log)) for p in results_problems(n, run)]
    assert not problems, "\n".join(problems)
    assert sum(len(run["results"]) for run in runs(log)) > 0


def test_every_rule_has_help_text_markdown_and_a_uri(log: dict[str, Any]) -> None:
    problems = [p for run in runs(log) for rule in run["tool"]["driver"]["rules"] for p in rule_problems(rule)]
    assert not problems, "\n".join(problems)


def test_the_file_is_within_githubs_limits(log: dict[str, Any]) -> None:
    text = json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False)
    assert len(gzip.compress(text.encode("utf-8"))) <= MAX_GZIP_BYTES
    assert 1 <= len(runs(log)) <= MAX_RUNS
    problems = [p for n, run in enumerate(runs(log)) for p in limit_problems(n, run)]
    assert not problems, "\n".join(problems)


def test_each_run_has_a_category_and_a_successful_invocation(log: dict[str, Any]) -> None:
    for run in runs(log):
        identifier = run["automationDetails"]["id"]
        assert identifier.startswith("reviewvet/") and identifier.endswith("/")  # all of it is the category
        assert run["invocations"][0]["executionSuccessful"] is True
        dropped = run["properties"]["unlocatedDropped"]
        assert dropped == len(run["properties"]["unlocatedDroppedFindings"])
        assert ("toolExecutionNotifications" in run["invocations"][0]) == (dropped > 0)


def test_no_local_path_is_written(log: dict[str, Any]) -> None:
    text = json.dumps(log, ensure_ascii=False)
    for local in (str(Path.home()), str(SHARED), str(REVIEWS), "file:"):
        assert local not in text
    for run in runs(log):
        assert "/" not in run["properties"]["review"]
        for provenance in run.get("versionControlProvenance", []):
            assert provenance["repositoryUri"].startswith("https://")


def test_the_file_validates_against_the_sarif_schema(log: dict[str, Any]) -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"the SARIF 2.1.0 schema is not available at {SCHEMA}")
    import jsonschema

    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(log)


# -- the checks themselves catch what GitHub refuses ----------------------------------------------


@pytest.mark.parametrize(("uri", "problem"), [
    ("src/main.go", None), ("a b/c.go", None),
    ("/abs/main.go", "is absolute"), ("file:///repo/main.go", "is absolute"), ("C:/repo/main.go", "is absolute"),
    ("https://example.com/x.go", "is absolute"), ("../main.go", "leaves the repository"),
    ("src/../../main.go", "leaves the repository"), ("", "is not a path"),
])
def test_relative_uris_are_told_from_the_rest(uri: str, problem: str | None) -> None:
    found = relative_uri_problem(uri)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_a_result_without_a_location_is_caught() -> None:
    result = {"ruleId": "RV000", "message": {"text": "m"}, "partialFingerprints": {"reviewvet/v1": "x"}}
    assert result_problems("r", result, {"RV000"}) == ["r: no location"]
    result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": "/x.go"}}}]
    assert result_problems("r", result, {"RV000"}) == ["r location 0: '/x.go' is absolute",
                                                       "r location 0: no uriBaseId",
                                                       "r location 0: no region with a start line"]

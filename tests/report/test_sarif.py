"""SARIF 2.1.0 output: the demo verification validates against the SARIF schema, results follow the
rules' decisions, findings with no place are placed on their file, left out or kept as asked, the
run is filed under its pull request's round, no local path is written, GitHub's line hashes are
reproduced, and reviewvet's own fingerprint survives unrelated edits. (GitHub's ingestion rules on
the demo and the real seed reports: test_sarif_github.py.)"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from gitbuild import RepoBuilder

from reviewvet.api import read_review, verify_repository
from reviewvet.ingest.parse import parse_review
from reviewvet.model.checks import primary_location
from reviewvet.model.verification import Verification
from reviewvet.report import PLAIN, RenderOptions, Unlocated, sarif
from reviewvet.report.links import rule_url
from reviewvet.resolve.linehash import line_hashes
from tests.conftest import REVIEWS, ROOT

SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
LEVELS = {"critical": "error", "important": "warning", "suggestion": "note"}




@pytest.fixture(scope="module")
def log(result: Verification) -> dict[str, Any]:
    return json.loads(sarif.render(result))


def results_by_key(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["properties"]["finding"]: r for r in log["runs"][0]["results"]}


# -- the demo verification ----------------------------------------------------------------------


def test_sarif_validates_against_the_schema(log: dict[str, Any]) -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"the SARIF 2.1.0 schema is not available at {SCHEMA}")
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    assert log["version"] == "2.1.0"


def test_one_result_per_finding_with_a_place(result: Verification, log: dict[str, Any]) -> None:
    keys = [r["properties"]["finding"] for r in log["runs"][0]["results"]]
    assert keys == [v.finding.key for v in result.verdicts if primary_location(v) is not None]
    assert len(keys) == len(set(keys)) == 28  # the 8 design and testing findings cite no file


def test_findings_with_no_place_are_left_out_counted_and_noted(result: Verification, log: dict[str, Any]) -> None:
    run = log["runs"][0]
    left_out = [f"consolidated/{i}" for i in ("D1", "D2", "D3", "D4", "D5", "T1", "T2", "T3")]
    assert run["properties"]["unlocatedDropped"] == 8
    assert run["properties"]["unlocatedDroppedFindings"] == left_out
    (invocation,) = run["invocations"]
    (note,) = invocation["toolExecutionNotifications"]
    assert invocation["executionSuccessful"] is True and note["level"] == "note"
    assert note["message"]["text"].startswith("8 of 36 findings had neither a line nor a file of the repository")
    assert "other formats" in note["message"]["text"]
    drop = sarif.sarif_log(result, RenderOptions(sarif_unlocated="drop"))["runs"][0]
    assert drop["results"] == run["results"] and drop["properties"]["unlocatedDroppedFindings"] == left_out
    assert drop["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"].startswith(
        "8 of 36 findings had no line of the repository to point at")


def test_keep_leaves_every_finding_in_and_nothing_counted(result: Verification) -> None:
    run = sarif.sarif_log(result, RenderOptions(sarif_unlocated="keep"))["runs"][0]
    assert [r["properties"]["finding"] for r in run["results"]] == [v.finding.key for v in result.verdicts]
    assert sum("locations" not in r for r in run["results"]) == 8
    assert run["properties"]["unlocatedDropped"] == 0 and run["properties"]["unlocatedDroppedFindings"] == []
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_the_region_holds_the_lines_the_quote_matched(result: Verification, log: dict[str, Any]) -> None:
    (s3,) = [v for v in result.verdicts if v.finding.key == "consolidated/S3"]
    region = results_by_key(log)["consolidated/S3"]["locations"][0]["physicalLocation"]["region"]
    assert region["snippet"]["text"] == "\n".join(s3.quotes[0].matched)
    assert region["snippet"]["text"].splitlines()[0] == "    local -a extra=()"
    assert len(region["snippet"]["text"].splitlines()) == region["endLine"] - region["startLine"] + 1
    for r in log["runs"][0]["results"]:  # a line claim's lines carry no snippet: no quote matched them
        reg = r["locations"][0]["physicalLocation"]["region"]
        if "snippet" in reg:
            assert len(reg["snippet"]["text"].splitlines()) == reg["endLine"] - reg["startLine"] + 1


def test_every_rule_has_help_and_a_link_to_its_section(log: dict[str, Any]) -> None:
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[0]["id"] == "RV000"
    for rule in rules:
        assert rule["helpUri"] == rule_url(rule["id"]), rule["id"]
        assert rule["help"]["text"].startswith(f"{rule['id']} {rule['name']}")
        assert rule["help"]["markdown"].endswith(f"]({rule_url(rule['id'])})\n")
    (rv501,) = [r for r in rules if r["id"] == "RV501"]
    assert '`max_severity: "important"`' in rv501["help"]["markdown"]
    assert "when: finding.severity == \"critical\"" in rv501["help"]["text"]


def test_the_run_is_filed_under_its_pull_request_and_round(result: Verification, log: dict[str, Any]) -> None:
    def category(review_changes: dict[str, Any], options: RenderOptions = PLAIN) -> str:
        v = replace(result, review=replace(result.review, **review_changes))
        identifier = sarif.sarif_log(v, options)["runs"][0]["automationDetails"]["id"]
        assert isinstance(identifier, str)
        return identifier

    assert log["runs"][0]["automationDetails"]["id"] == "reviewvet/41/1/"  # the demo is round 1 of PR #41
    assert category({"round": None}) == "reviewvet/41/"
    assert category({"pr_number": None}) == "reviewvet/1/"
    assert category({"round": "2 (of PR #295)"}) == "reviewvet/41/2/"
    assert category({"pr_number": None, "round": None, "source": "/tmp/x/000_4c10.txt"}) == "reviewvet/000_4c10/"
    assert category({}, RenderOptions(category="nightly/reviews/")) == "nightly/reviews/"


def test_no_local_path_is_written(result: Verification, demo_repo) -> None:
    v = replace(result, review=replace(result.review, source=str(REVIEWS / "demo-review.md")))
    text = sarif.render(v)
    for local in (str(demo_repo.path), str(REVIEWS), str(Path.home())):
        assert local not in text
    assert "file:" not in text
    run = json.loads(text)["runs"][0]
    assert run["properties"]["review"] == "demo-review.md"
    assert run["versionControlProvenance"] == [{"repositoryUri": "https://github.com/example-org/beacon",
                                                "revisionId": demo_repo.head_sha}]


def test_levels_follow_the_final_severities(result: Verification, log: dict[str, Any]) -> None:
    for key, r in results_by_key(log).items():
        assert r["level"] == LEVELS.get(result.decisions[key].severity or "", "note"), key
    assert results_by_key(log)["consolidated/I1"]["level"] == "warning"
    assert results_by_key(log)["consolidated/S1"]["level"] == "note"


def test_false_positives_and_only_they_are_suppressed(result: Verification, log: dict[str, Any]) -> None:
    suppressed = {k for k, r in results_by_key(log).items() if "suppressions" in r}
    assert suppressed == {k for k, d in result.decisions.items() if d.false_positive}
    assert suppressed == {"consolidated/S2", "Gemini/S3"}
    (s3,) = results_by_key(log)["Gemini/S3"]["suppressions"]
    assert s3["kind"] == "external" and "no-teardown-in-bats" in s3["justification"]
    assert results_by_key(log)["Gemini/S3"]["ruleId"] == "RV601"  # the false-positive rule decides


def test_regressions_are_new_and_gaps_unchanged(result: Verification) -> None:
    every = sarif.sarif_log(result, RenderOptions(sarif_unlocated="keep"))  # D2's provenance has no line to show
    states = {k: r.get("baselineState") for k, r in results_by_key(every).items()}
    for v in result.verdicts:
        status = v.provenance.status if v.provenance else ""
        if status in ("regression", "removed-by-PR"):
            assert states[v.finding.key] == "new", v.finding.key
        if status in ("gap", "widened"):
            assert states[v.finding.key] == "unchanged", v.finding.key
    assert (states["consolidated/I1"], states["consolidated/S1"]) == ("new", "unchanged")
    # relabelled by the rules: the state follows the code, not the reviewer's label
    assert (states["consolidated/S7"], states["consolidated/S8"]) == ("unchanged", "new")


def test_every_rule_id_is_described_by_the_driver(log: dict[str, Any]) -> None:
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert {"RV101", "RV601", "RV701", "RV702"} <= set(ids) and len(ids) == len(set(ids))
    for r in run["results"]:
        assert r["ruleId"] in ids
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert results_by_key(log)["Claude/I2"]["ruleId"] == "RV701"


def test_locations_are_where_the_code_really_is(log: dict[str, Any]) -> None:
    s3 = results_by_key(log)["consolidated/S3"]["locations"][0]["physicalLocation"]  # cited 19-25, really 32-38
    assert s3["artifactLocation"]["uri"] == "scripts/run-agent.sh"
    assert (s3["region"]["startLine"], s3["region"]["endLine"]) == (32, 38)
    s4 = results_by_key(log)["consolidated/S4"]["locations"][0]["physicalLocation"]  # wrong path
    assert s4["artifactLocation"]["uri"] == "scripts/lib.sh"


# -- GitHub's primaryLocationLineHash -----------------------------------------------------------


def test_line_hash_of_an_empty_file() -> None:
    assert line_hashes("") == {1: "c129715d7a2bc9a3:1"}


def test_line_hashes_skip_spaces_and_tabs() -> None:
    assert line_hashes(" a\nb\n  \t\tc\n d") == {
        1: "271789c17abda88f:1", 2: "54703d4cd895b18:1", 3: "180aee12dab6264:1", 4: "a23a3dc5e078b07b:1"}


def test_line_hashes_with_crlf_line_endings() -> None:
    hashes = line_hashes(" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n")
    assert list(hashes.values()) == ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1",
                                     "e20e36e16fcb0cc8:1", "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1",
                                     "c129715d7a2bc9a3:1"]
    assert list(hashes) == list(range(1, 8))


def test_line_hashes_count_repeated_windows() -> None:
    hashes = line_hashes("Lorem ipsum dolor sit amet.\n" * 10)
    assert [hashes[n] for n in range(1, 7)] == [f"a7f2ff13bc495cf2:{n}" for n in range(1, 7)]
    assert [hashes[n] for n in range(7, 12)] == ["a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1", "55ec222b86bcae53:1",
                                                 "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"]


# -- on a small repository: severities decided by the rules, stable fingerprints ----------------

STORE = """\
import json


def load(path):
    with open(path) as handle:
        return json.load(handle)


def merge(left, right):
    out = dict(left)
    out.update(right)
    return out
"""
MERGE_QUOTE = "def merge(left, right):\n    out = dict(left)\n"


def review(ref: str, code: str = MERGE_QUOTE, tag: str = "important, regression", fid: str = "I1",
           section: str = "Important Issues") -> str:
    return (f"# Deep Review: sarif\n\n## {section}\n\n{fid}. **`merge` is shallow** — `{ref}` [Claude]\n\n"
            f"```python\n{code}```\n\nNested dictionaries are shared.\n\n*({tag}.)*\n")


@pytest.fixture
def repo(make_repo) -> RepoBuilder:
    repo = make_repo()
    repo.commit("store: start", {"app/store.py": "import json\n"}, date="2025-05-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("store: add load and merge", {"app/store.py": STORE}, date="2026-01-10T09:00:00+00:00")
    return repo


def only_result(text: str, repo: RepoBuilder, head: str = "pr") -> dict[str, Any]:
    v = verify_repository(repo.path, parse_review(text), head=head, base="main")
    (r,) = sarif.sarif_log(v)["runs"][0]["results"]
    assert isinstance(r, dict)
    return r


def region(r: dict[str, Any]) -> tuple[int, int]:
    reg = r["locations"][0]["physicalLocation"]["region"]
    return reg["startLine"], reg["endLine"]


def claims(*locations: dict[str, Any]) -> str:
    """A claims review of one finding citing ``locations`` (paths, with or without lines), quoting nothing."""
    return json.dumps({"reviewvet_claims": 1, "findings": [
        {"id": "I1", "title": "merge is shallow", "severity": "important", "locations": list(locations)}]})


def file_result(repo: RepoBuilder, text: str, mode: Unlocated = "file") -> dict[str, Any] | None:
    v = verify_repository(repo.path, read_review(text), head="pr", base="main")
    run = sarif.sarif_log(v, RenderOptions(sarif_unlocated=mode))
    results = run["runs"][0]["results"]
    assert len(results) + run["runs"][0]["properties"]["unlocatedDropped"] == 1
    return results[0] if results else None


def test_a_finding_citing_a_file_without_lines_is_placed_on_that_file(repo) -> None:
    r = file_result(repo, claims({"path": "app/store.py"}))
    assert r is not None
    (location,) = r["locations"]
    assert location["physicalLocation"] == {"artifactLocation": {"uri": "app/store.py", "uriBaseId": "SRCROOT"},
                                            "region": {"startLine": 1}}
    assert "primaryLocationLineHash" not in r["partialFingerprints"]
    assert file_result(repo, claims({"path": "app/store.py"}), "drop") is None
    assert "locations" not in (file_result(repo, claims({"path": "app/store.py"}), "keep") or {})


def test_the_file_is_the_first_cited_path_inside_the_repository(repo) -> None:
    r = file_result(repo, claims({"path": "/etc/passwd"}, {"path": "../app/store.py"}, {"path": "store.py"}))
    assert r is not None  # store.py resolved to app/store.py (a suffix of it); the other two lead outside
    assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/store.py"
    assert file_result(repo, claims({"path": "C:/work/app/store.py"}, {"path": "/abs/store.txt"})) is None
    assert file_result(repo, claims({"path": "app/gone.py"})) is None  # named, but not in the repository


def test_an_ambiguous_file_name_is_not_a_place(repo) -> None:
    moved = repo.commit("util: a second store", {"lib/store.py": "x = 1\n"}, date="2026-01-11T09:00:00+00:00")
    v = verify_repository(repo.path, read_review(claims({"path": "store.py"})), head=moved, base="main")
    assert [p.status for p in v.verdicts[0].paths] == ["ambiguous"]
    assert sarif.sarif_log(v)["runs"][0]["results"] == []
    r = file_result(repo, claims({"path": "store.py"}, {"path": "app/store.py"}))
    assert r is not None and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/store.py"


def test_a_repository_without_a_hosted_origin_is_not_named(repo) -> None:
    v = verify_repository(repo.path, read_review(claims({"path": "app/store.py"})), head="pr", base="main")
    run = sarif.sarif_log(v)["runs"][0]
    assert v.revisions.remote is None and "versionControlProvenance" not in run
    assert str(repo.path) not in json.dumps(run)
    assert run["automationDetails"]["id"] == "reviewvet/review/"  # no PR, no round, source "<review>"


def test_the_level_follows_a_severity_lowered_by_a_rule(repo) -> None:
    r = only_result(review("app/store.py:9-12", tag="critical, regression", fid="C1", section="Critical Issues",
                           code="def merge(left, right, deep=False):\n    out = copy.deepcopy(left)\n"), repo)
    assert r["properties"]["claimedSeverity"] == "critical"
    assert "RV501" in r["properties"]["rules"] and r["level"] == "warning"  # capped at important


def test_fingerprint_survives_unrelated_lines_moving_the_code(repo) -> None:
    before = only_result(review("app/store.py:9-10"), repo)
    moved = repo.commit("store: header", {"app/store.py": "".join(f"# note {i}\n" for i in range(5)) + STORE},
                        date="2026-01-11T09:00:00+00:00")
    unchanged_claims = only_result(review("app/store.py:9-10"), repo, head=moved)
    moved_claims = only_result(review("app/store.py:14-15"), repo, head=moved)
    assert region(before) == (9, 10) and region(unchanged_claims) == region(moved_claims) == (14, 15)
    for after in (unchanged_claims, moved_claims):
        assert after["partialFingerprints"] == before["partialFingerprints"]  # reviewvet/v1 and the line hash
        assert after["ruleId"] == before["ruleId"]


def test_fingerprint_tells_different_findings_apart(repo) -> None:
    merge = only_result(review("app/store.py:9-10"), repo)
    load = only_result(review("app/store.py:4-5", code="def load(path):\n    with open(path) as handle:\n"), repo)
    assert merge["partialFingerprints"]["reviewvet/v1"] != load["partialFingerprints"]["reviewvet/v1"]


def test_fingerprint_survives_a_move_of_more_than_five_lines(repo) -> None:
    before = only_result(review("app/store.py:9-10"), repo)
    moved = repo.commit("store: header", {"app/store.py": "".join(f"# note {i}\n" for i in range(10)) + STORE},
                        date="2026-01-11T09:00:00+00:00")
    after = only_result(review("app/store.py:9-10"), repo, head=moved)
    assert region(after) == (19, 20)
    assert after["partialFingerprints"]["reviewvet/v1"] == before["partialFingerprints"]["reviewvet/v1"]


def test_line_hashes_count_a_character_past_the_basic_plane_as_two_utf16_units() -> None:
    """GitHub's hash reads UTF-16 code units: an emoji is its two surrogates, not one character."""
    text = "retry = 3  # \U0001F600 budget\nnext line\n"
    utf16 = text.encode("utf-16-le")
    as_units = "".join(chr(int.from_bytes(utf16[i:i + 2], "little")) for i in range(0, len(utf16), 2))
    assert len(as_units) == len(text) + 1  # the emoji became two surrogate characters
    assert line_hashes(text) == line_hashes(as_units)
    assert line_hashes(text) != line_hashes(text.replace("\U0001F600", "\ufffd"))



def test_line_hashes_up_to_a_line_are_those_of_the_whole_file() -> None:
    text = "".join(f"line {n % 4} of the file\n" for n in range(40)) + "end"
    whole = line_hashes(text)
    for until in (1, 2, 7, 39, 41, 60):
        assert line_hashes(text, until=until) == {n: h for n, h in whole.items() if n <= until}

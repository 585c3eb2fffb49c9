"""Every default rule (RV101..RV702) on a small repository built for it: the rule fires, and
its effect (false positive, severity cap, relabel, merge, note) is in the decision.

The repository: ``app/store.py`` on ``main``; the PR branch ``pr`` inserts three lines near the
top (so ``load`` and ``save`` move down by three) and appends a new function ``merge``. At head::

     9-12  def load(path)          (from main: a pre-existing gap)
    15-18  def save(path, data)    (from main; at the merge base it is 12-15)
    21-24  def merge(left, right)  (new in the PR: a regression)

``app/util.py`` (``clamp``) and ``docs/store.md`` exist on both branches.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gitbuild import RepoBuilder

from reviewvet.ingest.parse import parse_review
from reviewvet.api import VerifyOptions, verify_repository
from reviewvet.model.rules import Decision

STORE = '''\
"""A tiny key-value store kept in a JSON file."""

import json


def load(path):
    """Read the whole store."""
    with open(path) as handle:
        return json.load(handle)


def save(path, data):
    # write the store back
    with open(path, "w") as handle:
        json.dump(data, handle)
'''
STORE_PR = STORE.replace("import json\n", "import json\nimport os\n\nLIMIT = 100\n") + '''\


def merge(left, right):
    out = dict(left)
    out.update(right)
    return out
'''
UTIL = "def clamp(value, low, high):\n    return max(low, min(value, high))\n"
DOC = "# Store\n\nThe store is a JSON file.\n"

LOAD = "def load(path):\n    \"\"\"Read the whole store.\"\"\"\n    with open(path) as handle:\n"
SAVE = "def save(path, data):\n    # write the store back\n    with open(path, \"w\") as handle:\n"
MERGE = "def merge(left, right):\n    out = dict(left)\n"
SECTIONS = {"C": "Critical Issues", "I": "Important Issues", "S": "Suggestions"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> RepoBuilder:
    repo = RepoBuilder(tmp_path_factory.mktemp("rules") / "repo")
    repo.commit("store: add", {"app/store.py": STORE, "app/util.py": UTIL, "docs/store.md": DOC},
                date="2025-03-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("store: add merge", {"app/store.py": STORE_PR}, date="2026-01-10T09:00:00+00:00")
    assert STORE_PR.splitlines()[20] == "def merge(left, right):"  # line 21, as the docstring says
    return repo


# -- helpers ----------------------------------------------------------------------------------


def finding(fid: str, ref: str, code: str = "", *, tag: str = "important, gap", title: str = "Something is off",
            body: str = "The code is wrong here.", lang: str = "python", agents: str = "[Claude]") -> str:
    block = f"```{lang}\n{code}```\n\n" if code else ""
    return f"{fid}. **{title}** — `{ref}` {agents}\n\n{block}{body}\n\n*({tag}.)*\n\n"


def review(*findings: str, appendix: str = "") -> str:
    sections: dict[str, list[str]] = {}
    for f in findings:
        sections.setdefault(SECTIONS[f[0]], []).append(f)
    body = "".join(f"## {name}\n\n{''.join(items)}" for name, items in sections.items())
    return f"# Deep Review: rules\n\n{body}{appendix}"


def decide(text: str, repo: RepoBuilder, **options) -> dict[str, Decision]:
    return verify_repository(repo.path, parse_review(text), head="pr", base="main",
                             options=VerifyOptions(**options)).decisions


def one(repo: RepoBuilder, *findings: str, **options) -> Decision:
    """The decision on the first finding of a review made of these findings."""
    return decide(review(*findings), repo, **options)[f"consolidated/{findings[0].split('.', 1)[0]}"]


def note(d: Decision, code: str) -> str:
    return next(n for n in d.notes if n.startswith(f"{code}: "))


def effect(d: Decision, code: str) -> str:
    return next(h.effect for h in d.hits if h.code == code)


# -- quotes -----------------------------------------------------------------------------------


def test_rv101_an_invented_quote_is_a_false_positive(repo) -> None:
    invented = "def load(path, *, strict=False):\n    if strict and not os.path.exists(path):\n"
    d = one(repo, finding("I1", "app/store.py:9-10", invented))
    assert "RV101" in d.rule_codes and d.false_positive
    assert "hallucinated quote" in note(d, "RV101")
    assert one(repo, finding("I1", "app/store.py:9-11", LOAD)).false_positive is False


def test_rv102_a_quote_one_word_off_that_the_finding_argues_about_is_a_false_positive(repo) -> None:
    misquoted = "def merge(left, right):\n    out = dict(left)\n    out.update(left)\n    return out\n"
    d = one(repo, finding("I1", "app/store.py:21-24", misquoted, tag="important, regression",
                          body="The merge applies `left` twice and ignores the right side."))
    assert "RV102" in d.rule_codes and "RV101" not in d.rule_codes
    assert d.false_positive and "differs from the source" in note(d, "RV102")


def test_rv102_does_not_fire_for_a_slip_the_finding_does_not_argue_about(repo) -> None:
    misquoted = "def merge(left, right):\n    out = dict(left)\n    out.update(rihgt)\n    return out\n"
    d = one(repo, finding("I1", "app/store.py:21-24", misquoted, tag="important, regression",
                          body="The merge copies the dictionary on every call."))
    assert "RV102" not in d.rule_codes and "RV106" in d.rule_codes
    assert not d.false_positive


def test_rv103_a_quote_from_another_file_is_noted_but_not_a_false_positive(repo) -> None:
    d = one(repo, finding("I1", "app/store.py:1-2", UTIL))
    assert "RV103" in d.rule_codes
    assert "another file" in note(d, "RV103")
    assert not d.false_positive and d.severity == "important"


def test_rv104_a_quote_from_a_missing_file_found_nowhere_is_a_false_positive(repo) -> None:
    d = one(repo, finding("I1", "app/cache.py:3-4", "def evict(cache):\n    cache.clear_everything_now()\n"))
    assert "RV104" in d.rule_codes and d.false_positive
    assert "does not exist" in note(d, "RV104")


def test_rv104_does_not_fire_when_the_code_of_a_missing_file_exists_elsewhere(repo) -> None:
    d = one(repo, finding("I1", "app/helpers.py:1-2", UTIL))
    assert "RV104" not in d.rule_codes and "RV101" not in d.rule_codes
    assert not d.false_positive


# -- locations --------------------------------------------------------------------------------


def test_rv201_a_line_claim_far_from_the_code_gets_a_note(repo) -> None:
    d = one(repo, finding("I1", "app/store.py:1-2", MERGE, tag="important, regression"))
    assert "RV201" in d.rule_codes
    assert note(d, "RV201") == "RV201: a line claim is 20 lines off; see the located lines"
    assert not d.false_positive


def test_rv201_does_not_fire_for_a_drift_of_three_lines(repo) -> None:
    d = one(repo, finding("I1", "app/store.py:18-19", MERGE, tag="important, regression"))
    assert "RV201" not in d.rule_codes


def test_rv202_lines_of_the_merge_base_are_stale(repo) -> None:
    d = one(repo, finding("I1", "app/store.py:12-14", SAVE))  # save is at 12-14 on main, 15-17 at head
    assert "RV202" in d.rule_codes and "RV201" not in d.rule_codes  # 3 lines off: stale, not far
    assert "merge base" in note(d, "RV202")


def test_rv203_a_cited_file_that_does_not_exist(repo) -> None:
    d = one(repo, finding("I1", "app/cache.py:3", body="The cache never expires."))
    assert "RV203" in d.rule_codes
    assert "does not exist" in note(d, "RV203")
    assert "RV104" not in d.rule_codes and not d.false_positive  # no quote: nothing invented


# -- symbols ----------------------------------------------------------------------------------


def test_rv301_a_symbol_that_exists_nowhere_is_a_false_positive(repo) -> None:
    d = one(repo, finding("I1", "app/store.py:15", body="`save` passes the data through `frobnicate_everything`."))
    assert "RV301" in d.rule_codes and d.false_positive
    assert "exists nowhere" in note(d, "RV301")
    assert "RV301" not in one(repo, finding("I1", "app/store.py:15", body="`save` truncates first.")).rule_codes


# -- provenance -------------------------------------------------------------------------------


def test_rv401_a_regression_on_code_older_than_the_merge_base_is_relabelled_gap(repo) -> None:
    d = one(repo, finding("I1", "app/store.py:9-11", LOAD, tag="important, regression"))
    assert "RV401" in d.rule_codes
    assert (d.claimed_label, d.label) == ("regression", "gap")
    assert "label regression -> gap" in effect(d, "RV401") and "(gap)" in note(d, "RV401")


def test_rv402_a_gap_on_code_new_in_the_pr_is_relabelled_regression(repo) -> None:
    d = one(repo, finding("S1", "app/store.py:21-22", MERGE, tag="suggestion, gap"))
    assert "RV402" in d.rule_codes
    assert (d.claimed_label, d.label) == ("gap", "regression")
    assert "introduced the code" in note(d, "RV402")
    assert "RV402" not in one(repo, finding("S1", "app/store.py:21-22", MERGE, tag="suggestion, regression")).rule_codes


def test_rv403_an_important_untouched_gap_is_questioned(repo) -> None:
    d = one(repo, finding("I1", "app/store.py:9-11", LOAD, tag="important, gap"))
    assert "RV403" in d.rule_codes
    assert "decide whether it belongs in this review" in note(d, "RV403")
    assert d.severity == "important" and d.label == "gap" and not d.false_positive
    assert "RV403" not in one(repo, finding("S1", "app/store.py:9-11", LOAD, tag="suggestion, gap")).rule_codes


# -- severity ---------------------------------------------------------------------------------


def test_rv501_a_critical_without_a_verified_quote_is_capped_at_important(repo) -> None:
    d = one(repo, finding("C1", "app/store.py:15-18", tag="critical, gap", body="Truncating loses data on a crash."))
    assert "RV501" in d.rule_codes
    assert (d.claimed_severity, d.severity) == ("critical", "important") and d.downgraded
    assert effect(d, "RV501").startswith("severity critical -> important")


def test_rv501_leaves_a_critical_with_a_verified_quote_alone(repo) -> None:
    d = one(repo, finding("C1", "app/store.py:15-17", SAVE, tag="critical, gap"))
    assert "RV501" not in d.rule_codes
    assert d.severity == "critical" and not d.downgraded


def test_rv502_a_comment_only_fix_is_at_most_a_suggestion(repo) -> None:
    diff = "-    # write the store back\n+    # write the store back (not atomically)\n"
    d = one(repo, finding("I1", "app/store.py:16", diff, lang="diff"))
    assert "RV502" in d.rule_codes
    assert (d.claimed_severity, d.severity) == ("important", "suggestion")
    assert note(d, "RV502") == "RV502: the fix touches only comment: at most a suggestion"


def test_rv502_a_docs_only_fix_is_at_most_a_suggestion(repo) -> None:
    diff = "-The store is a JSON file.\n+The store is a JSON file, rewritten whole on every save.\n"
    d = one(repo, finding("I1", "docs/store.md:3", diff, lang="diff"))
    assert "RV502" in d.rule_codes and d.severity == "suggestion"
    assert "touches only docs" in note(d, "RV502")


def test_rv502_does_not_cap_a_fix_that_changes_code(repo) -> None:
    diff = '-    with open(path, "w") as handle:\n+    with open(path + ".tmp", "w") as handle:\n'
    d = one(repo, finding("I1", "app/store.py:17", diff, lang="diff"))
    assert "RV502" not in d.rule_codes and d.severity == "important"


def test_rv502_a_comment_only_diff_with_context_lines(repo) -> None:
    """Context lines are not changes: only the comment changes, so this is still a comment-only fix."""
    diff = (" def save(path, data):\n-    # write the store back\n+    # write the store back (not atomically)\n"
            '     with open(path, "w") as handle:\n')
    d = one(repo, finding("I1", "app/store.py:15-17", diff, lang="diff"))
    assert "RV502" in d.rule_codes and d.severity == "suggestion"


# -- context ----------------------------------------------------------------------------------


def test_rv601_a_fix_against_a_repository_convention_is_a_false_positive(repo, tmp_path: Path) -> None:
    context = tmp_path / "context.yaml"
    context.write_text("conventions:\n  - name: no-print-in-app\n    files: ['app/*.py']\n"
                       "    forbid: '\\bprint\\('\n    message: use logging\n", encoding="utf-8")
    diff = "     json.dump(data, handle)\n+    print('saved', path)\n"
    d = one(repo, finding("S1", "app/store.py:18", diff, lang="diff", tag="suggestion, gap"), context=context)
    assert "RV601" in d.rule_codes and d.false_positive
    assert note(d, "RV601") == "RV601: the fix contradicts the repository convention no-print-in-app"
    without = one(repo, finding("S1", "app/store.py:18", diff, lang="diff", tag="suggestion, gap"))
    assert "RV601" not in without.rule_codes  # no --context, and the repository has no .reviewvet.yaml


# -- duplicates -------------------------------------------------------------------------------

APPENDIX = """\
## Appendix: Original Reviews

### [Claude] — Pass 1

#### Important Issues

**I1. Shallow merge** — `app/store.py:21-24`

Nested dictionaries in `merge` are shared between the inputs and the output.

(important, regression.)

### [Codex] — Pass 1

#### Suggestions

S1. **`load` reads the whole file** — `app/store.py:9-12` (suggestion, gap)
"""


def test_rv701_an_agent_finding_merges_into_the_consolidated_one(repo) -> None:
    text = review(finding("I1", "app/store.py:21-24", MERGE, tag="important, regression",
                          title="`merge` is shallow", agents="[Claude] [Codex]"), appendix=APPENDIX)
    decisions = decide(text, repo)
    d = decisions["Claude/I1"]
    assert "RV701" in d.rule_codes and d.merged_into == "consolidated/I1"
    assert note(d, "RV701") == "RV701: same finding as consolidated/I1; agents that agree: Claude, Codex"
    assert decisions["consolidated/I1"].merged_into is None  # the primary is never merged
    assert decisions["Codex/S1"].merged_into is None  # a different place: not a duplicate


def test_rv702_a_finding_only_one_agent_reported_is_its_unique_insight(repo) -> None:
    text = review(finding("I1", "app/store.py:21-24", MERGE, tag="important, regression",
                          title="`merge` is shallow", agents="[Claude] [Codex]"), appendix=APPENDIX)
    decisions = decide(text, repo)
    assert note(decisions["Codex/S1"], "RV702") == "RV702: unique insight of Codex"
    assert "RV702" not in decisions["consolidated/I1"].rule_codes  # two agents
    assert "RV702" not in decisions["Claude/I1"].rule_codes  # merged, not primary



def test_rv701_never_merges_two_findings_of_one_origin(repo) -> None:
    decisions = decide(review(finding("I1", "app/store.py:21-22", MERGE, tag="important, regression"),
                              finding("I2", "app/store.py:21-22", MERGE, tag="important, regression",
                                      agents="[Codex]")), repo)
    assert all(d.merged_into is None and "RV701" not in d.rule_codes for d in decisions.values())

# -- custom rules: a severity is never raised without a reason -------------------------------

RAISE = """\
rules:
  - code: RV590
    name: suggestions-are-critical
    family: severity
    description: Raises every suggestion to critical.
    when: 'finding.section == "suggestion"'
    actions:
      severity: critical
"""


def test_a_rule_without_raise_reason_never_raises_a_severity(repo, tmp_path: Path) -> None:
    (tmp_path / "raise.yaml").write_text(RAISE, encoding="utf-8")
    d = one(repo, finding("S1", "app/store.py:21-22", MERGE, tag="suggestion, regression"), rule_dirs=(tmp_path,))
    assert "RV590" in d.rule_codes
    assert d.severity == "suggestion"
    assert effect(d, "RV590") == "kept suggestion: never raised above the claimed severity without a reason"


def test_a_rule_with_raise_reason_may_raise_a_severity(repo, tmp_path: Path) -> None:
    (tmp_path / "raise.yaml").write_text(RAISE + "    raise_reason: the team treats every finding as a blocker\n",
                                         encoding="utf-8")
    d = one(repo, finding("S1", "app/store.py:21-22", MERGE, tag="suggestion, regression"), rule_dirs=(tmp_path,))
    assert d.severity == "critical"
    assert effect(d, "RV590") == "severity suggestion -> critical"


def test_a_severity_rule_may_lower_a_severity_without_a_reason(repo, tmp_path: Path) -> None:
    (tmp_path / "lower.yaml").write_text(RAISE.replace('"suggestion"', '"important"').replace(
        "severity: critical", "severity: suggestion"), encoding="utf-8")
    d = one(repo, finding("I1", "app/store.py:21-22", MERGE, tag="important, regression"), rule_dirs=(tmp_path,))
    assert d.severity == "suggestion" and d.downgraded


def test_a_condition_that_fails_on_the_facts_is_reported_not_fatal(repo, tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").write_text(RAISE.replace("finding.section", "finding.nosuch"), encoding="utf-8")
    d = one(repo, finding("S1", "app/store.py:21-22", MERGE, tag="suggestion, gap"), rule_dirs=(tmp_path,))
    assert "RV590" not in d.rule_codes and any(n.startswith("RV590 could not be evaluated") for n in d.notes)
    assert "RV402" in d.rule_codes  # the other rules still decide

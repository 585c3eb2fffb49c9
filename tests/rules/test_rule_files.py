"""Rule files: the default set is well formed, every error in a rule file names the file and
the line of the YAML, and the ``reviewvet rules`` and ``verify --rules`` command lines use them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reviewvet.cli import main
from reviewvet.errors import RuleFileError
from reviewvet.rules.facts import FACT_NAMES
from reviewvet.rules.loader import load_rules
from reviewvet.model.rules import FAMILIES

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CODES = ["RV101", "RV102", "RV103", "RV104", "RV105", "RV106", "RV201", "RV202", "RV203", "RV301",
                 "RV401", "RV402", "RV403", "RV501", "RV502", "RV601", "RV701", "RV702"]

GOOD = """\
rules:
  - code: RV190
    name: two-absent-quotes
    family: quotes
    description: Two quotes that exist nowhere.
    when: 'quote.absent > 1'
    actions:
      note: "two absent quotes"
"""


def line_of(text: str, marker: str) -> int:
    """The 1-based number of the first line of ``text`` containing ``marker``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def load_error(tmp_path: Path, text: str, *, defaults: bool = False) -> tuple[str, str]:
    """Load a folder holding one rule file; return (the error message, the file's path)."""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "bad.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_rules([folder], defaults=defaults)
    return str(caught.value), str(folder / "bad.yaml")


# -- the default rules ------------------------------------------------------------------------


def test_every_default_rule_has_a_unique_well_formed_code() -> None:
    codes = [r.code for r in load_rules()]
    assert codes == DEFAULT_CODES  # sorted, unique, none missing
    assert all(re.fullmatch(r"RV[1-7]\d\d", c) for c in codes)


def test_family_digit_kebab_name_and_description_of_every_default_rule() -> None:
    for rule in load_rules():
        assert int(rule.code[2]) == FAMILIES[rule.family], rule.code
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", rule.name), rule.code
        assert len(rule.description.split()) >= 5, rule.code
        assert rule.program is not None and rule.actions


def test_each_default_rule_says_where_it_is_defined() -> None:
    for rule in load_rules():
        path, line = rule.source.rsplit(":", 1)
        assert path.startswith("reviewvet/ruleset/")
        lines = (ROOT / "src" / path).read_text(encoding="utf-8").splitlines()
        assert lines[int(line) - 1].strip() == f"- code: {rule.code}"


# -- errors name the file and the line ----------------------------------------------------------

ERRORS = {
    "yaml-syntax": (GOOD.replace("    family: quotes\n", "    family: quotes\n   - broken: [\n"),
                    "broken", "not valid YAML"),
    "missing-field": (GOOD.replace("    description: Two quotes that exist nowhere.\n", ""),
                      "code: RV190", "rule is missing description"),
    "bad-code": (GOOD.replace("RV190", "RV19"), "code: RV19", "'RV19' is not RV followed by three digits"),
    "wrong-family-digit": (GOOD.replace("RV190", "RV290"), "RV290", "does not belong to family 'quotes'"),
    "unknown-family": (GOOD.replace("family: quotes", "family: style"), "family: style", "family 'style'"),
    "name-not-kebab": (GOOD.replace("two-absent-quotes", "Two_Absent"), "Two_Absent", "not kebab-case"),
    "unknown-field": (GOOD.replace("    when:", "    level: high\n    when:"), "level:", "unknown rule field 'level'"),
    "unknown-action": (GOOD.replace('note: "two absent quotes"', "escalate: true"), "escalate",
                       "unknown action 'escalate'"),
    "bad-severity": (GOOD.replace('note: "two absent quotes"', "max_severity: urgent"), "urgent",
                     "max_severity 'urgent' is not one of suggestion, important, critical"),
    "bad-relabel": (GOOD.replace('note: "two absent quotes"', "relabel: bug"), "relabel", "relabel 'bug'"),
    "cel-syntax": (GOOD.replace("'quote.absent > 1'", "'quote.absent >'"), "when:", "condition does not compile"),
    "unknown-fact": (GOOD.replace("'quote.absent > 1'", "'quotez.absent > 1'"), "when:",
                     "condition uses unknown fact(s) quotez"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_a_rule_file_error_starts_with_path_and_line(tmp_path: Path, case: str) -> None:
    text, marker, message = ERRORS[case]
    error, path = load_error(tmp_path, text)
    assert error.startswith(f"{path}:{line_of(text, marker)}: "), error
    assert message in error


@pytest.mark.parametrize("bad", ["escalate: true", "max_severity: urgent"])
def test_an_action_error_names_the_line_of_that_action(tmp_path: Path, bad: str) -> None:
    text = GOOD + f"      {bad}\n"  # the bad action comes second, on the last line
    error, path = load_error(tmp_path, text)
    assert error.startswith(f"{path}:{line_of(text, bad)}: "), error


def test_a_code_used_in_two_files_names_the_second_file_and_the_first_place(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.yaml").write_text(GOOD, encoding="utf-8")
    second = GOOD.replace("RV190", "RV191") + GOOD.replace("rules:\n", "").replace("two-absent-quotes", "twice")
    (folder / "b.yaml").write_text(second, encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_rules([folder], defaults=False)
    assert str(caught.value).startswith(f"{folder / 'b.yaml'}:{line_of(second, 'code: RV190')}: ")
    assert f"'RV190' is already used at {folder / 'a.yaml'}:2" in str(caught.value)


def test_a_custom_rule_may_not_reuse_a_default_code(tmp_path: Path) -> None:
    error, path = load_error(tmp_path, GOOD.replace("RV190", "RV101"), defaults=True)
    assert error.startswith(f"{path}:2: ") and "already used at reviewvet/ruleset/quotes.yaml:2" in error


def test_a_rules_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="is not a folder of rule files"):
        load_rules([tmp_path / "nope"])


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def small(make_repo, tmp_path: Path) -> tuple[Path, Path]:
    """A repository (main and pr) and a one-finding review of it: (repo, review)."""
    repo = make_repo()
    repo.commit("add", {"a.py": "def f():\n    return 1\n"}, date="2025-06-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("change", {"a.py": "def f():\n    return 2\n"}, date="2026-01-10T09:00:00+00:00")
    review = tmp_path / "review.md"
    review.write_text("# Deep Review: t\n\n## Important Issues\n\nI1. **Wrong value** — `a.py:1-2` [Claude]\n\n"
                      "```python\ndef f():\n    return 2\n```\n\nIt should be 3.\n\n*(important, regression.)*\n",
                      encoding="utf-8")
    return repo.path, review


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_verify_with_a_broken_rule_file_exits_2_naming_file_and_line(small, tmp_path: Path, capsys) -> None:
    repo, review = small
    text, marker, _ = ERRORS["unknown-fact"]
    (tmp_path / "custom").mkdir()
    (tmp_path / "custom" / "mine.yaml").write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "verify", str(review), "--repo", str(repo), "--head", "pr", "--base", "main",
                         "--rules", str(tmp_path / "custom"))
    assert code == 2 and out == ""
    assert err.startswith(f"reviewvet: error: {tmp_path / 'custom' / 'mine.yaml'}:{line_of(text, marker)}: ")
    assert "Traceback" not in err


def test_no_default_rules_uses_only_the_custom_rules(small, tmp_path: Path, capsys) -> None:
    repo, review = small
    (tmp_path / "custom").mkdir()
    (tmp_path / "custom" / "mine.yaml").write_text(GOOD.replace("'quote.absent > 1'", "'quote.found > 0'"),
                                                   encoding="utf-8")
    argv = ["verify", str(review), "--repo", str(repo), "--head", "pr", "--base", "main", "--format", "json",
            "--rules", str(tmp_path / "custom")]
    code, out, _ = run(capsys, *argv, "--no-default-rules")
    data = json.loads(out)
    assert code == 0 and data["rules"]["in_force"] == ["RV190"]
    assert [h["code"] for h in data["findings"][0]["decision"]["hits"]] == ["RV190"]
    code, out, _ = run(capsys, *argv)
    data = json.loads(out)
    assert data["rules"]["in_force"] == sorted(DEFAULT_CODES + ["RV190"])
    assert "RV702" in [h["code"] for h in data["findings"][0]["decision"]["hits"]]


def test_rules_list_lists_every_code(capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "rules", "list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == DEFAULT_CODES
    assert "RV101  hallucinated-quote" in out and "reviewvet/ruleset/quotes.yaml:2" in out
    (tmp_path / "mine.yaml").write_text(GOOD, encoding="utf-8")
    code, out, _ = run(capsys, "rules", "list", "--rules", str(tmp_path), "--no-default-rules")
    assert [line.split()[0] for line in out.splitlines()] == ["RV190"]


def test_rules_explain_shows_condition_actions_and_source(capsys) -> None:
    code, out, _ = run(capsys, "rules", "explain", "RV101")
    assert code == 0
    assert out.startswith("RV101 hallucinated-quote (quotes)")
    assert "when: quote.refuted_absent > 0" in out
    assert "then: false_positive: True, note: quoted code exists nowhere" in out
    assert "defined at reviewvet/ruleset/quotes.yaml:2" in out
    assert run(capsys, "rules", "explain", "near-miss-quote")[1].startswith("RV102 near-miss-quote")


def test_rules_explain_of_an_unknown_code_exits_2(capsys) -> None:
    code, out, err = run(capsys, "rules", "explain", "RV999")
    assert code == 2 and out == ""
    assert "no rule 'RV999'" in err


def test_rules_facts_names_every_fact(capsys) -> None:
    code, out, _ = run(capsys, "rules", "facts")
    assert code == 0
    documented = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert FACT_NAMES <= documented

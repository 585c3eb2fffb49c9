"""docs/rules.md is the output of ``reviewvet rules list --format markdown`` for the default rules, and
every link a report makes to a rule (``reviewvet.report.links.rule_url``) lands on a section of it."""

from __future__ import annotations

import re
from pathlib import Path

from reviewvet.cli import main
from reviewvet.model.rules import Rule
from reviewvet.report.links import rule_url
from reviewvet.report.sarif import GENERIC, rule_markdown
from reviewvet.rules.loader import load_rules

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "rules.md"
REGENERATE = ".venv/bin/reviewvet rules list --format markdown -o docs/rules.md"


def generated(tmp_path: Path, *argv: str) -> str:
    out = tmp_path / "rules.md"
    assert main(["rules", "list", "--format", "markdown", *argv, "-o", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def test_the_committed_page_is_the_generated_one(tmp_path: Path) -> None:
    committed = PAGE.read_text(encoding="utf-8") if PAGE.is_file() else ""
    assert committed == generated(tmp_path), f"docs/rules.md is out of date; regenerate it with: {REGENERATE}"


def test_every_rule_link_lands_on_its_section() -> None:
    page = PAGE.read_text(encoding="utf-8")
    anchors = re.findall(r'^<a id="([^"]+)"></a>$', page, flags=re.M)
    codes = [GENERIC.code, *sorted(r.code for r in load_rules([], defaults=True))]
    assert anchors == [code.lower() for code in codes]  # RV000 first, then by code, each once
    for code in codes:
        assert rule_url(code).endswith(f"/rules.md#{code.lower()}")
        assert f'<a id="{code.lower()}"></a>\n\n## {code} ' in page


def test_a_section_holds_description_family_condition_and_actions() -> None:
    (rule,) = [r for r in load_rules([], defaults=True) if r.code == "RV501"]
    section = rule_markdown(rule)
    assert section.startswith("A critical finding must rest on code that was found.")
    assert "- Family: `severity`\n" in section
    assert '- Condition: `finding.severity == "critical" && quote.confirmed == 0' in section
    assert '  - `max_severity: "important"`\n' in section
    assert section in PAGE.read_text(encoding="utf-8")


def test_backticks_in_a_condition_keep_it_one_code_span() -> None:
    rule = Rule(code="RV190", name="odd-quote", family="quotes", description="Odd.", when='`a`` == x',
                actions={"note": "`b`"}, source="mine.yaml:1")
    section = rule_markdown(rule)
    assert "- Condition: ``` `a`` == x ```\n" in section  # a span touching a backtick is padded with spaces
    assert '  - ``note: "`b`"``\n' in section


def test_custom_rules_get_a_page_of_their_own(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "mine.yaml").write_text(
        "rules:\n  - code: RV190\n    name: odd-quote\n    family: quotes\n    description: Mine.\n"
        "    when: 'quote.absent > 1'\n    actions:\n      note: mine\n", encoding="utf-8")
    page = generated(tmp_path, "--rules", str(rules), "--no-default-rules")
    assert re.findall(r'^<a id="([^"]+)"></a>$', page, flags=re.M) == ["rv000", "rv190"]
    assert str(tmp_path) not in page  # where a rule file lives is not documentation

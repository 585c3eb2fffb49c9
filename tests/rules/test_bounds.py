"""Hostile rule, context and map files: the YAML reader keeps them to plain data of bounded size,
convention patterns run in linear time on bounded lines, and CEL conditions have a bounded cost.

Each refusal names the file and the line, and each test would hang, explode or pass silently
without the bound it checks.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from reviewvet.audit.ingest import load_mapping
from reviewvet.errors import RuleFileError, UsageError
from reviewvet.rules.context import parse_context
from reviewvet.rules.loader import load_rules, parse_rule_file
from reviewvet.rules.yamlfile import MAX_YAML_BYTES, MAX_YAML_DEPTH

RULE = """\
rules:
  - code: RV190
    name: a-rule
    family: quotes
    description: A rule used by the tests of the limits.
    when: '{when}'
    actions:
      note: "fired"
"""
CONVENTION = """\
conventions:
  - name: a-convention
    files: ["*.go"]
    forbid: '{forbid}'
"""


def alias_bomb(levels: int) -> str:
    """YAML whose last alias expands to 10**levels strings: the "billion laughs"."""
    lines = ['a0: &a0 "lol"']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


# -- YAML: no anchors, aliases or tags; bounded size and depth -----------------------------------


def test_an_alias_bomb_in_a_context_file_is_refused_at_its_first_anchor() -> None:
    started = time.perf_counter()
    with pytest.raises(RuleFileError) as caught:
        parse_context(".reviewvet.yaml at abc", alias_bomb(9) + CONVENTION.format(forbid="x"))
    assert str(caught.value) == ".reviewvet.yaml at abc:1: YAML anchors are not allowed (&a0)"
    assert time.perf_counter() - started < 1


def test_an_alias_bomb_in_a_rule_file_is_refused_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(RULE.format(when="true") + "x:\n" + textwrap.indent(alias_bomb(6), "  "))
    with pytest.raises(RuleFileError, match=r"bomb\.yaml:10: YAML anchors are not allowed \(&a0\)"):
        load_rules([tmp_path], defaults=False)


def test_an_alias_without_an_anchor_is_refused_as_an_alias() -> None:
    text = RULE.format(when="true").replace('note: "fired"', "note: *elsewhere")
    with pytest.raises(RuleFileError, match=r"^r\.yaml:8: YAML aliases are not allowed \(\*elsewhere\)$"):
        parse_rule_file("r.yaml", text)


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['true']", "!!str x", "!custom x", "! x",
                                 "!!binary aGk="])
def test_a_tag_is_refused_at_its_line(tag: str) -> None:
    text = CONVENTION.format(forbid="x") + f"    message: {tag}\n"
    with pytest.raises(RuleFileError, match=r"^ctx\.yaml:5: YAML tags are not allowed"):
        parse_context("ctx.yaml", text)


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    deep = "[" * (MAX_YAML_DEPTH + 1) + "]" * (MAX_YAML_DEPTH + 1)
    with pytest.raises(RuleFileError, match=rf"^ctx\.yaml:6: nested more than {MAX_YAML_DEPTH} levels deep$"):
        parse_context("ctx.yaml", CONVENTION.format(forbid="x") + f"    message: x\n    source: {deep}\n")
    with pytest.raises(RuleFileError, match="nested more than"):  # far past Python's recursion limit
        parse_context("ctx.yaml", "[" * 100_000)


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    big = CONVENTION.format(forbid="x") + "#" * MAX_YAML_BYTES + "\n"
    with pytest.raises(RuleFileError, match=rf"^ctx\.yaml:0: is {len(big)} bytes; .* at most {MAX_YAML_BYTES}$"):
        parse_context("ctx.yaml", big)
    (tmp_path / "big.yaml").write_text(RULE.format(when="true") + "#" * MAX_YAML_BYTES)
    with pytest.raises(RuleFileError, match=r"big\.yaml:0: is \d+ bytes"):
        load_rules([tmp_path], defaults=False)


def test_a_map_file_goes_through_the_same_reader(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("review.md: {head: abc, base: main}\n")
    assert load_mapping(mapping) == {"review.md": {"head": "abc", "base": "main"}}
    mapping.write_text(alias_bomb(9) + "review.md: {head: *a9}\n")
    with pytest.raises(UsageError, match=r"map\.yaml:1: YAML anchors are not allowed"):
        load_mapping(mapping)
    mapping.write_text("review.md: !!python/object/new:os.getcwd {head: x}\n")
    with pytest.raises(UsageError, match=r"map\.yaml:1: YAML tags are not allowed"):
        load_mapping(mapping)


def test_a_deeply_nested_json_map_is_a_usage_error(tmp_path: Path) -> None:
    mapping = tmp_path / "map.json"
    mapping.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(UsageError, match=r"--map .*map\.json.* cannot be read"):
        load_mapping(mapping)

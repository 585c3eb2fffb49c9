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
from reviewvet.model.review import Finding
from reviewvet.ingest.parse import parse_review
from reviewvet.api import VerifyOptions, verify_repository
from reviewvet.rules.condition import MAX_COMPREHENSION_DEPTH, MAX_CONDITION_CHARS, STEP_BUDGET
from reviewvet.rules.context import MAX_MATCHED_LINE, parse_context, unmatched_lines, violations
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
    with pytest.raises(UsageError, match=r"^mapping file .*map\.json.* cannot be read"):
        load_mapping(mapping)


# -- convention patterns: RE2, bounded lines ------------------------------------------------------

PROPOSAL = "# Deep Review\n\n## Suggestions\n\n### S1. Tidy `x.go:1`\n\n```diff\n-old()\n+{line}\n```\n"


def proposed(line: str) -> Finding:
    [finding] = parse_review(PROPOSAL.format(line=line)).findings
    return finding


def test_a_catastrophic_pattern_runs_in_linear_time() -> None:
    conventions = parse_context("ctx.yaml", CONVENTION.format(forbid="^(a+)+$"))
    started = time.perf_counter()
    assert violations(proposed("a" * 26 + "!"), ["x.go"], conventions) == []  # Python's re: seconds
    assert [v["convention"] for v in violations(proposed("a" * 5000), ["x.go"], conventions)] == ["a-convention"]
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=teardown)", r"(?<!local_)teardown"])
def test_a_pattern_re2_cannot_run_is_an_error_at_its_line(pattern: str) -> None:
    text = CONVENTION.format(forbid=pattern)
    with pytest.raises(RuleFileError) as caught:
        parse_context("ctx.yaml", text)
    assert str(caught.value).startswith(f"ctx.yaml:4: convention 'a-convention': forbid {pattern!r} cannot be "
                                        "matched in linear time (RE2 has no backreferences or lookaround): ")


def test_a_proposed_line_over_the_limit_is_not_matched_and_the_decision_says_so(make_repo) -> None:
    repo = make_repo()
    repo.commit("add", {"x.go": "package x\n\nfunc old() {}\n"}, date="2025-06-01T09:00:00+00:00")
    context = repo.path.parent / "ctx.yaml"
    context.write_text(CONVENTION.format(forbid="panic"))
    conventions = parse_context(str(context), context.read_text())
    long_line = "panic(x)" + " " * MAX_MATCHED_LINE
    assert violations(proposed(long_line), ["x.go"], conventions) == []
    assert unmatched_lines(proposed(long_line), ["x.go"], conventions) == 1
    assert unmatched_lines(proposed(long_line), ["x.sh"], conventions) == 0  # no convention for that file
    review = parse_review(PROPOSAL.format(line=long_line))
    result = verify_repository(repo.path, review, head="HEAD", base="HEAD", options=VerifyOptions(context=context))
    [decision] = result.decisions.values()
    assert "RV601" not in decision.rule_codes
    assert (f"context: 1 proposed line(s) longer than {MAX_MATCHED_LINE} characters were not matched against "
            "the repository's conventions") in decision.notes


# -- CEL conditions: macros allowed, nesting and cost bounded ---------------------------------------


def test_a_macro_variable_is_no_unknown_fact_inside_its_own_parentheses() -> None:
    [rule] = parse_rule_file("r.yaml", RULE.format(when='finding.agents.exists(a, a == "Codex")'))
    assert rule.program.execute({"finding": {"agents": ["Claude", "Codex"]}}) is True
    [rule] = parse_rule_file("r.yaml", RULE.format(when="quotes.all(q, lines.exists(l, l.drift > 0 || q.found))"))
    assert rule.program.execute({"quotes": [{"found": False}], "lines": [{"drift": 2}]}) is True
    with pytest.raises(RuleFileError, match=r"^r\.yaml:6: condition uses unknown fact\(s\) q; known: "):
        parse_rule_file("r.yaml", RULE.format(when='quotes.exists(q, q.found) && q.status == "absent"'))


def test_five_nested_comprehensions_are_refused_when_the_rule_is_loaded() -> None:
    when = "flags.all(a, flags.all(b, flags.all(c, flags.all(d, flags.all(e, a == e)))))"
    started = time.perf_counter()
    with pytest.raises(RuleFileError) as caught:
        parse_rule_file("r.yaml", RULE.format(when=when))
    assert str(caught.value) == (f"r.yaml:6: condition nests 5 comprehensions (all, exists, map ...); at most "
                                 f"{MAX_COMPREHENSION_DEPTH} may be nested")
    assert time.perf_counter() - started < 0.5


def test_a_condition_over_the_length_limit_is_refused() -> None:
    when = " || ".join(["quote.absent > 1"] * (MAX_CONDITION_CHARS // 10))
    with pytest.raises(RuleFileError, match=rf"^r\.yaml:6: condition is \d+ characters; the limit is "
                                            rf"{MAX_CONDITION_CHARS}$"):
        parse_rule_file("r.yaml", RULE.format(when=when))


def test_nested_comprehensions_over_large_facts_are_not_evaluated_and_the_decision_says_why(
    make_repo, tmp_path: Path
) -> None:
    repo = make_repo()
    repo.commit("add", {"x.go": "package x\n" * 700}, date="2025-06-01T09:00:00+00:00")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "nested.yaml").write_text(RULE.format(when="lines.all(a, lines.all(b, a.drift == b.drift))"))
    refs = ", ".join(f"`x.go:{1 + i}`" for i in range(600))
    review = parse_review(f"# Deep Review\n\n## Suggestions\n\n### S1. Tidy\n\nSee {refs}.\n")
    started = time.perf_counter()
    result = verify_repository(repo.path, review, head="HEAD", base="HEAD",
                               options=VerifyOptions(rule_dirs=(tmp_path / "rules",)))
    [decision] = result.decisions.values()
    assert time.perf_counter() - started < 10
    assert "RV190" not in decision.rule_codes
    assert ("RV190 could not be evaluated: its 2 nested comprehension(s) over lists of up to 600 items and text "
            f"of {len(review.findings[0].title + review.findings[0].body) + 1} characters exceed the budget of "
            f"{STEP_BUDGET} steps") in decision.notes
    small = parse_review("# Deep Review\n\n## Suggestions\n\n### S1. Tidy\n\nSee `x.go:1` and `x.go:2`.\n")
    result = verify_repository(repo.path, small, head="HEAD", base="HEAD",
                               options=VerifyOptions(rule_dirs=(tmp_path / "rules",)))
    [decision] = result.decisions.values()
    assert "RV190" in decision.rule_codes  # evaluated: the lists are short

"""BATS: every @test becomes a symbol with its exact title and line range, and `run fn` calls fn.

Two ways were judged on the same tricky file: rewriting each real `@test` header of the
tree-sitter-bash parse into a same-length function header, and the young tree-sitter-bats
grammar. Both get the definitions right here; reviewvet keeps the rewrite, which needs no
grammar beyond the official bash one and shares its call queries (`run fn`, sourced helpers).
"""

from __future__ import annotations

import tree_sitter
import tree_sitter_bats

from reviewvet.index.languages.bats import parse_bats, rewrite_bats

TRICKY = b"""#!/usr/bin/env bats
load helpers/setup

setup() {
    start_stub
}

@test "double quoted title" {
    run -0 deploy_fn --dry-run
    [ "$status" -eq 0 ]
}

@test 'single quoted title' { run ! failing_fn; }

# bats test_tags=slow
@test "title with \\"escaped\\" quotes and $VAR" {
    cat <<END
@test "inside a heredoc, not a test" {
END
    echo '@test "inside a string" {'
}

@test unquoted words as title {
    helper_fn
}

deploy_fn() { :; }
"""

EXPECTED = {
    ("test", "double quoted title", 8, 11),
    ("test", "single quoted title", 13, 13),
    ("test", 'title with "escaped" quotes and $VAR', 16, 21),
    ("test", "unquoted words as title", 23, 25),
    ("function", "setup", 4, 6),
    ("function", "deploy_fn", 27, 27),
}


def test_rewrite_keeps_every_offset() -> None:
    rewritten, titles = rewrite_bats(TRICKY)
    assert len(rewritten) == len(TRICKY)
    assert rewritten.count(b"\n") == TRICKY.count(b"\n")
    assert len(titles) == 4
    assert b'@test "inside a heredoc, not a test" {' in rewritten
    assert b"echo '@test \"inside a string\" {'" in rewritten


def test_rewrite_gives_tests_as_symbols_and_run_as_a_call() -> None:
    parsed = parse_bats("tests/t.bats", TRICKY)
    assert {(d.kind, d.name, d.start, d.end) for d in parsed.definitions} == EXPECTED
    calls = {(c.caller, c.name) for c in parsed.calls}
    assert ("@test double quoted title", "deploy_fn") in calls
    assert ("@test single quoted title", "failing_fn") in calls
    assert ("setup", "start_stub") in calls
    assert ("@test unquoted words as title", "helper_fn") in calls
    assert not any(name in ("run", "load", "echo", "[") for _, name in calls)
    assert parsed.imports == (("load", "helpers/setup"),)


def test_the_bats_grammar_agrees_on_definitions() -> None:
    language = tree_sitter.Language(tree_sitter_bats.language())
    tree = tree_sitter.Parser(language).parse(TRICKY)
    found = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type == "test_block":
            raw = node.child_by_field_name("name").text.decode()
            title = raw[1:-1].replace('\\"', '"') if raw[:1] in "'\"" else raw
            found.add(("test", title, node.start_point[0] + 1, node.end_point[0] + 1))
        elif node.type == "function_definition":
            name = node.child_by_field_name("name").text.decode()
            found.add(("function", name, node.start_point[0] + 1, node.end_point[0] + 1))
    assert found == EXPECTED

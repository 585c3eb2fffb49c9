"""The language registry: each language parses its own code, files and Markdown fences map to
languages, and a language registered from outside the index is indexed like the built-in ones."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from gitbuild import RepoBuilder
from reviewvet.git import Git
from reviewvet.index.build import index_revision
from reviewvet.index.cache import ParseCache
from reviewvet.index.graph import Edge
from reviewvet.index.languages import (
    LANGUAGES,
    Language,
    Place,
    Scope,
    Target,
    by_fence,
    extensions_for_fence,
    language_of,
)
from reviewvet.index.model import Call, Definition, ParsedFile

DATE = "2026-03-04T10:00:00+00:00"

GO = b"""package tally

type Counter struct{ hits int }

func (c *Counter) Bump() { c.hits++ }

func Fresh() *Counter {
\tc := &Counter{}
\tc.Bump()
\treturn c
}
"""

SHELL = b"""#!/bin/sh
say_hi() {
    printf 'hi %s\\n' "$1"
}

greet_all() {
    for who in ann bob; do say_hi "$who"; done
}

greet_all
"""

BATS = b"""#!/usr/bin/env bats
load common

@test "sum adds two numbers" {
    run add_up 2 3
    [ "$output" = 5 ]
}
"""

PYTHON = b"""class Shelf:
    def stack(self, item):
        return self.tidy([item])

    def tidy(self, items):
        return sorted(items)


def restock():
    return Shelf().stack("jar")
"""

# language -> (path, source, (kind, local) of every definition, some (caller, callee) call pairs)
SNIPPETS: dict[str, tuple[str, bytes, set[tuple[str, str]], set[tuple[str, str]]]] = {
    "go": ("tally/tally.go", GO, {("type", "Counter"), ("method", "(*Counter).Bump"), ("function", "Fresh")},
           {("Fresh", "Bump")}),
    "shell": ("bin/greet.sh", SHELL, {("function", "say_hi"), ("function", "greet_all")},
              {("greet_all", "say_hi"), ("<main>", "greet_all")}),
    "bats": ("test/sum.bats", BATS, {("test", "@test sum adds two numbers")},
             {("@test sum adds two numbers", "add_up")}),
    "python": ("store/shelf.py", PYTHON,
               {("class", "Shelf"), ("method", "Shelf.stack"), ("method", "Shelf.tidy"), ("function", "restock")},
               {("Shelf.stack", "tidy"), ("restock", "Shelf"), ("restock", "stack")}),
}

# What checks/quotes.py's LANGUAGE_EXTENSIONS table answers for the fences of indexed languages.
QUOTE_TABLE = {
    "go": (".go",), "bash": (".sh", ".bash", ".bats"), "sh": (".sh", ".bash", ".bats"),
    "shell": (".sh", ".bash", ".bats"), "bats": (".bats", ".bash", ".sh"), "python": (".py",), "py": (".py",),
}


def test_every_registered_language_has_a_snippet_here() -> None:
    assert set(SNIPPETS) == set(LANGUAGES)
    assert all(name == language.name for name, language in LANGUAGES.items())


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_each_language_parses_a_snippet_of_its_own(name: str) -> None:
    path, source, definitions, calls = SNIPPETS[name]
    parsed = LANGUAGES[name].parse(path, source)
    assert (parsed.path, parsed.language, parsed.errors, parsed.skipped) == (path, name, (), "")
    assert {(d.kind, d.local) for d in parsed.definitions} == definitions
    assert calls <= {(c.caller, c.name) for c in parsed.calls}


def test_language_of_maps_every_extension_and_nothing_else() -> None:
    for language in LANGUAGES.values():
        for extension in language.extensions:
            assert language_of(f"some/dir/file{extension}") == language.name
    assert [language_of(p) for p in ("README.md", "Makefile", "go.mod", "data.json", "shell")] == [None] * 5
    claimed = [e for language in LANGUAGES.values() for e in language.extensions]
    assert len(claimed) == len(set(claimed)), "an extension claimed by two languages"


def test_fences_name_their_language() -> None:
    for language in LANGUAGES.values():
        for fence in language.fences:
            assert by_fence(fence) is language
            assert by_fence(fence.upper()) is language
    assert by_fence("yaml") is None and by_fence("") is None
    claimed = [f for language in LANGUAGES.values() for f in language.fences]
    assert len(claimed) == len(set(claimed)), "a fence claimed by two languages"


def test_extensions_for_fence_answers_as_the_quote_table_did() -> None:
    for fence, extensions in QUOTE_TABLE.items():
        found = extensions_for_fence(fence)
        assert set(found) == set(extensions) and len(found) == len(extensions), fence
        assert found[0] == extensions[0], fence  # the fence's own language first
    assert extensions_for_fence("Go") == (".go",)
    assert extensions_for_fence("text") == () and extensions_for_fence("yaml") == ()


# -- a language from outside the index -------------------------------------------------------------
# "Recipes": `step NAME` defines a step, `use NAME` calls one from the step above it. A folder
# with a `cookbook` file is a module: its first line names the steps of the recipes inside.


def parse_recipe(path: str, data: bytes) -> ParsedFile:
    definitions: list[Definition] = []
    calls: list[Call] = []
    for number, line in enumerate(data.decode().splitlines(), start=1):
        word, _, name = line.partition(" ")
        if word == "step":
            definitions.append(Definition("function", name, name, number, number))
        elif word == "use":
            calls.append(Call(definitions[-1].local if definitions else "<main>", name, number))
    return ParsedFile(path, "recipe", "", tuple(definitions), tuple(calls))


class RecipeResolver:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope  # asked by name: a resolver reads only the files its calls lead to

    def targets(self, pf: ParsedFile, call: Call) -> list[Target]:
        found = next((s.id for s in self.scope.named(call.name) if s.path == pf.path), None)
        return [(found, "exact")] if found else [(f"external:{call.name}", "external")]


def place_recipe(pf: ParsedFile, modules: Mapping[str, str]) -> Place:
    return Place(modules.get(posixpath.dirname(pf.path), ""))


def recipe_id(pf: ParsedFile, package: str, local: str) -> str:
    return f"{package or pf.path}::{local}"


RECIPE = Language(name="recipe", extensions=(".rcp",), fences=("recipe",), parse=parse_recipe,
                  resolver=RecipeResolver, manifest="cookbook", module_path=lambda data: data.decode().strip(),
                  place=place_recipe, symbol_id=recipe_id)

BREAD = "step knead\nstep bake\nuse knead\nuse oven\n"


def test_a_language_registered_from_outside_is_indexed(
        make_repo: Callable[[], RepoBuilder], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(LANGUAGES, "recipe", RECIPE)
    assert language_of("kitchen/bread.rcp") == "recipe" and extensions_for_fence("Recipe") == (".rcp",)
    repo = make_repo()
    repo.commit("bread", {"kitchen/bread.rcp": BREAD, "kitchen/cookbook": "grandma\n",
                          "kitchen/timer.go": "package kitchen\n\nfunc Ring() {}\n"}, date=DATE)
    cache = ParseCache(tmp_path / "cache")
    git = Git(repo.path)

    idx = index_revision(git, "HEAD", cache=cache, jobs=1)
    assert idx.files["kitchen/bread.rcp"].language == "recipe"
    assert idx.modules["recipe"] == {"kitchen": "grandma"}
    assert {s.id for s in idx.symbols} == {"grandma::knead", "grandma::bake", "kitchen.Ring"}
    assert set(idx.edges) == {Edge("grandma::bake", "grandma::knead", "kitchen/bread.rcp", 3, "exact"),
                              Edge("grandma::bake", "external:oven", "kitchen/bread.rcp", 4, "external")}
    assert (idx.stats.by_language, idx.stats.parsed) == ({"recipe": 1, "go": 1}, 2)
    assert [s.id for s in idx.table.find("knead")] == ["grandma::knead"]

    repo.commit("copy", {"pantry/bread.rcp": BREAD}, date=DATE)
    moved = index_revision(git, "HEAD", cache=cache, jobs=1)
    assert (moved.stats.parsed, moved.stats.cached) == (0, 3)  # the same blobs: the cache answers
    assert moved.files["pantry/bread.rcp"].path == "pantry/bread.rcp"
    assert {"pantry/bread.rcp::knead", "pantry/bread.rcp::bake"} <= {s.id for s in moved.symbols}
    cache.close()

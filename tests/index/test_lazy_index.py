"""A warm index answers a name or a file by reading only the files that hold it, and answers as
the whole index would."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from callgraph import build_callgraph_repo
from reviewvet.git import Git
from reviewvet.index.build import index_revision
from reviewvet.index.cache import ParseCache
from reviewvet.index.files import SourceFiles
from reviewvet.index.model import RepoIndex


@pytest.fixture
def warm(tmp_path: Path):
    """The call-graph fixture indexed once into a cache; yields a function giving a fresh warm index."""
    path = build_callgraph_repo(tmp_path / "repo")
    cache = ParseCache(tmp_path / "cache")
    index_revision(Git(path), "HEAD", cache=cache)
    try:
        yield lambda: index_revision(Git(path), "HEAD", cache=cache)
    finally:
        cache.close()


def loaded(index: RepoIndex) -> int:
    assert isinstance(index.files, SourceFiles)
    return index.files.loaded


def test_a_warm_index_reads_no_file_until_asked(warm) -> None:
    index = warm()
    assert (index.counts.parsed, index.counts.cached) == (0, index.counts.files - index.counts.skipped)
    assert loaded(index) == 0


def test_a_name_reads_only_the_files_that_define_it(warm) -> None:
    whole = warm().symbols
    name = next(s.name for s in whole if sum(1 for t in whole if t.name == s.name) == 1)
    index = warm()
    found = index.named(name)
    assert [s.id for s in found] == [s.id for s in whole if s.name == name]
    assert loaded(index) == 1


def test_every_name_and_file_answers_as_the_whole_index(warm) -> None:
    whole = warm()
    symbols = whole.symbols
    lazy = warm()
    for name in sorted({s.name for s in symbols}):
        assert lazy.named(name) == [s for s in symbols if s.name == name], name
    for path in sorted({s.path for s in symbols}):
        assert lazy.in_file(path) == [s for s in symbols if s.path == path], path
        for s in lazy.in_file(path):
            assert lazy.table.enclosing(path, s.start, s.end) == whole.table.enclosing(path, s.start, s.end)
            assert lazy.with_id(s.id, s.name) == s
    timeless = dataclasses.replace(lazy.stats, seconds=whole.stats.seconds)
    assert timeless == whole.stats and lazy.notes == whole.notes


def test_the_call_graph_asked_one_node_at_a_time_matches_the_whole(warm) -> None:
    whole = warm()
    edges = whole.edges
    lazy = warm()
    for callee in sorted({e.callee for e in edges}):
        assert lazy.calls.into(callee) == [e for e in edges if e.callee == callee], callee


def test_a_file_the_cache_lost_is_parsed_again(warm, tmp_path: Path) -> None:
    index = warm()
    whole = warm().symbols
    db = ParseCache(tmp_path / "cache")
    try:
        assert db._db is not None
        with db._db:
            db._db.execute("DELETE FROM parsed")  # the names stay: the results are gone
    finally:
        db.close()
    name = whole[0].name
    assert index.named(name) == [s for s in whole if s.name == name]


def test_outside_packages_are_found_from_the_files_importing_them(warm) -> None:
    from reviewvet.index.languages import LANGUAGES
    from reviewvet.index.names import import_names

    whole = warm()
    files = whole.every_file()
    outside = {name for language in LANGUAGES.values()
               for name in language.outside(files, list(files), whole.modules.get(language.name, {}))}
    asked = {name for pf in files.values() for alias, imported in pf.imports for name in import_names(alias, imported)}
    assert outside and asked - outside, "the fixture imports both outside and own packages"
    lazy = warm()
    assert {name for name in asked if lazy.imports_from_outside(name)} == outside
    assert not lazy.imports_from_outside("nosuchpackage")


def test_a_cold_index_parses_in_batches_and_keeps_nothing_the_cache_holds(tmp_path: Path, monkeypatch) -> None:
    from reviewvet.index import build

    path = build_callgraph_repo(tmp_path / "repo")
    whole = index_revision(Git(path), "HEAD").symbols  # no cache: everything parsed is kept
    monkeypatch.setattr(build, "PARSE_BATCH_BYTES", 200)  # a few files per batch
    cache = ParseCache(tmp_path / "cache")
    try:
        index = index_revision(Git(path), "HEAD", cache=cache)
        assert index.counts.parsed > 3 and loaded(index) == len(index.left_out)
        assert index.symbols == whole
    finally:
        cache.close()


def test_top_level_code_and_outside_names_are_no_symbols_and_read_nothing(warm) -> None:
    index = warm()
    for node in ("scripts/deploy.sh::<main>", "external:fmt.Println", "by-name:Close (+40)"):
        assert index.symbol(node) is None
    assert loaded(index) == 0

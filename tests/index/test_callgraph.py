"""The call graph of a repository built so that every edge is known (fixtures/callgraph_expected.py)."""

from __future__ import annotations

import pytest

import callgraph_expected as expected
from callgraph import build_callgraph_repo
from reviewvet.git import Git
from reviewvet.index.build import index_revision
from reviewvet.index.model import RepoIndex


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> RepoIndex:
    path = build_callgraph_repo(tmp_path_factory.mktemp("cg") / "repo")
    return index_revision(Git(path), "HEAD")


def test_symbols_and_their_line_ranges(index: RepoIndex) -> None:
    found = {s.id: (s.kind, s.path, s.start, s.end) for s in index.symbols}
    assert found == expected.SYMBOLS


def test_every_call_site_resolves_as_constructed(index: RepoIndex) -> None:
    edges = {(u, v, d["confidence"], d["line"]) for u, v, d in index.graph.edges(data=True)}
    assert edges - expected.EDGES == set(), "edges the graph has but should not"
    assert expected.EDGES - edges == set(), "edges the graph misses"


def test_callers_are_symbols_or_top_level_code(index: RepoIndex) -> None:
    ids = {s.id for s in index.symbols}
    for u, v in index.graph.edges():
        assert u in ids or u in expected.PSEUDO_CALLERS
        assert v in ids or v.startswith("external:")

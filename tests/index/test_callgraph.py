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


def test_one_node_at_a_time_gives_the_same_edges_as_the_whole_graph(index: RepoIndex) -> None:
    whole = list(index.edges)
    nodes = {e.caller for e in whole} | {e.callee for e in whole}
    for node in sorted(nodes):
        assert index.calls.into(node) == [e for e in whole if e.callee == node], node
        assert index.calls.out_of(node) == [e for e in whole if e.caller == node], node


def test_an_unknown_receiver_is_expanded_to_a_bounded_number_of_methods(make_repo) -> None:
    from reviewvet.index import graph

    lines = ["package fleet", ""]
    for k in range(graph.MAX_BY_NAME + 5):
        lines += [f"type Ship{k} struct{{}}", "", f"func (s *Ship{k}) Dock() {{}}", ""]
    lines += ["type Docker interface{ Dock() }", "", "func Harbour(v Docker) {", "\tv.Dock()", "}", ""]
    repo = make_repo()
    repo.commit("a fleet of ships", {"go.mod": "module example.com/fleet\n", "fleet.go": "\n".join(lines)})
    idx = index_revision(Git(repo.path), "HEAD")
    callees = [e.callee for e in idx.calls.out_of("example.com/fleet.Harbour")]
    assert len(callees) == graph.MAX_BY_NAME + 1
    assert callees[-1] == "by-name:Dock (+5)"
    # Asked from the other end, every method of that name still finds the call.
    last = f"example.com/fleet.(*Ship{graph.MAX_BY_NAME + 4}).Dock"
    assert [e.caller for e in idx.calls.into(last)] == ["example.com/fleet.Harbour"]

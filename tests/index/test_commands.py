"""The parser-layer commands on a small Go module: ``index``, ``symbols``, ``callers``, ``callees``."""

from __future__ import annotations

import json
import re

import pytest

from reviewvet.cli import main

CHAIN = """\
package chain

// T holds a count.
type T struct{ n int }

// Name is a pointer method.
func (t *T) Name() string { return "t" }

// Size is a value method.
func (t T) Size() int { return t.n }

type Namer interface{ Name() string }

func Show(n Namer) string { return n.Name() }

func A() int {
\treturn B() + 1
}

func B() int {
\treturn C() * 2
}

func C() int { return 3 }
"""
MAIN = """\
package main

import "example.com/chain/chain"

func main() {
\tvar t chain.T
\t_ = t.Name()
\tprintln(chain.A())
}
"""
PKG = "example.com/chain/chain"


@pytest.fixture
def repo(make_repo):
    repo = make_repo()
    repo.commit("chain: a -> b -> c", {"go.mod": "module example.com/chain\n\ngo 1.22\n", "chain/chain.go": CHAIN,
                                       "cmd/run/main.go": MAIN, "README.md": "# chain\n"},
                date="2026-02-02T09:00:00+00:00")
    return repo


def run(capsys, repo, *argv: str) -> tuple[int, str, str]:
    command, *rest = argv
    code = main([command, "--repo", str(repo.path), "--no-cache", *rest])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, repo, *argv: str):
    code, out, err = run(capsys, repo, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_index_prints_counts_and_time(capsys, repo, tmp_path) -> None:
    cache = str(tmp_path / "cache")
    for parsed, cached in ((2, 0), (0, 2)):
        assert main(["index", "--repo", str(repo.path), "--rev", "main", "--cache-dir", cache]) == 0
        out, _ = capsys.readouterr()
        first, second = out.splitlines()[:2]
        assert first.startswith(repo.rev("main")[:12] + ": ")
        assert re.search(rf"2 files \({parsed} parsed, {cached} cached, 0 skipped\), 9 symbols, 5 call sites, "
                         r"[\d,]+ bytes in \d+\.\d{3} s$", first), first
        assert second == "by language: go 2"


def test_index_json_has_stats(capsys, repo) -> None:
    data = run_json(capsys, repo, "index", "--rev", "main")
    assert data["rev"] == repo.rev("main")
    stats = data["stats"]
    assert (stats["files"], stats["parsed"], stats["symbols"], stats["edges"], stats["errors"]) == (2, 2, 9, 5, 0)
    assert stats["by_language"] == {"go": 2} and stats["seconds"] >= 0
    assert data["notes"] == [] and data["parse_errors"] == {}


def test_symbols_lists_methods_with_their_receivers(capsys, repo) -> None:
    methods = run_json(capsys, repo, "symbols", "--kind", "method")
    assert {(m["id"], m["local"], m["receiver"], m["start"], m["end"]) for m in methods} == {
        (f"{PKG}.(*T).Name", "(*T).Name", "*T", 7, 7),
        (f"{PKG}.T.Size", "T.Size", "T", 10, 10),
    }
    assert {m["kind"] for m in methods} == {"method"} and {m["path"] for m in methods} == {"chain/chain.go"}


def test_symbols_name_narrows_to_one_symbol(capsys, repo) -> None:
    (a,) = run_json(capsys, repo, "symbols", "--name", "chain.A")
    assert (a["id"], a["kind"], a["start"], a["end"]) == (f"{PKG}.A", "function", 16, 18)
    (name,) = run_json(capsys, repo, "symbols", "--name", "(*T).Name")
    assert name["id"] == f"{PKG}.(*T).Name"
    assert run_json(capsys, repo, "symbols", "--name", "other.A") == []
    code, out, _ = run(capsys, repo, "symbols", "--name", "chain.C")
    assert code == 0 and out == f"chain/chain.go:24-24  function {PKG}.C\n"


def test_symbols_name_uses_the_go_package_name_not_the_folder(capsys, make_repo) -> None:
    repo = make_repo()
    repo.commit("retry", {"go.mod": "module example.com/m\n\ngo 1.22\n",
                          "go-retry/retry.go": "package retry\n\nfunc Do() {}\n"}, date="2026-02-02T09:00:00+00:00")
    found = run_json(capsys, repo, "symbols", "--name", "retry.Do")
    assert [s["id"] for s in found] == ["example.com/m/go-retry.Do"]


def test_callers_follow_the_chain_to_the_requested_depth(capsys, repo) -> None:
    one = run_json(capsys, repo, "callers", "C")
    assert one["symbols"] == [f"{PKG}.C"] and one["direction"] == "callers"
    assert [(e["from"], e["to"], e["depth"]) for e in one["edges"]] == [(f"{PKG}.C", f"{PKG}.B", 1)]
    two = run_json(capsys, repo, "callers", "C", "--depth", "2")
    assert two["edges"] == [
        {"from": f"{PKG}.C", "to": f"{PKG}.B", "depth": 1, "path": "chain/chain.go", "line": 21,
         "confidence": "exact"},
        {"from": f"{PKG}.B", "to": f"{PKG}.A", "depth": 2, "path": "chain/chain.go", "line": 17,
         "confidence": "exact"},
    ]


def test_callees_and_their_confidence(capsys, repo) -> None:
    edges = run_json(capsys, repo, "callees", "main", "--depth", "3")["edges"]
    assert [(e["to"], e["depth"], e["path"], e["line"], e["confidence"]) for e in edges] == [
        (f"{PKG}.(*T).Name", 1, "cmd/run/main.go", 7, "by-type"),
        (f"{PKG}.A", 1, "cmd/run/main.go", 8, "exact"),
        (f"{PKG}.B", 2, "chain/chain.go", 17, "exact"),
        (f"{PKG}.C", 3, "chain/chain.go", 21, "exact"),
    ]
    callers = run_json(capsys, repo, "callers", "(*T).Name")["edges"]
    assert {(e["to"], e["confidence"], e["line"]) for e in callers} == {
        ("example.com/chain/cmd/run.main", "by-type", 7),
        (f"{PKG}.Show", "by-name-only", 14),  # through the Namer interface
    }


def test_callers_text_output_indents_by_depth(capsys, repo) -> None:
    code, out, _ = run(capsys, repo, "callers", "chain.C", "--depth", "2")
    assert code == 0
    assert out.splitlines() == [
        f"{PKG}.C <- {PKG}.B  [exact] chain/chain.go:21",
        f"  {PKG}.B <- {PKG}.A  [exact] chain/chain.go:17",
    ]


def test_unknown_symbol_exits_2(capsys, repo) -> None:
    code, out, err = run(capsys, repo, "callers", "retryForever")
    assert code == 2 and out == ""
    assert err.startswith("reviewvet: error: no symbol 'retryForever' in ") and "Traceback" not in err


def test_depth_below_one_exits_2(capsys, repo) -> None:
    code, out, err = run(capsys, repo, "callees", "A", "--depth", "0")
    assert (code, out) == (2, "")
    assert err == "reviewvet: error: --depth 0 must be at least 1\n"

"""``reviewvet bench callgraph``: how the Go callgraph tool's names are normalised, and the
comparison on a small standard-library package (skipped only when go or callgraph is missing)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reviewvet.bench.callgraph import bench_callgraph, normalise, parse_reference
from reviewvet.cli import main


def test_reference_names_are_written_as_reviewvet_s_symbol_ids() -> None:
    assert normalise("(*net/http.Server).Serve") == "net/http.(*Server).Serve"
    assert normalise("(net/http.Header).Get") == "net/http.Header.Get"
    assert normalise("(*net/http.Server).Serve$1$2") == "net/http.(*Server).Serve"
    assert normalise("go/parser.init#2") == "go/parser.init"
    assert normalise("go/parser.init", "package initializer") == "go/parser.init"
    assert normalise("sort.Slice[int]") == "sort.Slice"
    assert normalise("(*net/http.Header).Get", "wrapper for func (net/http.Header).Get") is None


def test_only_pairs_between_the_analysed_packages_are_kept() -> None:
    rows = [
        ("(*pk/a.T).Run", "", "pk/a.helper", ""),
        ("(*pk/a.T).Run$1", "", "(pk/a.T).Size", ""),  # inside a closure: the enclosing method's
        ("(*pk/a.T).Run", "", "(*pk/a.T).Run$1", ""),  # calling the closure: no symbol of reviewvet's
        ("pk/a.helper", "", "fmt.Println", ""),  # into another package
        ("pk/a.init", "package initializer", "pk/a.init#1", ""),  # nothing calls an init
        ("pk/a.init", "package initializer", "pk/a.helper", ""),  # a package-level variable's value
        ("(*pk/a.T).Size", "wrapper for func (pk/a.T).Size", "(pk/a.T).Size", ""),
    ]
    reference = parse_reference("\n".join("\t".join(r) for r in rows), ["pk/a"])
    assert reference.pairs == {("pk/a.(*T).Run", "pk/a.helper"), ("pk/a.(*T).Run", "pk/a.T.Size"),
                               ("pk/a.init", "pk/a.helper")}
    assert "pk/a.helper" in reference.analysed


needs_go = pytest.mark.skipif(shutil.which("go") is None or shutil.which("callgraph") is None,
                              reason="go and callgraph are not installed (Debian: golang-go, golang-golang-x-tools)")


@needs_go
def test_container_list_against_the_static_call_graph(tmp_path: Path) -> None:
    figures = bench_callgraph(["container/list"], tmp_path)
    row = figures["packages"]["container/list"]
    assert row["reference"] > 10 and row["matched"] <= row["ours"]
    assert row["precision"] == 1.0
    assert row["recall"] >= 0.9
    assert figures["total"]["ours"] == row["ours"]


@needs_go
def test_the_command_prints_a_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "callgraph", "--packages", "container/list"]) == 0
    out = capsys.readouterr().out
    assert "container/list" in out and "precision" in out
    assert main(["bench", "callgraph", "--packages", "container/list", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["packages"]) == {"container/list"}


def test_without_the_go_tools_the_command_exits_2_naming_the_packages(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: neither go nor callgraph
    assert main(["bench", "callgraph"]) == 2
    err = capsys.readouterr().err
    assert "golang-go" in err and "golang-golang-x-tools" in err

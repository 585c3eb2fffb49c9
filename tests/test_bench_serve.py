"""``reviewvet bench serve`` runs end to end against a real server on loopback (figures are not
asserted, only that every request succeeded and both routes and the baseline were measured)."""

from __future__ import annotations

import json

import pytest

from reviewvet.cli import main
from tests.conftest import REVIEWS


def test_bench_serve_loads_both_routes_and_measures_the_cli_baseline(capsys, demo_repo) -> None:
    code = main(["bench", "serve", "--repo", str(demo_repo.path), "--review", str(REVIEWS / "demo-review.md"),
                 "--head", demo_repo.head, "--base", demo_repo.base, "--clients", "2", "--seconds", "1",
                 "--cli-runs", "1", "--json"])
    figures = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(figures["routes"]) == {"/v1/claims:check", "/v1/verify"}
    for route, row in figures["routes"].items():
        assert row["requests"] > 0 and row["errors"] == 0, (route, row)
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
        assert row["cli_median_ms"] > 0
    assert figures["claim"]["path"] and figures["claim"]["quote"]
    assert figures["server_peak_mib"] > 0
    names = [t["target"] for t in figures["targets"]]
    assert any(n.startswith("claims:check p50") for n in names) and "the targets are stated for 8 clients" in names


@pytest.mark.parametrize(("option", "value"), [("--clients", "0"), ("--clients", "65"), ("--seconds", "0"),
                                               ("--cli-runs", "0")])
def test_bench_serve_bounds_its_load(capsys, demo_repo, option: str, value: str) -> None:
    code = main(["bench", "serve", "--repo", str(demo_repo.path), "--review", str(REVIEWS / "demo-review.md"),
                 option, value])
    assert code == 2
    assert "bench serve: --clients 1-64" in capsys.readouterr().err

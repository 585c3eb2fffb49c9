"""`reviewvet bench audit` runs end to end on a small generated repository."""

from __future__ import annotations

import json

from .helpers import cli


def test_bench_audit_reports_local_and_cluster_runs_that_verify_every_review() -> None:
    code, out, err = cli("bench", "audit", "--reviews", "3", "--findings", "3", "--files", "20", "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert (figures["reviews"], figures["findings_per_review"], figures["repository_files"]) == (3, 3, 20)
    assert sorted(figures["runs"]) == ["cluster_dask_2", "cold_jobs_1", "warm_jobs_1", "warm_jobs_2"]
    assert (figures["cluster"]["engine"], figures["cluster"]["workers"]) == ("dask", 2)
    assert figures["cluster"]["round_trip_seconds"] > 0
    for name, run in figures["runs"].items():
        assert run["verified"] == 3, name
        assert run["reviews_per_second"] > 0 and run["seconds"] > 0, name
        assert run["store_bytes"] > 0, name

"""The benchmark command runs end to end on a small generated repository (figures are not asserted)."""

from __future__ import annotations

import json

from reviewvet.cli import main


def test_bench_verify_reports_stages_and_the_generated_truth(capsys, tmp_path) -> None:
    code = main(["bench", "verify", "--files", "20", "--findings", "12", "--runs", "1", "--json",
                 "--keep", str(tmp_path / "repo")])
    figures = json.loads(capsys.readouterr().out)
    assert code == 0
    assert figures["repository"]["files"] == 20
    assert set(figures["warm_seconds"]) >= {"ingest", "resolve", "checks", "total", "git"}
    # Every variant of the generated review is caught: two of each of six variants.
    assert figures["verdict_flags"] == {"near-miss-quote": 2, "quote-removed": 2, "wrong-line": 2, "wrong-path": 2}
    assert (tmp_path / "repo" / ".git").is_dir()


def test_bench_refuses_a_non_empty_keep_folder(capsys, tmp_path) -> None:
    (tmp_path / "x").write_text("mine")
    assert main(["bench", "verify", "--keep", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_bench_startup_reports_each_command_against_a_bare_interpreter(capsys) -> None:
    code = main(["bench", "startup", "--runs", "1", "--format", "json"])
    figures = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(figures["median_seconds"]) == {"bare interpreter", "reviewvet --help", "reviewvet rules list"}
    assert set(figures["over_bare"]) == {"reviewvet --help", "reviewvet rules list"}
    assert all(ratio > 0 for ratio in figures["over_bare"].values())


"""``bench scale`` and ``bench verify --repo --review``: real git, real child processes, tiny sizes.

Figures are checked for shape and sanity (a floor above zero, ratios that follow from the figures
shown, PASS or MISS as the figures say), never for speed.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reviewvet.bench.command import format_real, format_scale
from reviewvet.bench.floor import ChildRun, claimed_ranges, clip, head_lines, run_child
from reviewvet.cli import main
from reviewvet.ingest.parse import parse_review

ROOT = Path(__file__).resolve().parent.parent
DEMO_REVIEW = ROOT / "fixtures" / "reviews" / "demo-review.md"


def figures_of(argv: list[str], out: Path) -> dict[str, Any]:
    assert main([*argv, "--json", "--output", str(out)]) == 0
    figures: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return figures


def assert_measured(f: dict[str, Any]) -> None:
    """The floor, cold and warm of one measurement are there and hang together."""
    floor = f["floor"]
    assert floor["git_wall_seconds"] > 0 and floor["interpreter_wall_seconds"] > 0
    assert floor["wall_seconds"] == pytest.approx(floor["git_wall_seconds"] + floor["interpreter_wall_seconds"])
    assert floor["git_processes"] == 2 + floor["blamed_files"]  # merge-base, cat-file, one blame per file
    for name in ("cold", "warm"):
        run = f[name]
        assert run["status"] == "ok" and run["runs"] == f["rounds"]
        assert run["wall_seconds"] > 0 and run["cpu_seconds"] > 0 and run["peak_rss_mib"] > 1
        assert f["ratios"][f"{name}_over_floor"] == pytest.approx(run["wall_seconds"] / floor["wall_seconds"])


def assert_target_follows(t: dict[str, Any], strict: bool = False) -> None:
    under = t["value"] < t["limit"] if strict else t["value"] <= t["limit"]
    assert t["met"] is under


def shown(pattern: str, text: str) -> list[float]:
    match = re.search(pattern, text, re.MULTILINE)
    assert match, (pattern, text)
    return [float(g) for g in match.groups()]


# -- bench scale -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scale(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    folder = tmp_path_factory.mktemp("scale") / "kept"
    out = tmp_path_factory.mktemp("scale-out") / "figures.json"
    return figures_of(["bench", "scale", "--sizes", "60,30", "--findings", "6", "--runs", "1",
                       "--keep", str(folder)], out), folder


@pytest.mark.slow
def test_scale_measures_each_size_smallest_first(scale) -> None:
    figures, _ = scale
    rows = figures["sizes"]
    assert [r["files"] for r in rows] == [30, 60]
    assert rows[0]["bytes"] < rows[1]["bytes"]
    for row in rows:
        assert_measured(row)
        assert row["warm_over_smallest"] == pytest.approx(row["warm"]["wall_seconds"] / rows[0]["warm"]["wall_seconds"])
    assert rows[0]["warm_over_smallest"] == pytest.approx(1.0)


@pytest.mark.slow
def test_scale_targets_follow_the_figures(scale) -> None:
    figures, _ = scale
    speed, memory = figures["targets"]
    largest = figures["sizes"][-1]
    assert speed["value"] == largest["warm_over_smallest"] and speed["limit"] == 2
    assert memory["value"] == largest["warm"]["peak_rss_mib"]
    assert memory["limit"] == 300
    assert_target_follows(speed)
    assert_target_follows(memory, strict=True)


@pytest.mark.slow
def test_scale_text_shows_a_row_per_size_and_ratios_of_the_figures_shown(scale) -> None:
    figures, _ = scale
    text = format_scale(figures)
    for row in figures["sizes"]:
        floor, cold, warm, over_floor, over_smallest, cold_peak, warm_peak = shown(
            rf"^\s+{row['files']}\s+[\d,]+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x\s+([\d.]+)x\s+([\d.]+)"
            r"\s+([\d.]+)$", text)
        assert cold > 0 and warm > 0 and cold_peak > 1 and warm_peak > 1
        assert warm_peak == pytest.approx(row["warm"]["peak_rss_mib"], abs=0.06)
        assert over_floor == pytest.approx(warm / floor, rel=0.03)
        assert over_smallest == pytest.approx(row["warm_over_smallest"], abs=0.006)
    verdicts = re.findall(r"^target: .* (PASS|MISS)$", text, re.MULTILINE)
    assert verdicts == ["PASS" if t["met"] else "MISS" for t in figures["targets"]]


@pytest.mark.slow
def test_scale_keeps_repositories_and_reviews_outside_them(scale) -> None:
    _, folder = scale
    for size in (30, 60):
        assert (folder / f"repo-{size}" / ".git").is_dir()
        assert "Generated finding 1" in (folder / f"review-{size}.md").read_text("utf-8")
        assert not list((folder / f"repo-{size}").glob("*.md"))


def test_scale_reports_a_timeout_instead_of_waiting(capsys, tmp_path) -> None:
    code = main(["bench", "scale", "--sizes", "20", "--findings", "3", "--runs", "2", "--timeout", "0.001"])
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"^\s+20\s+[\d,]+\s+[\d.]+\s+timeout\s+-\s", out, re.MULTILINE), out
    assert "20 files: cold timeout after 0.001 s" in out
    assert out.count("MISS") == 2 and out.count("no figure") == 2  # a killed run has no figures


@pytest.mark.parametrize(("argv", "named"), [
    (["--sizes", "300,lots"], "--sizes '300,lots'"),
    (["--sizes", "5"], "--sizes '5'"),
    (["--runs", "0"], "--runs 0"),
    (["--findings", "0"], "--findings 0"),
    (["--timeout", "0"], "--timeout 0.0"),
])
def test_scale_refuses_bad_options(capsys, argv, named) -> None:
    assert main(["bench", "scale", *argv]) == 2
    assert named in capsys.readouterr().err


def test_scale_refuses_a_keep_folder_in_use(capsys, tmp_path) -> None:
    (tmp_path / "mine.txt").write_text("x")
    assert main(["bench", "scale", "--sizes", "20", "--keep", str(tmp_path)]) == 2
    assert f"--keep {str(tmp_path)!r} exists" in capsys.readouterr().err


# -- bench verify --repo --review ---------------------------------------------------------------


@pytest.fixture(scope="module")
def real(demo_repo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("real") / "figures.json"
    return figures_of(["bench", "verify", "--repo", str(demo_repo.path), "--review", str(DEMO_REVIEW),
                       "--base", "main", "--head", "feature/retry-budget", "--runs", "1"], out)


@pytest.mark.slow
def test_real_review_is_measured_against_its_floor(real, demo_repo) -> None:
    assert_measured(real)
    assert real["head"] == {"given": "feature/retry-budget", "commit": demo_repo.head_sha}
    assert real["base"] == {"given": "main", "commit": demo_repo.base_sha}
    assert real["findings"] > 0 and real["claimed_files"] >= real["floor"]["blamed_files"] > 0
    assert real["target"]["value"] == real["ratios"]["warm_over_floor"] and real["target"]["limit"] == 3
    assert_target_follows(real["target"])


@pytest.mark.slow
def test_real_review_text_shows_the_ratio_of_the_figures_shown(real) -> None:
    text = format_real(real)
    [floor] = shown(r"^floor\s+([\d.]+)\s", text)
    [cold] = shown(r"^reviewvet verify, cold\s+([\d.]+)\s", text)
    [warm] = shown(r"^reviewvet verify, warm\s+([\d.]+)\s", text)
    [over_floor, cold_over] = shown(r"^warm / floor: ([\d.]+)x; cold / floor: ([\d.]+)x", text)
    assert over_floor == pytest.approx(warm / floor, rel=0.03)
    assert cold_over == pytest.approx(cold / floor, rel=0.03)
    assert re.search(rf"^target: warm verify within 3x of the floor: .* {'PASS' if over_floor <= 3 else 'MISS'}$",
                     text, re.MULTILINE)


@pytest.mark.parametrize(("argv", "named"), [
    (["--review", "missing.md"], "missing.md"),
    (["--repo", "{tmp}", "--review", str(DEMO_REVIEW)], "{tmp}"),
    (["--review", str(DEMO_REVIEW), "--head", "no-such-branch"], "--head: head 'no-such-branch'"),
    (["--review", str(DEMO_REVIEW), "--head", "feature/retry-budget", "--base=--upload-pack=x"],
     "--base: base '--upload-pack=x' looks like an option"),
    (["--repo", "{tmp}"], "--repo and --review go together"),
    (["--review", str(DEMO_REVIEW), "--keep", "{tmp}"], "--keep"),
])
def test_real_review_bad_input_is_named(capsys, demo_repo, tmp_path, argv, named) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    repo = [] if "--repo" in argv else ["--repo", str(demo_repo.path)]
    assert main(["bench", "verify", *repo, *argv, "--runs", "1"]) == 2
    err = capsys.readouterr().err
    assert named.replace("{tmp}", str(tmp_path)) in err, err


def test_the_synthetic_verify_benchmark_is_unchanged_without_a_repository(capsys) -> None:
    assert main(["bench", "verify", "--files", "20", "--findings", "6", "--runs", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["repository"]["files"] == 20


# -- the floor's pieces ---------------------------------------------------------------------------


def test_claims_are_the_references_the_review_writes() -> None:
    review = parse_review(DEMO_REVIEW.read_text("utf-8"), "demo-review.md")
    claims = dict(claimed_ranges(review))
    written = {ref.path for f in review.all_findings() for ref in f.references}
    assert set(claims) == written
    assert all(start <= end for ranges in claims.values() for start, end in ranges)


def test_ranges_are_clipped_to_the_file_and_merged() -> None:
    assert clip(((1, 3), (3, 5), (7, 9), (20, 30), (9, 12)), 10) == ((1, 5), (7, 10))
    assert clip(((40, 45),), 10) == ()
    assert clip(((4, 4), (5, 5)), 10) == ((4, 5),)


def test_head_lines_reads_a_batch_answer_with_missing_files() -> None:
    def found(kind: str, data: bytes) -> bytes:
        return b"a" * 40 + f" {kind} {len(data)}\n".encode() + data + b"\n"

    batch = b"".join([
        found("blob", b"one\ntwo\n"), found("blob", b"one\n"),  # a.go at head, at the merge base
        b"h:b.go missing\n", b"m:b.go missing\n",
        found("blob", b"no end"), b"m:c.sh missing\n",  # added by the pull request
        found("tree", b"x" * 30), found("tree", b"x" * 30),  # a folder
        found("blob", b""), found("blob", b"\n\n"),  # emptied
        b"h:two words missing\n", found("blob", b"gone\n"),  # removed
    ])
    assert head_lines(batch, ["a.go", "b.go", "c.sh", "d", "e", "two words"]) == {"a.go": 2, "c.sh": 1, "e": 0}


def test_a_child_is_measured_by_its_own_rusage() -> None:
    grow = "b = bytearray(64 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"
    run = run_child([sys.executable, "-c", grow], dict(os.environ), None, 60.0)
    assert run == ChildRun(run.wall, run.cpu, run.peak_kib, 0, False, "")
    assert run.peak_kib is not None and run.peak_kib > 64 * 1024 and run.ok


def test_a_child_is_not_charged_with_the_memory_of_the_process_measuring_it() -> None:
    held = bytearray(256 * 1024 * 1024)
    held[::4096] = b"x" * len(held[::4096])  # resident here, and in a forked copy until it execs
    run = run_child([sys.executable, "-c", "pass"], dict(os.environ), None, 60.0)
    assert run.ok and run.peak_kib is not None and 0 < run.peak_kib < 128 * 1024
    del held


def test_a_command_that_cannot_start_is_a_failure_with_its_reason(tmp_path) -> None:
    run = run_child([str(tmp_path / "no-such-program")], dict(os.environ), None, 60.0)
    assert not run.ok and run.exit_code != 0 and "no-such-program" in run.stderr
    assert run.status(60).startswith("failed: exit ")


def test_a_child_past_its_timeout_is_killed_with_its_group(tmp_path) -> None:
    marker = tmp_path / "grandchild-ran"
    late = tmp_path / "late.py"
    late.write_text(f"import time\ntime.sleep(1)\nopen({str(marker)!r}, 'w').close()\n")
    script = f"import subprocess, sys, time; subprocess.Popen([sys.executable, {str(late)!r}]); time.sleep(30)"
    run = run_child([sys.executable, "-c", script], dict(os.environ), None, 0.3)
    assert run.timed_out and run.exit_code is None and not run.ok
    assert run.status(0.3) == "timeout after 0.3 s"
    time.sleep(1.5)
    assert not marker.exists()  # the grandchild went with the group

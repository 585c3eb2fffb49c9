"""``reviewvet bench calibrate`` end to end on the seeds, and its errors for unusable input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reviewvet.audit.calibration import ALL, COLUMNS, FALSE_POSITIVE, ROWS
from reviewvet.cli import main

from .conftest import SEED_PRS, seed_path


@pytest.mark.slow
def test_bench_calibrate_prints_a_table_per_review_and_in_total(real_repo: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    heads = tmp_path / "heads.yaml"
    heads.write_text("".join(f"{seed_path(p).name}: {{head: refs/pull/{pr}/head, base: base/pr-{pr}}}\n"
                             for p, pr in SEED_PRS.items()))
    reviews = [str(seed_path(p)) for p in SEED_PRS]
    code = main(["bench", "calibrate", "--repo", str(real_repo), "--reviews", *reviews, "--map", str(heads)])
    out = capsys.readouterr().out
    print(out)
    assert code == 0
    titles = [line for line in out.splitlines() if line.startswith(tuple(Path(r).name for r in reviews))]
    assert len(titles) == 5 and all("refs/pull/" in t for t in titles)
    assert "003_af61029add66cef3.txt: 20 findings, head refs/pull/295/head (7c8f3561e2ef, reviewed-head)" in out
    headers = [line.split() for line in out.splitlines() if line.startswith("consolidator \\ reviewvet")]
    assert len(headers) == 6
    assert all(all(word in h for c in COLUMNS for word in c.split()) for h in headers)
    rows = [m[1] for m in re.finditer(rf"^([a-z ]+?)(?:\s+\d+){{{len(COLUMNS)}}}$", out, re.M)]
    assert rows == [*ROWS, ALL] * 6
    total = out[out.index("all 5 reviews:"):]
    kept = next(line for line in total.splitlines() if line.startswith("kept")).split()
    everything = next(line for line in total.splitlines() if line.startswith(ALL)).split()
    assert int(kept[-1]) <= int(everything[-1]) and int(everything[-1]) > 100


def test_bench_calibrate_json_has_a_table_per_review(real_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "calibrate", "--repo", str(real_repo), "--reviews", str(seed_path("003")),
                 "--head", "refs/pull/295/head", "--base", "base/pr-295", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    [review] = data["reviews"]
    assert review["head_evidence"] == "reviewed-head" and review["base"] == "base/pr-295"
    assert set(review["table"]) == {*ROWS, ALL} and set(review["table"]["kept"]) == set(COLUMNS)
    assert data["total"][ALL]["total"] == len(review["findings"]) and FALSE_POSITIVE in data["total"]["kept"]


def test_a_missing_review_is_named_and_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "absent-review.md"
    assert main(["bench", "calibrate", "--repo", str(tmp_path), "--reviews", str(missing)]) == 2
    assert repr(str(missing)) in capsys.readouterr().err


@pytest.mark.parametrize("content", ["- just\n- a list\n", "x: [\n", "r.md: {base: main}\n"])
def test_a_bad_map_is_named_and_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    heads = tmp_path / "heads.yaml"
    heads.write_text(content)
    review = tmp_path / "r.md"
    review.write_text("# Deep Review\n")
    assert main(["bench", "calibrate", "--repo", str(tmp_path), "--reviews", str(review), "--map", str(heads)]) == 2
    assert f"--map: mapping file {str(heads)!r}" in capsys.readouterr().err

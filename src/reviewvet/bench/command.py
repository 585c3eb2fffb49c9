"""Whole-command benchmarks against the git floor (``reviewvet.bench.floor``).

``reviewvet bench verify --repo R --review FILE``: a real review of a real repository; the
floor, ``reviewvet verify`` cold and warm, and the target: warm within 3x of the floor.

``reviewvet bench scale``: the same shape of review (30 findings by default) against generated
repositories of growing size (300, 3,000 and 30,000 Go, shell and BATS files by default), each
measured as above; the targets: at the largest size, warm within 2x of warm at the smallest
size, and peak memory under 300 MiB. The repositories live in a folder the benchmark owns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reviewvet.bench.floor import Target, claimed_ranges, measure, ratio, summary, target, verdict
from reviewvet.errors import ReviewInputError, UsageError

REAL_LIMIT = 3.0  # warm verify over the floor
SCALE_LIMIT = 2.0  # warm verify at the largest size over warm at the smallest
MEMORY_LIMIT_MIB = 300.0

Progress = Callable[[str], None]


# -- a real review ------------------------------------------------------------------------------


def real_target(repo: Path, review_path: Path, head: str, base: str | None) -> tuple[Target, dict[str, Any]]:
    """The review's claims and the verify command for it, with the revisions resolved as verify would."""
    from reviewvet.api import load_review, open_workspace

    review = load_review(review_path)
    if not review.all_findings():
        raise ReviewInputError(f"review {str(review_path)!r} has no findings to verify")
    with open_workspace(repo, head, base, use_cache=False) as workspace, workspace.session():
        revisions = workspace.revisions(review)
    if revisions.base is None:
        raise UsageError("no base revision: neither main nor master is here; give one", field="base")
    claims = claimed_ranges(review)
    args = ["verify", str(review_path.resolve()), f"--repo={repo.resolve()}", f"--head={head}"]
    args += [f"--base={base}"] if base is not None else []
    about = {"repository": str(repo), "review": str(review_path), "findings": len(review.all_findings()),
             "claimed_files": len(claims), "head": {"given": head, "commit": revisions.head},
             "base": {"given": revisions.base_rev, "commit": revisions.base}}
    return Target(repo, revisions.head, revisions.base, claims, tuple(args)), about


def bench_real(repo: Path, review_path: Path, head: str, base: str | None, runs: int,
               timeout: float) -> dict[str, Any]:
    import tempfile

    goal, about = real_target(repo, review_path, head, base)
    with tempfile.TemporaryDirectory(prefix="reviewvet-bench-") as scratch:
        figures = summary(measure(goal, runs, timeout, Path(scratch)))
    warm_over_floor = figures["ratios"]["warm_over_floor"]
    return about | figures | {
        "target": target(f"warm verify within {REAL_LIMIT:g}x of the floor", warm_over_floor, REAL_LIMIT, "x")}


def format_real(f: dict[str, Any]) -> str:
    floor, ratios = f["floor"], f["ratios"]
    head, base = f["head"], f["base"]
    return "\n".join([
        f"repository: {f['repository']}",
        f"head: {head['given']} ({head['commit'][:12]}); base: {base['given']} ({base['commit'][:12]})",
        f"review: {f['review']}: {f['findings']} findings referencing {f['claimed_files']} files",
        *_measured(f),
        f"warm / floor: {_times(ratios['warm_over_floor'])}; cold / floor: {_times(ratios['cold_over_floor'])}; "
        f"warm CPU / floor CPU: {_times(ratios['warm_cpu_over_floor_cpu'])}",
        _target_line(f["target"]),
        f"(floor: {floor['git_processes']} git processes, blame {floor['blame_options']} of "
        f"{floor['blamed_ranges']} ranges in {floor['blamed_files']} files, plus python -c pass)",
    ])


def _measured(f: dict[str, Any]) -> list[str]:
    """The table of floor, cold and warm: median wall and CPU seconds, peak memory."""
    floor, cold, warm = f["floor"], f["cold"], f["warm"]
    rows = [f"median of {f['rounds']} round(s)       wall s     CPU s  peak MiB",
            f"floor                       {_s(floor['wall_seconds'])} {_s(floor['cpu_seconds'])}",
            f"  git ({floor['git_processes']} processes)".ljust(28)
            + f"{_s(floor['git_wall_seconds'])} {_s(floor['git_cpu_seconds'])}",
            f"  bare interpreter          {_s(floor['interpreter_wall_seconds'])} "
            f"{_s(floor['interpreter_cpu_seconds'])}"]
    for name, run in (("cold", cold), ("warm", warm)):
        status = "" if run["status"] == "ok" else f"  {run['status']}"
        rows.append(f"reviewvet verify, {name}      {_s(run['wall_seconds'])} {_s(run['cpu_seconds'])} "
                    f"{_mib(run['peak_rss_mib'])}{status}")
    return rows


# -- generated repositories of growing size ----------------------------------------------------


def bench_scale(folder: Path, sizes: list[int], findings: int, runs: int, timeout: float,
                progress: Progress | None = None) -> dict[str, Any]:
    """Each size in turn: generate, measure; then warm over the smallest size's warm, and the targets."""
    rows = [_scale_row(folder, size, findings, runs, timeout, progress or _quiet) for size in sorted(set(sizes))]
    smallest, largest = rows[0], rows[-1]
    for row in rows:
        row["warm_over_smallest"] = ratio(row["warm"]["wall_seconds"], smallest["warm"]["wall_seconds"])
    targets = [
        target(f"warm verify at {largest['files']} files within {SCALE_LIMIT:g}x of warm at {smallest['files']}",
               largest["warm_over_smallest"], SCALE_LIMIT, "x"),
        target(f"peak memory of the warm verify at {largest['files']} files under {MEMORY_LIMIT_MIB:g} MiB",
               largest["warm"]["peak_rss_mib"], MEMORY_LIMIT_MIB, " MiB", strict=True),
    ]
    return {"findings": findings, "rounds": runs, "timeout_seconds": timeout, "sizes": rows, "targets": targets}


def _scale_row(folder: Path, size: int, findings: int, runs: int, timeout: float,
               progress: Progress) -> dict[str, Any]:
    from reviewvet.api import read_review
    from reviewvet.bench.synth import generate_repo, generate_review

    started = time.perf_counter()
    repo = generate_repo(folder / f"repo-{size}", size)
    build = time.perf_counter() - started
    progress(f"{repo.files} files ({repo.bytes:,} bytes) generated in {build:.1f} s; measuring")
    text = generate_review(repo, findings)
    repo.units.clear()  # every generated function's lines: not needed from here on, and large at 30,000 files
    review_path = folder / f"review-{size}.md"  # beside the repository, never inside it
    review_path.write_text(text, encoding="utf-8")
    claims = claimed_ranges(read_review(text, str(review_path)))
    args = ("verify", str(review_path.resolve()), f"--repo={repo.path.resolve()}", "--head=pr", "--base=main")
    goal = Target(repo.path, _commit(repo.path, "pr"), _commit(repo.path, "main"), claims, args)
    scratch = folder / f"scratch-{size}"
    scratch.mkdir()
    figures = summary(measure(goal, runs, timeout, scratch))
    row = {"files": repo.files, "bytes": repo.bytes, "build_seconds": build, "claimed_files": len(claims)} | figures
    progress(f"{repo.files} files: seconds of floor {_s(figures['floor']['wall_seconds']).strip()}, "
             f"cold {_cell(row['cold']).strip()}, warm {_cell(row['warm']).strip()}")
    return row


def _commit(repo: Path, rev: str) -> str:
    from reviewvet.git import Git

    return Git(repo).resolve(rev)


def format_scale(f: dict[str, Any]) -> str:
    smallest = f["sizes"][0]["files"]
    head = (f"{'files':>7} {'bytes':>12} {'floor s':>8} {'cold s':>8} {'warm s':>8} {'warm/floor':>10} "
            f"{'warm/' + str(smallest):>10} {'cold MiB':>9} {'warm MiB':>9}")
    rows = [f"{r['files']:>7} {r['bytes']:>12,} {_s(r['floor']['wall_seconds'], 8)} {_cell(r['cold'])} "
            f"{_cell(r['warm'])} {_times(r['ratios']['warm_over_floor'], 10)} "
            f"{_times(r['warm_over_smallest'], 10)} {_mib(r['cold']['peak_rss_mib'])} {_mib(r['warm']['peak_rss_mib'])}"
            for r in f["sizes"]]
    notes = [f"{r['files']} files: {name} {r[name]['status']}" for r in f["sizes"] for name in ("cold", "warm")
             if r[name]["status"] != "ok"]
    return "\n".join([f"{f['findings']}-finding review, median of {f['rounds']} round(s) of floor, cold and warm "
                      "verify per size", head, *rows, *notes, *(_target_line(t) for t in f["targets"])])


# -- text ---------------------------------------------------------------------------------------


def _target_line(t: dict[str, Any]) -> str:
    unit = t["unit"]
    value = "no figure" if t["value"] is None else f"{t['value']:.2f}{unit}"
    return f"target: {t['name']}: {value} (limit {t['limit']:g}{unit}) {verdict(t)}"


def _cell(run: dict[str, Any]) -> str:
    """A verify's median wall seconds, or why there is none."""
    if run["wall_seconds"] is not None:
        return _s(run["wall_seconds"], 8)
    status: str = run["status"]
    return f"{'timeout' if status.startswith('timeout') else 'failed' if status.startswith('failed') else '-':>8}"


def _s(value: float | None, width: int = 9) -> str:
    return f"{value:{width}.3f}" if value is not None else f"{'-':>{width}}"


def _times(value: float | None, width: int = 0) -> str:
    return f"{value:.2f}x".rjust(width) if value is not None else "-".rjust(width)


def _mib(value: float | None) -> str:
    return f"{value:9.1f}" if value is not None else f"{'-':>9}"


def _quiet(_: str) -> None:
    pass

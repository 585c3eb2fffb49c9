"""Verifying a review never writes into the inspected repository, and works on a bare clone.

The repository is snapshotted (every path under it, `.git` included: kind, size, mode and
mtime, directories too, so even a file created and removed again shows up as a changed
directory mtime) before and after `reviewvet verify`, which must leave it identical.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from reviewvet.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEMO_REVIEW = ROOT / "fixtures" / "reviews" / "demo-review.md"


def snapshot(root: Path) -> dict[str, tuple[str, int, int, int]]:
    entries = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            st = path.lstat()
            kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
            entries[str(path.relative_to(root))] = (kind, st.st_size if kind != "dir" else 0, st.st_mode,
                                                    st.st_mtime_ns)
    st = root.lstat()
    entries["."] = ("dir", 0, st.st_mode, st.st_mtime_ns)
    return entries


def verify(capsys, repo: Path, *args: str) -> tuple[int, str]:
    code = main(["verify", str(DEMO_REVIEW), "--repo", str(repo), *args])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return code, out


def flags_by_finding(report: str) -> dict[str, list[str]]:
    return {f["key"]: f["flags"] for f in json.loads(report)["findings"]}


@pytest.fixture
def demo_copy(demo_repo, tmp_path: Path) -> Path:
    copy = tmp_path / "beacon"
    shutil.copytree(demo_repo.path, copy, symlinks=True)
    return copy


def test_verify_writes_nothing_into_the_repository(capsys, tmp_path, demo_copy, demo_repo):
    (demo_copy / "scripts" / "lib.sh").write_text("# a dirty work tree must not matter\n")
    before = snapshot(demo_copy)
    assert any(p.startswith(".git/objects/") for p in before) and "scripts/run-agent.sh" in before

    code, report = verify(capsys, demo_copy, "--base", "main", "--head", demo_repo.head, "--format", "json")
    verify(capsys, demo_copy, "--head", "auto", "--format", "markdown", "--output", str(tmp_path / "report.md"))
    verify(capsys, demo_copy, "--merge-base", "v0.1.0", "--head", demo_repo.head, "--fail-on", "any")

    assert snapshot(demo_copy) == before
    # the checks really ran, against git objects rather than the (dirty, main) work tree
    assert code == 0
    flags = flags_by_finding(report)
    assert flags["consolidated/S4"] == ["wrong-path"] and flags["consolidated/I1"] == []
    assert json.loads(report)["revisions"]["head"]["sha"] == demo_repo.head_sha


def test_verify_on_a_bare_clone(capsys, tmp_path, demo_copy, demo_repo):
    bare = tmp_path / "beacon.git"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(["git", "clone", "-q", "--bare", str(demo_copy), str(bare)], env=env, check=True)
    assert (bare / "HEAD").is_file() and not (bare / ".git").exists()
    before = snapshot(bare)

    args = ("--base", "main", "--head", demo_repo.head, "--format", "json")
    _, from_bare = verify(capsys, bare, *args)
    _, from_clone = verify(capsys, demo_copy, *args)

    assert snapshot(bare) == before
    data = json.loads(from_bare)
    assert data["revisions"]["head"]["sha"] == demo_repo.head_sha
    assert data["revisions"]["merge_base"]["sha"] == demo_repo.merge_base
    assert data["summary"]["findings"] == json.loads(from_clone)["summary"]["findings"] > 0
    assert flags_by_finding(from_bare) == flags_by_finding(from_clone)
    assert data["summary"]["quotes"] == json.loads(from_clone)["summary"]["quotes"]

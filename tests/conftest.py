"""Shared fixtures: real git repositories built in temporary folders, and the seed reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fixtures"))

from demo import DemoRepo, build_demo_repo  # noqa: E402
from gitbuild import RepoBuilder  # noqa: E402

SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
BUNDLE = SHARED / "real-repo" / "rancher-desktop-daemon.bundle"
REVIEWS = ROOT / "fixtures" / "reviews"


@pytest.fixture(scope="session", autouse=True)
def private_parse_cache(tmp_path_factory: pytest.TempPathFactory):
    """Tests never touch the user's parse cache: one cache folder for the whole session."""
    import os

    previous = os.environ.get("REVIEWVET_CACHE_DIR")
    os.environ["REVIEWVET_CACHE_DIR"] = str(tmp_path_factory.mktemp("parse-cache"))
    yield
    if previous is None:
        os.environ.pop("REVIEWVET_CACHE_DIR", None)
    else:
        os.environ["REVIEWVET_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> DemoRepo:
    """The demo repository (base `main`, PR branch `feature/retry-budget`), built once."""
    return build_demo_repo(tmp_path_factory.mktemp("demo") / "repo")


@pytest.fixture
def make_repo(tmp_path: Path):
    """A fresh RepoBuilder in this test's temporary folder."""

    def build(name: str = "repo") -> RepoBuilder:
        return RepoBuilder(tmp_path / name)

    return build


@pytest.fixture(scope="session")
def seeds() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"the seed reports are not available at {SEEDS}")
    return SEEDS


@pytest.fixture(scope="session")
def real_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare clone of the seeds' repository bundle with its pull-request refs, made once per session
    (never the shared clone: tests build their own). Its origin is the bundle's path."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: the seed reports and the real repository's bundle live there")
    if not BUNDLE.is_file() or not SEEDS.is_dir():
        pytest.skip(f"the real repository's bundle ({BUNDLE}) or the seed reports ({SEEDS}) are absent")
    repo = tmp_path_factory.mktemp("real-repo") / "rdd.git"
    for command in (["clone", "--quiet", "--bare", str(BUNDLE), str(repo)],
                    ["-C", str(repo), "fetch", "--quiet", str(BUNDLE), "refs/pull/*:refs/pull/*"]):
        subprocess.run(["git", *command], check=True, capture_output=True)
    return repo


# The pull request each seed report reviews: verified at refs/pull/N/head against base/pr-N (shared/real-repo).
SEED_PRS = {"000": 336, "001": 336, "002": 242, "003": 295, "004": 234}


@pytest.fixture(scope="session")
def seed_verifications(real_repo: Path) -> dict[str, Any]:
    """Each seed report verified once per session against its pull request: prefix -> Verification."""
    from reviewvet.api import load_review, verify_repository

    done = {}
    for prefix, pr in SEED_PRS.items():
        [path] = SEEDS.glob(f"{prefix}_*.txt")
        done[prefix] = verify_repository(real_repo, load_review(path), head=f"refs/pull/{pr}/head",
                                         base=f"base/pr-{pr}")
    return done

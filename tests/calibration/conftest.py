"""Fixtures of the calibration tests: a bare clone of the real repository's bundle and the five seed
reports verified against it, each built once per session. Both skip when ../shared is absent."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from reviewvet.audit.calibration import ReviewCalibration, calibrate
from reviewvet.model.verification import Verification
from reviewvet.api import load_review, verify_repository
from reviewvet.model.review import Review

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
# The pull request each seed reviews (shared/real-repo/README.md): verified at refs/pull/N/head, base base/pr-N.
SEED_PRS = {"000": 336, "001": 336, "002": 242, "003": 295, "004": 234}


@dataclass(frozen=True)
class Seed:
    prefix: str
    path: Path
    text: str
    verification: Verification
    calibration: ReviewCalibration


def verify_at_pr(review: Review, repo: Path, pr: int) -> Verification:
    """The review verified at the surviving head of pull request ``pr`` (refs from the bundle)."""
    return verify_repository(repo, review, head=f"refs/pull/{pr}/head", base=f"base/pr-{pr}")


def seed_path(prefix: str) -> Path:
    [path] = SEEDS.glob(f"{prefix}_*.txt")
    return path


@pytest.fixture(scope="session")
def verified_seeds(real_repo: Path) -> dict[str, Seed]:
    """Every seed verified at the surviving head of its pull request, with its calibration."""
    out = {}
    for prefix, pr in SEED_PRS.items():
        path = seed_path(prefix)
        text = path.read_text("utf-8")
        verification = verify_at_pr(load_review(path), real_repo, pr)
        out[prefix] = Seed(prefix, path, text, verification, calibrate(verification, path.name, text))
    return out

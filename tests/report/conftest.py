"""The demo review verified once for the format tests, as `make demo` verifies it (with its conventions)."""

from __future__ import annotations

import pytest

from reviewvet.api import VerifyOptions, verify_repository
from reviewvet.ingest.parse import parse_review, read_review_file
from reviewvet.model.verification import Verification
from tests.conftest import REVIEWS


@pytest.fixture(scope="session")
def result(demo_repo) -> Verification:
    """The demo verification; a test module may define its own ``result`` (without the conventions, say)."""
    review = parse_review(read_review_file(REVIEWS / "demo-review.md"), "demo-review.md")
    return verify_repository(demo_repo.path, review, head=demo_repo.head, base=demo_repo.base,
                             options=VerifyOptions(context=REVIEWS / "demo-context.yaml"))

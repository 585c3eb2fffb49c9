"""Fixtures of the audit tests: the kettle repository and a store holding the demo reviews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .helpers import DEMO_CONTEXT, DEMO_FLAT, DEMO_REVIEW, build_kettle, cli


@pytest.fixture
def kettle(make_repo: Any) -> tuple[Any, str]:
    """A fresh kettle repository (main + `fix/dry-kettle`) and its PR head."""
    return build_kettle(make_repo())


@pytest.fixture(scope="session")
def demo_store(demo_repo: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo review and its flattened copy, verified with the demo context. Read it only."""
    db = tmp_path_factory.mktemp("demo-store") / "audit.duckdb"
    code, out, err = cli("audit", "ingest", DEMO_REVIEW, DEMO_FLAT, "--repo", demo_repo.path,
                         "--context", DEMO_CONTEXT, "--db", db)
    assert code == 0, err
    assert "2 added" in out
    return db

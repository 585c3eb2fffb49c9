"""`audit ingest --executor dask`: the same rows as a local ingest, from a real local cluster.

One cluster of two worker processes on 127.0.0.1 serves the whole module.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewvet.audit import cluster
from reviewvet.audit.cluster import Job, Where
from reviewvet.audit.ingest import Item, Options, _work
from reviewvet.audit.mirrors import mirror_path
from reviewvet.audit.store import TABLES
from reviewvet.audit.workers import Stopped

from .helpers import EMPTY_REVIEW, build_kettle, cli, kettle_review, query

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures"))
from gitbuild import RepoBuilder  # noqa: E402

distributed = pytest.importorskip("distributed", reason="the cluster extra is part of the test extra")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a local cluster: two worker processes, one thread each."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def client(scheduler: str) -> Iterator[Any]:
    with distributed.Client(scheduler) as connected:
        yield connected


@pytest.fixture(scope="module")
def kettle(tmp_path_factory: pytest.TempPathFactory) -> tuple[RepoBuilder, str]:
    """The kettle repository, at a path ending in its owner/name (its file:// URL names it)."""
    return build_kettle(RepoBuilder(tmp_path_factory.mktemp("origin") / "acme" / "kettle"))


@pytest.fixture(scope="module")
def reviews(kettle: tuple[RepoBuilder, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reviews verified at their head or at another (one names a head that is not there), and one
    skipped (no findings)."""
    _, head = kettle
    folder = tmp_path_factory.mktemp("reviews")
    texts = {"pr-7.md": kettle_review(head), "pr-7-r2.md": kettle_review(head, title="20260212-093000-pr-7"),
             "pr-7-r3.md": kettle_review(head, title="20260213-093000-pr-7"),
             "gone.md": kettle_review("0badc0ffee", title="gone"), "pr-8.md": EMPTY_REVIEW}
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def table_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, without the ingestion time."""
    return {t: sorted((tuple(None if isinstance(v, datetime.datetime) else v for v in row)
                       for row in query(db, f"SELECT * FROM {t}")), key=repr) for t in TABLES}


def test_cluster_ingest_stores_the_rows_a_local_ingest_stores(tmp_path: Path, scheduler: str, kettle: Any,
                                                              reviews: Path) -> None:
    repo, _ = kettle
    local, remote = tmp_path / "local.duckdb", tmp_path / "cluster.duckdb"
    code, local_out, err = cli("audit", "ingest", reviews, "--repo", repo.path, "--db", local)
    assert code == 0, err
    code, remote_out, err = cli("audit", "ingest", reviews, "--repo", repo.path, "--db", remote,
                                "--executor", "dask", "--address", scheduler)
    assert code == 0, err
    assert remote_out == local_out
    assert remote_out.startswith("5 files: 4 added, 0 replaced, 0 unverified, 0 unchanged, 1 skipped")
    assert table_rows(remote) == table_rows(local)
    assert query(remote, "SELECT count(*) FROM claims")[0][0] > 0
    # Idempotent: the same reviews again change nothing.
    code, again, _ = cli("audit", "ingest", reviews, "--repo", repo.path, "--db", remote,
                         "--executor", "dask", "--address", scheduler)
    assert code == 0 and "0 added" in again
    assert table_rows(remote) == table_rows(local)


def answers(client: Any, jobs: list[Job]) -> list[Any]:
    return list(cluster.results(client, jobs))


def without_time(answer: Any) -> Any:
    rows = {t: [tuple(None if isinstance(v, datetime.datetime) else v for v in row) for row in found]
            for t, found in answer.rows.items()}
    return answer.status, answer.reason, rows


def test_a_worker_that_cannot_read_the_path_mirrors_the_url_once(client: Any, kettle: Any, reviews: Path) -> None:
    repo, head = kettle
    items = [Item(str(p), p.name, p.read_text(encoding="utf-8")) for p in sorted(reviews.glob("pr-7*.md"))]
    options = Options(None)
    url = f"file://{repo.path}"
    where = Where(str(repo.path.parent / "not-here"), url)
    remote = answers(client, [Job(_work, (item, options), where, 60.0) for item in items])
    local = [_work((item, Options(repo.path))) for item in items]
    assert [without_time(a) for a in remote] == [without_time(a) for a in local]
    assert {a.status for a in remote} == {"verified"}
    mirrors = Path(os.environ["REVIEWVET_CACHE_DIR"]) / "mirrors"
    assert mirror_path(url, mirrors.parent).is_dir()
    assert len(list(mirrors.glob("*.git"))) == 1  # both workers share the machine's one mirror
    # A head the mirror lacks is fetched; the repository itself is only read.
    repo.checkout("fix/dry-kettle")
    newer = repo.commit("kettle: say which package failed", {"README.md": "# kettle\n\nDry kettles refuse.\n"},
                        date="2026-02-05T09:00:00+00:00")
    item = Item("pr-7-new.md", "pr-7-new.md", kettle_review(newer, title="20260214-093000-pr-7"))
    [answer] = answers(client, [Job(_work, (item, options), where, 60.0)])
    assert (answer.status, answer.reason) == ("verified", "")
    assert subprocess.run(["git", "-C", str(mirror_path(url, mirrors.parent)), "cat-file", "-e", newer],
                          check=False).returncode == 0
    assert head != newer


def test_a_failing_job_is_its_reviews_reason_and_the_others_go_on(client: Any) -> None:
    jobs = [Job(len, ("a", "b"), None, 30.0), Job(int, ("not a number",), None, 30.0), Job(len, ("c",), None, 30.0)]
    assert answers(client, jobs) == [2, Stopped("internal error, a bug in reviewvet: TypeError: int() argument "
                                                "must be a string, a bytes-like object or a real number, not 'tuple'"),
                                     1]


def test_a_review_over_its_budget_is_reported_at_once() -> None:
    started = time.monotonic()
    assert cluster.within_budget(lambda: time.sleep(1), 0.1) == Stopped(
        "over budget: not done in 0.1 s, the time allowed for one review")
    assert time.monotonic() - started < 0.9
    assert cluster.within_budget(lambda: "next", 5.0) == "next"  # after the one over budget ended


def test_no_scheduler_at_the_address_is_exit_2_naming_it(tmp_path: Path, kettle: Any, reviews: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)
    repo, _ = kettle
    db = tmp_path / "audit.duckdb"
    code, _, err = cli("audit", "ingest", reviews / "pr-7.md", "--repo", repo.path, "--db", db,
                       "--executor", "dask", "--address", "tcp://127.0.0.1:9")
    assert code == 2
    assert "no Dask scheduler answered at 'tcp://127.0.0.1:9'" in err


def test_without_the_extra_the_error_says_how_to_install_it(tmp_path: Path, reviews: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    code, _, err = cli("audit", "ingest", reviews / "pr-7.md", "--db", tmp_path / "audit.duckdb",
                       "--executor", "dask", "--address", "tcp://127.0.0.1:9")
    assert code == 2
    assert "pip install 'reviewvet[cluster]'" in err


def test_an_address_needs_the_dask_executor(tmp_path: Path, reviews: Path) -> None:
    code, _, err = cli("audit", "ingest", reviews / "pr-7.md", "--db", tmp_path / "audit.duckdb",
                       "--address", "tcp://127.0.0.1:9")
    assert code == 2
    assert "--executor dask" in err
